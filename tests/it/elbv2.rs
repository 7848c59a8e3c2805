//! Elastic Load Balancing v2 (cookbook 1.7): the load balancer and its target group built,
//! checked with the SDK, changed in place and by replacement, and torn down with the network.

use strata_aws::elbv2::actions;

use crate::support::{Stack, TestBed, destroy_leaves_nothing, elbv2, iam, stderr, stdout, strict};

fn attribute(
    attrs: &[aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute],
    key: &str,
) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.key() == Some(key))
        .and_then(|a| a.value().map(str::to_string))
}

#[tokio::test]
async fn cookbook_1_7_load_balancer_target_group_listeners_and_rules() {
    let s = Stack::example("cookbook-1.7-alb");
    // The private key goes to IAM only: not in the plan (text, JSON, saved), the lockfile or
    // the output of the apply.
    let key = std::fs::read_to_string(s.path().join("certs/server.key")).expect("the key");
    let key_line = key.lines().nth(1).expect("a line of the key").to_string();
    let first = s.plan_text();
    assert!(first.contains("(sensitive)"), "{first}");
    let json = s.plan_json(&[]).to_string();
    s.expect(0, &["plan", "--out", "saved.plan"]);
    let saved = std::fs::read_to_string(s.path().join("saved.plan")).expect("the saved plan");
    let applied = s.expect(0, &["apply", "--auto-approve"]);
    let written = [
        first,
        json,
        saved,
        stdout(&applied),
        stderr(&applied),
        std::fs::read_to_string(s.path().join("strata.lock")).expect("the lockfile"),
    ];
    for text in &written {
        assert!(!text.contains(&key_line), "the key leaked: {text}");
    }
    s.apply_clean();
    let c = elbv2().await;
    let alb = s.id_of("alb");
    assert!(
        alb.contains(":loadbalancer/app/aws-cookbook207-alb/"),
        "{alb}"
    );
    let lb = c
        .describe_load_balancers()
        .load_balancer_arns(&alb)
        .send()
        .await
        .expect("the load balancer");
    let lb = &lb.load_balancers()[0];
    assert_eq!(
        lb.state().and_then(|s| s.code()).map(|c| c.as_str()),
        Some("active")
    );
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

    // The listeners and the rule, as the documents say.
    let listeners = c
        .describe_listeners()
        .load_balancer_arn(&alb)
        .send()
        .await
        .expect("listeners");
    let http = listeners
        .listeners()
        .iter()
        .find(|l| l.port() == Some(80))
        .expect("the HTTP listener");
    assert_eq!(http.listener_arn(), Some(s.id_of("http").as_str()));
    let redirect = http.default_actions()[0]
        .redirect_config()
        .expect("a redirect");
    assert_eq!(redirect.protocol(), Some("HTTPS"));
    assert_eq!(redirect.port(), Some("443"));
    assert_eq!(redirect.host(), Some("#{host}"));
    assert_eq!(redirect.path(), Some("/#{path}"));
    assert_eq!(redirect.status_code().map(|c| c.as_str()), Some("HTTP_301"));
    let rules = c
        .describe_rules()
        .listener_arn(s.id_of("https"))
        .send()
        .await
        .expect("rules");
    let rule = rules
        .rules()
        .iter()
        .find(|r| r.is_default() != Some(true))
        .expect("the rule");
    assert_eq!(rule.rule_arn(), Some(s.id_of("https_rule").as_str()));
    assert_eq!(rule.priority(), Some("10"));
    assert_eq!(
        rule.actions()[0].target_group_arn(),
        Some(tg.as_str()),
        "the rule forwards to the target group"
    );

    // The certificate: in IAM with the document's body, named from its prefix, and the HTTPS
    // listener's.
    let iam = iam().await;
    let cert = s.id_of("certificate");
    assert!(
        cert.contains(":server-certificate/AWSCookbook207-"),
        "{cert}"
    );
    let body = std::fs::read_to_string(s.path().join("certs/server.crt")).expect("the body");
    let in_iam = iam
        .get_server_certificate()
        .server_certificate_name(cert.rsplit('/').next().unwrap_or_default())
        .send()
        .await
        .expect("the certificate");
    assert_eq!(
        in_iam
            .server_certificate()
            .map(|c| c.certificate_body().trim()),
        Some(body.trim())
    );
    let https = listeners
        .listeners()
        .iter()
        .find(|l| l.port() == Some(443))
        .expect("the HTTPS listener");
    assert_eq!(https.protocol().map(|p| p.as_str()), Some("HTTPS"));
    assert_eq!(
        https.certificates()[0].certificate_arn(),
        Some(cert.as_str())
    );
    assert_eq!(
        https.default_actions()[0].target_group_arn(),
        Some(tg.as_str())
    );

    // A renewed certificate replaces the old one: the new one uploaded first, the listener
    // moved to it, then the old one deleted.
    s.renew_certificate();
    let plan = s.plan_text();
    assert!(
        plan.contains("certificate (iam.server_certificate)"),
        "{plan}"
    );
    assert!(plan.contains("the new one is created first"), "{plan}");
    s.apply_clean();
    let renewed = s.id_of("certificate");
    assert_ne!(renewed, cert);
    let listener = c
        .describe_listeners()
        .listener_arns(s.id_of("https"))
        .send()
        .await
        .expect("the HTTPS listener");
    assert_eq!(
        listener.listeners()[0].certificates()[0].certificate_arn(),
        Some(renewed.as_str())
    );
    let old = iam
        .get_server_certificate()
        .server_certificate_name(cert.rsplit('/').next().unwrap_or_default())
        .send()
        .await;
    assert!(old.is_err(), "the old certificate is gone");

    // A second certificate (SNI) is added to the listener, read back, and removed.
    s.edit(|d| {
        format!(
            "{}
  extra:
    kind: iam.server_certificate
    name_prefix: AWSCookbook207-sni-
    certificate_body: {{file: certs/server.crt}}
    private_key: {{file: certs/server.key}}
",
            d.replace(
                "    certificates: [certificate]\n",
                "    certificates: [certificate, extra]\n",
            )
        )
    });
    s.apply_clean();
    let listed = |arn: String| {
        let c = c.clone();
        async move {
            let mut arns: Vec<String> = c
                .describe_listener_certificates()
                .listener_arn(arn)
                .send()
                .await
                .expect("the listener's certificates")
                .certificates()
                .iter()
                .filter_map(|c| c.certificate_arn().map(str::to_string))
                .collect();
            arns.sort();
            arns
        }
    };
    let mut both = vec![s.id_of("certificate"), s.id_of("extra")];
    both.sort();
    assert_eq!(listed(s.id_of("https")).await, both);
    s.edit(|d| {
        d.replace(
            "    certificates: [certificate, extra]\n",
            "    certificates: [certificate]\n",
        )
    });
    s.apply_clean();
    assert_eq!(listed(s.id_of("https")).await, vec![s.id_of("certificate")]);

    // A listener changed by hand is drift, and is put back.
    c.modify_listener()
        .listener_arn(s.id_of("http"))
        .default_actions(
            aws_sdk_elasticloadbalancingv2::types::Action::builder()
                .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::FixedResponse)
                .fixed_response_config(
                    aws_sdk_elasticloadbalancingv2::types::FixedResponseActionConfig::builder()
                        .status_code("503")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("change the listener by hand");
    let plan = s.plan_text();
    assert!(plan.contains("was changed outside strata"), "{plan}");
    s.apply_clean();

    // Two rules swap their priorities, each updated on its own.
    s.edit(|d| {
        format!(
            "{d}
  api_rule:
    kind: elbv2.listener_rule
    listener: https
    priority: 20
    conditions:
      - path_pattern: [\"/api/*\"]
    actions:
      - fixed_response: {{status_code: \"200\", content_type: text/plain, message_body: api}}
"
        )
    });
    s.apply_clean();
    s.edit(|d| {
        d.replace("priority: 10", "priority: 30")
            .replace("priority: 20", "priority: 10")
            .replace("priority: 30", "priority: 20")
    });
    s.apply_clean();
    let rules = c
        .describe_rules()
        .listener_arn(s.id_of("https"))
        .send()
        .await
        .expect("rules");
    let priority_of = |name: &str| {
        let arn = s.id_of(name);
        rules
            .rules()
            .iter()
            .find(|r| r.rule_arn() == Some(arn.as_str()))
            .and_then(|r| r.priority().map(str::to_string))
    };
    assert_eq!(priority_of("https_rule").as_deref(), Some("20"));
    assert_eq!(priority_of("api_rule").as_deref(), Some("10"));

    // A target group with a fixed name cannot be replaced: its new copy comes first, and two
    // groups cannot share a name. The plan says so, and what to do.
    s.edit(|d| d.replace("    port: 80\n    vpc: vpc", "    port: 8080\n    vpc: vpc"));
    let out = s.run(&["plan"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        crate::support::stdout(&out)
    );
    let err = crate::support::stderr(&out);
    assert!(err.contains("name_prefix"), "{err}");
    assert!(err.contains("is always replaced so"), "{err}");
    assert!(!err.contains("lifecycle.create_before_destroy"), "{err}");
    // With a name prefix it is replaced: the new group first, the rule moved to it, then the
    // old one deleted.
    s.edit(|d| {
        d.replace(
            "    name: aws-cookbook207-tg\n",
            "    name_prefix: cb207-tg-\n",
        )
    });
    let plan = s.plan_text();
    assert!(plan.contains("targets (elbv2.target_group)"), "{plan}");
    assert!(plan.contains("the new one is created first"), "{plan}");
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
    assert!(
        g.target_groups()[0]
            .target_group_name()
            .is_some_and(|n| n.starts_with("cb207-tg-")),
        "{g:?}"
    );
    let old = c
        .describe_target_groups()
        .target_group_arns(&tg)
        .send()
        .await;
    assert!(old.is_err(), "the old group is gone: {old:?}");

    // Deletion protection on: the destroy is refused before any change, saying how to lift
    // it; strata never turns it off by itself.
    s.edit(|d| {
        d.replace(
            "    idle_timeout: 120\n",
            "    idle_timeout: 120\n    deletion_protection: true\n",
        )
    });
    s.apply_clean();
    let out = s.run(&["destroy", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("`deletion_protection` on"), "{err}");
    assert!(
        err.contains("set `deletion_protection: false` on `alb`"),
        "{err}"
    );
    assert_eq!(s.id_of("alb"), alb, "nothing was deleted");
    s.edit(|d| d.replace("    deletion_protection: true\n", ""));
    s.apply_clean();

    destroy_leaves_nothing(&s).await;
    let gone = c
        .describe_load_balancers()
        .load_balancer_arns(&alb)
        .send()
        .await;
    assert!(gone.is_err(), "the load balancer is gone: {gone:?}");
}

#[test]
fn actions_go_to_aws_and_back_unchanged() {
    let docs = serde_json::json!([
        {"forward": {"target_group": "arn:tg1"}},
        {"forward": {"target_groups": [
            {"target_group": "arn:tg1", "weight": 90},
            {"target_group": "arn:tg2", "weight": 10}]}},
        {"redirect": {"protocol": "HTTPS", "port": "443", "host": "#{host}",
            "path": "/#{path}", "query": "#{query}", "status_code": "HTTP_301"}},
        {"fixed_response": {"status_code": "404", "content_type": "text/plain",
            "message_body": "no"}},
    ]);
    let aws = actions::to_aws(Some(&docs)).expect("valid");
    assert_eq!(actions::from_aws(&aws), docs);
}

#[test]
fn conditions_go_to_aws_and_back_unchanged() {
    let docs = serde_json::json!([
        {"path_pattern": ["/*"]},
        {"host_header": ["a.example.com"]},
        {"http_header": {"name": "X-Env", "values": ["blue"]}},
        {"query_string": [{"key": "v", "value": "2"}, {"value": "x"}]},
        {"source_ip": ["203.0.113.0/24"]},
        {"http_request_method": ["GET"]},
    ]);
    let aws = actions::conditions_to_aws(Some(&docs)).expect("valid");
    assert_eq!(actions::conditions_from_aws(&aws), docs);
}

/// A no-op plan of the recipe reads each ELBv2 kind in batches: one describe of the stack's
/// load balancers and one of its target groups (the tagging API's listing names them), their
/// tags in one call per kind, one attributes read each, and per parent the listeners of each
/// load balancer and the rules of each listener; the server certificate with one listing of the
/// account's certificates and one read of its body and one of its tags.
#[test]
fn a_no_op_plan_reads_each_kind_in_batches() {
    use std::collections::BTreeMap;
    let tb = TestBed::like_this_run(serde_json::json!({}));
    let s = tb.example("cookbook-1.7-alb");
    s.expect(0, &["apply", "--auto-approve"]);
    if strict() {
        // Tags may show late on the strict test bed, which makes strata read again.
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    tb.clear_log();
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let mut calls: BTreeMap<String, usize> = BTreeMap::new();
    for c in tb.log() {
        *calls.entry(c.operation.clone()).or_default() += 1;
    }
    let count = |op: &str| calls.get(op).copied().unwrap_or(0);
    assert_eq!(count("GetResources"), 1, "{calls:?}");
    for (op, most) in [
        ("DescribeLoadBalancers", 1),
        ("DescribeTargetGroups", 1),
        // Load balancers, target groups, listeners, rules: one call each (20 ARNs a call).
        ("DescribeTags", 4),
        ("DescribeLoadBalancerAttributes", 1),
        ("DescribeTargetGroupAttributes", 1),
        // The listeners of the one load balancer, for the listener kind and the rule kind.
        ("DescribeListeners", 2),
        // The rules of each of the two listeners.
        ("DescribeRules", 2),
        // IAM: the account's certificates listed once, then the recorded one's body and tags
        // (a certificate no lockfile records would add one tags call each).
        ("ListServerCertificates", 1),
        ("GetServerCertificate", 1),
        ("ListServerCertificateTags", 1),
    ] {
        assert!(
            count(op) <= most,
            "{op}: {} calls, at most {most}: {calls:?}",
            count(op)
        );
        assert!(count(op) > 0, "{op} is read: {calls:?}");
    }
    s.expect(0, &["destroy", "--auto-approve"]);
}
