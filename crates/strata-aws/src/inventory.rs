//! Finding resources that no stack of strata's manages yet, for `strata generate`: everything
//! in a VPC, everything carrying some tags, or resources named by their ids. Each is returned
//! as (kind, id); the kinds' own reads then read them by id.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::Filter;
use strata_engine::provider::{ErrorClass, ProviderError};

use crate::Ctx;
use crate::discovery::{Discovery, arn_resource, plain_resource};
use crate::ec2;
use crate::error::aws;
use crate::kind::KINDS;

/// What to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// A VPC and what is in it: its subnets, internet gateways, route tables (not the main
    /// one AWS made with it), NAT gateways and their Elastic IPs, security groups (not the
    /// default one), endpoints, peering connections and transit gateway attachments.
    Vpc(String),
    /// Whatever carries every one of these tags (`KEY=VALUE`, or `KEY` with any value), found
    /// with the tagging API (so, of the kinds it covers).
    Tags(Vec<(String, Option<String>)>),
    /// These resources, each kind told by its id's form (`subnet-…`, an ARN).
    Ids(Vec<String>),
}

/// A resource found: its kind and id.
pub type Found = BTreeSet<(&'static str, String)>;

/// Finds the selection's resources.
pub async fn find(cx: &Ctx, sel: &Selection) -> Result<Found, ProviderError> {
    match sel {
        Selection::Vpc(id) => in_vpc(cx, id).await,
        Selection::Tags(tags) => tagged(cx, tags).await,
        Selection::Ids(ids) => ids.iter().map(|id| resolve(id)).collect(),
    }
}

/// An id as the user gave it, as its kind's read takes it: EC2 ids as they are, an ARN as the
/// id its kind keeps (a bucket's name, a load balancer's whole ARN).
fn resolve(id: &str) -> Result<(&'static str, String), ProviderError> {
    if id.starts_with("arn:")
        && let Some(found) = kind_of_arn(id)
    {
        return Ok(found);
    }
    kind_of_id(id).map(|k| (k, id.to_string()))
}

/// The kind of an id: by its prefix (`vpc-`, `eipalloc-`), or by its ARN's type.
pub fn kind_of_id(id: &str) -> Result<&'static str, ProviderError> {
    const PREFIXES: &[(&str, &str)] = &[
        ("vpc-", "ec2.vpc"),
        ("subnet-", "ec2.subnet"),
        ("igw-", "ec2.internet_gateway"),
        ("eipalloc-", "ec2.eip"),
        ("nat-", "ec2.nat_gateway"),
        ("rtb-", "ec2.route_table"),
        ("sg-", "ec2.security_group"),
        ("pl-", "ec2.prefix_list"),
        ("vpce-", "ec2.vpc_endpoint"),
        ("pcx-", "ec2.vpc_peering_connection"),
        ("tgw-attach-", "ec2.transit_gateway_vpc_attachment"),
        ("tgw-rtb-", "ec2.transit_gateway_route_table"),
        ("tgw-", "ec2.transit_gateway"),
    ];
    if let Some((_, kind)) = PREFIXES.iter().find(|(p, _)| id.starts_with(p)) {
        return Ok(kind);
    }
    if let Some(kind) = id.starts_with("arn:").then(|| kind_of_arn(id)).flatten() {
        return Ok(kind.0);
    }
    Err(ProviderError::new(
        ErrorClass::Invalid,
        format!("`{id}` is not the id of a kind strata knows"),
    )
    .with_help(
        "give EC2 ids (vpc-…, subnet-…, igw-…, eipalloc-…, nat-…, rtb-…, sg-…, vpce-…, pcx-…, \
         tgw-…) or the ARN of a load balancer, target group, listener, bucket or other \
         resource the tagging API lists",
    ))
}

/// The resources a resource's attributes name by id or ARN (a security group rule's prefix
/// list, an attachment's transit gateway, a peering's other VPC, a listener's certificate and
/// target group), by kind: what the selection uses from outside it.
pub fn referenced(attrs: &serde_json::Map<String, serde_json::Value>) -> Found {
    let mut out = Found::new();
    let mut stack: Vec<&serde_json::Value> = attrs.values().collect();
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) if strata_model::types::is_aws_id(s) => {
                if let Ok(kind) = kind_of_id(s) {
                    out.insert((kind, s.clone()));
                }
            }
            serde_json::Value::String(s) if s.starts_with("arn:") => {
                out.extend(kind_of_arn(s));
            }
            serde_json::Value::Array(a) => stack.extend(a),
            serde_json::Value::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    out
}

