//! What a user sees when a document is wrong: one snapshot per class of mistake.

use strata_model::diag::render;
use strata_model::load::{LoadOptions, VarInputs, load_sources, load_sources_with};
use strata_model::source::SourceFile;

fn check_files(files: &[(&str, &str)], inputs: &VarInputs) -> String {
    let files = files
        .iter()
        .map(|(name, text)| SourceFile::new(*name, *text))
        .collect();
    match load_sources(files, inputs) {
        Ok(_) => "ok".to_string(),
        Err(e) => {
            assert!(!e.diagnostics.is_empty(), "a failed load has diagnostics");
            render(&e.diagnostics, &e.sources, false, 100)
        }
    }
}

fn check(src: &str) -> String {
    check_files(&[("stack.yaml", src)], &VarInputs::default())
}

const VPC: &str =
    "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n";

#[test]
fn a_valid_document_loads() {
    assert_eq!(check(VPC), "ok");
}

/// Aurora Serverless v1 ended on 2025-03-31: refused, with the v2 form of the same cluster.
#[test]
fn aurora_serverless_v1_is_refused_with_the_v2_form() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  db:\n    kind: rds.db_cluster\n    identifier: lab\n    engine: aurora-postgresql\n    engine_mode: serverless\n    subnet_group: default\n"
    ));
}

/// A KMS alias would show as a change on every plan (RDS reports the key's ARN): refused.
#[test]
fn a_kms_alias_for_a_cluster_key_is_refused() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  db:\n    kind: rds.db_cluster\n    identifier: lab\n    engine: aurora-postgresql\n    kms_key: alias/aws/rds\n    subnet_group: default\n"
    ));
}

/// A retention CloudWatch Logs does not offer: refused, naming the nearest it does.
#[test]
fn a_log_retention_cloudwatch_does_not_offer_is_refused() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  logs:\n    kind: logs.log_group\n    name: /ecs/web\n    retention_in_days: 10\n"
    ));
}

/// A capacity provider that is not Fargate's, and a strategy naming one the cluster does not
/// list: both refused at their place.
#[test]
fn an_ecs_cluster_of_other_providers_is_refused() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  cluster:\n    kind: ecs.cluster\n    name: web\n    capacity_providers: [FARGATE, my-asg]\n    default_capacity_provider_strategy:\n      - {capacity_provider: FARGATE_SPOT, weight: 1}\n"
    ));
}

/// A task size Fargate does not offer: refused at the memory, saying which sizes go with the
/// CPU.
#[test]
fn a_task_size_fargate_does_not_offer_is_refused() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  task:\n    kind: ecs.task_definition\n    family: web\n    cpu: 512\n    memory: 512\n    containers:\n      - {name: web, image: nginx}\n"
    ));
}

/// A role whose trust policy has no `Statement` and whose session is too long: both refused.
#[test]
fn a_role_without_a_trust_statement_or_with_a_long_session_is_refused() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  role:\n    kind: iam.role\n    name: web\n    assume_role_policy: {Version: \"2012-10-17\"}\n    max_session_duration: 86400\n"
    ));
}

/// A role whose documents are valid loads.
#[test]
fn a_role_with_its_policies_loads() {
    assert_eq!(
        check(
            "stack: lab\nresources:\n  logs:\n    kind: logs.log_group\n    name: /ecs/web\n  role:\n    kind: iam.role\n    name_prefix: web-\n    assume_role_policy:\n      Version: \"2012-10-17\"\n      Statement:\n        - {Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: \"sts:AssumeRole\"}\n    inline_policies:\n      logs:\n        Version: \"2012-10-17\"\n        Statement:\n          - {Effect: Allow, Action: \"logs:PutLogEvents\", Resource: \"${logs.arn}:*\"}\n"
        ),
        "ok"
    );
}

/// A scaling policy tracking a metric ECS services do not have, and a target whose range is
/// upside down: both refused, saying what to write.
#[test]
fn an_autoscaling_policy_of_an_unknown_metric_is_refused() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  vpc: {kind: ec2.vpc, cidr_block: 10.0.0.0/16}\n  a: {kind: ec2.subnet, vpc: vpc, cidr_block: 10.0.0.0/24, availability_zone: us-east-1a}\n  cluster: {kind: ecs.cluster, name: c}\n  task:\n    kind: ecs.task_definition\n    family: t\n    cpu: 256\n    memory: 512\n    containers: [{name: web, image: nginx}]\n  web: {kind: ecs.service, name: web, cluster: cluster, task_definition: task, subnets: [a]}\n  scaling: {kind: application_autoscaling.target, service: web, min_capacity: 4, max_capacity: 2}\n  cpu:\n    kind: application_autoscaling.policy\n    name: cpu50\n    target: scaling\n    metric: CPUUtilization\n    target_value: 50\n"
    ));
}

