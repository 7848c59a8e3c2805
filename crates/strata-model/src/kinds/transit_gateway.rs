//! `ec2.transit_gateway`: a transit gateway (`aws ec2 create-transit-gateway`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Policy, AttrDef, FieldDef, KindInfo, KindSpec, default_true};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::Tags;

pub static INFO: KindInfo = KindInfo {
    name: "ec2.transit_gateway",
    summary: "A transit gateway: a regional router between VPCs and networks (CreateTransitGateway).",
    fields: &[
        FieldDef::in_place("description").unset_when_omitted(),
        FieldDef::replace("amazon_side_asn"),
        FieldDef::in_place("default_route_table_association"),
        FieldDef::in_place("default_route_table_propagation"),
        FieldDef::in_place("dns_support"),
        FieldDef::in_place("auto_accept_shared_attachments"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The transit gateway's ARN.",
        },
        AttrDef {
            name: "owner_id",
            doc: "The AWS account that owns it.",
        },
        AttrDef {
            name: "association_default_route_table_id",
            doc: "The default association route table, if AWS made one.",
        },
        AttrDef {
            name: "propagation_default_route_table_id",
            doc: "The default propagation route table, if AWS made one.",
        },
    ],
    deferred: &[],
    policy: Policy::DEFAULT,
};

fn default_asn() -> Spanned<u32> {
    Spanned::new(Default::default(), 64512)
}

/// A transit gateway. strata waits until it is `available` after creating it, and until it is
/// `deleted` after deleting it (after its attachments are gone).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitGatewaySpec {
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The BGP ASN on the AWS side: 64512-65534 or 4200000000-4294967294. Default 64512.
    /// Changing it replaces the gateway.
    #[serde(default = "default_asn")]
    #[schemars(default = "default_asn_value")]
    pub amazon_side_asn: Spanned<u32>,
    /// Associate new attachments with the default route table AWS makes. Default `true`; set it
    /// to `false` to use your own `ec2.transit_gateway_route_table` associations.
    #[serde(default = "default_true")]
    pub default_route_table_association: bool,
    /// Propagate new attachments' routes into the default route table. Default `true`.
    #[serde(default = "default_true")]
    pub default_route_table_propagation: bool,
    /// DNS resolution across attached VPCs. Default `true`.
    #[serde(default = "default_true")]
    pub dns_support: bool,
    /// Accept attachments shared from other accounts without asking. Default `false`.
    #[serde(default)]
    pub auto_accept_shared_attachments: bool,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

fn default_asn_value() -> u32 {
    64512
}

impl KindSpec for TransitGatewaySpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (_, t) in stack.of_kind::<TransitGatewaySpec>() {
            let asn = t.amazon_side_asn.value;
            if !((64512..=65534).contains(&asn) || (4_200_000_000..=4_294_967_294).contains(&asn)) {
                diags.push(
                    Diagnostic::error("strata::invalid_value", format!("ASN {asn} is not a private ASN"))
                        .at(t.amazon_side_asn.span, "out of range")
                        .help("use 64512-65534 or 4200000000-4294967294"),
                );
            }
        }
    }
}
