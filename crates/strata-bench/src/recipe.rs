//! Targets 6 and 7: the calls of a no-op plan of a recipe with several services (the load
//! balancer recipe: EC2, Elastic Load Balancing v2, IAM and the tagging API; the CloudFront
//! recipe: S3, CloudFront and the tagging API), each operation against
//! what it may cost: 2 per kind present for a kind's own describes and tags, and one per
//! parent or per resource where the API has no batched read.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use crate::Section;
use crate::emulator::Emulator;
use crate::runs::strata;
use crate::scale::Env;

/// How many resources of each kind the documents declare (`kind: X` lines), and how many
/// inline policies their roles have (under [`INLINE_POLICY`]).
fn kinds_in(documents: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for line in documents.lines() {
        if let Some(kind) = line.trim().strip_prefix("kind: ") {
            *out.entry(kind.trim().to_string()).or_default() += 1;
        }
    }
    let policies = inline_policies_in(documents);
    if policies > 0 {
        out.insert(INLINE_POLICY.to_string(), policies);
    }
    out
}

/// The count of inline policies in [`kinds_in`]'s answer (not a kind).
const INLINE_POLICY: &str = "inline policy";

/// The entries of every `inline_policies:` mapping: the keys one level under it.
fn inline_policies_in(documents: &str) -> usize {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let lines: Vec<&str> = documents
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    let mut count = 0;
    for (i, l) in lines.iter().enumerate() {
        if l.trim() != "inline_policies:" {
            continue;
        }
        let under = lines[i + 1..]
            .iter()
            .take_while(|m| indent(m) > indent(l))
            .collect::<Vec<_>>();
        let Some(first) = under.first() else { continue };
        count += under.iter().filter(|m| indent(m) == indent(first)).count();
    }
    count
}

