//! CloudFront (cookbook 1.12): a distribution in front of a private bucket read through an
//! origin access control, checked with the SDK; the recipe's challenge (a 30-day TTL) as an
//! in-place update with the ETag; the recipe's form with an origin access identity; and the
//! teardown the book does by hand: disable, wait until deployed, delete, even when the run
//! doing it is killed in the middle of the wait.

use std::time::Duration;

use serde_json::json;

use crate::support::{
    Running, Stack, TestBed, cloudfront_of, destroy_leaves_nothing, emulator, s3, strict,
};

pub async fn distribution(url: &str, id: &str) -> aws_sdk_cloudfront::types::Distribution {
    cloudfront_of(url)
        .await
        .get_distribution()
        .id(id)
        .send()
        .await
        .expect("the distribution")
        .distribution
        .expect("a distribution")
}

#[tokio::test]
async fn cookbook_1_12_distribution_in_front_of_a_private_bucket() {
    let s = Stack::example("cookbook-1.12-cloudfront");
    s.apply_clean();
    let url = &emulator().url;
    let bucket = s.id_of("site");
    let d = distribution(url, &s.id_of("cdn")).await;
    if strict() {
        // apply waited for the create to deploy.
        assert_eq!(d.status(), "Deployed");
    }
    let config = d.distribution_config().expect("its configuration");
    assert_eq!(config.default_root_object(), Some("index.html"));
    let origin = &config.origins().expect("origins").items()[0];
    assert_eq!(
        origin.domain_name(),
        format!("{bucket}.s3.us-east-1.amazonaws.com")
    );
    assert_eq!(
        origin.origin_access_control_id(),
        Some(s.id_of("oac").as_str())
    );

    // The access control signs every request with SigV4, for S3.
    let oac = cloudfront_of(url)
        .await
        .get_origin_access_control()
        .id(s.id_of("oac"))
        .send()
        .await
        .expect("the origin access control");
    let oac = oac
        .origin_access_control()
        .and_then(|o| o.origin_access_control_config())
        .expect("its configuration");
    assert_eq!(oac.name(), "awscookbook213-oac");
    assert_eq!(oac.signing_behavior().as_str(), "always");
    assert_eq!(oac.signing_protocol().as_str(), "sigv4");
    assert_eq!(oac.origin_access_control_origin_type().as_str(), "s3");

    // The bucket lets only this distribution read, by its ARN.
    let c = s3().await;
    let policy = c
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect("the policy");
    let policy: serde_json::Value =
        serde_json::from_str(policy.policy().unwrap_or_default()).expect("JSON");
    assert_eq!(
        policy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceArn"],
        json!(d.arn())
    );
    let object = c
        .get_object()
        .bucket(&bucket)
        .key("index.html")
        .send()
        .await
        .expect("index.html");
    let body = object.body.collect().await.expect("its body").into_bytes();
    assert_eq!(&body[..], b"AWSCookbook\n");

    // The recipe's challenge: a 30-day TTL, in place, with the ETag of the moment.
    s.edit(|d| d.replace("default: 86400,", "default: 2592000,"));
    let plan = s.plan_text();
    assert!(
        plan.contains("cdn (cloudfront.distribution)")
            && plan.contains("will be updated in place; usually 5 to 15 minutes on AWS"),
        "{plan}"
    );
    s.apply_clean();
    assert_eq!(s.id_of("cdn"), d.id(), "updated, not replaced");
    let after = distribution(url, d.id()).await;
    let behavior = after
        .distribution_config()
        .and_then(|c| c.default_cache_behavior())
        .expect("its default behaviour");
    #[allow(deprecated)] // the legacy TTLs the recipe uses
    let ttl = behavior.default_ttl();
    assert_eq!(ttl, Some(2_592_000));

    destroy_leaves_nothing(&s).await;
    let gone = cloudfront_of(url)
        .await
        .get_distribution()
        .id(d.id())
        .send()
        .await;
    assert!(gone.is_err(), "the distribution is gone");
}

