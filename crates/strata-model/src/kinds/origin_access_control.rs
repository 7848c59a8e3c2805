//! `cloudfront.origin_access_control`: how a distribution signs its requests to an S3 origin
//! (`aws cloudfront create-origin-access-control`), so that the bucket can stay private. AWS's
//! recommended successor of the origin access identity.
//!
//! Its id is AWS's (`E2QWRUHAPOMQZL`). Everything changes in place (with the ETag it was read
//! at). An origin access control has no tags: strata keeps its ownership marks at the end of
//! its description (`… [strata stack=… name=… lineage=…]`), as Terraform writes "Managed by
//! Terraform" there, and compares only the documents' part.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FieldDef, KindInfo, KindSpec, NameRule, Policy};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;

pub static INFO: KindInfo = KindInfo {
    name: "cloudfront.origin_access_control",
    summary: "How CloudFront signs its requests to a private S3 origin (CreateOriginAccessControl).",
    fields: &[
        FieldDef::in_place("name").unique(),
        FieldDef::in_place("description"),
        FieldDef::in_place("origin_type"),
        FieldDef::in_place("signing_behavior"),
    ],
    computed: &[],
    deferred: &[],
    policy: Policy {
        // ListOriginAccessControls answers every field: one paginated call reads them all.
        id_chunk: 1000,
        ..Policy::DEFAULT
    },
};

/// An origin access control's name: 64 characters at most.
const NAME: NameRule = NameRule {
    what: "origin access control",
    max: 64,
    valid: |n| !n.chars().any(char::is_control),
    allowed: "printable characters",
};

/// The kind of origin the requests are signed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OriginType {
    S3,
    Mediastore,
    Mediapackagev2,
    Lambda,
}

/// When CloudFront signs its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SigningBehavior {
    /// Sign every request (the default, and what a private bucket needs).
    Always,
    /// Never sign.
    Never,
    /// Sign unless the viewer's request carries its own `Authorization` header.
    NoOverride,
}

fn s3() -> OriginType {
    OriginType::S3
}

fn always() -> SigningBehavior {
    SigningBehavior::Always
}

/// An origin access control. Requests are signed with SigV4.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OriginAccessControlSpec {
    /// Its name, unique in the account (64 characters at most).
    pub name: Spanned<String>,
    /// A description (strata adds its ownership marks after it).
    #[serde(default)]
    pub description: String,
    /// The origin's kind: `s3` (the default), `mediastore`, `mediapackagev2` or `lambda`.
    #[serde(default = "s3")]
    pub origin_type: OriginType,
    /// `always` (the default), `never` or `no-override`.
    #[serde(default = "always")]
    pub signing_behavior: SigningBehavior,
}

/// Room left in AWS's 256 characters of description for the documents' part, after strata's
/// ownership marks.
pub const DESCRIPTION_MAX: usize = 100;

impl KindSpec for OriginAccessControlSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, o) in stack.of_kind::<OriginAccessControlSpec>() {
            super::check_name_or_prefix(r.name_span, Some(&o.name), None, NAME, diags);
            if o.description.chars().count() > DESCRIPTION_MAX {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        "the description of an origin access control is too long",
                    )
                    .at(r.name_span, "description too long")
                    .help(format!(
                        "keep it to {DESCRIPTION_MAX} characters: strata keeps its ownership \
                         marks in the rest of AWS's 256"
                    )),
                );
            }
        }
    }
}