/// Whether AWS owns the resource (a managed prefix list such as S3's): it is named by its id,
/// never written as the stack's.
pub fn owned_by_aws(attrs: &serde_json::Map<String, serde_json::Value>) -> bool {
    attrs.get("owner_id").and_then(|o| o.as_str()) == Some("AWS")
        || attrs
            .get("name")
            .and_then(|n| n.as_str())
            .is_some_and(|n| n.starts_with("com.amazonaws."))
}

/// Kinds the tagging API does not list, by their ARN's service and type: their id is the ARN.
const ARN_KINDS: &[(&str, &str)] = &[
    ("elasticloadbalancing:listener", "elbv2.listener"),
    ("elasticloadbalancing:listener-rule", "elbv2.listener_rule"),
    ("iam:server-certificate", "iam.server_certificate"),
];

/// What belongs to the resources found and is read through them: a load balancer's
/// listeners, and their rules (not the default rule, which is the listener's).
pub async fn children(cx: &Ctx, found: &Found) -> Result<Found, ProviderError> {
    let lbs: Vec<String> = found
        .iter()
        .filter(|(k, _)| *k == "elbv2.load_balancer")
        .map(|(_, id)| id.clone())
        .collect();
    let mut out = Found::new();
    if lbs.is_empty() {
        return Ok(out);
    }
    let listeners: Vec<String> = crate::elbv2::listener::listeners_of(cx, &lbs)
        .await?
        .iter()
        .filter_map(|l| l.listener_arn().map(str::to_string))
        .collect();
    for rule in crate::elbv2::listener_rule::rules_of(cx, &listeners).await? {
        if let Some(arn) = rule.rule_arn() {
            out.insert(("elbv2.listener_rule", arn.to_string()));
        }
    }
    out.extend(listeners.into_iter().map(|l| ("elbv2.listener", l)));
    Ok(out)
}

/// The kind an ARN names and the id strata's read takes, from the kinds' discovery tables.
fn kind_of_arn(arn: &str) -> Option<(&'static str, String)> {
    let service = arn.split(':').nth(2)?;
    let typed = arn_resource(arn).map(|(ty, id)| (format!("{service}:{ty}"), id));
    if let Some((_, kind)) = typed
        .as_ref()
        .and_then(|(ty, _)| ARN_KINDS.iter().find(|(t, _)| t == ty))
    {
        return Some((kind, arn.to_string()));
    }
    KINDS.iter().find_map(|k| match (k.discovery(), &typed) {
        (Discovery::Tagging(types), Some((ty, id))) if types.contains(&ty.as_str()) => {
            Some((k.kind(), (*id).to_string()))
        }
        (Discovery::TaggingArn(types), Some((ty, _))) if types.contains(&ty.as_str()) => {
            Some((k.kind(), arn.to_string()))
        }
        (Discovery::TaggingService(s), _) if s == service => {
            plain_resource(arn).map(|(_, id)| (k.kind(), id.to_string()))
        }
        _ => None,
    })
}

/// Whatever carries all the tags, of the kinds the tagging API covers.
async fn tagged(cx: &Ctx, tags: &[(String, Option<String>)]) -> Result<Found, ProviderError> {
    let arns = crate::discovery::tagged_all(cx, tags).await?;
    let mut found: Found = arns.iter().filter_map(|a| kind_of_arn(a)).collect();
    found.extend(own_tagged(cx, tags).await?);
    Ok(found)
}

/// EC2's filters on tags: `tag:KEY` with the value, or `tag-key` for any value.
fn tag_filters(tags: &[(String, Option<String>)]) -> Vec<Filter> {
    tags.iter()
        .map(|(k, v)| match v {
            Some(v) => Filter::builder().name(format!("tag:{k}")).values(v).build(),
            None => Filter::builder().name("tag-key").values(k).build(),
        })
        .collect()
}

