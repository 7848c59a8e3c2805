//! Application Auto Scaling against the emulator (recipe 3.6): an ECS service's scalable
//! target and a CPU target-tracking policy, checked with the SDK; both changed in place; the
//! service's desired count, which the target scales, owned elsewhere: a count set outside
//! strata is shown, never put back; destroy leaves nothing.

use aws_sdk_applicationautoscaling::types::ServiceNamespace;

use crate::support::{Stack, autoscaling, destroy_leaves_nothing, ecs, stdout};

/// A Fargate service of two tasks, its scalable target (2 to 4 tasks) and a CPU 50 % policy.
const STACK: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.61.0.0/16
  private_a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.61.0.0/24
    availability_zone: us-east-1a
  private_b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.61.1.0/24
    availability_zone: us-east-1b
  cluster:
    kind: ecs.cluster
    name_prefix: strata-it-as-
  task:
    kind: ecs.task_definition
    family: FAMILY
    cpu: 256
    memory: 512
    containers:
      - name: web
        image: amazon/amazon-ecs-sample
        port_mappings: [{container_port: 80}]
  web:
    kind: ecs.service
    name: web
    cluster: cluster
    task_definition: task
    desired_count: 2
    subnets: [private_a, private_b]
  scaling:
    kind: application_autoscaling.target
    service: web
    min_capacity: 2
    max_capacity: 4
    tags: {Team: web}
  cpu50:
    kind: application_autoscaling.policy
    name: cpu50-awscookbook-606
    target: scaling
    metric: ECSServiceAverageCPUUtilization
    target_value: 50
    scale_in_cooldown: 60
    scale_out_cooldown: 60
";

/// (min, max) of the service's scalable target.
async fn target(id: &str) -> (i32, i32) {
    let out = autoscaling()
        .await
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(id)
        .send()
        .await
        .expect("the target");
    let t = out.scalable_targets().first().expect("one target");
    (t.min_capacity(), t.max_capacity())
}

/// The target value of the target's policy of this name.
async fn policy_value(resource: &str, name: &str) -> f64 {
    let out = autoscaling()
        .await
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .policy_names(name)
        .send()
        .await
        .expect("the policy");
    let p = out.scaling_policies().first().expect("one policy");
    p.target_tracking_scaling_policy_configuration()
        .expect("a target-tracking policy")
        .target_value()
}

#[tokio::test]
async fn a_service_is_scaled_between_its_target_s_bounds_by_a_cpu_policy() {
    let family = format!("strata-it-as-{}", std::process::id());
    let s = Stack::new("as", &STACK.replace("FAMILY", &family));
    s.apply_clean();
    let arn = s.id_of("web");
    let id = s.id_of("scaling");
    let cluster = s.id_of("cluster");
    assert_eq!(id, format!("service/{cluster}/web"));
    assert_eq!(target(&id).await, (2, 4));
    assert_eq!(policy_value(&id, "cpu50-awscookbook-606").await, 50.0);
    assert_eq!(s.id_of("cpu50"), format!("{id}:cpu50-awscookbook-606"));
    s.expect(0, &["plan", "--detailed-exitcode"]);

    // The bounds and the target value change in place.
    s.edit(|d| {
        d.replace("max_capacity: 4", "max_capacity: 6")
            .replace("target_value: 50", "target_value: 60")
    });
    let plan = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(!plan.contains("must be replaced"), "{plan}");
    s.apply_clean();
    assert_eq!(s.id_of("scaling"), id, "changed in place");
    assert_eq!(target(&id).await, (2, 6));
    assert_eq!(policy_value(&id, "cpu50-awscookbook-606").await, 60.0);
    s.expect(0, &["plan", "--detailed-exitcode"]);

    // Application Auto Scaling scales the service out: shown, never put back.
    ecs()
        .await
        .update_service()
        .cluster(&cluster)
        .service(&arn)
        .desired_count(4)
        .send()
        .await
        .expect("scaled out outside strata");
    let plan = stdout(&s.expect(0, &["plan", "--detailed-exitcode"]));
    assert!(
        plan.contains("web.desired_count is 4; the documents say 2 (its application_autoscaling.target scaling scales it)"),
        "{plan}"
    );

    destroy_leaves_nothing(&s).await;
}
