//! `s3.bucket`: an S3 bucket (`aws s3api create-bucket`) with its versioning, default
//! encryption, public access block and tags.
//!
//! Its id is its name. A bucket named with `name_prefix` gets the prefix and 8 characters
//! derived from its create's journaled idempotency token, so a create repeated after a crash
//! makes the same name, never a second bucket. Outside us-east-1 the bucket is created with
//! the region as its location constraint.
//!
//! `force_destroy` is strata's own setting, not AWS's: a bucket that still holds objects is
//! deleted only with it on (strata deletes every object version and delete marker first);
//! without it the delete stops and says how many objects the bucket holds. Like every field,
//! it takes effect once applied.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, NameRule, Policy, check_name_or_prefix,
};
use crate::diag::Diagnostics;
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::Tags;

pub static INFO: KindInfo = KindInfo {
    name: "s3.bucket",
    summary: "An S3 bucket with its versioning, default encryption and public access block (CreateBucket).",
    fields: &[
        FieldDef::replace("name").unique().kept_when_omitted(),
        FieldDef::replace("name_prefix").unset_when_omitted(),
        FieldDef::in_place("versioning"),
        FieldDef::in_place("kms_key").unset_when_omitted(),
        FieldDef::in_place("public_access_block"),
        FieldDef::in_place("force_destroy").local(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "`arn:aws:s3:::NAME`, as bucket policies name it.",
        },
        AttrDef {
            name: "regional_domain_name",
            doc: "`NAME.s3.REGION.amazonaws.com`, as a CloudFront origin names it.",
        },
    ],
    deferred: &[],
    policy: Policy {
        name_prefix: Some(NamePrefix {
            name: "name",
            prefix: "name_prefix",
        }),
        // Bucket settings are read per bucket.
        id_chunk: 1,
        ..Policy::DEFAULT
    },
};

/// A bucket's name: 3 to 63 lower-case letters, digits, hyphens and dots, starting and ending
/// with a letter or digit.
const NAME: NameRule = NameRule {
    what: "bucket",
    max: 63,
    valid: |n| {
        n.len() >= 3
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && n.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && !n.contains("..")
    },
    allowed: "lower-case letters, digits, hyphens and dots, starting with a letter or digit",
};

/// S3's four public access blocks; each is on unless the documents turn it off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicAccessBlock {
    /// Refuse requests that set public ACLs (default on).
    #[serde(default = "super::default_true")]
    pub block_public_acls: bool,
    /// Ignore public ACLs already set (default on).
    #[serde(default = "super::default_true")]
    pub ignore_public_acls: bool,
    /// Refuse bucket policies that grant public access (default on).
    #[serde(default = "super::default_true")]
    pub block_public_policy: bool,
    /// Serve only AWS principals and the account when the policy is public (default on).
    #[serde(default = "super::default_true")]
    pub restrict_public_buckets: bool,
}

impl Default for PublicAccessBlock {
    fn default() -> Self {
        PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        }
    }
}

/// A bucket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketSpec {
    /// Its name, unique across all of AWS. Changing it replaces the bucket. Give this or
    /// `name_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Instead of `name`: the name's start (55 characters at most), to which strata adds 8 of
    /// its own, chosen once and journaled (the cookbook's random suffix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<Spanned<String>>,
    /// Keep every version of every object (default off). Once on, turning it off suspends
    /// versioning: the versions kept stay.
    #[serde(default)]
    pub versioning: bool,
    /// Encrypt new objects with this KMS key (an ARN or alias); left out, with S3's own keys
    /// (SSE-S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    /// The public access block (every block on unless turned off here).
    #[serde(default)]
    pub public_access_block: PublicAccessBlock,
    /// Delete every object version and delete marker before deleting the bucket (default off:
    /// the delete of a bucket that holds objects stops and says how many). For labs. Takes
    /// effect once applied.
    #[serde(default)]
    pub force_destroy: bool,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for BucketSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, b) in stack.of_kind::<BucketSpec>() {
            check_name_or_prefix(
                r.name_span,
                b.name.as_ref(),
                b.name_prefix.as_ref(),
                NAME,
                diags,
            );
        }
    }
}
