//! `ec2.subnet`: a subnet of a VPC (`aws ec2 create-subnet`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::vpc::{VpcSpec, check_prefix};
use super::{Policy, AttrDef, FieldDef, KindInfo, KindSpec, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::regions::Zone;
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ipv4Cidr, Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ec2.subnet",
    summary: "A range of a VPC's addresses in one availability zone (CreateSubnet).",
    fields: &[
        FieldDef::replace("vpc").unique(),
        FieldDef::replace("cidr_block").unique(),
        FieldDef::replace("availability_zone").kept_when_omitted(),
        FieldDef::replace("availability_zone_id").kept_when_omitted(),
        FieldDef::in_place("map_public_ip_on_launch"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The subnet's ARN.",
        },
        AttrDef {
            name: "owner_id",
            doc: "The AWS account that owns the subnet.",
        },
    ],
    deferred: &[],
    policy: Policy::DEFAULT,
};

/// A subnet.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetSpec {
    /// The VPC: the logical name of an `ec2.vpc` in this stack. Changing it replaces the subnet.
    pub vpc: Ref,
    /// The IPv4 CIDR block, /16 to /28, inside one of the VPC's blocks and overlapping no other
    /// subnet of the VPC. Changing it replaces the subnet.
    pub cidr_block: Spanned<Ipv4Cidr>,
    /// The availability zone by name, e.g. `us-east-1a`. Names map to different zones in
    /// different accounts; `availability_zone_id` does not. Omit both to let AWS choose.
    /// Changing it replaces the subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<Spanned<String>>,
    /// The availability zone by ID, e.g. `use1-az1`, the same zone in every account.
    /// Changing it replaces the subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_id: Option<Spanned<String>>,
    /// Whether instances launched here get a public IPv4 address. Default `false`.
    #[serde(default)]
    pub map_public_ip_on_launch: bool,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for SubnetSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        vec![TypedRef::hard("vpc", &self.vpc, &["ec2.vpc"])]
    }

    fn zones(&self) -> Vec<Zone<'_>> {
        let names = self.availability_zone.iter().map(Zone::Name);
        names
            .chain(self.availability_zone_id.iter().map(Zone::Id))
            .collect()
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        let subnets: Vec<_> = stack.of_kind::<SubnetSpec>().collect();
        for (i, (_, subnet)) in subnets.iter().enumerate() {
            check_prefix(&subnet.cidr_block, "the subnet CIDR block", diags);
            if let (Some(name), Some(id)) = (&subnet.availability_zone, &subnet.availability_zone_id)
            {
                diags.push(
                    Diagnostic::error(
                        "strata::conflicting_fields",
                        "give `availability_zone` or `availability_zone_id`, not both",
                    )
                    .at(id.span, "zone ID given here")
                    .also(name.span, "zone name given here")
                    .help("keep `availability_zone_id`: it names the same zone in every account"),
                );
            }
            let Some(vpc) = stack.spec::<VpcSpec>(subnet.vpc.name()) else {
                continue;
            };
            let blocks: Vec<&Spanned<Ipv4Cidr>> = std::iter::once(&vpc.cidr_block)
                .chain(vpc.secondary_cidr_blocks.iter())
                .collect();
            if !blocks.iter().any(|b| b.value.contains(&subnet.cidr_block.value)) {
                let list: Vec<String> = blocks.iter().map(|b| b.value.to_string()).collect();
                diags.push(
                    Diagnostic::error(
                        "strata::subnet_outside_vpc",
                        format!(
                            "subnet `{}` is outside every CIDR block of VPC `{}` ({})",
                            subnet.cidr_block.value,
                            subnet.vpc.name(),
                            list.join(", ")
                        ),
                    )
                    .at(subnet.cidr_block.span, "not inside the VPC")
                    .also(vpc.cidr_block.span, "the VPC's block")
                    .help("choose a block inside the VPC's range, or add a secondary CIDR block to the VPC"),
                );
            }
            for (_, other) in &subnets[..i] {
                if other.vpc.name() == subnet.vpc.name()
                    && other.cidr_block.value.overlaps(&subnet.cidr_block.value)
                {
                    diags.push(
                        Diagnostic::error(
                            "strata::overlapping_subnets",
                            format!(
                                "subnet `{}` overlaps subnet `{}` in VPC `{}`",
                                subnet.cidr_block.value,
                                other.cidr_block.value,
                                subnet.vpc.name()
                            ),
                        )
                        .at(subnet.cidr_block.span, "overlaps")
                        .also(other.cidr_block.span, "this subnet")
                        .help("subnets of one VPC must not share addresses"),
                    );
                }
            }
        }
    }
}