/// What one operation may cost in a no-op plan of a stack with `kinds`, and why: `None` for
/// an operation no kind of the stack reads with.
pub fn allowance(op: &str, kinds: &BTreeMap<String, usize>) -> Option<(usize, String)> {
    let n = |k: &str| kinds.get(k).copied().unwrap_or(0);
    let resources: usize = kinds
        .iter()
        .filter(|(k, _)| *k != INLINE_POLICY)
        .map(|(_, n)| n)
        .sum();
    let name = op.rsplit('.').next().unwrap_or(op);
    let per_kind = |k: &str| (n(k) > 0).then(|| (2, format!("{k}: 2 per kind")));
    match name {
        "GetResources" => Some((
            resources.div_ceil(100).max(1),
            "the tagging API's listing of the stack: a call per page of 100".into(),
        )),
        "DescribeVpcs" => per_kind("ec2.vpc"),
        "DescribeSubnets" => per_kind("ec2.subnet"),
        "DescribeInternetGateways" => per_kind("ec2.internet_gateway"),
        "DescribeRouteTables" => per_kind("ec2.route_table"),
        "DescribeSecurityGroups" => per_kind("ec2.security_group"),
        "DescribeSecurityGroupRules" => per_kind("ec2.security_group"),
        "DescribeNatGateways" => per_kind("ec2.nat_gateway"),
        "DescribeAddresses" => per_kind("ec2.eip"),
        "DescribeVpcAttribute" => Some((
            2 * n("ec2.vpc"),
            "2 per VPC: EC2 has no batched read of DNS attributes".into(),
        )),
        "DescribeLoadBalancers" => per_kind("elbv2.load_balancer"),
        "DescribeTargetGroups" => per_kind("elbv2.target_group"),
        "DescribeTags" => {
            let elbv2 = kinds.keys().filter(|k| k.starts_with("elbv2.")).count();
            (elbv2 > 0).then(|| (2 * elbv2, "2 per ELBv2 kind (20 ARNs a call)".into()))
        }
        "DescribeLoadBalancerAttributes" => Some((
            n("elbv2.load_balancer"),
            "1 per load balancer: ELBv2 reads attributes per resource".into(),
        )),
        "DescribeTargetGroupAttributes" => Some((
            n("elbv2.target_group"),
            "1 per target group: ELBv2 reads attributes per resource".into(),
        )),
        "DescribeListeners" => Some((
            2 * n("elbv2.load_balancer"),
            "per parent: the listeners of each load balancer, for listeners and for rules".into(),
        )),
        "DescribeRules" => Some((
            n("elbv2.listener"),
            "per parent: the rules of each listener".into(),
        )),
        "GetBucketTagging"
        | "GetBucketVersioning"
        | "GetBucketEncryption"
        | "GetPublicAccessBlock" => Some((
            n("s3.bucket"),
            "1 per bucket: S3 reads each setting per bucket".into(),
        )),
        "HeadObject" | "GetObjectTagging" => Some((
            n("s3.object"),
            "1 per object: read by its id (metadata and tags), never downloaded".into(),
        )),
        "GetBucketPolicy" => Some((
            n("s3.bucket_policy"),
            "1 per policy: read by its bucket".into(),
        )),
        "DescribeDBClusters" => per_kind("rds.db_cluster"),
        "DescribeDBInstances" => per_kind("rds.db_cluster_instance"),
        "DescribeDBSubnetGroups" => per_kind("rds.db_subnet_group"),
        "DescribeDBClusterParameterGroups" => per_kind("rds.db_cluster_parameter_group"),
        "DescribeDBClusterParameters" => Some((
            n("rds.db_cluster_parameter_group"),
            "1 per parameter group: the parameters the user set (`Source=user`) per group".into(),
        )),
        _ if op == "CloudWatch Logs.ListTagsForResource" => Some((
            n("logs.log_group"),
            "1 per log group: DescribeLogGroups answers no tags".into(),
        )),
        _ if op == "Application Auto Scaling.ListTagsForResource" => Some((
            n("application_autoscaling.target"),
            "1 per scalable target: DescribeScalableTargets answers no tags".into(),
        )),
        _ if op == "RDS.ListTagsForResource" => Some((
            n("rds.db_subnet_group") + n("rds.db_cluster_parameter_group"),
            "1 per subnet or parameter group: their describes answer no tags (clusters' and \
             instances' do)"
                .into(),
        )),
        "ListDistributions" => per_kind("cloudfront.distribution"),
        "GetDistribution" | "ListTagsForResource" => Some((
            n("cloudfront.distribution"),
            "1 per distribution: CloudFront reads a configuration and tags per distribution".into(),
        )),
        "ListOriginAccessControls" => per_kind("cloudfront.origin_access_control"),
        "ListCloudFrontOriginAccessIdentities" => per_kind("cloudfront.origin_access_identity"),
        "GetCloudFrontOriginAccessIdentity" => Some((
            n("cloudfront.origin_access_identity"),
            "1 per identity: its ownership marks are in its reference, not the listing".into(),
        )),
        "ListServerCertificates" => per_kind("iam.server_certificate"),
        "ListRoles" => per_kind("iam.role"),
        "GetRole" => Some((
            n("iam.role"),
            "1 per role the documents or the lockfile name: IAM roles are not in the tagging \
             API's listing, the stack's are told by the tags GetRole answers"
                .into(),
        )),
        "ListRolePolicies" | "ListAttachedRolePolicies" => Some((
            n("iam.role"),
            "1 per role: its inline policies' names, its managed policies".into(),
        )),
        "GetRolePolicy" => Some((
            n(INLINE_POLICY),
            "1 per inline policy: IAM answers one policy document a call".into(),
        )),
        "DescribeLogGroups" => Some((
            n("logs.log_group"),
            "1 per log group: by its name as the prefix (the listing gives the stack's names)"
                .into(),
        )),
        "DescribeClusters" => per_kind("ecs.cluster"),
        "DescribeServices" => Some((
            n("ecs.cluster").max(1) * n("ecs.service").div_ceil(10),
            "per cluster: 10 services a call".into(),
        )),
        "DescribeTaskDefinition" => Some((
            n("ecs.task_definition"),
            "1 per task definition: its family's latest revision, with its tags".into(),
        )),
        "DescribeScalableTargets" => per_kind("application_autoscaling.target"),
        "DescribeScalingPolicies" => per_kind("application_autoscaling.policy"),
        "GetServerCertificate" | "ListServerCertificateTags" => Some((
            n("iam.server_certificate"),
            "1 per certificate: IAM reads a body and tags per certificate".into(),
        )),
        _ => None,
    }
}

