//! `ec2.internet_gateway`: an internet gateway and its attachment to a VPC
//! (`aws ec2 create-internet-gateway`, `attach-internet-gateway`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Policy, AttrDef, FieldDef, KindInfo, KindSpec, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ec2.internet_gateway",
    summary: "An internet gateway, attached to a VPC (CreateInternetGateway, AttachInternetGateway).",
    fields: &[
        FieldDef::in_place("vpc").unset_when_omitted(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The internet gateway's ARN.",
        },
        AttrDef {
            name: "owner_id",
            doc: "The AWS account that owns it.",
        },
    ],
    deferred: &[],
    policy: Policy::DEFAULT,
};

/// An internet gateway.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InternetGatewaySpec {
    /// The VPC to attach it to (a VPC has at most one). Changing it detaches the gateway and
    /// attaches it to the new VPC. Omit it to leave the gateway detached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<Ref>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for InternetGatewaySpec {
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
        let gws: Vec<_> = stack.of_kind::<InternetGatewaySpec>().collect();
        for (i, (_, g)) in gws.iter().enumerate() {
            let Some(vpc) = &g.vpc else { continue };
            if let Some((_, other)) = gws[..i]
                .iter()
                .find(|(_, o)| o.vpc.as_ref().is_some_and(|v| v.name() == vpc.name()))
                && let Some(ov) = &other.vpc
            {
                diags.push(
                    Diagnostic::error(
                        "strata::duplicate_attachment",
                        format!("VPC `{}` gets two internet gateways", vpc.name()),
                    )
                    .at(vpc.0.span, "second gateway for this VPC")
                    .also(ov.0.span, "first gateway")
                    .help("a VPC can have one internet gateway attached; remove one"),
                );
            }
        }
    }
}