fn vpc_filter(name: &str, vpc: &str) -> Filter {
    Filter::builder().name(name).values(vpc).build()
}

/// Every item of a paginated describe, in pages of the run's size.
macro_rules! all {
    ($cx:expr, $call:expr, $op:literal) => {
        $call
            .into_paginator()
            .page_size($cx.page_size)
            .items()
            .send()
            .try_collect()
            .await
            .map_err(aws($op))?
    };
}

/// The kinds the tagging API does not list everywhere, by their own describe's tag filters:
/// Elastic IPs, VPC endpoints, transit gateway route tables (AWS lists them; the emulator
/// does not).
async fn own_tagged(cx: &Ctx, tags: &[(String, Option<String>)]) -> Result<Found, ProviderError> {
    let ec2 = &cx.ec2;
    let filters = Some(tag_filters(tags));
    let mut found = Found::new();
    let addresses = ec2
        .describe_addresses()
        .set_filters(filters.clone())
        .send()
        .await
        .map_err(aws("ec2:DescribeAddresses"))?;
    for a in addresses.addresses() {
        found.extend(a.allocation_id().map(|id| ("ec2.eip", id.to_string())));
    }
    let endpoints = all!(
        cx,
        ec2.describe_vpc_endpoints().set_filters(filters.clone()),
        "ec2:DescribeVpcEndpoints"
    );
    for e in endpoints.iter().filter(|e| ec2::vpc_endpoint::is_live(e)) {
        found.extend(
            e.vpc_endpoint_id()
                .map(|id| ("ec2.vpc_endpoint", id.to_string())),
        );
    }
    let tables = all!(
        cx,
        ec2.describe_transit_gateway_route_tables()
            .set_filters(filters),
        "ec2:DescribeTransitGatewayRouteTables"
    );
    for t in tables
        .iter()
        .filter(|t| ec2::transit_gateway_route_table::is_live(t))
    {
        let id = t.transit_gateway_route_table_id();
        found.extend(id.map(|id| ("ec2.transit_gateway_route_table", id.to_string())));
    }
    Ok(found)
}

