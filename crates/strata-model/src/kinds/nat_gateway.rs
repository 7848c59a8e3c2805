//! `ec2.nat_gateway`: a NAT gateway (`aws ec2 create-nat-gateway`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::eip::EipSpec;
use super::internet_gateway::InternetGatewaySpec;
use super::subnet::SubnetSpec;
use super::{Policy, AttrDef, FieldDef, KindInfo, KindSpec, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::Span;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ec2.nat_gateway",
    summary: "A NAT gateway in a subnet, with an Elastic IP when public (CreateNatGateway).",
    fields: &[
        FieldDef::replace("subnet"),
        FieldDef::replace("eip").unset_when_omitted().unique(),
        FieldDef::replace("connectivity_type"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "public_ip",
            doc: "The public IPv4 address (public NAT gateways).",
        },
        AttrDef {
            name: "private_ip",
            doc: "The private IPv4 address in the subnet.",
        },
        AttrDef {
            name: "network_interface_id",
            doc: "The network interface AWS made for it.",
        },
    ],
    deferred: &[],
    policy: Policy::DEFAULT,
};

/// Public NAT gateways reach the internet through an internet gateway; private ones reach
/// other VPCs and networks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    #[default]
    Public,
    Private,
}

/// A NAT gateway. strata waits until it is `available` after creating it, and until it is
/// `deleted` before releasing its Elastic IP.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NatGatewaySpec {
    /// The subnet (for a public NAT gateway, a public subnet: one routed to an internet
    /// gateway). Changing it replaces the NAT gateway.
    pub subnet: Ref,
    /// The Elastic IP (an `ec2.eip`); required for a public NAT gateway, not allowed for a
    /// private one. Changing it replaces the NAT gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip: Option<Ref>,
    /// `public` (the default) or `private`. Changing it replaces the NAT gateway.
    #[serde(default)]
    pub connectivity_type: Connectivity,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for NatGatewaySpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v = vec![TypedRef::hard("subnet", &self.subnet, &["ec2.subnet"])];
        if let Some(e) = &self.eip {
            v.push(TypedRef::hard("eip", e, &["ec2.eip"]));
        }
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        let nats: Vec<_> = stack.of_kind::<NatGatewaySpec>().collect();
        for (i, (r, nat)) in nats.iter().enumerate() {
            match (nat.connectivity_type, &nat.eip) {
                (Connectivity::Public, None) => diags.push(
                    Diagnostic::error(
                        "strata::missing_field",
                        "a public NAT gateway needs an Elastic IP",
                    )
                    .at(r.name_span, "no `eip`")
                    .help("add `eip:` naming an ec2.eip, or set `connectivity_type: private`"),
                ),
                (Connectivity::Private, Some(e)) => diags.push(
                    Diagnostic::error(
                        "strata::conflicting_fields",
                        "a private NAT gateway has no Elastic IP",
                    )
                    .at(e.0.span, "not allowed with `connectivity_type: private`")
                    .help("remove `eip`, or make the NAT gateway public"),
                ),
                _ => {}
            }
            if let Some(e) = &nat.eip
                && let Some((_, other)) = nats[..i]
                    .iter()
                    .find(|(_, o)| o.eip.as_ref().is_some_and(|x| x.name() == e.name()))
                && let Some(oe) = &other.eip
            {
                diags.push(
                    Diagnostic::error(
                        "strata::duplicate_attachment",
                        format!("Elastic IP `{}` is given to two NAT gateways", e.name()),
                    )
                    .at(e.0.span, "used again here")
                    .also(oe.0.span, "first used here")
                    .help("give each NAT gateway its own ec2.eip"),
                );
            }
        }
    }

    /// A public NAT gateway (and its Elastic IP) comes after the internet gateway of its VPC,
    /// and goes before it: AWS will not detach an internet gateway while addresses in the VPC
    /// are mapped.
    fn implicit(stack: &Stack) -> Vec<(String, String, Span)> {
        let mut out = Vec::new();
        for (r, nat) in stack.of_kind::<NatGatewaySpec>() {
            if nat.connectivity_type != Connectivity::Public {
                continue;
            }
            let Some(vpc) = stack.spec::<SubnetSpec>(nat.subnet.name()).map(|s| s.vpc.name()) else {
                continue;
            };
            for (g, igw) in stack.of_kind::<InternetGatewaySpec>() {
                if igw.vpc.as_ref().is_some_and(|v| v.name() == vpc) {
                    out.push((r.name.clone(), g.name.clone(), nat.subnet.0.span));
                    // Only an Elastic IP of this stack: `eip:` naming a resource of another
                    // kind is reported as such, and must not order that resource.
                    if let Some(e) = &nat.eip
                        && stack.spec::<EipSpec>(e.name()).is_some()
                    {
                        out.push((e.name().to_string(), g.name.clone(), e.0.span));
                    }
                }
            }
        }
        out
    }
}
