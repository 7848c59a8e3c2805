//! `ec2.vpc`: an Amazon VPC (`aws ec2 create-vpc`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Policy, AttrDef, FieldDef, KindInfo, KindSpec, default_true};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ipv4Cidr, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ec2.vpc",
    summary: "A virtual private cloud: an isolated IPv4 network (CreateVpc).",
    fields: &[
        FieldDef::replace("cidr_block"),
        FieldDef::in_place("secondary_cidr_blocks").set(),
        FieldDef::in_place("enable_dns_support"),
        FieldDef::in_place("enable_dns_hostnames"),
        FieldDef::replace("instance_tenancy"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The VPC's ARN.",
        },
        AttrDef {
            name: "owner_id",
            doc: "The AWS account that owns the VPC.",
        },
    ],
    deferred: &[],
    policy: Policy::DEFAULT,
};

/// Instance tenancy of a VPC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tenancy {
    /// Instances run on shared hardware unless launched otherwise.
    #[default]
    Default,
    /// Every instance runs on single-tenant hardware.
    Dedicated,
}

/// An Amazon VPC.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcSpec {
    /// The primary IPv4 CIDR block, from /16 to /28. AWS cannot change it: changing it replaces
    /// the VPC (and everything in it).
    pub cidr_block: Spanned<Ipv4Cidr>,
    /// More IPv4 CIDR blocks (AssociateVpcCidrBlock), added and removed in place. AWS allows
    /// 5 blocks per VPC in all by default.
    #[serde(default)]
    pub secondary_cidr_blocks: Vec<Spanned<Ipv4Cidr>>,
    /// Whether the Amazon-provided DNS server resolves names in the VPC. Default `true`.
    #[serde(default = "spanned_true")]
    #[schemars(default = "default_true")]
    pub enable_dns_support: Spanned<bool>,
    /// Whether instances with public IP addresses get public DNS host names. Needs
    /// `enable_dns_support`. Default `false`.
    #[serde(default)]
    pub enable_dns_hostnames: Spanned<bool>,
    /// `default` or `dedicated`. Changing it replaces the VPC.
    #[serde(default)]
    pub instance_tenancy: Tenancy,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

fn spanned_true() -> Spanned<bool> {
    Spanned::new(Default::default(), default_true())
}

/// The block sizes AWS accepts for VPC and subnet CIDR blocks.
pub(crate) fn check_prefix(cidr: &Spanned<Ipv4Cidr>, what: &str, diags: &mut Diagnostics) {
    let len = cidr.value.net().prefix_len();
    if !(16..=28).contains(&len) {
        diags.push(
            Diagnostic::error(
                "strata::invalid_cidr",
                format!("{what} `{}` is a /{len}; AWS accepts /16 to /28", cidr.value),
            )
            .at(cidr.span, format!("/{len} is out of range"))
            .help("use a prefix length from 16 (65,536 addresses) to 28 (16 addresses)"),
        );
    }
}

impl KindSpec for VpcSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (_, vpc) in stack.of_kind::<VpcSpec>() {
            check_prefix(&vpc.cidr_block, "the VPC CIDR block", diags);
            let mut seen: Vec<&Spanned<Ipv4Cidr>> = vec![&vpc.cidr_block];
            for extra in &vpc.secondary_cidr_blocks {
                check_prefix(extra, "the secondary CIDR block", diags);
                if let Some(other) = seen.iter().find(|c| c.value.overlaps(&extra.value)) {
                    diags.push(
                        Diagnostic::error(
                            "strata::overlapping_cidr",
                            format!(
                                "CIDR block `{}` overlaps `{}` of the same VPC",
                                extra.value, other.value
                            ),
                        )
                        .at(extra.span, "overlaps")
                        .also(other.span, "this block")
                        .help("the blocks of one VPC must not overlap; pick a disjoint range"),
                    );
                }
                seen.push(extra);
            }
            if vpc.enable_dns_hostnames.value && !vpc.enable_dns_support.value {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        "`enable_dns_hostnames` needs `enable_dns_support: true`",
                    )
                    .at(vpc.enable_dns_hostnames.span, "host names need DNS support")
                    .also(vpc.enable_dns_support.span, "DNS support is off here")
                    .help("set `enable_dns_support: true` or `enable_dns_hostnames: false`"),
                );
            }
        }
    }
}