/// "met" when every operation stays within its allowance, else what exceeded it.
pub fn verdict(calls: &[(String, usize)], kinds: &BTreeMap<String, usize>) -> String {
    let over: Vec<String> = calls
        .iter()
        .filter_map(|(op, count)| match allowance(op, kinds) {
            Some((allowed, _)) if *count <= allowed => None,
            Some((allowed, _)) => Some(format!("{op}: {count} calls, {allowed} allowed")),
            None => Some(format!(
                "{op}: {count} calls, not a read the stack's kinds make"
            )),
        })
        .collect();
    if over.is_empty() {
        "met: every operation within its allowance (2 per kind present for a kind's own \
         describes and tags; per parent or per resource where the API has no batched read)"
            .to_string()
    } else {
        format!("NOT met: {}", over.join("; "))
    }
}

/// A copy of `examples/NAME` in a temporary directory, with the files it reads (`index.html`)
/// and, when it asks for one, a self-signed certificate as its README makes it; and its
/// documents.
pub fn example_dir(env: &Env, name: &str) -> Result<(tempfile::TempDir, String), String> {
    let documents =
        std::fs::read_to_string(env.repo.join("examples").join(name).join("stack.yaml"))
            .map_err(|e| format!("examples/{name}: {e}"))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("stack.yaml"), &documents).map_err(|e| e.to_string())?;
    let folder = env.repo.join("examples").join(name);
    for f in std::fs::read_dir(&folder)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let path = f.path();
        if path.is_file() && path.extension().is_none_or(|e| e != "yaml" && e != "md") {
            std::fs::copy(&path, dir.path().join(f.file_name())).map_err(|e| e.to_string())?;
        }
    }
    if documents.contains("certs/server.key") {
        make_certificate(dir.path())?;
    }
    Ok((dir, documents))
}

