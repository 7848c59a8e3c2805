//! `elbv2.target_group`: a target group of a load balancer (`aws elbv2 create-target-group`).
//!
//! Its id is its ARN. Registered targets are not part of the document: ECS services and
//! autoscaling register and deregister them, and strata never compares or changes them.
//!
//! A replacement creates the new group first: the listeners and rules that forward to the old
//! one move to the new one before the old one is deleted (AWS refuses to delete a group in
//! use). Two groups cannot share a name, so a group that may be replaced is named with
//! `name_prefix`; a plan replacing one with a fixed `name` is refused and says so.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, NameRule, Policy, ReplaceOrder, TypedRef,
    check_name_or_prefix,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "elbv2.target_group",
    summary: "A target group for a load balancer's listeners and rules (CreateTargetGroup).",
    fields: &[
        FieldDef::replace("name").unique().kept_when_omitted(),
        FieldDef::replace("name_prefix").unset_when_omitted(),
        FieldDef::replace("protocol"),
        FieldDef::replace("port").unset_when_omitted(),
        FieldDef::replace("vpc").unset_when_omitted(),
        FieldDef::replace("target_type"),
        FieldDef::in_place("health_check"),
        FieldDef::in_place("deregistration_delay"),
        FieldDef::in_place("stickiness"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[AttrDef {
        name: "arn",
        doc: "The target group's ARN (also its `id`).",
    }],
    deferred: &[],
    policy: Policy {
        // A listener or rule forwarding to the group keeps it in use until it forwards to the
        // new copy: the new copy comes first (with a name of its own: `name_prefix`).
        replace: ReplaceOrder::CreateFirst,
        name_prefix: Some(NamePrefix {
            name: "name",
            prefix: "name_prefix",
        }),
        desired: Some(normalize),
        // DescribeTargetGroups takes at most 20 ARNs.
        id_chunk: 20,
        ..Policy::DEFAULT
    },
};

/// A health check without its own protocol uses the group's, as AWS fills it in.
fn normalize(attrs: &mut serde_json::Map<String, serde_json::Value>, _region: &str) {
    let protocol = attrs.get("protocol").cloned();
    if let Some(serde_json::Value::Object(hc)) = attrs.get_mut("health_check")
        && hc.get("protocol").is_none_or(serde_json::Value::is_null)
        && let Some(p) = protocol
    {
        hc.insert("protocol".into(), p);
    }
}

/// A target group's name: 32 characters at most, letters, digits and hyphens, not starting or
/// ending with a hyphen.
const NAME: NameRule = NameRule {
    what: "target group",
    max: 32,
    valid: |n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !n.starts_with('-'),
    allowed: "letters, digits and hyphens, not starting with a hyphen",
};

/// The protocol the load balancer speaks to the targets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Protocol {
    #[default]
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "HTTPS")]
    Https,
}

/// What the group's targets are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetType {
    /// EC2 instances, by instance id (AWS's default).
    #[default]
    Instance,
    /// IP addresses (Fargate tasks, for example).
    Ip,
    /// One Lambda function.
    Lambda,
}

/// How the load balancer checks its targets. Every field has AWS's default for an Application
/// Load Balancer's HTTP target group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// Whether checks are on (for `lambda` targets they may be off; on for the others).
    #[serde(default = "super::default_true")]
    pub enabled: bool,
    /// The path requested, e.g. `/health` (default `/`).
    #[serde(default = "default_path")]
    pub path: String,
    /// The port: `traffic-port` (the default: the port the target receives traffic on) or a
    /// number.
    #[serde(default = "default_port")]
    pub port: String,
    /// `HTTP` or `HTTPS`; by default the group's protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// Seconds between checks (5 to 300, default 30).
    #[serde(default = "default_interval")]
    pub interval: Spanned<u32>,
    /// Seconds without an answer that fail a check (2 to 120, default 5), less than the
    /// interval.
    #[serde(default = "default_timeout")]
    pub timeout: Spanned<u32>,
    /// Checks passed in a row before a target is healthy (2 to 10, default 5).
    #[serde(default = "default_healthy")]
    pub healthy_threshold: u32,
    /// Checks failed in a row before a target is unhealthy (2 to 10, default 2).
    #[serde(default = "default_unhealthy")]
    pub unhealthy_threshold: u32,
    /// HTTP codes that mean healthy: `200`, `200,202` or `200-299` (default `200`).
    #[serde(default = "default_matcher")]
    pub matcher: String,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            enabled: true,
            path: default_path(),
            port: default_port(),
            protocol: None,
            interval: default_interval(),
            timeout: default_timeout(),
            healthy_threshold: default_healthy(),
            unhealthy_threshold: default_unhealthy(),
            matcher: default_matcher(),
        }
    }
}

