//! Unit tests of strata-aws that need no emulator (they live here to share the SDK link).

use strata_aws::error::class_of;
use strata_engine::provider::ErrorClass;

/// Every service's codes fall into one set of classes: the codes of EC2 and of the services to
/// come (ELBv2, CloudFront, S3, RDS, ECS, CloudWatch Logs, IAM, Resource Groups Tagging).
#[test]
fn aws_error_codes_are_classified() {
    use ErrorClass::*;
    let cases: &[(Option<&str>, &str, ErrorClass)] = &[
        // Not found.
        (Some("ec2"), "InvalidVpcID.NotFound", NotFound),
        (Some("ec2"), "InvalidSubnetID.NotFound", NotFound),
        (Some("rds"), "DBClusterNotFoundFault", NotFound),
        (Some("rds"), "DBSubnetGroupNotFoundFault", NotFound),
        (Some("cloudfront"), "NoSuchDistribution", NotFound),
        (Some("s3"), "NoSuchBucket", NotFound),
        (Some("elbv2"), "LoadBalancerNotFound", NotFound),
        (Some("elbv2"), "TargetGroupNotFound", NotFound),
        (Some("elbv2"), "ListenerNotFound", NotFound),
        (Some("ecs"), "ClusterNotFoundException", NotFound),
        (Some("ecs"), "ServiceNotFoundException", NotFound),
        (Some("logs"), "ResourceNotFoundException", NotFound),
        (Some("tagging"), "ResourceNotFoundException", NotFound),
        (Some("tagging"), "InternalServiceException", Transient),
        (
            Some("tagging"),
            "PaginationTokenExpiredException",
            Transient,
        ),
        (Some("tagging"), "InvalidParameterException", Invalid),
        (Some("iam"), "NoSuchEntity", NotFound),
        // In use, or a dependency left.
        (Some("ec2"), "DependencyViolation", DependencyViolation),
        (Some("ec2"), "InvalidGroup.InUse", DependencyViolation),
        (Some("elbv2"), "ResourceInUse", DependencyViolation),
        (Some("s3"), "BucketNotEmpty", DependencyViolation),
        (
            Some("cloudfront"),
            "OriginAccessControlInUse",
            DependencyViolation,
        ),
        (
            Some("cloudfront"),
            "CloudFrontOriginAccessIdentityInUse",
            DependencyViolation,
        ),
        (Some("cloudfront"), "NoSuchOriginAccessControl", NotFound),
        (
            Some("cloudfront"),
            "NoSuchCloudFrontOriginAccessIdentity",
            NotFound,
        ),
        (Some("iam"), "DeleteConflict", DependencyViolation),
        (
            Some("rds"),
            "InvalidDBSubnetGroupStateFault",
            DependencyViolation,
        ),
        (
            Some("rds"),
            "InvalidDBParameterGroupState",
            DependencyViolation,
        ),
        (Some("rds"), "DBSubnetGroupDoesNotCoverEnoughAZs", Invalid),
        (Some("rds"), "KMSKeyNotAccessibleFault", AccessDenied),
        (Some("rds"), "DBClusterNotFoundFault", NotFound),
        (Some("rds"), "DBInstanceNotFound", NotFound),
        (
            Some("ecs"),
            "ClusterContainsServicesException",
            DependencyViolation,
        ),
        // Throttled.
        (Some("ec2"), "RequestLimitExceeded", Throttled),
        (Some("elbv2"), "Throttling", Throttled),
        (Some("rds"), "Throttling", Throttled),
        (Some("ecs"), "ThrottlingException", Throttled),
        (Some("logs"), "ThrottlingException", Throttled),
        (Some("cloudfront"), "Throttling", Throttled),
        (Some("tagging"), "ThrottledException", Throttled),
        (Some("iam"), "Throttling", Throttled),
        (None, "TooManyRequestsException", Throttled),
        (Some("s3"), "SlowDown", Throttled),
        (None, "PriorRequestNotComplete", Throttled),
        // Stale version, precondition failed.
        (Some("cloudfront"), "PreconditionFailed", StaleVersion),
        (Some("cloudfront"), "InvalidIfMatchVersion", StaleVersion),
        (Some("s3"), "PreconditionFailed", StaleVersion),
        (Some("ec2"), "PrefixListVersionMismatch", StaleVersion),
        // Busy: the same request later may succeed.
        (Some("rds"), "InvalidDBClusterStateFault", InvalidState),
        (Some("ec2"), "IncorrectState", InvalidState),
        (Some("ec2"), "InvalidStateTransition", InvalidState),
        (Some("cloudfront"), "DistributionNotDisabled", InvalidState),
        (Some("ecs"), "UpdateInProgressException", InvalidState),
        (Some("s3"), "OperationAborted", InvalidState),
        // Invalid input, quotas.
        (Some("ec2"), "InvalidSubnet.Conflict", Invalid),
        (Some("ec2"), "InvalidParameterValue", Invalid),
        (Some("ec2"), "VpcLimitExceeded", Invalid),
        (Some("ecs"), "ClientException", Invalid),
        (Some("ecs"), "InvalidParameterException", Invalid),
        (Some("elbv2"), "ValidationError", Invalid),
        (Some("logs"), "LimitExceededException", Invalid),
        // Access denied.
        (Some("ec2"), "UnauthorizedOperation", AccessDenied),
        (Some("s3"), "AccessDenied", AccessDenied),
        (Some("ecs"), "AccessDeniedException", AccessDenied),
        // Server errors.
        (Some("ec2"), "InternalError", Transient),
        (Some("ecs"), "ServerException", Transient),
        (Some("s3"), "ServiceUnavailable", Transient),
        // Anything else.
        (Some("ec2"), "SomethingNew", Other),
    ];
    for (service, code, want) in cases {
        assert_eq!(
            strata_aws::error::class_in(*service, code),
            *want,
            "{code} of {service:?}"
        );
        assert_eq!(class_of(code), *want, "{code} of any service");
    }
}

