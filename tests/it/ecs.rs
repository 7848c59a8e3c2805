//! ECS clusters against the emulator: created tagged with Container Insights, capacity
//! providers and a default strategy, checked with the SDK; each changed in place; a cluster of
//! the same name that the stack did not make is refused, not taken over; destroy leaves
//! nothing.

use crate::support::{Stack, destroy_leaves_nothing, ecs, stderr, stdout};

/// A cluster.
pub const CLUSTER: &str = "stack: STACK
region: us-east-1
resources:
  cluster:
    kind: ecs.cluster
    name_prefix: strata-it-
    container_insights: enabled
    capacity_providers: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      - {capacity_provider: FARGATE, base: 1, weight: 1}
      - {capacity_provider: FARGATE_SPOT, weight: 3}
    tags: {Team: web}
";

/// A cluster, a task definition, a service and its autoscaling, as the ownership test applies
/// them.
pub const OWNED: &str = "stack: STACK
region: us-east-1
resources:
  scaling:
    kind: application_autoscaling.target
    service: service
    min_capacity: 1
    max_capacity: 2
  cpu:
    kind: application_autoscaling.policy
    name: cpu50
    target: scaling
    metric: ECSServiceAverageCPUUtilization
    target_value: 50
  vpc:
    kind: ec2.vpc
    cidr_block: 10.61.0.0/16
  subnet:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.61.0.0/24
    availability_zone: us-east-1a
  service:
    kind: ecs.service
    name: web
    cluster: cluster
    task_definition: task
    subnets: [subnet]
  cluster:
    kind: ecs.cluster
    name_prefix: strata-own-
  task:
    kind: ecs.task_definition
    family: strata-own-task
    cpu: 512
    memory: 1024
    containers:
      - {name: web, image: amazon/amazon-ecs-sample, port_mappings: [{container_port: 80}]}
";

/// What the SDK reads of a cluster: (status, Container Insights, capacity providers, the
/// strategy as `PROVIDER base/weight`, the user's Team tag).
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    status: String,
    insights: Option<String>,
    providers: Vec<String>,
    strategy: Vec<String>,
    team: Option<String>,
}

