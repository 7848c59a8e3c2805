//! `iam.server_certificate`: a TLS certificate and its private key uploaded to IAM (`aws iam
//! upload-server-certificate`), for the HTTPS listeners of load balancers.
//!
//! Its id is its ARN. IAM cannot change a certificate, so any change replaces it, and the new
//! copy comes first: the listeners move to it before the old one is deleted (IAM refuses to
//! delete a certificate in use). Two certificates cannot share a name, so one that may be
//! replaced is named with `name_prefix`.
//!
//! The private key is a secret: IAM never returns it, so it is compared with the verifier the
//! lockfile records in its place (`strata_engine::verifier`), and its text is never shown or
//! stored.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, NameRule, Policy, ReplaceOrder,
    check_iam_path, check_name_or_prefix,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::Tags;

pub static INFO: KindInfo = KindInfo {
    name: "iam.server_certificate",
    summary: "A TLS certificate and its private key uploaded to IAM, for HTTPS listeners (UploadServerCertificate).",
    fields: &[
        FieldDef::replace("name").unique().kept_when_omitted(),
        FieldDef::replace("name_prefix").unset_when_omitted(),
        FieldDef::replace("path"),
        FieldDef::replace("certificate_body").from_file(),
        FieldDef::replace("certificate_chain")
            .from_file()
            .unset_when_omitted(),
        FieldDef::replace("private_key").from_file().secret(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The certificate's ARN (also its `id`), as listeners name it.",
        },
        AttrDef {
            name: "expiration",
            doc: "When the certificate expires (ISO 8601).",
        },
    ],
    deferred: &[],
    policy: Policy {
        replace: ReplaceOrder::CreateFirst,
        name_prefix: Some(NamePrefix {
            name: "name",
            prefix: "name_prefix",
        }),
        compare: &[("certificate_body", pem), ("certificate_chain", pem)],
        // ListServerCertificates lists them all; each is then read by name.
        id_chunk: 1,
        ..Policy::DEFAULT
    },
};

/// A PEM text as IAM keeps it: without surrounding blank space, with `\n` line ends.
fn pem(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.trim().replace("\r\n", "\n")),
        other => other.clone(),
    }
}

/// A server certificate's name: 128 characters at most, letters, digits and `+=,.@_-`.
const NAME: NameRule = NameRule {
    what: "server certificate",
    max: 128,
    valid: |n| {
        n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    },
    allowed: "letters, digits and `+=,.@_-`",
};

fn default_path() -> Spanned<String> {
    Spanned::new(Default::default(), "/".to_string())
}

/// A server certificate.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerCertificateSpec {
    /// Its name, unique in the account. Changing it replaces the certificate. Give this or
    /// `name_prefix` (which a certificate that may be replaced needs: see above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Instead of `name`: the name's start (120 characters at most), to which strata adds 8
    /// of its own, chosen once for each new copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<Spanned<String>>,
    /// The IAM path, starting and ending with `/` (default `/`; CloudFront wants
    /// `/cloudfront/`). Changing it replaces the certificate.
    #[serde(default = "default_path")]
    pub path: Spanned<String>,
    /// The certificate, PEM-encoded: the text, or `{file: server.crt}` (a path relative to
    /// the document). Changing it replaces the certificate.
    #[schemars(with = "crate::types::TextOrFile")]
    pub certificate_body: Spanned<String>,
    /// The intermediate certificates, PEM-encoded, as text or `{file: chain.pem}`. Changing
    /// it replaces the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::types::TextOrFile>")]
    pub certificate_chain: Option<Spanned<String>>,
    /// The private key, PEM-encoded, unencrypted: `{file: server.key}` or a sensitive
    /// variable (`${var.tls_key}`). A secret: never shown, stored or logged; a new key is seen
    /// by the verifier the lockfile keeps in its place, and replaces the certificate.
    #[schemars(with = "crate::types::TextOrFile")]
    pub private_key: Spanned<String>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

/// Checks a PEM text holds a block of the given label (`CERTIFICATE`, `PRIVATE KEY`). Never
/// quotes the text: it may be a key.
fn check_pem(
    field: &str,
    text: &Spanned<String>,
    label: &str,
    how: &str,
    diags: &mut Diagnostics,
) {
    let t = text.value.trim();
    // Empty: a file that could not be read (reported where it is named), or nothing written.
    if t.is_empty() {
        return;
    }
    let begins = t.starts_with("-----BEGIN ")
        && t.lines()
            .next()
            .is_some_and(|l| l.trim_end().ends_with(&format!("{label}-----")));
    if !begins {
        diags.push(
            Diagnostic::error(
                "strata::invalid_value",
                format!("`{field}` is not a PEM {}", label.to_lowercase()),
            )
            .at(text.span, format!("expected `-----BEGIN …{label}-----`"))
            .help(how.to_string()),
        );
    }
}

impl KindSpec for ServerCertificateSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, c) in stack.of_kind::<ServerCertificateSpec>() {
            check_name_or_prefix(
                r.name_span,
                c.name.as_ref(),
                c.name_prefix.as_ref(),
                NAME,
                diags,
            );
            check_iam_path(&c.path, diags);
            let make = "write the PEM text, or `{file: NAME}` naming a PEM file next to the \
                        document (the example's README shows how to make one with openssl)";
            check_pem("certificate_body", &c.certificate_body, "CERTIFICATE", make, diags);
            if let Some(chain) = &c.certificate_chain {
                check_pem("certificate_chain", chain, "CERTIFICATE", make, diags);
            }
            check_pem(
                "private_key",
                &c.private_key,
                "PRIVATE KEY",
                "give the unencrypted key as `{file: server.key}` or a sensitive variable; \
                 an encrypted key (`ENCRYPTED PRIVATE KEY`) is refused by IAM too: decrypt it \
                 with `openssl pkey`",
                diags,
            );
            if c.private_key.value.contains("ENCRYPTED") {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        "`private_key` is encrypted; IAM takes an unencrypted key",
                    )
                    .at(c.private_key.span, "encrypted key")
                    .help("decrypt it: `openssl pkey -in key.pem -out server.key`"),
                );
            }
        }
    }
}