#[test]
fn every_document_kind_has_an_aws_implementation() {
    for k in strata_model::kinds::all() {
        assert!(
            strata_aws::kind::find(k.name).is_some(),
            "kind {} has no module in strata-aws",
            k.name
        );
    }
    assert_eq!(
        strata_aws::kind::KINDS.len(),
        strata_model::kinds::all().len()
    );
}

/// ARCHITECTURE.md's "Adding a kind" and "Adding a service", kept true: every kind of the
/// documents is implemented in the folder of its service (`ec2.vpc` → `src/ec2/vpc.rs`), and
/// every service folder has a client in the registry (with its retry partition) and a row in
/// the limits table; every SDK crate is declared without its default features.
#[test]
fn every_kind_lives_in_its_service_folder() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("crates/strata-aws/src");
    for k in strata_model::kinds::all() {
        let (service, kind) = k.name.split_once('.').expect("kind names are service.kind");
        let file = src.join(service).join(format!("{kind}.rs"));
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{} has no module {}: {e}", k.name, file.display()));
        assert!(
            text.contains(&format!("\"{}\"", k.name)),
            "{} does not implement {}",
            file.display(),
            k.name
        );
        let module = std::fs::read_to_string(src.join(service).join("mod.rs")).expect("mod.rs");
        assert!(
            module.contains(&format!("pub mod {kind};")),
            "src/{service}/mod.rs does not declare {kind}"
        );
    }
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(&src).expect("src") {
        let path = entry.expect("entry").path();
        if path.join("mod.rs").is_file() {
            folders.push(
                path.file_name()
                    .expect("name")
                    .to_string_lossy()
                    .to_string(),
            );
        }
    }
    assert!(!folders.is_empty());
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    for service in &folders {
        assert!(
            strata_aws::clients::SERVICES.contains(&service.as_str()),
            "src/{service}/ has no client in clients.rs (service_client! and SERVICES)"
        );
        assert!(
            strata_aws::budget::service_limits(service).is_some(),
            "src/{service}/ has no row in budget::TABLE"
        );
        assert!(
            lib.contains(&format!("pub mod {service};")),
            "lib.rs lacks {service}"
        );
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    // The workspace's declarations (members say `aws-sdk-x.workspace = true`).
    for line in manifest
        .lines()
        .filter(|l| l.starts_with("aws-sdk-") && l.contains("version"))
    {
        assert!(
            line.contains("default-features = false"),
            "an SDK crate with its default features: {line}"
        );
    }
}