fn default_path() -> String {
    "/".into()
}
fn default_port() -> String {
    "traffic-port".into()
}
fn default_interval() -> Spanned<u32> {
    Spanned::new(Default::default(), 30)
}
fn default_timeout() -> Spanned<u32> {
    Spanned::new(Default::default(), 5)
}
fn default_healthy() -> u32 {
    5
}
fn default_unhealthy() -> u32 {
    2
}
fn default_matcher() -> String {
    "200".into()
}
fn default_deregistration_delay() -> u32 {
    300
}

/// Sticky sessions: a client keeps reaching the same target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stickiness {
    /// Whether sessions stick (default off).
    #[serde(default)]
    pub enabled: bool,
    /// Seconds a session sticks with the load balancer's cookie (1 to 604800, default 86400).
    #[serde(default = "default_cookie_duration")]
    pub duration: u32,
}

impl Default for Stickiness {
    fn default() -> Self {
        Stickiness {
            enabled: false,
            duration: default_cookie_duration(),
        }
    }
}

fn default_cookie_duration() -> u32 {
    86_400
}

/// A target group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetGroupSpec {
    /// Its name, unique in the account and region (32 characters at most: letters, digits,
    /// hyphens). Changing it replaces the group. Give this or `name_prefix` (which a group that
    /// may be replaced needs: see above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Instead of `name`: the name's start (24 characters at most), to which strata adds 8 of
    /// its own, chosen once for each new copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<Spanned<String>>,
    /// `HTTP` (the default) or `HTTPS`. Changing it replaces the group.
    #[serde(default)]
    pub protocol: Protocol,
    /// The port targets receive traffic on (1 to 65535; not for `lambda`). Changing it
    /// replaces the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Spanned<u32>>,
    /// The VPC of the targets (an `ec2.vpc` or a VPC id; not for `lambda`). Changing it
    /// replaces the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<Ref>,
    /// `instance` (AWS's default), `ip` or `lambda`. Changing it replaces the group.
    #[serde(default)]
    pub target_type: TargetType,
    /// How targets are checked.
    #[serde(default)]
    pub health_check: HealthCheck,
    /// Seconds a deregistering target keeps its connections (0 to 3600, default 300).
    #[serde(default = "default_deregistration_delay")]
    pub deregistration_delay: u32,
    /// Sticky sessions.
    #[serde(default)]
    pub stickiness: Stickiness,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for TargetGroupSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        self.vpc
            .iter()
            .map(|v| TypedRef::hard("vpc", v, &["ec2.vpc"]))
            .collect()
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, tg) in stack.of_kind::<TargetGroupSpec>() {
            check_name_or_prefix(
                r.name_span,
                tg.name.as_ref(),
                tg.name_prefix.as_ref(),
                NAME,
                diags,
            );
            let lambda = tg.target_type == TargetType::Lambda;
            match (&tg.port, &tg.vpc, lambda) {
                (None, _, false) => diags.push(
                    Diagnostic::error("strata::missing_field", "a target group needs a `port`")
                        .at(r.name_span, "no `port`")
                        .help("add the port the targets receive traffic on, e.g. `port: 80`"),
                ),
                (_, None, false) => diags.push(
                    Diagnostic::error("strata::missing_field", "a target group needs a `vpc`")
                        .at(r.name_span, "no `vpc`")
                        .help("add the VPC of its targets: `vpc: main`"),
                ),
                (Some(p), _, true) => diags.push(
                    Diagnostic::error(
                        "strata::conflicting_fields",
                        "a target group of `lambda` targets has no port",
                    )
                    .at(p.span, "not for lambda targets")
                    .help("remove `port` (and `vpc`)"),
                ),
                _ => {}
            }
            if let Some(p) = &tg.port
                && !(1..=65535).contains(&p.value)
            {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!("port {} is out of range", p.value),
                    )
                    .at(p.span, "out of range")
                    .help("give 1 to 65535"),
                );
            }
            let hc = &tg.health_check;
            if hc.timeout.value >= hc.interval.value {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!(
                            "a health check timeout of {} s must be shorter than its interval of {} s",
                            hc.timeout.value, hc.interval.value
                        ),
                    )
                    .at(hc.timeout.span, "not shorter than the interval")
                    .help("lower `timeout` or raise `interval` (AWS's defaults: 5 and 30)"),
                );
            }
        }
    }
}