async fn cluster(name: &str) -> Seen {
    use aws_sdk_ecs::types::ClusterField;
    let out = ecs()
        .await
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Tags)
        .include(ClusterField::Settings)
        .send()
        .await
        .expect("the cluster");
    let c = out.clusters().first().expect("one cluster").clone();
    Seen {
        status: c.status().unwrap_or_default().to_string(),
        insights: c
            .settings()
            .iter()
            .find(|s| s.name().map(|n| n.as_str()) == Some("containerInsights"))
            .and_then(|s| s.value())
            .map(str::to_string),
        providers: c.capacity_providers().to_vec(),
        strategy: c
            .default_capacity_provider_strategy()
            .iter()
            .map(|s| format!("{} {}/{}", s.capacity_provider(), s.base(), s.weight()))
            .collect(),
        team: c
            .tags()
            .iter()
            .find(|t| t.key() == Some("Team"))
            .and_then(|t| t.value())
            .map(str::to_string),
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn a_cluster_is_created_and_changed_in_place() {
    let s = Stack::new("ecs", CLUSTER);
    s.apply_clean();
    let name = s.id_of("cluster");
    assert!(name.starts_with("strata-it-"), "{name}");
    assert_eq!(
        cluster(&name).await,
        Seen {
            status: "ACTIVE".into(),
            insights: Some("enabled".into()),
            providers: strs(&["FARGATE", "FARGATE_SPOT"]),
            strategy: strs(&["FARGATE 1/1", "FARGATE_SPOT 0/3"]),
            team: Some("web".into()),
        }
    );
    let arn = s.lockfile()["resources"]["cluster"]["attributes"]["arn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        arn.starts_with("arn:aws:ecs:us-east-1:") && arn.ends_with(&format!(":cluster/{name}")),
        "{arn}"
    );

    // Container Insights, the providers, the strategy and a tag change in place.
    s.edit(|d| {
        d.replace("container_insights: enabled", "container_insights: disabled")
            .replace("[FARGATE, FARGATE_SPOT]", "[FARGATE]")
            .replace(
                "      - {capacity_provider: FARGATE, base: 1, weight: 1}\n      - {capacity_provider: FARGATE_SPOT, weight: 3}\n",
                "      - {capacity_provider: FARGATE, weight: 1}\n",
            )
            .replace("{Team: web}", "{Team: data}")
    });
    let plan = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(!plan.contains("must be replaced"), "{plan}");
    s.apply_clean();
    assert_eq!(s.id_of("cluster"), name, "changed in place");
    assert_eq!(
        cluster(&name).await,
        Seen {
            status: "ACTIVE".into(),
            insights: Some("disabled".into()),
            providers: strs(&["FARGATE"]),
            strategy: strs(&["FARGATE 0/1"]),
            team: Some("data".into()),
        }
    );

    // Left out, the providers and the strategy are removed.
    s.edit(|d| {
        d.replace("    capacity_providers: [FARGATE]\n", "").replace(
            "    default_capacity_provider_strategy:\n      - {capacity_provider: FARGATE, weight: 1}\n",
            "",
        )
    });
    s.apply_clean();
    let seen = cluster(&name).await;
    assert!(
        seen.providers.is_empty() && seen.strategy.is_empty(),
        "{seen:?}"
    );

    destroy_leaves_nothing(&s).await;
    assert_eq!(cluster(&name).await.status, "INACTIVE");
}

#[tokio::test]
async fn a_cluster_of_that_name_made_elsewhere_is_refused_not_taken_over() {
    let name = format!("strata-it-other-{}", std::process::id());
    ecs()
        .await
        .create_cluster()
        .cluster_name(&name)
        .send()
        .await
        .expect("a cluster made outside strata");
    let s = Stack::new(
        "ecs",
        &CLUSTER.replace("name_prefix: strata-it-", &format!("name: {name}")),
    );
    let out = s.expect(1, &["apply", "--auto-approve"]);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("an ECS cluster named {name} exists already")),
        "{err}"
    );
    let seen = cluster(&name).await;
    assert_eq!(
        (seen.status.as_str(), seen.team),
        ("ACTIVE", None),
        "left as it was"
    );
    assert!(
        s.lockfile()["resources"].get("cluster").is_none(),
        "not recorded as the stack's"
    );
    ecs()
        .await
        .delete_cluster()
        .cluster(&name)
        .send()
        .await
        .expect("the other cluster deleted");
}

/// A log group and a task definition logging to it, run by the role `ROLE`.
const TASK: &str = "stack: STACK
region: us-east-1
resources:
  logs:
    kind: logs.log_group
    name_prefix: /strata-it/task-
    retention_in_days: 7
  task:
    kind: ecs.task_definition
    family: FAMILY
    cpu: 256
    memory: 512
    execution_role: ROLE
    containers:
      - name: web
        image: amazon/amazon-ecs-sample
        port_mappings: [{container_port: 80}]
        environment: {STAGE: test}
        log_configuration:
          driver: awslogs
          options:
            awslogs-group: ${logs.name}
            awslogs-region: us-east-1
            awslogs-stream-prefix: web
    tags: {Team: web}
";

/// A role ECS tasks may assume, made with the SDK: its ARN.
async fn execution_role(name: &str) -> String {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    crate::support::iam()
        .await
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("the role")
        .role()
        .map(|r| r.arn().to_string())
        .expect("its ARN")
}

/// (status, image, the log group it logs to, the user's Team tag) of a revision.
async fn revision(arn: &str) -> (String, String, String, Option<String>) {
    let out = ecs()
        .await
        .describe_task_definition()
        .task_definition(arn)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .expect("the revision");
    let t = out.task_definition().expect("a task definition");
    let c = t.container_definitions().first().expect("a container");
    let group = c
        .log_configuration()
        .and_then(|l| l.options())
        .and_then(|o| o.get("awslogs-group"))
        .cloned()
        .unwrap_or_default();
    let team = out
        .tags()
        .iter()
        .find(|t| t.key() == Some("Team"))
        .and_then(|t| t.value())
        .map(str::to_string);
    (
        t.status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        c.image().unwrap_or_default().to_string(),
        group,
        team,
    )
}