#[test]
fn unknown_keys_suggest_the_closest_field() {
    insta::assert_snapshot!(check(&format!(
        "{VPC}    enable_dns_suport: true\n    tag: {{Name: x}}\n"
    )));
}

#[test]
fn wrong_types_point_at_the_value() {
    insta::assert_snapshot!(check(&format!("{VPC}    enable_dns_hostnames: \"yes\"\n")));
}

#[test]
fn invalid_cidrs_are_explained() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.1/16\n  big:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/8\n"
    ));
}

#[test]
fn subnets_outside_the_vpc_and_overlapping_are_errors() {
    insta::assert_snapshot!(check(&format!(
        "{VPC}  a:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.0.0/24\n  b:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.0.128/25\n  c:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.9.0.0/24\n"
    )));
}

#[test]
fn references_to_missing_or_wrong_resources() {
    insta::assert_snapshot!(check(&format!(
        "{VPC}  a:\n    kind: ec2.subnet\n    vpc: vcp\n    cidr_block: 10.0.0.0/24\n  b:\n    kind: ec2.subnet\n    vpc: a\n    cidr_block: 10.0.1.0/24\n    tags:\n      Peer: ${{vpc.cidr}}\n"
    )));
}

#[test]
fn cycles_are_printed() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  a:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    depends_on: [b]\n  b:\n    kind: ec2.vpc\n    cidr_block: 10.1.0.0/16\n    tags:\n      A: ${a.id}\n"
    ));
}

#[test]
fn the_same_name_in_two_files() {
    insta::assert_snapshot!(check_files(
        &[
            ("network.yaml", VPC),
            (
                "more.yaml",
                "resources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.1.0.0/16\n"
            )
        ],
        &VarInputs::default()
    ));
}

#[test]
fn tag_rules() {
    let long = "x".repeat(129);
    insta::assert_snapshot!(check(&format!(
        "{VPC}    tags:\n      aws:owner: me\n      {long}: v\n      strata:stack: other\n"
    )));
}

#[test]
fn many_errors_in_one_run() {
    let out = check(
        "stack: lab\nresorces: {}\nresources:\n  vpc:\n    kind: ec2.vcp\n  s:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: nope\n  t:\n    kind: ec2.subnet\n    cidr_block: 10.0.0.0/24\n",
    );
    insta::assert_snapshot!(out);
}

#[test]
fn variables_substitute_and_report() {
    let doc = "stack: lab\nvariables:\n  cidr: {default: 10.0.0.0/16}\n  az: {}\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: ${var.cidr}\n  s:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.0.0/24\n    availability_zone: ${var.az}\n";
    insta::assert_snapshot!(check(doc));
    let inputs = VarInputs {
        cli: vec![("az".into(), "us-east-1a".into())],
        ..Default::default()
    };
    assert_eq!(check_files(&[("stack.yaml", doc)], &inputs), "ok");
    let bad = VarInputs {
        cli: vec![
            ("az".into(), "us-east-1a".into()),
            ("cidr".into(), "10.0.0.0/33".into()),
            ("zone".into(), "x".into()),
        ],
        ..Default::default()
    };
    insta::assert_snapshot!(check_files(&[("stack.yaml", doc)], &bad));
}

#[test]
fn yaml_syntax_and_duplicate_keys() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: [10.0.0.0/16\n"
    ));
    insta::assert_snapshot!(check(&format!("{VPC}    cidr_block: 10.1.0.0/16\n")));
}

#[test]
fn lifecycle_options_are_checked() {
    insta::assert_snapshot!(check(&format!(
        "{VPC}    lifecycle:\n      ignore_changes: [tags.Owner, cidr, enable_dns_support.x]\n      prevent_destory: true\n"
    )));
}

#[test]
fn examples_load() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&root).expect("examples directory") {
        let path = entry.expect("entry").path();
        // Each example stack (examples/ci holds pipelines, not a stack).
        if !path.join("stack.yaml").is_file() {
            continue;
        }
        seen += 1;
        // An example with a server certificate reads its PEM files, which its README says how
        // to make (no key is committed): a copy of it gets stand-ins of the right form.
        let copy = tempfile::tempdir().expect("tempdir");
        let documents = std::fs::read_to_string(path.join("stack.yaml")).unwrap_or_default();
        let path = if documents.contains("certs/server.key") {
            std::fs::write(copy.path().join("stack.yaml"), &documents).expect("copy");
            std::fs::create_dir(copy.path().join("certs")).expect("certs/");
            for (file, label) in [("server.crt", "CERTIFICATE"), ("server.key", "PRIVATE KEY")] {
                std::fs::write(
                    copy.path().join("certs").join(file),
                    format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n"),
                )
                .expect("a stand-in PEM file");
            }
            copy.path().to_path_buf()
        } else {
            path
        };
        if let Err(e) = strata_model::load(&path, &VarInputs::default()) {
            panic!(
                "{} does not load:\n{}",
                path.display(),
                render(&e.diagnostics, &e.sources, false, 100)
            );
        }
    }
    assert!(seen >= 2, "the examples are there");
}