/// The recipe's own form: an origin access identity, and a bucket policy naming it.
pub const WITH_IDENTITY: &str = r#"stack: STACK
region: us-east-1
resources:
  site:
    kind: s3.bucket
    name_prefix: awscookbook213-
    force_destroy: true
  oai:
    kind: cloudfront.origin_access_identity
    comment: AWSCookbook OAI
  cdn:
    kind: cloudfront.distribution
    default_root_object: index.html
    origins:
      - id: site
        domain_name: ${site.regional_domain_name}
        origin_access_identity: oai
    default_cache_behavior:
      target_origin: site
      cache_policy: CachingOptimized
  policy:
    kind: s3.bucket_policy
    bucket: site
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {AWS: "${oai.iam_arn}"}
          Action: s3:GetObject
          Resource: "${site.arn}/*"
"#;

#[tokio::test]
async fn the_recipes_origin_access_identity() {
    let s = Stack::new("cf-oai", WITH_IDENTITY);
    s.apply_clean();
    let url = &emulator().url;
    let oai = s.id_of("oai");
    let d = distribution(url, &s.id_of("cdn")).await;
    let config = d.distribution_config().expect("its configuration");
    let origin = &config.origins().expect("origins").items()[0];
    assert_eq!(
        origin
            .s3_origin_config()
            .map(|c| c.origin_access_identity()),
        Some(format!("origin-access-identity/cloudfront/{oai}").as_str())
    );
    let behavior = config.default_cache_behavior().expect("its behaviour");
    assert_eq!(
        behavior.cache_policy_id(),
        Some("658327ea-f89d-4fab-a63d-7e88639e58f6"),
        "CachingOptimized, by its id"
    );
    let policy = s3()
        .await
        .get_bucket_policy()
        .bucket(s.id_of("site"))
        .send()
        .await
        .expect("the policy");
    assert!(
        policy
            .policy()
            .unwrap_or_default()
            .contains(&format!("CloudFront Origin Access Identity {oai}")),
        "{policy:?}"
    );

    // The comment changes in place.
    s.edit(|d| {
        d.replace(
            "comment: AWSCookbook OAI",
            "comment: AWSCookbook OAI, renamed",
        )
    });
    s.apply_clean();
    assert_eq!(s.id_of("oai"), oai, "updated, not replaced");
    let read = cloudfront_of(url)
        .await
        .get_cloud_front_origin_access_identity()
        .id(&oai)
        .send()
        .await
        .expect("the identity");
    assert_eq!(
        read.cloud_front_origin_access_identity()
            .and_then(|o| o.cloud_front_origin_access_identity_config())
            .map(|c| c.comment()),
        Some("AWSCookbook OAI, renamed")
    );
    destroy_leaves_nothing(&s).await;
}

