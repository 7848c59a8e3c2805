//! `s3.object`: one object of lab content (`aws s3 cp index.html s3://…`), its text written in
//! the documents or read from a file next to them. Not for bulk sync.
//!
//! Its id is `BUCKET/KEY`. The content is compared by its MD5, which strata stores in the
//! object's metadata (`strata-md5`) as it uploads and reads back with `HeadObject`: an unchanged
//! file is never uploaded again, and nothing is downloaded to compare.

use md5::Digest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{AttrDef, FieldDef, KindInfo, KindSpec, Policy, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "s3.object",
    summary: "An object of lab content in an S3 bucket, from text or a file (PutObject).",
    fields: &[
        FieldDef::replace("bucket"),
        FieldDef::replace("key"),
        FieldDef::in_place("content").from_file(),
        FieldDef::in_place("content_type"),
        FieldDef::in_place("cache_control").unset_when_omitted(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[AttrDef {
        name: "etag",
        doc: "The object's ETag, as S3 answers it.",
    }],
    deferred: &[],
    policy: Policy {
        desired: Some(normalize),
        compare: &[("content", by_md5)],
        id_chunk: 1,
        id_from_documents: true,
        ..Policy::DEFAULT
    },
};

/// The MD5 of a text, in hex, as strata stores it with the object.
pub fn md5_hex(text: &str) -> String {
    md5::Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Content as compared: its MD5. The documents hold the text; a live object `{"md5": …}`.
fn by_md5(v: &Value) -> Value {
    match v {
        Value::String(s) => json!({ "md5": md5_hex(s) }),
        other => other.clone(),
    }
}

/// A content type left out is the key's (by its extension), as `aws s3 cp` guesses it.
fn normalize(attrs: &mut serde_json::Map<String, Value>, _region: &str) {
    let given = attrs
        .get("content_type")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.is_empty());
    if !given {
        let key = attrs.get("key").and_then(Value::as_str).unwrap_or_default();
        attrs.insert("content_type".into(), json!(content_type_of(key)));
    }
}

/// The content type of a key by its extension (`binary/octet-stream`, S3's own default, for
/// an extension not listed).
pub fn content_type_of(key: &str) -> &'static str {
    let ext = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("html" | "htm") => "text/html",
        Some("css") => "text/css",
        Some("js" | "mjs") => "text/javascript",
        Some("json") => "application/json",
        Some("txt") => "text/plain",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("csv") => "text/csv",
        Some("md") => "text/markdown",
        _ => "binary/octet-stream",
    }
}

/// An object.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectSpec {
    /// Its bucket (an `s3.bucket`). Changing it replaces the object.
    pub bucket: Ref,
    /// Its key, e.g. `index.html`. Changing it replaces the object.
    pub key: Spanned<String>,
    /// The object's text, or `{file: index.html}` (a path relative to the document; UTF-8, at
    /// most 1 MiB). Uploaded again only when its MD5 changes.
    #[schemars(with = "crate::types::TextOrFile")]
    pub content: Spanned<String>,
    /// Its `Content-Type`. Default: by the key's extension (`text/html` for `.html`), as
    /// `aws s3 cp` chooses it.
    #[serde(default)]
    pub content_type: String,
    /// Its `Cache-Control`, e.g. `max-age=300`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// Tags (at most 10 on an object, the stack's ownership tags included).
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for ObjectSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        vec![TypedRef::hard("bucket", &self.bucket, &["s3.bucket"])]
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (_, o) in stack.of_kind::<ObjectSpec>() {
            let k = &o.key.value;
            if k.is_empty() || k.len() > 1024 || k.starts_with('/') {
                diags.push(
                    Diagnostic::error("strata::invalid_value", format!("`{k}` is not an object key"))
                        .at(o.key.span, "not a key")
                        .help("give 1 to 1024 characters, not starting with `/`: `index.html`"),
                );
            }
        }
    }
}
