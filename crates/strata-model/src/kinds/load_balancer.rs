//! `elbv2.load_balancer`: an Application Load Balancer (`aws elbv2 create-load-balancer`).
//!
//! Its id is its ARN. AWS makes it `provisioning`, then `active` (minutes); strata waits for
//! `active` unless `apply --no-wait` or `lifecycle.wait: false`. Deleting it waits until it is
//! gone and until its network interfaces have left its subnets and security groups.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::subnet::SubnetSpec;
use super::{
    AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, NameRule, Policy, TypedRef,
    check_name_or_prefix, default_true,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "elbv2.load_balancer",
    summary: "An Application Load Balancer in two or more subnets (CreateLoadBalancer).",
    fields: &[
        FieldDef::replace("name").unique().kept_when_omitted(),
        FieldDef::replace("name_prefix").unset_when_omitted(),
        FieldDef::replace("type"),
        FieldDef::replace("scheme"),
        FieldDef::in_place("subnets").set(),
        FieldDef::in_place("security_groups").set(),
        FieldDef::in_place("ip_address_type"),
        FieldDef::in_place("idle_timeout"),
        FieldDef::in_place("deletion_protection"),
        FieldDef::in_place("http2"),
        FieldDef::in_place("drop_invalid_header_fields"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The load balancer's ARN (also its `id`).",
        },
        AttrDef {
            name: "dns_name",
            doc: "Its DNS name, e.g. `web-123.us-east-1.elb.amazonaws.com`.",
        },
        AttrDef {
            name: "zone_id",
            doc: "The Route 53 hosted zone of its DNS name (for alias records).",
        },
        AttrDef {
            name: "vpc",
            doc: "The VPC of its subnets.",
        },
    ],
    deferred: &[],
    policy: Policy {
        name_prefix: Some(NamePrefix {
            name: "name",
            prefix: "name_prefix",
        }),
        // DescribeLoadBalancers takes at most 20 ARNs.
        id_chunk: 20,
        delete_protection: Some("deletion_protection"),
        ..Policy::DEFAULT
    },
};

/// A load balancer's name: 32 characters at most, letters, digits and hyphens, not starting or
/// ending with a hyphen, not starting with `internal-`.
pub(crate) const NAME: NameRule = NameRule {
    what: "load balancer",
    max: 32,
    valid: valid_name,
    allowed: "letters, digits and hyphens, not starting with a hyphen or `internal-`",
};

fn valid_name(n: &str) -> bool {
    n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !n.starts_with('-')
        && !n.starts_with("internal-")
}

/// The kind of load balancer. Only Application Load Balancers for now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadBalancerType {
    #[default]
    Application,
}

/// Reached from the internet, or only from inside the VPC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Scheme {
    #[default]
    #[serde(rename = "internet-facing")]
    InternetFacing,
    #[serde(rename = "internal")]
    Internal,
}

/// The addresses it answers on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IpAddressType {
    #[default]
    Ipv4,
    Dualstack,
}

/// An Application Load Balancer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerSpec {
    /// Its name, unique in the account and region (32 characters at most: letters, digits,
    /// hyphens). Changing it replaces the load balancer. Give this or `name_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Instead of `name`: the name's start (24 characters at most), to which strata adds 8 of
    /// its own, chosen once for each new copy, so that a replacement can create the new load
    /// balancer before the old one is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<Spanned<String>>,
    /// `application` (the default and, for now, the only one). Changing it replaces the load
    /// balancer.
    #[serde(default, rename = "type")]
    pub lb_type: LoadBalancerType,
    /// `internet-facing` (the default) or `internal`. Changing it replaces the load balancer.
    #[serde(default)]
    pub scheme: Scheme,
    /// Its subnets (`ec2.subnet`s or subnet ids), in at least two availability zones, one per
    /// zone. An internet-facing load balancer needs public subnets.
    pub subnets: Vec<Ref>,
    /// Its security groups (`ec2.security_group`s or group ids).
    #[serde(default)]
    pub security_groups: Vec<Ref>,
    /// `ipv4` (the default) or `dualstack`.
    #[serde(default)]
    pub ip_address_type: IpAddressType,
    /// Seconds a connection may stay idle (1 to 4000; AWS's default 60).
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: Spanned<u32>,
    /// Whether AWS refuses to delete it. strata never turns this off by itself: a plan that
    /// deletes or replaces a protected load balancer says so, and the delete fails until the
    /// documents set it to `false` and that is applied.
    #[serde(default)]
    pub deletion_protection: bool,
    /// Whether HTTP/2 is on (the default).
    #[serde(default = "default_true")]
    pub http2: bool,
    /// Whether requests with header fields that are not valid HTTP are dropped (default off).
    #[serde(default)]
    pub drop_invalid_header_fields: bool,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

fn default_idle_timeout() -> Spanned<u32> {
    Spanned::new(Default::default(), 60)
}

impl KindSpec for LoadBalancerSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v: Vec<TypedRef<'_>> = self
            .subnets
            .iter()
            .map(|s| TypedRef::hard("subnets", s, &["ec2.subnet"]))
            .collect();
        v.extend(
            self.security_groups
                .iter()
                .map(|g| TypedRef::hard("security_groups", g, &["ec2.security_group"])),
        );
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, lb) in stack.of_kind::<LoadBalancerSpec>() {
            check_name_or_prefix(
                r.name_span,
                lb.name.as_ref(),
                lb.name_prefix.as_ref(),
                NAME,
                diags,
            );
            let idle = lb.idle_timeout.value;
            if !(1..=4000).contains(&idle) {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!("an idle timeout of {idle} seconds is out of range"),
                    )
                    .at(lb.idle_timeout.span, "out of range")
                    .help("give 1 to 4000 seconds (AWS's default is 60)"),
                );
            }
            check_zones(stack, r.name_span, lb, diags);
        }
    }
}

/// At least two subnets, in as many availability zones, where the subnets' zones are known
/// (subnets of this stack that name their zone).
fn check_zones(
    stack: &Stack,
    resource: crate::source::Span,
    lb: &LoadBalancerSpec,
    diags: &mut Diagnostics,
) {
    if lb.subnets.len() < 2 {
        let at = lb.subnets.first().map_or(resource, |s| s.0.span);
        diags.push(
            Diagnostic::error(
                "strata::too_few_subnets",
                "an Application Load Balancer needs subnets in at least two availability zones",
            )
            .at(at, "one subnet")
            .help("list a second subnet, in another availability zone"),
        );
        return;
    }
    let mut seen: Vec<(&str, &Ref)> = Vec::new();
    for s in &lb.subnets {
        let Some(zone) = stack
            .spec::<SubnetSpec>(s.name())
            .and_then(|sub| sub.availability_zone.as_ref())
        else {
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(z, _)| *z == zone.value) {
            diags.push(
                Diagnostic::error(
                    "strata::same_zone",
                    format!(
                        "subnets `{}` and `{}` are both in {}: a load balancer takes one subnet per availability zone",
                        first.name(),
                        s.name(),
                        zone.value
                    ),
                )
                .at(s.0.span, "same zone")
                .also(first.0.span, "first subnet in that zone")
                .help("list one subnet per availability zone, in at least two zones"),
            );
        } else {
            seen.push((&zone.value, s));
        }
    }
}