mod blockers {
    use std::time::Duration;

    use strata_aws::ec2::describe_blocking_interfaces;
    use strata_aws::kind::delete_until_free;
    use strata_engine::provider::{ErrorClass, Progress, ProviderError};

    use crate::support::{ec2, emulator};

    async fn provider() -> strata_aws::AwsProvider {
        provider_with(strata_aws::budget::RequestRate::Off).await
    }

    async fn provider_with(rate: strata_aws::budget::RequestRate) -> strata_aws::AwsProvider {
        let sdk = strata_aws::config::sdk_config(&strata_aws::AwsSettings {
            region: Some("us-east-1".into()),
            endpoint_url: Some(emulator().url.clone()),
            local: true,
            ..Default::default()
        })
        .await;
        strata_aws::connect(
            &sdk,
            "us-east-1",
            &strata_aws::AwsSettings {
                request_rate: rate,
                ..Default::default()
            },
        )
    }

    /// The registry builds a region's clients once, and their calls reach the budget named by
    /// the SDK's operation (service and action from the interceptor, not guessed from the
    /// request: the emulator's host names no service).
    #[tokio::test]
    async fn registry_clients_are_shared_and_name_their_operations() {
        use strata_aws::budget::{Operation, RequestRate};
        let p = provider_with(RequestRate::Table).await;
        for region in ["us-east-1", "eu-west-1", "eu-west-1"] {
            p.cx.ec2_in(region)
                .describe_vpcs()
                .send()
                .await
                .expect("describe");
        }
        let ops = p.cx.clients.operations();
        assert!(
            ops.contains(&Operation::new("ec2", "DescribeVpcs")),
            "{ops:?}"
        );
        assert!(ops.iter().all(|o| o.service == "ec2"), "{ops:?}");
        // One bucket per region budget: us-east-1's and eu-west-1's.
        assert_eq!(ops.len(), 2, "{ops:?}");
    }

    /// A delete that keeps failing with DependencyViolation is retried until its time is up,
    /// then fails naming what holds the resource.
    #[tokio::test]
    async fn a_lasting_dependency_violation_names_the_blocker() {
        let attempts = std::sync::atomic::AtomicUsize::new(0);
        let err = delete_until_free(
            "the subnet to be deleted",
            Duration::from_millis(700),
            &Progress::none(),
            || {
                attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async {
                    Err::<(), _>(ProviderError {
                        code: Some("DependencyViolation".into()),
                        ..ProviderError::new(
                            ErrorClass::DependencyViolation,
                            "The subnet has dependencies and cannot be deleted.",
                        )
                    })
                }
            },
            || async { Some("network interfaces eni-1 (ELB app/web/1)".to_string()) },
        )
        .await
        .expect_err("it never frees");
        assert!(
            attempts.load(std::sync::atomic::Ordering::SeqCst) >= 2,
            "retried"
        );
        assert_eq!(err.code.as_deref(), Some("DependencyViolation"));
        let help = err.help.expect("help");
        assert!(help.contains("eni-1 (ELB app/web/1)"), "{help}");
    }

