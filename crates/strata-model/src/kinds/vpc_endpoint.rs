//! `ec2.vpc_endpoint`: a gateway or interface VPC endpoint (`aws ec2 create-vpc-endpoint`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Policy, AttrDef, FieldDef, KindInfo, KindSpec, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ec2.vpc_endpoint",
    summary: "A VPC endpoint: gateway (S3, DynamoDB; route-based) or interface (PrivateLink) (CreateVpcEndpoint).",
    fields: &[
        FieldDef::replace("vpc"),
        FieldDef::replace("service"),
        FieldDef::replace("type"),
        FieldDef::in_place("route_tables").set(),
        FieldDef::in_place("subnets").set(),
        FieldDef::in_place("security_groups").set().kept_when_omitted(),
        FieldDef::in_place("private_dns_enabled").kept_when_omitted(),
        FieldDef::in_place("policy").kept_when_omitted(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "prefix_list_id",
            doc: "For gateway endpoints, the AWS-managed prefix list of the service.",
        },
        AttrDef {
            name: "network_interface_ids",
            doc: "For interface endpoints, the network interfaces in the subnets.",
        },
    ],
    deferred: &[],
    policy: Policy {
        desired: Some(normalize),
        compare: &[("policy", canon_policy)],
        ..Policy::DEFAULT
    },
};

/// `s3` means `com.amazonaws.REGION.s3`: the full name is what AWS reports.
/// A policy document in one form, as IAM reads it: `Statement` as a list, and in each
/// statement the values of `Action`, `NotAction`, `Resource`, `NotResource` (and of each
/// principal type) as sorted lists without repeats (a single value is a list of one; AWS may
/// answer either form). Anything that is not a mapping is kept.
pub fn canon_policy(v: &Value) -> Value {
    const LISTS: [&str; 4] = ["Action", "NotAction", "Resource", "NotResource"];
    fn list(v: &Value) -> Value {
        let mut items = match v {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        items.sort_by_key(Value::to_string);
        items.dedup();
        Value::Array(items)
    }
    fn statement(s: &Value) -> Value {
        let Value::Object(m) = s else {
            return s.clone();
        };
        let mut m = m.clone();
        for k in LISTS {
            if let Some(v) = m.get(k) {
                let l = list(v);
                m.insert(k.to_string(), l);
            }
        }
        for k in ["Principal", "NotPrincipal"] {
            if let Some(Value::Object(p)) = m.get(k) {
                let p: serde_json::Map<String, Value> =
                    p.iter().map(|(t, v)| (t.clone(), list(v))).collect();
                m.insert(k.to_string(), Value::Object(p));
            }
        }
        Value::Object(m)
    }
    let Value::Object(doc) = v else {
        return v.clone();
    };
    let mut doc = doc.clone();
    if let Some(s) = doc.get("Statement") {
        let statements = match s {
            Value::Array(a) => a.iter().map(statement).collect(),
            one => vec![statement(one)],
        };
        doc.insert("Statement".into(), Value::Array(statements));
    }
    Value::Object(doc)
}

fn normalize(attrs: &mut serde_json::Map<String, Value>, region: &str) {
    if let Some(Value::String(s)) = attrs.get_mut("service")
        && !s.contains('.')
        && !s.contains('$')
    {
        *s = format!("com.amazonaws.{region}.{s}");
    }
}

/// Gateway or interface.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndpointType {
    /// Routes to the service from the route tables listed (S3, DynamoDB).
    #[default]
    Gateway,
    /// Network interfaces in the subnets listed (PrivateLink).
    Interface,
}

/// A VPC endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcEndpointSpec {
    /// The VPC. Changing it replaces the endpoint.
    pub vpc: Ref,
    /// The service: its full name (`com.amazonaws.us-east-1.s3`) or the short one (`s3`),
    /// completed with the stack's region. Changing it replaces the endpoint.
    pub service: Spanned<String>,
    /// `gateway` (the default) or `interface`. Changing it replaces the endpoint.
    #[serde(default, rename = "type")]
    pub endpoint_type: EndpointType,
    /// Gateway endpoints: the route tables that get a route to the service. An empty list
    /// (the default) takes the endpoint out of every table.
    #[serde(default)]
    pub route_tables: Vec<Ref>,
    /// Interface endpoints: one subnet per availability zone.
    #[serde(default)]
    pub subnets: Vec<Ref>,
    /// Interface endpoints: the security groups of its network interfaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<Ref>,
    /// Interface endpoints: answer the service's public DNS name with the endpoint's
    /// addresses inside the VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_dns_enabled: Option<bool>,
    /// An endpoint policy (IAM policy document) as a YAML mapping. Omit it for AWS's default
    /// (full access).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Spanned<Value>>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for VpcEndpointSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v = vec![TypedRef::hard("vpc", &self.vpc, &["ec2.vpc"])];
        v.extend(self.route_tables.iter().map(|r| TypedRef::hard("route_tables", r, &["ec2.route_table"])));
        v.extend(self.subnets.iter().map(|r| TypedRef::hard("subnets", r, &["ec2.subnet"])));
        v.extend(
            self.security_groups
                .iter()
                .map(|r| TypedRef::hard("security_groups", r, &["ec2.security_group"])),
        );
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, ep) in stack.of_kind::<VpcEndpointSpec>() {
            let wrong = |field: &str, span, kind: &str| {
                Diagnostic::error(
                    "strata::conflicting_fields",
                    format!("`{field}` is for {kind} endpoints"),
                )
                .at(span, format!("not used by a {} endpoint", if kind == "gateway" { "interface" } else { "gateway" }))
                .help(format!("remove `{field}`, or set `type: {kind}`"))
            };
            match ep.endpoint_type {
                EndpointType::Gateway => {
                    if let Some(s) = ep.subnets.first() {
                        diags.push(wrong("subnets", s.0.span, "interface"));
                    }
                    if let Some(s) = ep.security_groups.first() {
                        diags.push(wrong("security_groups", s.0.span, "interface"));
                    }
                }
                EndpointType::Interface => {
                    if let Some(s) = ep.route_tables.first() {
                        diags.push(wrong("route_tables", s.0.span, "gateway"));
                    }
                    if ep.subnets.is_empty() {
                        diags.push(
                            Diagnostic::error("strata::missing_field", "an interface endpoint needs subnets")
                                .at(r.name_span, "no `subnets`")
                                .help("list one subnet per availability zone under `subnets:`"),
                        );
                    }
                }
            }
            if let Some(p) = &ep.policy
                && !p.value.is_object()
            {
                diags.push(
                    Diagnostic::error("strata::invalid_value", "the policy must be a mapping (an IAM policy document)")
                        .at(p.span, "not a mapping")
                        .help("write the policy as YAML: `policy: {Statement: [...]}`"),
                );
            }
        }
    }
}