#[tokio::test]
async fn a_task_definition_gets_a_new_revision_for_a_new_image() {
    let family = format!("strata-it-{}", std::process::id());
    // Made just before the apply: on the strict test bed ECS does not know it yet for a moment
    // (IAM's eventual consistency), and the register is tried again.
    let role = execution_role(&format!("{family}-exec")).await;
    let s = Stack::new(
        "task",
        &TASK.replace("FAMILY", &family).replace("ROLE", &role),
    );
    s.apply_clean();
    let first = s.id_of("task");
    assert!(
        first.ends_with(&format!(":task-definition/{family}:1")),
        "{first}"
    );
    let group = s.id_of("logs");
    assert_eq!(
        revision(&first).await,
        (
            "ACTIVE".into(),
            "amazon/amazon-ecs-sample".into(),
            group.clone(),
            Some("web".into())
        )
    );

    // A tag changes in place, on the same revision.
    s.edit(|d| d.replace("{Team: web}", "{Team: data}"));
    s.apply_clean();
    assert_eq!(s.id_of("task"), first);
    assert_eq!(revision(&first).await.3, Some("data".into()));

    // A new image is a new revision, registered before the old one is deregistered.
    s.edit(|d| d.replace("image: amazon/amazon-ecs-sample", "image: nginx:1.27"));
    let plan = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(plan.contains("will get a new revision"), "{plan}");
    s.apply_clean();
    let second = s.id_of("task");
    assert!(
        second.ends_with(&format!(":task-definition/{family}:2")),
        "{second}"
    );
    assert_eq!(revision(&second).await.1, "nginx:1.27");
    assert_eq!(
        revision(&first).await.0,
        "INACTIVE",
        "the old revision deregistered"
    );

    destroy_leaves_nothing(&s).await;
    assert_eq!(revision(&second).await.0, "INACTIVE");
}

/// A Fargate service of two tasks behind a load balancer's target group, in two private
/// subnets; its desired count is owned elsewhere (an autoscaler's).
const SERVICE: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.60.0.0/16
  private_a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.60.0.0/24
    availability_zone: us-east-1a
  private_b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.60.1.0/24
    availability_zone: us-east-1b
  app_sg:
    kind: ec2.security_group
    vpc: vpc
    name: strata-it-app
    description: the service's tasks
    ingress:
      - {protocol: tcp, port: 80, cidr: 10.60.0.0/16}
  alb:
    kind: elbv2.load_balancer
    name_prefix: it-svc-
    scheme: internal
    subnets: [private_a, private_b]
    security_groups: [app_sg]
  targets:
    kind: elbv2.target_group
    name_prefix: it-svc-
    protocol: HTTP
    port: 80
    vpc: vpc
    target_type: ip
  http:
    kind: elbv2.listener
    load_balancer: alb
    port: 80
    protocol: HTTP
    default_actions:
      - forward: {target_group: targets}
  cluster:
    kind: ecs.cluster
    name_prefix: strata-it-svc-
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
    security_groups: [app_sg]
    load_balancers:
      - {target_group: targets, container_name: web, container_port: 80}
    deployment:
      circuit_breaker: {enable: true, rollback: true}
    depends_on: [http]
    lifecycle: {owned_elsewhere: [desired_count]}
    tags: {Team: web}
";

/// (status, task definition ARN, desired count, running count, target groups) of a service.
async fn service(arn: &str) -> (String, String, i32, i32, Vec<String>) {
    let cluster = arn
        .split_once(":service/")
        .and_then(|(_, r)| r.split_once('/'))
        .map(|(c, _)| c.to_string())
        .expect("the cluster in the ARN");
    let out = ecs()
        .await
        .describe_services()
        .cluster(cluster)
        .services(arn)
        .send()
        .await
        .expect("the service");
    let s = out.services().first().expect("one service");
    (
        s.status().unwrap_or_default().to_string(),
        s.task_definition().unwrap_or_default().to_string(),
        s.desired_count(),
        s.running_count(),
        s.load_balancers()
            .iter()
            .filter_map(|l| l.target_group_arn().map(str::to_string))
            .collect(),
    )
}