    /// The blockers are the network interfaces left in the subnet, with their description and
    /// requester.
    #[tokio::test]
    async fn blocking_interfaces_are_described() {
        let c = ec2().await;
        let vpc = c
            .create_vpc()
            .cidr_block("10.99.0.0/16")
            .send()
            .await
            .expect("vpc");
        let vpc = vpc.vpc().and_then(|v| v.vpc_id()).expect("id").to_string();
        let subnet = c
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.99.1.0/24")
            .send()
            .await
            .expect("subnet");
        let subnet = subnet
            .subnet()
            .and_then(|s| s.subnet_id())
            .expect("id")
            .to_string();
        let eni = c
            .create_network_interface()
            .subnet_id(&subnet)
            .description("ELB app/web/0123")
            .send()
            .await
            .expect("eni");
        let eni = eni
            .network_interface()
            .and_then(|n| n.network_interface_id())
            .expect("id")
            .to_string();
        let p = provider().await;
        let text = describe_blocking_interfaces(&p.cx, "subnet-id", &subnet)
            .await
            .expect("an interface holds it");
        assert!(
            text.contains(&eni) && text.contains("ELB app/web/0123"),
            "{text}"
        );
        c.delete_network_interface()
            .network_interface_id(&eni)
            .send()
            .await
            .expect("cleanup");
        assert!(
            describe_blocking_interfaces(&p.cx, "subnet-id", &subnet)
                .await
                .is_none()
        );
    }
}

/// The request budget: a token bucket per (service, API action), reads and writes at their own
/// rates.
#[test]
fn the_request_budget_spends_its_burst_then_waits_for_its_rate() {
    use std::time::{Duration, Instant};

    use strata_aws::budget::{Budget, Limits, Operation, Rate, RequestRate};

    let b = Budget::new(RequestRate::Fixed(Limits {
        read: Rate {
            per_second: 5.0,
            burst: 2.0,
        },
        write: Rate {
            per_second: 1.0,
            burst: 1.0,
        },
    }));
    let op = |service: &str, action: &str| Operation::new(service, action);
    let vpcs = op("ec2", "DescribeVpcs");
    let t0 = Instant::now();
    assert_eq!(b.take_at(&vpcs, t0), None);
    assert_eq!(b.take_at(&vpcs, t0), None);
    let wait = b.take_at(&vpcs, t0).expect("empty");
    assert!((wait.as_secs_f64() - 0.2).abs() < 1e-6, "{wait:?}");
    assert_eq!(b.take_at(&vpcs, t0 + Duration::from_millis(200)), None);
    // Each action has its own bucket, in each service; writes have theirs.
    assert_eq!(b.take_at(&op("ec2", "DescribeSubnets"), t0), None);
    assert_eq!(b.take_at(&op("rds", "DescribeVpcs"), t0), None);
    assert_eq!(b.take_at(&op("ec2", "CreateVpc"), t0), None);
    assert!(b.take_at(&op("ec2", "CreateVpc"), t0).is_some());
    // Refilled up to the burst only.
    let later = t0 + Duration::from_secs(60);
    assert_eq!(b.take_at(&vpcs, later), None);
    assert_eq!(b.take_at(&vpcs, later), None);
    assert!(b.take_at(&vpcs, later).is_some());

    assert_eq!(RequestRate::parse("off"), Ok(RequestRate::Off));
    let Ok(RequestRate::Fixed(l)) = RequestRate::parse("read=50/200") else {
        panic!("valid")
    };
    assert_eq!(l.read.per_second, 50.0);
    assert_eq!(l.write, Limits::EC2.write);
    assert!(RequestRate::parse("read=fast").is_err());
    assert!(RequestRate::parse("reads=1/1").is_err());
    assert!(RequestRate::parse("write=0/1").is_err());
    assert_eq!(
        RequestRate::from_setting(None, true),
        Ok(RequestRate::Off),
        "off against the local emulator unless set"
    );
    assert_eq!(
        RequestRate::from_setting(None, false).map(|r| r.limits_for("ec2")),
        Ok(Some(Limits::EC2))
    );
}

