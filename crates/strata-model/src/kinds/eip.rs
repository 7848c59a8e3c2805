//! `ec2.eip`: an Elastic IP address (`aws ec2 allocate-address --domain vpc`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Policy, AttrDef, FieldDef, KindInfo, KindSpec};
use crate::types::Tags;

pub static INFO: KindInfo = KindInfo {
    name: "ec2.eip",
    summary: "An Elastic IP address (AllocateAddress).",
    fields: &[
        FieldDef::replace("domain"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "public_ip",
            doc: "The public IPv4 address.",
        },
        AttrDef {
            name: "allocation_id",
            doc: "The allocation id (the same as `id`).",
        },
    ],
    deferred: &[],
    policy: Policy::DEFAULT,
};

/// Where the address is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// For use in a VPC.
    #[default]
    Vpc,
    /// EC2-Classic (retired by AWS); kept so existing addresses can be described.
    Standard,
}

/// An Elastic IP address. It is released when deleted; a NAT gateway's address is released
/// only after the NAT gateway is gone.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EipSpec {
    /// `vpc` (the default). Changing it replaces the address.
    #[serde(default)]
    pub domain: Domain,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for EipSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}