/// The VPC and what is in it.
async fn in_vpc(cx: &Ctx, vpc: &str) -> Result<Found, ProviderError> {
    let ec2 = &cx.ec2;
    let mut found = Found::new();
    let no_vpc = || {
        ProviderError::new(
            ErrorClass::NotFound,
            format!("there is no VPC `{vpc}` in {}", cx.region),
        )
        .with_help("check the id and the region (--region)")
    };
    let vpcs = match ec2.describe_vpcs().vpc_ids(vpc).send().await {
        Ok(v) => v,
        Err(e) => {
            let e = aws("ec2:DescribeVpcs")(e);
            return Err(if e.class == ErrorClass::NotFound {
                no_vpc()
            } else {
                e
            });
        }
    };
    if vpcs.vpcs().is_empty() {
        return Err(no_vpc());
    }
    found.insert(("ec2.vpc", vpc.to_string()));
    let subnets = all!(
        cx,
        ec2.describe_subnets().filters(vpc_filter("vpc-id", vpc)),
        "ec2:DescribeSubnets"
    );
    // Each answer is checked against the VPC too: the emulator ignores some of these filters.
    for s in subnets.iter().filter(|s| s.vpc_id() == Some(vpc)) {
        found.insert(("ec2.subnet", s.subnet_id().unwrap_or_default().to_string()));
    }
    let igws = all!(
        cx,
        ec2.describe_internet_gateways()
            .filters(vpc_filter("attachment.vpc-id", vpc)),
        "ec2:DescribeInternetGateways"
    );
    let attached = |g: &&aws_sdk_ec2::types::InternetGateway| {
        g.attachments().iter().any(|a| a.vpc_id() == Some(vpc))
    };
    for g in igws.iter().filter(attached) {
        let id = g.internet_gateway_id().unwrap_or_default();
        found.insert(("ec2.internet_gateway", id.to_string()));
    }
    let tables = all!(
        cx,
        ec2.describe_route_tables()
            .filters(vpc_filter("vpc-id", vpc)),
        "ec2:DescribeRouteTables"
    );
    for t in tables.iter().filter(|t| t.vpc_id() == Some(vpc)) {
        // The main route table comes with the VPC and goes with it: not a resource of its own.
        if t.associations().iter().any(|a| a.main() == Some(true)) {
            continue;
        }
        found.insert((
            "ec2.route_table",
            t.route_table_id().unwrap_or_default().to_string(),
        ));
    }
    let nats = all!(
        cx,
        ec2.describe_nat_gateways()
            .filter(vpc_filter("vpc-id", vpc)),
        "ec2:DescribeNatGateways"
    );
    for n in nats
        .iter()
        .filter(|n| n.vpc_id() == Some(vpc) && ec2::nat_gateway::is_live(n))
    {
        found.insert((
            "ec2.nat_gateway",
            n.nat_gateway_id().unwrap_or_default().to_string(),
        ));
        for a in n.nat_gateway_addresses() {
            if let Some(alloc) = a.allocation_id() {
                found.insert(("ec2.eip", alloc.to_string()));
            }
        }
    }
    let groups = all!(
        cx,
        ec2.describe_security_groups()
            .filters(vpc_filter("vpc-id", vpc)),
        "ec2:DescribeSecurityGroups"
    );
    for g in groups.iter().filter(|g| g.vpc_id() == Some(vpc)) {
        // The default group comes with the VPC and cannot be deleted.
        if g.group_name() == Some("default") {
            continue;
        }
        found.insert((
            "ec2.security_group",
            g.group_id().unwrap_or_default().to_string(),
        ));
    }
    let endpoints = all!(
        cx,
        ec2.describe_vpc_endpoints()
            .filters(vpc_filter("vpc-id", vpc)),
        "ec2:DescribeVpcEndpoints"
    );
    for e in endpoints
        .iter()
        .filter(|e| e.vpc_id() == Some(vpc) && ec2::vpc_endpoint::is_live(e))
    {
        found.insert((
            "ec2.vpc_endpoint",
            e.vpc_endpoint_id().unwrap_or_default().to_string(),
        ));
    }
    for side in ["requester-vpc-info.vpc-id", "accepter-vpc-info.vpc-id"] {
        let peerings = all!(
            cx,
            ec2.describe_vpc_peering_connections()
                .filters(vpc_filter(side, vpc)),
            "ec2:DescribeVpcPeeringConnections"
        );
        let sides = |p: &&aws_sdk_ec2::types::VpcPeeringConnection| {
            [p.requester_vpc_info(), p.accepter_vpc_info()]
                .iter()
                .any(|i| i.and_then(|i| i.vpc_id()) == Some(vpc))
        };
        for p in peerings
            .iter()
            .filter(|p| sides(p) && ec2::vpc_peering_connection::is_live(p))
        {
            let id = p.vpc_peering_connection_id().unwrap_or_default();
            found.insert(("ec2.vpc_peering_connection", id.to_string()));
        }
    }
    let attachments = all!(
        cx,
        ec2.describe_transit_gateway_vpc_attachments()
            .filters(vpc_filter("vpc-id", vpc)),
        "ec2:DescribeTransitGatewayVpcAttachments"
    );
    let live_attachment = ec2::transit_gateway_vpc_attachment::is_live;
    for a in attachments
        .iter()
        .filter(|a| a.vpc_id() == Some(vpc) && live_attachment(a))
    {
        let id = a.transit_gateway_attachment_id().unwrap_or_default();
        found.insert(("ec2.transit_gateway_vpc_attachment", id.to_string()));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_their_kinds() {
        assert_eq!(kind_of_id("subnet-0abc1234").ok(), Some("ec2.subnet"));
        assert_eq!(
            kind_of_id("tgw-attach-0abc1234").ok(),
            Some("ec2.transit_gateway_vpc_attachment")
        );
        assert_eq!(kind_of_id("tgw-0abc1234").ok(), Some("ec2.transit_gateway"));
        assert_eq!(kind_of_id("eipalloc-0abc1234").ok(), Some("ec2.eip"));
        let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
        assert_eq!(kind_of_id(lb).ok(), Some("elbv2.load_balancer"));
        assert_eq!(kind_of_id("arn:aws:s3:::my-bucket").ok(), Some("s3.bucket"));
        assert!(kind_of_id("i-0abc1234").is_err());
    }
}