/// Every protocol's request names its action, so no two actions share a bucket: the SDK's
/// operation name where the registry's interceptor put it, else what the protocol shows.
#[test]
fn each_protocol_names_the_action_of_a_request() {
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_types::body::SdkBody;
    use strata_aws::budget::{Operation, operation_of};

    let request = |method: &str, uri: &str, headers: &[(&str, &str)], body: &str| {
        let mut r = HttpRequest::new(SdkBody::from(body.to_string()));
        r.set_method(method).expect("method");
        r.set_uri(uri.to_string()).expect("uri");
        for (k, v) in headers {
            r.headers_mut().insert(k.to_string(), v.to_string());
        }
        r
    };
    let cases: Vec<(&str, HttpRequest, Operation)> = vec![
        (
            "query (EC2)",
            request(
                "POST",
                "https://ec2.us-east-1.amazonaws.com/",
                &[("content-type", "application/x-www-form-urlencoded")],
                "Action=DescribeVpcs&Version=2016-11-15&MaxResults=1000",
            ),
            Operation::new("ec2", "DescribeVpcs"),
        ),
        (
            "query (RDS)",
            request(
                "POST",
                "https://rds.eu-west-1.amazonaws.com/",
                &[],
                "Version=2014-10-31&Action=CreateDBCluster&DBClusterIdentifier=a",
            ),
            Operation::new("rds", "CreateDBCluster"),
        ),
        (
            "JSON (ECS)",
            request(
                "POST",
                "https://ecs.us-east-1.amazonaws.com/",
                &[(
                    "x-amz-target",
                    "AmazonEC2ContainerServiceV20141113.DescribeServices",
                )],
                r#"{"cluster":"c","services":["s"]}"#,
            ),
            Operation::new("ecs", "DescribeServices"),
        ),
        (
            "JSON (CloudWatch Logs)",
            request(
                "POST",
                "https://logs.us-east-1.amazonaws.com/",
                &[("x-amz-target", "Logs_20140328.CreateLogGroup")],
                r#"{"logGroupName":"/app"}"#,
            ),
            Operation::new("logs", "CreateLogGroup"),
        ),
        (
            "REST-XML (S3) without the operation's name",
            request(
                "PUT",
                "https://my-bucket.s3.us-east-1.amazonaws.com/?tagging",
                &[],
                "<Tagging/>",
            ),
            Operation::new("s3", "PUT ?tagging"),
        ),
        (
            "REST-XML (CloudFront) without the operation's name",
            request(
                "GET",
                "https://cloudfront.amazonaws.com/2020-05-31/distribution/E2QWRUHAPOMQZL",
                &[],
                "",
            ),
            Operation::new("cloudfront", "GET"),
        ),
    ];
    for (what, r, want) in &cases {
        assert_eq!(&operation_of(r), want, "{what}");
    }
    // What the registry's interceptor adds wins, for every protocol: REST-XML and REST-JSON
    // (no action in the request) included.
    for (what, service, action, method, uri) in [
        (
            "REST-XML (S3)",
            "s3",
            "PutBucketTagging",
            "PUT",
            "http://127.0.0.1:5055/my-bucket?tagging",
        ),
        (
            "REST-XML (CloudFront)",
            "cloudfront",
            "GetDistribution",
            "GET",
            "https://cloudfront.amazonaws.com/2020-05-31/distribution/E2QWRUHAPOMQZL",
        ),
        (
            "REST-JSON (Lambda-style)",
            "lambda",
            "GetFunction",
            "GET",
            "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/f",
        ),
        (
            "query (EC2, local endpoint)",
            "ec2",
            "CreateVpc",
            "POST",
            "http://127.0.0.1:5055/",
        ),
    ] {
        let mut r = request(method, uri, &[], "Action=Other");
        r.add_extension(Operation::new(service, action));
        assert_eq!(operation_of(&r), Operation::new(service, action), "{what}");
    }
    // Reads and writes: REST methods without a name count by method.
    assert!(Operation::new("s3", "GET ?tagging").is_read());
    assert!(Operation::new("s3", "HeadBucket").is_read());
    assert!(!Operation::new("s3", "PUT ?tagging").is_read());
    assert!(!Operation::new("ec2", "CreateVpc").is_read());
}