#[tokio::test]
async fn a_service_deploys_new_revisions_and_leaves_its_count_to_the_autoscaler() {
    let family = format!("strata-it-svc-{}", std::process::id());
    let s = Stack::new("svc", &SERVICE.replace("FAMILY", &family));
    s.apply_clean();
    let arn = s.id_of("web");
    let first = s.id_of("task");
    let targets = s.id_of("targets");
    assert_eq!(
        service(&arn).await,
        ("ACTIVE".into(), first.clone(), 2, 2, vec![targets.clone()]),
        "deployed: both tasks running"
    );

    // The autoscaler scales it out: shown, never put back.
    let cluster = s.id_of("cluster");
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
    assert!(plan.contains("desired_count"), "{plan}");

    // A new image: a new revision, the service deployed onto it, the old revision deregistered.
    s.edit(|d| d.replace("image: amazon/amazon-ecs-sample", "image: nginx:1.27"));
    let plan = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(plan.contains("will get a new revision"), "{plan}");
    s.apply_clean();
    let second = s.id_of("task");
    assert_ne!(second, first);
    let (status, running_on, desired, _, _) = service(&arn).await;
    assert_eq!(
        (status.as_str(), running_on.as_str(), desired),
        ("ACTIVE", second.as_str(), 4),
        "on the new revision, the autoscaler's count kept"
    );
    assert_eq!(
        revision(&first).await.0,
        "INACTIVE",
        "the old revision deregistered"
    );

    // A deployer registers a revision by hand and deploys it: drift on the service's task
    // definition, which apply puts back to the documents' revision.
    let by_hand = ecs()
        .await
        .register_task_definition()
        .family(&family)
        .cpu("256")
        .memory("512")
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("web")
                .image("nginx:by-hand")
                .build(),
        )
        .send()
        .await
        .expect("a revision registered by hand")
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .map(str::to_string)
        .expect("its ARN");
    ecs()
        .await
        .update_service()
        .cluster(&cluster)
        .service(&arn)
        .task_definition(&by_hand)
        .send()
        .await
        .expect("deployed by hand");
    let plan = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(plan.contains("task_definition"), "{plan}");
    s.apply_clean();
    assert_eq!(
        service(&arn).await.1,
        second,
        "back on the documents' revision"
    );

    destroy_leaves_nothing(&s).await;
    assert_eq!(service(&arn).await.0, "INACTIVE");
    // The revision made by hand is not the stack's: left as it is.
    assert_eq!(revision(&by_hand).await.0, "ACTIVE");
    ecs()
        .await
        .deregister_task_definition()
        .task_definition(&by_hand)
        .send()
        .await
        .expect("the hand-made revision deregistered");
}

/// Recipe 3.8 as the example writes it: the role (with ECS's execution policy), the log group
/// and the task definition logging to it, made in one apply, with nothing left to change; on
/// the strict test bed the register first meets IAM's late role and is tried again.
#[tokio::test]
async fn cookbook_3_8_container_logs() {
    let s = Stack::example("cookbook-3.8-container-logs");
    s.apply_clean();
    let task = s.id_of("task");
    assert!(
        task.ends_with(":task-definition/awscookbook608:1"),
        "{task}"
    );
    let out = ecs()
        .await
        .describe_task_definition()
        .task_definition(&task)
        .send()
        .await
        .expect("the revision");
    let t = out.task_definition().expect("a task definition");
    let role = t.execution_role_arn().unwrap_or_default().to_string();
    assert!(role.ends_with(":role/AWSCookbook608ECS"), "{role}");
    let c = t.container_definitions().first().expect("its container");
    assert_eq!(c.entry_point(), ["sh", "-c"]);
    assert_eq!(
        c.log_configuration()
            .and_then(|l| l.options())
            .and_then(|o| o.get("awslogs-group"))
            .map(String::as_str),
        Some("AWSCookbook608ECS")
    );
    let attached = crate::support::iam()
        .await
        .list_attached_role_policies()
        .role_name("AWSCookbook608ECS")
        .send()
        .await
        .expect("the role's policies");
    assert_eq!(
        attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn())
            .collect::<Vec<_>>(),
        ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
    );
    destroy_leaves_nothing(&s).await;
}