mod no_panics {
    use proptest::prelude::*;
    use strata_model::load::{VarInputs, load_sources};
    use strata_model::source::SourceFile;

    const SEED: &str = "stack: lab\nvariables:\n  c: {default: 10.0.0.0/16}\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: ${var.c}\n    tags: {Name: x}\n  s:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.1.0/24\n    depends_on: [vpc]\noutputs:\n  id: ${vpc.id}\n";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Any text loads to a stack or to diagnostics, never a panic; a failure always has
        /// at least one diagnostic.
        #[test]
        fn arbitrary_text(text in "\\PC{0,200}") {
            let r = load_sources(vec![SourceFile::new("a.yaml", text)], &VarInputs::default());
            if let Err(e) = r {
                prop_assert!(!e.diagnostics.is_empty());
            }
        }

        /// Damaging a valid document anywhere gives diagnostics with locations inside the text.
        #[test]
        fn mutated_documents(at in 0usize..SEED.len(), len in 0usize..8, with in "[ :\\[\\]{}$&*!|>'\"a-z0-9\\n-]{0,6}") {
            let mut text = SEED.to_string();
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let end = (at + len).min(text.len());
            let end = (end..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
            text.replace_range(at..end, &with);
            let size = text.len() as u32;
            if let Err(e) = load_sources(vec![SourceFile::new("a.yaml", text)], &VarInputs::default()) {
                prop_assert!(!e.diagnostics.is_empty());
                for d in e.diagnostics.iter() {
                    if let Some(p) = &d.primary {
                        prop_assert!(p.span.start <= p.span.end && p.span.end <= size);
                    }
                }
            }
        }
    }
}

#[test]
fn peered_vpcs_must_not_overlap() {
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  a:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n  b:\n    kind: ec2.vpc\n    cidr_block: 10.0.128.0/17\n  p:\n    kind: ec2.vpc_peering_connection\n    vpc: a\n    peer_vpc: b\n"
    ));
}

#[test]
fn networking_mistakes_are_caught_before_any_call() {
    insta::assert_snapshot!(check(
        "stack: lab
resources:
  vpc: {kind: ec2.vpc, cidr_block: 10.0.0.0/16}
  a: {kind: ec2.subnet, vpc: vpc, cidr_block: 10.0.1.0/24}
  igw: {kind: ec2.internet_gateway, vpc: vpc}
  rt1:
    kind: ec2.route_table
    vpc: vpc
    subnets: [a]
    routes:
      - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw, nat_gateway: nat}
      - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}
  rt2: {kind: ec2.route_table, vpc: vpc, subnets: [a]}
  nat: {kind: ec2.nat_gateway, subnet: a}
  sg:
    kind: ec2.security_group
    vpc: vpc
    name: web
    description: web
    ingress:
      - {protocol: tcp, cidr: 0.0.0.0/0}
      - {protocol: all, port: 80, cidr: 0.0.0.0/0}
      - {protocol: tcp, port: 22, cidr: 10.0.0.0/8, security_group: self}
"
    ));
}

/// `lifecycle.sensitive` names fields of the kind (or one tag); their values become secrets.
#[test]
fn sensitive_fields_are_secrets_and_must_exist() {
    let doc = "stack: lab\nresources:\n  sg:\n    kind: ec2.security_group\n    vpc: vpc-0123456789abcdef0\n    name: web\n    description: Token-for-the-group\n    tags: {Token: Field-Canary-t0ken, Name: plain}\n    lifecycle: {sensitive: [tags.Token, description]}\n";
    let loaded = load_sources(
        vec![SourceFile::new("stack.yaml", doc)],
        &VarInputs::default(),
    )
    .unwrap_or_else(|e| panic!("{}", render(&e.diagnostics, &e.sources, false, 100)));
    let secrets: Vec<String> = loaded.stack.secrets().into_iter().map(|(_, v)| v).collect();
    // Longest first (masking replaces longer secrets before the shorter ones inside them).
    assert_eq!(secrets, vec!["Token-for-the-group", "Field-Canary-t0ken"]);
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    lifecycle: {sensitive: [tag.Token, cidr_block.x]}\n"
    ));
}