/// Applies `examples/NAME` on a fresh emulator, then counts a no-op plan's calls.
pub fn run(env: &Env, name: &str) -> Result<Section, String> {
    let (dir, documents) = example_dir(env, name)?;
    let emu = Emulator::start(&env.repo, &env.python, &json!({}))?;
    eprintln!("strata-bench: examples/{name} ...");
    strata(
        &env.strata,
        dir.path(),
        &emu.url,
        &["apply", "--auto-approve"],
        0,
    )?;
    emu.clear_log()?;
    let plan = strata(
        &env.strata,
        dir.path(),
        &emu.url,
        &["plan", "-v", "--detailed-exitcode"],
        0,
    )?;
    let (total, calls) = plan.calls().ok_or("the plan reported no call counts")?;
    let kinds = kinds_in(&documents);
    let declared: BTreeMap<&String, &usize> =
        kinds.iter().filter(|(k, _)| *k != INLINE_POLICY).collect();
    let resources: usize = declared.values().copied().sum();
    let mut md = format!(
        "`examples/{name}`: {resources} resources of {} kinds ({}). A no-op plan made {total} \
         calls.\n\n| call | calls | allowed | why |\n|---|---|---|---|\n",
        declared.len(),
        declared
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (op, count) in &calls {
        let (allowed, why) = allowance(op, &kinds).map_or(
            (
                "-".to_string(),
                "no kind of the stack reads with it".to_string(),
            ),
            |(a, w)| (a.to_string(), w),
        );
        md.push_str(&format!("| {op} | {count} | {allowed} | {why} |\n"));
    }
    Ok(Section {
        title: title(name),
        body: md,
        verdict: format!("{}.", verdict(&calls, &kinds)),
    })
}

/// The section of BENCHMARKS.md an example's counts go to.
fn title(example: &str) -> String {
    match example {
        "cookbook-1.12-cloudfront" => {
            "7. AWS calls per no-op plan of the CloudFront recipe (S3, CloudFront)".to_string()
        }
        "cookbook-2.1-aurora-serverless" => {
            "8. AWS calls per no-op plan of the Aurora recipe (EC2, RDS)".to_string()
        }
        "web-app" => {
            "9. AWS calls per no-op plan of the web application (nine services)".to_string()
        }
        _ => "6. AWS calls per no-op plan of a recipe of several services".to_string(),
    }
}

/// A self-signed certificate and its key in `dir/certs/`, as the example's README makes them
/// with openssl.
fn make_certificate(dir: &Path) -> Result<(), String> {
    let made = rcgen::generate_simple_self_signed(vec!["lab.example.com".to_string()])
        .map_err(|e| e.to_string())?;
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).map_err(|e| e.to_string())?;
    std::fs::write(certs.join("server.crt"), made.cert.pem()).map_err(|e| e.to_string())?;
    std::fs::write(certs.join("server.key"), made.signing_key.serialize_pem())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> BTreeMap<String, usize> {
        kinds_in(
            "  a:\n    kind: elbv2.load_balancer\n  b:\n    kind: elbv2.listener\n  c:\n    kind: elbv2.listener\n",
        )
    }

    #[test]
    fn within_the_allowance_is_met() {
        let calls = vec![
            (
                "Elastic Load Balancing v2.DescribeLoadBalancers".to_string(),
                1,
            ),
            ("Elastic Load Balancing v2.DescribeListeners".to_string(), 2),
            ("Elastic Load Balancing v2.DescribeRules".to_string(), 2),
        ];
        assert!(verdict(&calls, &kinds()).starts_with("met"));
    }

    #[test]
    fn a_read_per_resource_beyond_the_allowance_is_not_met() {
        let calls = vec![("Elastic Load Balancing v2.DescribeRules".to_string(), 3)];
        let v = verdict(&calls, &kinds());
        assert!(v.starts_with("NOT met"), "{v}");
        assert!(v.contains("DescribeRules: 3 calls, 2 allowed"), "{v}");
    }

    #[test]
    fn an_operation_no_kind_reads_with_is_not_met() {
        let calls = vec![("EC2.DescribeInstances".to_string(), 1)];
        assert!(verdict(&calls, &kinds()).starts_with("NOT met"));
    }

    #[test]
    fn inline_policies_are_counted_per_role_and_are_not_resources() {
        let k = kinds_in(
            "resources:\n  r:\n    kind: iam.role\n    inline_policies:\n      a:\n        \
             Version: x\n      b:\n        Version: y\n  q:\n    kind: iam.role\n",
        );
        assert_eq!(k.get(INLINE_POLICY), Some(&2));
        assert_eq!(allowance("IAM.GetRolePolicy", &k).map(|a| a.0), Some(2));
        assert_eq!(
            allowance("Resource Groups Tagging API.GetResources", &k).map(|a| a.0),
            Some(1)
        );
    }

    #[test]
    fn each_service_s_tag_listing_has_its_own_allowance() {
        let k = kinds_in("  g:\n    kind: logs.log_group\n");
        assert!(allowance("CloudWatch Logs.ListTagsForResource", &k).is_some_and(|a| a.0 == 1));
        assert!(
            allowance("Application Auto Scaling.ListTagsForResource", &k).is_some_and(|a| a.0 == 0)
        );
        assert!(allowance("CloudFront.ListTagsForResource", &k).is_some_and(|a| a.0 == 0));
    }
}