/// Every service the registry builds clients for has its row in the limits table, naming where
/// its rates come from.
#[test]
fn every_service_has_limits_naming_their_source() {
    use strata_aws::budget::{TABLE, service_limits};
    for s in strata_aws::clients::SERVICES {
        let row = service_limits(s).unwrap_or_else(|| panic!("{s} has no row in budget::TABLE"));
        assert!(
            row.limits.read.burst >= 1.0 && row.limits.write.burst >= 1.0,
            "{s}"
        );
    }
    for row in TABLE {
        assert!(
            row.source.starts_with("https://") || row.source.starts_with("conservative: "),
            "{}: {}",
            row.service,
            row.source
        );
    }
}

#[test]
fn endpoints_are_checked_before_the_sdk_sees_them() {
    use strata_aws::config::check_endpoint;
    for ok in [
        "http://127.0.0.1:5055",
        "https://ec2.us-east-1.amazonaws.com",
        "http://[::1]:5055/",
        "http://localhost",
    ] {
        assert!(check_endpoint(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "notaurl",
        "http://",
        "ftp://x",
        "http://:80",
        "http://a b",
    ] {
        assert!(check_endpoint(bad).is_err(), "{bad}");
    }
}

/// The tagging API's listing names resources by ARN: each covered kind's id is what follows
/// its ARN type, and every kind that says it is covered names at least one type.
/// RDS's and ECS's clusters share the ARN type `cluster`: the listing tells them apart by
/// service.
#[test]
fn a_type_two_services_share_is_told_apart_by_the_service() {
    let mut l = strata_aws::discovery::Listing::default();
    l.add("arn:aws:rds:us-east-1:123456789012:cluster:db1");
    l.add("arn:aws:ecs:us-east-1:123456789012:cluster/web");
    l.add("arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1");
    l.add("arn:aws:s3:::bucket");
    assert_eq!(l.ids(&["rds:cluster"]), ["db1"]);
    assert_eq!(l.ids(&["ecs:cluster"]), ["web"]);
    assert_eq!(l.ids(&["ec2:vpc", "ec2:subnet"]), ["vpc-1"]);
    assert_eq!(l.plain_ids("s3"), ["bucket"]);
    assert!(l.ids(&["cluster"]).is_empty());
}

#[test]
fn tagging_listing_ids_come_from_arns() {
    use strata_aws::discovery::{Discovery, arn_resource};
    assert_eq!(
        arn_resource("arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-123"),
        Some(("vpc", "vpc-123"))
    );
    assert_eq!(
        arn_resource("arn:aws-cn:ec2:cn-north-1:1:elastic-ip/eipalloc-9"),
        Some(("elastic-ip", "eipalloc-9"))
    );
    assert_eq!(arn_resource("arn:aws:s3:::bucket"), None);
    assert_eq!(
        strata_aws::discovery::plain_resource("arn:aws:s3:::bucket"),
        Some(("s3", "bucket"))
    );
    assert_eq!(
        strata_aws::discovery::plain_resource("arn:aws:s3:::bucket/key"),
        None
    );
    assert_eq!(arn_resource("not an arn"), None);
    for k in strata_aws::kind::KINDS {
        if let Discovery::Tagging(types) = k.discovery() {
            assert!(!types.is_empty(), "{}", k.kind());
        }
    }
}

/// Kinds AWS cannot tag keep strata's ownership marks at the end of a text field: they come
/// back off whole, and a text without them (made outside strata) has no owner.
#[test]
fn ownership_marks_go_after_the_text_and_come_back_off() {
    use strata_aws::tags::{Ownership, marked, unmarked};
    let owner = strata_engine::provider::Owner {
        stack: "web",
        name: "oac",
        lineage: "9e2a",
        expires: None,
    };
    let t = marked("for the site", owner);
    assert_eq!(t, "for the site [strata stack=web name=oac lineage=9e2a]");
    let (text, own) = unmarked(&t);
    assert_eq!(text, "for the site");
    assert_eq!(own.stack.as_deref(), Some("web"));
    assert_eq!(own.name.as_deref(), Some("oac"));
    assert_eq!(own.lineage.as_deref(), Some("9e2a"));
    assert_eq!(unmarked("plain [strata of old]").1, Ownership::default());
    assert_eq!(unmarked("plain"), ("plain", Ownership::default()));
}
