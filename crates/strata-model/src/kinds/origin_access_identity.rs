//! `cloudfront.origin_access_identity`: the identity a distribution reads a private S3 bucket
//! as (`aws cloudfront create-cloud-front-origin-access-identity`), the cookbook 1.12 recipe's
//! form. AWS now recommends an origin access control (`cloudfront.origin_access_control`).
//!
//! Its id is AWS's (`E2QWRUHAPOMQZL`). Only the comment changes (in place, with the ETag it was
//! read at). The create's `CallerReference` carries strata's journaled token and ownership
//! marks: a create repeated after a crash answers the same identity, never a second one, and an
//! identity has no tags to find it by otherwise.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AttrDef, FieldDef, KindInfo, KindSpec, Policy};
use crate::diag::{Diagnostic, Diagnostics};
use crate::stack::Stack;

pub static INFO: KindInfo = KindInfo {
    name: "cloudfront.origin_access_identity",
    summary: "The identity a CloudFront distribution reads a private S3 bucket as (CreateCloudFrontOriginAccessIdentity).",
    fields: &[FieldDef::in_place("comment")],
    computed: &[
        AttrDef {
            name: "iam_arn",
            doc: "`arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ID`, as a bucket policy's `Principal: {AWS: …}` names it.",
        },
        AttrDef {
            name: "s3_canonical_user_id",
            doc: "Its S3 canonical user id, for a bucket policy's `Principal: {CanonicalUser: …}`.",
        },
    ],
    deferred: &[],
    policy: Policy {
        // ListCloudFrontOriginAccessIdentities answers them all.
        id_chunk: 1000,
        ..Policy::DEFAULT
    },
};

/// AWS's limit on the comment.
const COMMENT_MAX: usize = 128;

/// An origin access identity.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OriginAccessIdentitySpec {
    /// A comment (128 characters at most), e.g. the recipe's `AWSCookbook OAI`.
    #[serde(default)]
    pub comment: String,
}

impl KindSpec for OriginAccessIdentitySpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, o) in stack.of_kind::<OriginAccessIdentitySpec>() {
            if o.comment.chars().count() > COMMENT_MAX {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        "the comment of an origin access identity is too long",
                    )
                    .at(r.name_span, "comment too long")
                    .help(format!("keep it to {COMMENT_MAX} characters")),
                );
            }
        }
    }
}