/// The teardown the book does by hand, killed while it waits for the disable to deploy: the
/// next destroy finds the distribution disabled and finishes the job (wait, delete), and the
/// access control and bucket go after it.
#[tokio::test]
async fn a_destroy_killed_during_the_disable_wait_is_finished_by_the_next() {
    let tb = TestBed::like_this_run(json!({"refusals": true, "pending": {"cloudfront": 1.0}}));
    let s = tb.example("cookbook-1.12-cloudfront");
    s.expect(0, &["apply", "--auto-approve"]);
    let id = s.id_of("cdn");

    // Long enough to kill the run in its wait, short enough for the next run to wait it out.
    tb.configure(json!({"pending": {"cloudfront": 20.0}}));
    let mut run = Running::start(
        s.command(&["destroy", "--auto-approve"])
            .stdout(std::process::Stdio::null()),
    );
    run.wait_for(
        "waiting for the distribution to be disabled",
        Duration::from_secs(120),
    );
    run.child.kill().expect("SIGKILL");
    let _ = run.child.wait();
    let d = distribution(tb.url(), &id).await;
    assert!(
        !d.distribution_config().expect("config").enabled(),
        "the killed run disabled it"
    );
    assert_eq!(
        d.status(),
        "InProgress",
        "and was killed while that deploys"
    );
    assert!(
        s.lockfile()["resources"]["cdn"]["id"] == json!(id),
        "the lockfile still records it"
    );

    tb.clear_log();
    s.expect(0, &["destroy", "--auto-approve"]);
    let calls: Vec<String> = tb
        .log()
        .into_iter()
        .filter(|c| c.ok() && c.operation.contains("Distribution"))
        .map(|c| c.operation)
        .collect();
    assert!(
        !calls.iter().any(|c| c == "UpdateDistribution"),
        "it was disabled already: not again ({calls:?})"
    );
    assert!(
        calls.iter().any(|c| c == "DeleteDistribution"),
        "deleted ({calls:?})"
    );
    let gone = cloudfront_of(tb.url())
        .await
        .get_distribution()
        .id(&id)
        .send()
        .await;
    assert!(gone.is_err(), "the distribution is gone");
    assert!(
        crate::support::tagged_at(tb.url(), &s.name)
            .await
            .is_empty(),
        "nothing of the stack is left"
    );
}

/// Someone else changes the distribution between strata's read of its configuration and its
/// update (the test bed's `meddle`: a field strata does not manage, with a new ETag). CloudFront
/// refuses the update made on the stale ETag (`PreconditionFailed`); strata reads again and
/// makes its change on top: the other change stays. Then the destroy's sequence, in order.
#[tokio::test]
async fn a_change_made_in_between_is_detected_and_kept() {
    let tb = TestBed::like_this_run(json!({"refusals": true}));
    let s = tb.example("cookbook-1.12-cloudfront");
    s.expect(0, &["apply", "--auto-approve"]);
    let id = s.id_of("cdn");
    tb.configure(json!({"meddle": 1}));
    tb.clear_log();
    s.edit(|d| d.replace("default: 86400,", "default: 2592000,"));
    s.expect(0, &["apply", "--auto-approve"]);
    let updates: Vec<Option<String>> = tb
        .log()
        .into_iter()
        .filter(|c| c.operation == "UpdateDistribution")
        .map(|c| c.error)
        .collect();
    assert_eq!(
        updates,
        vec![Some("PreconditionFailed".to_string()), None],
        "refused on the stale ETag, then made on the configuration read again"
    );
    let d = distribution(tb.url(), &id).await;
    let config = d.distribution_config().expect("its configuration");
    assert_eq!(
        config.web_acl_id(),
        Some("meddled"),
        "the other change stays"
    );
    #[allow(deprecated)] // the legacy TTLs the recipe uses
    let ttl = config
        .default_cache_behavior()
        .and_then(|b| b.default_ttl());
    assert_eq!(ttl, Some(2_592_000), "and strata's is made");

    // The teardown the book does by hand: disabled, deployed (a second here), then deleted at
    // the first try, with the ETag of then; the access control after the distribution.
    tb.configure(json!({"pending": {"cloudfront": 1.0}}));
    tb.clear_log();
    s.expect(0, &["destroy", "--auto-approve"]);
    let sequence: Vec<(String, Option<String>)> = tb
        .log()
        .into_iter()
        .filter(|c| {
            matches!(
                c.operation.as_str(),
                "UpdateDistribution" | "DeleteDistribution" | "DeleteOriginAccessControl"
            )
        })
        .map(|c| (c.operation, c.error))
        .collect();
    let ok = |op: &str| (op.to_string(), None);
    assert_eq!(
        sequence,
        vec![
            ok("UpdateDistribution"),
            ok("DeleteDistribution"),
            ok("DeleteOriginAccessControl")
        ],
        "disable, then delete once deployed, then the access control"
    );
}

