//! `ec2.vpc_peering_connection`: a VPC peering connection, requested and accepted by strata
//! (`aws ec2 create-vpc-peering-connection`, `accept-vpc-peering-connection`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::vpc::VpcSpec;
use super::{Policy, AttrDef, FieldDef, KindInfo, KindSpec, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ipv4Cidr, Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ec2.vpc_peering_connection",
    summary: "A peering connection between two VPCs, requested and accepted (CreateVpcPeeringConnection).",
    fields: &[
        FieldDef::replace("vpc").unique(),
        FieldDef::replace("peer_vpc").unique(),
        FieldDef::replace("peer_region").unset_when_omitted(),
        FieldDef::in_place("requester_options"),
        FieldDef::in_place("accepter_options"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[AttrDef {
        name: "status",
        doc: "The connection's status, `active` once accepted.",
    }],
    deferred: &[],
    policy: Policy {
        desired: Some(normalize),
        ..Policy::DEFAULT
    },
};

/// A peer in the stack's own region is written without `peer_region`.
fn normalize(attrs: &mut serde_json::Map<String, Value>, region: &str) {
    if attrs.get("peer_region").and_then(Value::as_str) == Some(region) {
        attrs.remove("peer_region");
    }
}

/// Options of one side of the connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeeringOptions {
    /// Let this side resolve the other VPC's private DNS names (for its public host names).
    #[serde(default)]
    pub allow_dns_resolution_from_remote_vpc: bool,
}

/// A VPC peering connection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcPeeringConnectionSpec {
    /// The requester VPC. Changing it replaces the connection.
    pub vpc: Ref,
    /// The accepter VPC: an `ec2.vpc` of this stack, or the id of a VPC elsewhere (with
    /// `peer_region` when it is in another region). Changing it replaces the connection.
    pub peer_vpc: Ref,
    /// The accepter VPC's region, when it is not the stack's; strata accepts the request there.
    /// Changing it replaces the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_region: Option<Spanned<String>>,
    /// The requester side's options.
    #[serde(default)]
    pub requester_options: PeeringOptions,
    /// The accepter side's options.
    #[serde(default)]
    pub accepter_options: PeeringOptions,
    /// Tags, besides the stack's `default_tags` (on the requester side).
    #[serde(default)]
    pub tags: Tags,
}

fn blocks(vpc: &VpcSpec) -> Vec<&Spanned<Ipv4Cidr>> {
    std::iter::once(&vpc.cidr_block)
        .chain(vpc.secondary_cidr_blocks.iter())
        .collect()
}

impl KindSpec for VpcPeeringConnectionSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        vec![
            TypedRef::hard("vpc", &self.vpc, &["ec2.vpc"]),
            TypedRef::hard("peer_vpc", &self.peer_vpc, &["ec2.vpc"]),
        ]
    }

    fn regions(&self) -> Vec<&Spanned<String>> {
        self.peer_region.iter().collect()
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (_, p) in stack.of_kind::<VpcPeeringConnectionSpec>() {
            if p.vpc.name() == p.peer_vpc.name() {
                diags.push(
                    Diagnostic::error("strata::invalid_value", "a VPC cannot peer with itself")
                        .at(p.peer_vpc.0.span, "the same VPC as `vpc`")
                        .help("name the other VPC in `peer_vpc`"),
                );
                continue;
            }
            let (Some(a), Some(b)) = (
                stack.spec::<VpcSpec>(p.vpc.name()),
                stack.spec::<VpcSpec>(p.peer_vpc.name()),
            ) else {
                continue;
            };
            for x in blocks(a) {
                for y in blocks(b) {
                    if x.value.overlaps(&y.value) {
                        diags.push(
                            Diagnostic::error(
                                "strata::overlapping_cidr",
                                format!(
                                    "VPCs `{}` and `{}` cannot peer: {} overlaps {}",
                                    p.vpc.name(),
                                    p.peer_vpc.name(),
                                    x.value,
                                    y.value
                                ),
                            )
                            .at(p.peer_vpc.0.span, "peered here")
                            .also(x.span, "this block")
                            .also(y.span, "overlaps this one")
                            .help("peered VPCs need disjoint address ranges; renumber one of them"),
                        );
                    }
                }
            }
        }
    }
}
