//! `s3.bucket_policy`: a bucket's policy (`aws s3api put-bucket-policy`), written as a YAML
//! mapping with references (`${site.arn}`, `${cdn.arn}`).
//!
//! Its id is `BUCKET?policy`: a bucket has one policy. It is compared as a JSON document,
//! not as text, so S3's reformatting never shows as a change. A policy has no tags: it is found
//! through its bucket's id only.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{FieldDef, KindInfo, KindSpec, Policy, TypedRef, json_document};
use crate::diag::{Diagnostic, Diagnostics};
use crate::stack::Stack;
use crate::types::Ref;

pub static INFO: KindInfo = KindInfo {
    name: "s3.bucket_policy",
    summary: "The policy of an S3 bucket, as a YAML mapping (PutBucketPolicy).",
    fields: &[
        FieldDef::replace("bucket"),
        FieldDef::in_place("policy"),
    ],
    computed: &[],
    deferred: &[],
    policy: Policy {
        compare: &[("policy", json_document)],
        id_chunk: 1,
        id_from_documents: true,
        ..Policy::DEFAULT
    },
};

/// A bucket policy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketPolicySpec {
    /// Its bucket (an `s3.bucket`). Changing it replaces the policy.
    pub bucket: Ref,
    /// The policy document: `Version` and `Statement`, as in AWS's JSON, written in YAML.
    pub policy: Value,
}

impl KindSpec for BucketPolicySpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        vec![TypedRef::hard("bucket", &self.bucket, &["s3.bucket"])]
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, p) in stack.of_kind::<BucketPolicySpec>() {
            let statements = p.policy.get("Statement");
            if !p.policy.is_object() || statements.is_none() {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        "a bucket policy is a mapping with a `Statement`",
                    )
                    .at(r.name_span, "no `Statement`")
                    .help("write `policy: {Version: \"2012-10-17\", Statement: [...]}`"),
                );
            }
        }
    }
}