fn check_with(src: &str, inputs: &VarInputs, options: &LoadOptions) -> String {
    match load_sources_with(vec![SourceFile::new("stack.yaml", src)], inputs, options) {
        Ok(_) => "ok".to_string(),
        Err(e) => render(&e.diagnostics, &e.sources, false, 100),
    }
}

/// A region AWS does not have is refused at its place with the nearest it has;
/// `--allow-unknown-region` lets a well-formed new one through, nothing else.
#[test]
fn unknown_regions_are_refused_with_the_nearest() {
    for region in ["us-east-9", "us-east1", "us-east-1a"] {
        insta::assert_snapshot!(
            format!("unknown_region_{region}"),
            check(&format!("stack: lab\nregion: {region}\n{}", &VPC[11..]))
        );
    }
    let allow = LoadOptions {
        allow_unknown_region: true,
        ..Default::default()
    };
    let doc = format!("stack: lab\nregion: us-east-9\n{}", &VPC[11..]);
    assert_eq!(check_with(&doc, &VarInputs::default(), &allow), "ok");
    let doc = format!("stack: lab\nregion: us-east1\n{}", &VPC[11..]);
    assert_ne!(check_with(&doc, &VarInputs::default(), &allow), "ok");
    // A peering's region too.
    insta::assert_snapshot!(check(
        "stack: lab\nresources:\n  a: {kind: ec2.vpc, cidr_block: 10.0.0.0/16}\n  p:\n    kind: ec2.vpc_peering_connection\n    vpc: a\n    peer_vpc: vpc-0123456789abcdef0\n    peer_region: eu-west-4\n"
    ));
}

/// Zones (names and IDs) must be in the stack's region: the documents', a variable's value, or
/// `--region`'s.
#[test]
fn zones_outside_the_stacks_region_are_refused() {
    let doc = "stack: lab\nregion: us-east-1\nresources:\n  vpc: {kind: ec2.vpc, cidr_block: 10.0.0.0/16}\n  a:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.1.0/24\n    availability_zone: us-west-2a\n  b:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.2.0/24\n    availability_zone_id: usw2-az1\n  c:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.3.0/24\n    availability_zone: us-east-1b\n  d:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.4.0/24\n    availability_zone_id: use1-az4\n";
    insta::assert_snapshot!(check(doc));

    // From a variable: the resolved value is checked, at the place that uses it.
    let doc = "stack: lab\nvariables:\n  region: {default: us-east-1}\nregion: ${var.region}\nresources:\n  vpc: {kind: ec2.vpc, cidr_block: 10.0.0.0/16}\n  a:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.1.0/24\n    availability_zone: ${var.region}a\n";
    assert_eq!(check(doc), "ok");
    let wrong = |region: &str| VarInputs {
        cli: vec![("region".into(), region.into())],
        ..Default::default()
    };
    assert_eq!(
        check_files(&[("stack.yaml", doc)], &wrong("eu-west-1")),
        "ok"
    );
    insta::assert_snapshot!(
        "region_from_a_variable",
        check_files(&[("stack.yaml", doc)], &wrong("us-east-9"))
    );

    // No `region:`: `--region` is the stack's region.
    let doc = "stack: lab\nresources:\n  vpc: {kind: ec2.vpc, cidr_block: 10.0.0.0/16}\n  a:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.1.0/24\n    availability_zone: us-east-1a\n";
    let flag = |region: &str| LoadOptions {
        region: Some(region.into()),
        ..Default::default()
    };
    assert_eq!(
        check_with(doc, &VarInputs::default(), &flag("us-east-1")),
        "ok"
    );
    insta::assert_snapshot!(
        "region_from_the_flag",
        check_with(doc, &VarInputs::default(), &flag("eu-west-1"))
    );
    insta::assert_snapshot!(
        "unknown_region_from_the_flag",
        check_with(doc, &VarInputs::default(), &flag("eu-west-9"))
    );
}

/// A field written at the resources' level (indented as a resource, under the resource it
/// belongs to) is reported as what the indentation did, with where it belongs: a scalar, a
/// mapping (tags) and a resource key (`depends_on`). A resource after it still loads.
#[test]
fn a_field_indented_as_a_resource_says_where_it_belongs() {
    insta::assert_snapshot!(check(
        "stack: lab
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/16
  subnet_a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.0.1.0/24
  availability_zone: us-east-1a
  subnet_b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.0.2.0/24
  tags:
    Name: b
  depends_on: [subnet_a]
"
    ));
    // A name that is no field of the resource above keeps the resource's own diagnostic.
    insta::assert_snapshot!(check(&format!("{VPC}  zone: us-east-1a\n")));
}