/// A load balancer as a custom origin: the distribution fetches from its DNS name over HTTP,
/// caching nothing, with every method allowed.
#[tokio::test]
async fn a_load_balancer_as_a_custom_origin() {
    let s = Stack::example("cloudfront-alb-origin");
    s.apply_clean();
    let dns = s.lockfile()["resources"]["alb"]["attributes"]["dns_name"]
        .as_str()
        .expect("the load balancer's DNS name is recorded")
        .to_string();
    let d = distribution(&emulator().url, &s.id_of("cdn")).await;
    let config = d.distribution_config().expect("its configuration");
    let origin = &config.origins().expect("origins").items()[0];
    assert_eq!(origin.domain_name(), dns);
    let custom = origin.custom_origin_config().expect("a custom origin");
    assert_eq!(custom.origin_protocol_policy().as_str(), "http-only");
    assert_eq!((custom.http_port(), custom.https_port()), (80, 443));
    let behavior = config.default_cache_behavior().expect("its behaviour");
    assert_eq!(
        behavior.cache_policy_id(),
        Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"),
        "CachingDisabled, by its id"
    );
    assert_eq!(behavior.allowed_methods().map(|m| m.items().len()), Some(7));
    // /static/* comes from the bucket, cached.
    let paths = |d: &aws_sdk_cloudfront::types::Distribution| -> Vec<(String, String, String)> {
        d.distribution_config()
            .and_then(|c| c.cache_behaviors())
            .map(|b| {
                b.items()
                    .iter()
                    .map(|b| {
                        (
                            b.path_pattern().to_string(),
                            b.target_origin_id().to_string(),
                            b.cache_policy_id().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let optimized = "658327ea-f89d-4fab-a63d-7e88639e58f6".to_string();
    assert_eq!(
        paths(&d),
        [(
            "/static/*".to_string(),
            "assets".to_string(),
            optimized.clone()
        )]
    );
    assert_eq!(
        config.origins().expect("origins").items()[1].domain_name(),
        s.lockfile()["resources"]["assets"]["attributes"]["regional_domain_name"]
            .as_str()
            .unwrap_or_default()
    );

    // The path pattern changes in place.
    s.edit(|d| d.replace("path_pattern: /static/*", "path_pattern: /assets/*"));
    let plan = crate::support::stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(plan.contains("updated in place"), "{plan}");
    s.apply_clean();
    let d = distribution(&emulator().url, &s.id_of("cdn")).await;
    assert_eq!(
        paths(&d),
        [("/assets/*".to_string(), "assets".to_string(), optimized)]
    );
    destroy_leaves_nothing(&s).await;
}

/// `--no-wait`: apply records the distribution while it deploys and says so; a plan shows it
/// converging, not as a change; `strata wait` is the gate until it is deployed.
#[tokio::test]
async fn no_wait_then_strata_wait_for_a_distribution() {
    let tb = TestBed::start(json!({"pending": {"cloudfront": 3600.0}}));
    let s = tb.example("cookbook-1.12-cloudfront");
    let out = s.expect(0, &["apply", "--auto-approve", "--no-wait"]);
    let err = crate::support::stderr(&out);
    assert!(
        err.contains("Still converging: cdn (InProgress)"),
        "apply names what is still deploying:\n{err}"
    );
    let plan = s.expect(0, &["plan", "--detailed-exitcode"]);
    assert!(
        crate::support::stdout(&plan).contains("No changes."),
        "{}",
        crate::support::stdout(&plan)
    );
    let out = s.expect(1, &["wait", "--timeout", "3s"]);
    assert!(
        crate::support::stderr(&out).contains("still converging after 3s: cdn (InProgress)"),
        "{}",
        crate::support::stderr(&out)
    );
    tb.settle();
    s.expect(0, &["wait", "--timeout", "60s"]);
    tb.configure(json!({"pending": {"cloudfront": 0.0}}));
    s.expect(0, &["destroy", "--auto-approve"]);
}
