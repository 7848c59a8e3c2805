//! Elastic Load Balancing v2 (cookbook 1.7): the load balancer and its target group built,
//! checked with the SDK, changed in place and by replacement, and torn down with the network.

use crate::support::{Stack, destroy_leaves_nothing, elbv2};

fn attribute(attrs: &[aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.key() == Some(key))
        .and_then(|a| a.value().map(str::to_string))
}

#[tokio::test]
async fn cookbook_1_7_load_balancer_and_target_group() {
    let s = Stack::example("cookbook-1.7-alb");
    s.apply_clean();
    let c = elbv2().await;
    let alb = s.id_of("alb");
    assert!(alb.contains(":loadbalancer/app/aws-cookbook207-alb/"), "{alb}");
    let lb = c
        .describe_load_balancers()
        .load_balancer_arns(&alb)
        .send()
        .await
        .expect("the load balancer");
    let lb = &lb.load_balancers()[0];
    assert_eq!(lb.state().and_then(|s| s.code()).map(|c| c.as_str()), Some("active"));
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    let mut subnets: Vec<&str> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.subnet_id())
        .collect();
    subnets.sort_unstable();
    let mut want = vec![s.id_of("public_a"), s.id_of("public_b")];
    want.sort();
    assert_eq!(subnets, want);
    assert_eq!(lb.security_groups(), [s.id_of("alb_sg")]);
    // The lockfile holds what references read: its DNS name and zone.
    let record = &s.lockfile()["resources"]["alb"]["attributes"];
    assert_eq!(record["dns_name"].as_str(), lb.dns_name());
    assert_eq!(record["zone_id"].as_str(), lb.canonical_hosted_zone_id());

    let tg = s.id_of("targets");
    let g = c
        .describe_target_groups()
        .target_group_arns(&tg)
        .send()
        .await
        .expect("the target group");
    let g = &g.target_groups()[0];
    assert_eq!(g.target_group_name(), Some("aws-cookbook207-tg"));
    assert_eq!(g.port(), Some(80));
    assert_eq!(g.vpc_id(), Some(s.id_of("vpc").as_str()));
    assert_eq!(g.target_type().map(|t| t.as_str()), Some("ip"));

    // In place: the idle timeout and the health check's path.
    s.edit(|d| {
        d.replace("idle_timeout: 60", "idle_timeout: 120")
            .replace("      path: /\n", "      path: /health\n")
    });
    let plan = s.plan_text();
    assert!(plan.contains("will be updated in place"), "{plan}");
    assert!(!plan.contains("must be replaced"), "{plan}");
    s.apply_clean();
    assert_eq!(s.id_of("alb"), alb, "updated, not replaced");
    assert_eq!(s.id_of("targets"), tg, "updated, not replaced");
    let attrs = c
        .describe_load_balancer_attributes()
        .load_balancer_arn(&alb)
        .send()
        .await
        .expect("attributes");
    assert_eq!(
        attribute(attrs.attributes(), "idle_timeout.timeout_seconds").as_deref(),
        Some("120")
    );
    let g = c
        .describe_target_groups()
        .target_group_arns(&tg)
        .send()
        .await
        .expect("the target group");
    assert_eq!(g.target_groups()[0].health_check_path(), Some("/health"));

    // Replaced: a new port is a new target group (AWS cannot change it in place).
    s.edit(|d| d.replace("    port: 80\n", "    port: 8080\n"));
    let plan = s.plan_text();
    assert!(plan.contains("targets (elbv2.target_group)"), "{plan}");
    assert!(plan.contains("must be replaced"), "{plan}");
    s.apply_clean();
    let new_tg = s.id_of("targets");
    assert_ne!(new_tg, tg);
    let g = c
        .describe_target_groups()
        .target_group_arns(&new_tg)
        .send()
        .await
        .expect("the new target group");
    assert_eq!(g.target_groups()[0].port(), Some(8080));

    destroy_leaves_nothing(&s).await;
    let gone = c
        .describe_load_balancers()
        .load_balancer_arns(&alb)
        .send()
        .await;
    assert!(gone.is_err(), "the load balancer is gone: {gone:?}");
}
