//! `examples/web-app`, the whole lab in one stack (network, load balancer, Fargate service,
//! Aurora Serverless v2, CloudFront with S3, autoscaling): one apply builds it with nothing
//! left to change, the pieces are wired as the documents say, a count the autoscaler set is
//! shown and kept, and one destroy leaves nothing.

use crate::support::{Stack, destroy_leaves_nothing, ecs, emulator};

#[tokio::test]
async fn the_web_app_builds_in_one_apply_and_goes_in_one_destroy() {
    let s = Stack::example("web-app");
    s.apply_clean();
    let lock = s.lockfile();
    let attr = |name: &str, a: &str| {
        lock["resources"][name]["attributes"][a]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    // The service runs its two tasks on the task definition, registered in the target group.
    let service = s.id_of("web");
    let cluster = s.id_of("cluster");
    let out = ecs()
        .await
        .describe_services()
        .cluster(&cluster)
        .services(&service)
        .send()
        .await
        .expect("the service");
    let sv = out.services().first().expect("one service");
    assert_eq!(
        (sv.running_count(), sv.task_definition()),
        (2, Some(s.id_of("task").as_str()))
    );
    assert_eq!(
        sv.load_balancers()
            .first()
            .and_then(|l| l.target_group_arn()),
        Some(s.id_of("targets").as_str())
    );

    // The container gets the database's secret by ARN, and its host.
    let out = ecs()
        .await
        .describe_task_definition()
        .task_definition(s.id_of("task"))
        .send()
        .await
        .expect("the task definition");
    let c = &out.task_definition().expect("it").container_definitions()[0];
    let secret = attr("db", "master_user_secret_arn");
    assert!(secret.starts_with("arn:aws:secretsmanager:"), "{secret}");
    assert_eq!(
        c.secrets()
            .iter()
            .map(|x| (x.name(), x.value_from()))
            .collect::<Vec<_>>(),
        [("DB_SECRET", secret.as_str())]
    );
    assert!(
        c.environment()
            .iter()
            .any(|e| e.name() == Some("DB_HOST")
                && e.value() == Some(attr("db", "endpoint").as_str())),
        "the database's endpoint: {:?}",
        c.environment()
    );

    // CloudFront answers from the load balancer, and /static/* from the bucket.
    let d = crate::cloudfront::distribution(&emulator().url, &s.id_of("cdn")).await;
    let config = d.distribution_config().expect("its configuration");
    let origins: Vec<&str> = config
        .origins()
        .map(|o| o.items().iter().map(|o| o.domain_name()).collect())
        .unwrap_or_default();
    assert_eq!(
        origins,
        [
            attr("alb", "dns_name").as_str(),
            attr("assets", "regional_domain_name").as_str()
        ]
    );

    // The autoscaler scales the service out: shown, never put back.
    ecs()
        .await
        .update_service()
        .cluster(&cluster)
        .service(&service)
        .desired_count(4)
        .send()
        .await
        .expect("scaled out as autoscaling does");
    let plan = crate::support::stdout(&s.expect(0, &["plan", "--detailed-exitcode"]));
    assert!(
        plan.contains("application_autoscaling.target scaling scales it"),
        "{plan}"
    );

    destroy_leaves_nothing(&s).await;
}
