//! `ec2.transit_gateway_vpc_attachment`: a VPC attached to a transit gateway
//! (`aws ec2 create-transit-gateway-vpc-attachment`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::subnet::SubnetSpec;
use super::{Policy, FieldDef, KindInfo, KindSpec, TypedRef, default_true, names_vpc};
use crate::diag::{Diagnostic, Diagnostics};
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ec2.transit_gateway_vpc_attachment",
    summary: "A VPC's attachment to a transit gateway, through one subnet per zone (CreateTransitGatewayVpcAttachment).",
    fields: &[
        FieldDef::replace("transit_gateway").unique(),
        FieldDef::replace("vpc").unique(),
        FieldDef::in_place("subnets").set(),
        FieldDef::in_place("dns_support"),
        FieldDef::in_place("ipv6_support"),
        FieldDef::in_place("appliance_mode_support"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[],
    deferred: &[],
    policy: Policy::DEFAULT,
};

/// A transit gateway VPC attachment. strata waits until it is `available` after creating it,
/// and until it is `deleted` after deleting it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitGatewayVpcAttachmentSpec {
    /// The transit gateway. Changing it replaces the attachment.
    pub transit_gateway: Ref,
    /// The VPC. Changing it replaces the attachment.
    pub vpc: Ref,
    /// The subnets the gateway uses in the VPC, at most one per availability zone (dedicated
    /// small subnets are the usual choice). Added and removed in place.
    pub subnets: Vec<Ref>,
    /// DNS resolution through the gateway. Default `true`.
    #[serde(default = "default_true")]
    pub dns_support: bool,
    /// IPv6 through the gateway. Default `false`.
    #[serde(default)]
    pub ipv6_support: bool,
    /// Keep a flow on one zone's network interface (for appliances). Default `false`.
    #[serde(default)]
    pub appliance_mode_support: bool,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for TransitGatewayVpcAttachmentSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v = vec![
            TypedRef::hard("transit_gateway", &self.transit_gateway, &["ec2.transit_gateway"]),
            TypedRef::hard("vpc", &self.vpc, &["ec2.vpc"]),
        ];
        v.extend(self.subnets.iter().map(|s| TypedRef::hard("subnets", s, &["ec2.subnet"])));
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, a) in stack.of_kind::<TransitGatewayVpcAttachmentSpec>() {
            if a.subnets.is_empty() {
                diags.push(
                    Diagnostic::error("strata::missing_field", "an attachment needs at least one subnet")
                        .at(r.name_span, "no subnets")
                        .help("list one subnet per availability zone under `subnets:`"),
                );
            }
            let mut zones: Vec<(&str, &Ref)> = Vec::new();
            for s in &a.subnets {
                let Some(subnet) = stack.spec::<SubnetSpec>(s.name()) else { continue };
                if subnet.vpc.name() != a.vpc.name()
                    && names_vpc(stack, &subnet.vpc)
                    && names_vpc(stack, &a.vpc)
                {
                    diags.push(
                        Diagnostic::error(
                            "strata::wrong_vpc",
                            format!("subnet `{}` is not in VPC `{}`", s.name(), a.vpc.name()),
                        )
                        .at(s.0.span, "other VPC")
                        .help("an attachment uses subnets of its own VPC"),
                    );
                }
                let zone = subnet
                    .availability_zone
                    .as_ref()
                    .or(subnet.availability_zone_id.as_ref())
                    .map(|z| z.value.as_str());
                if let Some(z) = zone {
                    if let Some((_, first)) = zones.iter().find(|(x, _)| *x == z) {
                        diags.push(
                            Diagnostic::error(
                                "strata::duplicate_zone",
                                format!("two subnets of the attachment are in {z}"),
                            )
                            .at(s.0.span, "second subnet in this zone")
                            .also(first.0.span, "first one")
                            .help("an attachment takes one subnet per availability zone"),
                        );
                    } else {
                        zones.push((z, s));
                    }
                }
            }
        }
    }
}
