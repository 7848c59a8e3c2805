//! `cloudfront.distribution`: a CloudFront distribution (`aws cloudfront create-distribution`)
//! in front of S3 buckets or a load balancer.
//!
//! Its id is AWS's (`E2QWRUHAPOMQZL`). Everything but the tags is one configuration that
//! changes in place: strata reads it with its ETag, changes only the documents' fields and
//! sends it back with `If-Match`; when someone changed it in between (`PreconditionFailed`), it
//! reads again and applies its change on top. A create, an update and the disable before a
//! delete each take 5 to 15 minutes on AWS (`Deployed`): strata waits unless `--no-wait`. The
//! create's `CallerReference` is its journaled idempotency token, so a create repeated after a
//! crash never makes a second distribution.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{AttrDef, FieldDef, KindInfo, KindSpec, Policy, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "cloudfront.distribution",
    summary: "A CloudFront distribution in front of S3 buckets or a load balancer (CreateDistributionWithTags).",
    fields: &[
        FieldDef::in_place("origins"),
        FieldDef::in_place("default_cache_behavior"),
        FieldDef::in_place("cache_behaviors").unset_when_omitted(),
        FieldDef::in_place("default_root_object"),
        FieldDef::in_place("price_class"),
        FieldDef::in_place("enabled"),
        FieldDef::in_place("comment"),
        FieldDef::in_place("http_version"),
        FieldDef::in_place("ipv6"),
        FieldDef::in_place("aliases").set(),
        FieldDef::in_place("certificate").unset_when_omitted(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The distribution's ARN, as a bucket policy's `AWS:SourceArn` condition names it.",
        },
        AttrDef {
            name: "domain_name",
            doc: "Its domain name (`d111111abcdef8.cloudfront.net`).",
        },
        AttrDef {
            name: "status",
            doc: "`InProgress` while a change deploys, then `Deployed`.",
        },
    ],
    deferred: &[],
    policy: Policy {
        desired: Some(normalize),
        compare: &[
            ("default_cache_behavior", sorted_methods),
            ("cache_behaviors", each_sorted),
        ],
        // ListDistributions answers them all; each of the stack's is then read by id.
        id_chunk: 1000,
        takes: Some("5 to 15 minutes on AWS"),
        ..Policy::DEFAULT
    },
};

/// CloudFront's managed cache policies, by the name the console shows: their ids are the same
/// in every account.
pub const MANAGED_CACHE_POLICIES: &[(&str, &str)] = &[
    ("Amplify", "2e54312d-136d-493c-8eb9-b001f22f67d2"),
    ("CachingDisabled", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"),
    ("CachingOptimized", "658327ea-f89d-4fab-a63d-7e88639e58f6"),
    (
        "CachingOptimizedForUncompressedObjects",
        "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
    ),
];

/// A managed cache policy's id by its name; any other text is taken as an id.
pub fn cache_policy_id(name_or_id: &str) -> &str {
    MANAGED_CACHE_POLICIES
        .iter()
        .find(|(n, _)| *n == name_or_id)
        .map_or(name_or_id, |(_, id)| id)
}

/// The desired values in AWS's form: a managed cache policy named by its id, and
/// `CachingOptimized` for a behaviour that gives neither a cache policy nor TTLs.
fn normalize(attrs: &mut Map<String, Value>, _region: &str) {
    if let Some(Value::Object(b)) = attrs.get_mut("default_cache_behavior") {
        normalize_behavior(b);
    }
    if let Some(Value::Array(bs)) = attrs.get_mut("cache_behaviors") {
        for b in bs.iter_mut().filter_map(Value::as_object_mut) {
            normalize_behavior(b);
        }
    }
}

fn normalize_behavior(b: &mut Map<String, Value>) {
    if !b.contains_key("cache_policy") && !b.contains_key("ttl") {
        b.insert("cache_policy".into(), Value::String("CachingOptimized".into()));
    }
    if let Some(Value::String(p)) = b.get_mut("cache_policy") {
        *p = cache_policy_id(p).to_string();
    }
}

/// The path behaviours as compared: each as [`sorted_methods`]; none is no list.
fn each_sorted(v: &Value) -> Value {
    match v {
        Value::Array(bs) if bs.is_empty() => Value::Null,
        Value::Array(bs) => Value::Array(bs.iter().map(sorted_methods).collect()),
        other => other.clone(),
    }
}

/// A cache behaviour as compared: its methods in a fixed order (AWS answers them in its own).
fn sorted_methods(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(b) = &mut v {
        for key in ["allowed_methods", "cached_methods"] {
            if let Some(Value::Array(m)) = b.get_mut(key) {
                m.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
            }
        }
    }
    v
}

/// One origin: an S3 bucket (with an origin access control or identity) or a custom origin
/// such as a load balancer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// The origin's id within the distribution, as `target_origin` names it.
    pub id: String,
    /// Its domain name: a bucket's `${site.regional_domain_name}`, a load balancer's
    /// `${lb.dns_name}`.
    pub domain_name: String,
    /// A path CloudFront adds to each request to the origin (`/static`); empty by default.
    #[serde(default)]
    pub origin_path: String,
    /// For a private bucket: the `cloudfront.origin_access_control` that signs the requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_access_control: Option<Ref>,
    /// For a private bucket, the recipe's older form: the `cloudfront.origin_access_identity`
    /// CloudFront reads it as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_access_identity: Option<Ref>,
    /// A custom origin (a load balancer, a web server): ports and protocol. Left out, the
    /// origin is an S3 bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomOrigin>,
}

/// How CloudFront reaches a custom origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomOrigin {
    /// Default 80.
    #[serde(default = "http_port")]
    pub http_port: u16,
    /// Default 443.
    #[serde(default = "https_port")]
    pub https_port: u16,
    /// `http-only`, `https-only` (the default) or `match-viewer`.
    #[serde(default = "https_only")]
    pub protocol_policy: String,
    /// The TLS versions CloudFront may use with the origin (default `[TLSv1.2]`).
    #[serde(default = "tls12")]
    pub ssl_protocols: Vec<String>,
}

fn http_port() -> u16 {
    80
}
fn https_port() -> u16 {
    443
}
fn https_only() -> String {
    "https-only".into()
}
fn tls12() -> Vec<String> {
    vec!["TLSv1.2".into()]
}

/// Cache lifetimes in seconds, for a behaviour without a cache policy (the recipe's form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ttl {
    /// Default 0.
    #[serde(default)]
    pub min: i64,
    /// Default 86400 (a day).
    #[serde(default = "day")]
    pub default: i64,
    /// Default 31536000 (a year).
    #[serde(default = "year")]
    pub max: i64,
}

fn day() -> i64 {
    86_400
}
fn year() -> i64 {
    31_536_000
}

/// What CloudFront does with a viewer's request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheBehavior {
    /// Only in `cache_behaviors`: the paths it applies to (`/static/*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_pattern: Option<String>,
    /// The `id` of the origin requests go to.
    pub target_origin: String,
    /// `allow-all`, `https-only` or `redirect-to-https` (the default).
    #[serde(default = "redirect_to_https")]
    pub viewer_protocol_policy: String,
    /// The methods CloudFront passes on (default `[GET, HEAD]`; or `[GET, HEAD, OPTIONS]`, or
    /// all seven).
    #[serde(default = "get_head")]
    pub allowed_methods: Vec<String>,
    /// The methods whose answers are cached (default `[GET, HEAD]`).
    #[serde(default = "get_head")]
    pub cached_methods: Vec<String>,
    /// Compress answers (default on).
    #[serde(default = "super::default_true")]
    pub compress: bool,
    /// A cache policy: a managed one by name (`CachingOptimized`, `CachingDisabled`, …) or an
    /// id. Give this or `ttl`; with neither, `CachingOptimized`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_policy: Option<String>,
    /// Cache lifetimes, without a cache policy (the recipe's form; its challenge sets a 30-day
    /// `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Ttl>,
}

fn redirect_to_https() -> String {
    "redirect-to-https".into()
}
fn get_head() -> Vec<String> {
    vec!["GET".into(), "HEAD".into()]
}

fn price_class_all() -> String {
    "PriceClass_All".into()
}
fn http2() -> String {
    "http2".into()
}

/// A distribution.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionSpec {
    /// Where CloudFront fetches content from (at least one).
    pub origins: Vec<Origin>,
    /// The behaviour for every request no path behaviour takes.
    pub default_cache_behavior: CacheBehavior,
    /// Behaviours for some paths, each with its `path_pattern` (`/static/*` to a bucket, the
    /// rest to the load balancer): the first whose pattern matches a request takes it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_behaviors: Vec<CacheBehavior>,
    /// The object answered for `/` (`index.html`); none by default.
    #[serde(default)]
    pub default_root_object: String,
    /// `PriceClass_100`, `PriceClass_200` or `PriceClass_All` (the default).
    #[serde(default = "price_class_all")]
    pub price_class: String,
    /// Serve requests (default on). A distribution is disabled before it is deleted.
    #[serde(default = "super::default_true")]
    pub enabled: bool,
    /// A comment (128 characters at most).
    #[serde(default)]
    pub comment: String,
    /// `http1.1`, `http2` (the default), `http3` or `http2and3`.
    #[serde(default = "http2")]
    pub http_version: String,
    /// Answer over IPv6 too (default on).
    #[serde(default = "super::default_true")]
    pub ipv6: bool,
    /// Other domain names (CNAMEs) it answers for; they need `certificate`.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The ARN of an ACM certificate in us-east-1 covering `aliases`; left out, CloudFront's
    /// own `*.cloudfront.net` certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

const OAC: &[&str] = &["cloudfront.origin_access_control"];
const OAI: &[&str] = &["cloudfront.origin_access_identity"];

fn one_of(field: &'static str, allowed: &[&str], value: &str) -> Option<Diagnostic> {
    (!allowed.contains(&value)).then(|| {
        Diagnostic::error(
            "strata::invalid_value",
            format!("`{value}` is not a valid `{field}`"),
        )
        .help(format!("use one of: {}", allowed.join(", ")))
    })
}

impl DistributionSpec {
    /// Each value that must be one of AWS's words, and those words.
    fn words(&self) -> Vec<(&'static str, &[&'static str], &str)> {
        let mut v: Vec<(&'static str, &[&'static str], &str)> = vec![
            (
                "price_class",
                &["PriceClass_100", "PriceClass_200", "PriceClass_All"],
                &self.price_class,
            ),
            (
                "http_version",
                &["http1.1", "http2", "http3", "http2and3"],
                &self.http_version,
            ),
        ];
        for b in std::iter::once(&self.default_cache_behavior).chain(&self.cache_behaviors) {
            v.push((
                "viewer_protocol_policy",
                &["allow-all", "https-only", "redirect-to-https"],
                &b.viewer_protocol_policy,
            ));
            for m in b.allowed_methods.iter().chain(&b.cached_methods) {
                v.push((
                    "allowed_methods",
                    &["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                    m,
                ));
            }
        }
        for c in self.origins.iter().filter_map(|o| o.custom.as_ref()) {
            v.push((
                "protocol_policy",
                &["http-only", "https-only", "match-viewer"],
                &c.protocol_policy,
            ));
        }
        v
    }
}

impl KindSpec for DistributionSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v = Vec::new();
        for o in &self.origins {
            if let Some(r) = &o.origin_access_control {
                v.push(TypedRef::hard("origins", r, OAC));
            }
            if let Some(r) = &o.origin_access_identity {
                v.push(TypedRef::hard("origins", r, OAI));
            }
        }
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, d) in stack.of_kind::<DistributionSpec>() {
            let at = |diag: Diagnostic, label: &str| diag.at(r.name_span, label.to_string());
            if d.origins.is_empty() {
                diags.push(at(
                    Diagnostic::error("strata::missing_field", "a distribution needs an origin")
                        .help("add `origins: [{id: site, domain_name: ${site.regional_domain_name}}]`"),
                    "no origin",
                ));
            }
            if d.default_cache_behavior.path_pattern.is_some() {
                diags.push(at(
                    Diagnostic::error(
                        "strata::invalid_value",
                        "the default cache behaviour takes every path: it has no `path_pattern`",
                    )
                    .help("move it to a behaviour of `cache_behaviors`"),
                    "a path pattern on the default behaviour",
                ));
            }
            for (i, b) in d.cache_behaviors.iter().enumerate() {
                match &b.path_pattern {
                    None => diags.push(at(
                        Diagnostic::error(
                            "strata::missing_field",
                            "a behaviour of `cache_behaviors` needs a `path_pattern`",
                        )
                        .help("add `path_pattern: /static/*` (the paths it takes)"),
                        "no path pattern",
                    )),
                    Some(p) if d.cache_behaviors[..i].iter().any(|o| o.path_pattern.as_ref() == Some(p)) => {
                        diags.push(at(
                            Diagnostic::error(
                                "strata::duplicate_value",
                                format!("two behaviours take `{p}`"),
                            )
                            .help("give each behaviour a path pattern of its own"),
                            "the same path pattern twice",
                        ));
                    }
                    Some(_) => {}
                }
            }
            for b in std::iter::once(&d.default_cache_behavior).chain(&d.cache_behaviors) {
            if !d.origins.iter().any(|o| o.id == b.target_origin) && !d.origins.is_empty() {
                let ids: Vec<&str> = d.origins.iter().map(|o| o.id.as_str()).collect();
                diags.push(at(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!("`target_origin: {}` names no origin of this distribution", b.target_origin),
                    )
                    .help(format!("use one of the origins' ids: {}", ids.join(", "))),
                    "unknown origin",
                ));
            }
            if b.cache_policy.is_some() && b.ttl.is_some() {
                diags.push(at(
                    Diagnostic::error("strata::conflicting_fields", "give `cache_policy` or `ttl`, not both")
                        .help("a cache policy holds its own TTLs; keep `ttl` only without one"),
                    "both here",
                ));
            }
            }
            for o in &d.origins {
                if o.custom.is_some() && (o.origin_access_identity.is_some() || o.origin_access_control.is_some()) {
                    diags.push(at(
                        Diagnostic::error(
                            "strata::conflicting_fields",
                            format!("origin `{}` is custom and has an S3 origin access control or identity", o.id),
                        )
                        .help("a custom origin (a load balancer) signs nothing: drop `origin_access_control`/`origin_access_identity`, or drop `custom` for a bucket"),
                        "custom origin",
                    ));
                }
                if o.origin_access_identity.is_some() && o.origin_access_control.is_some() {
                    diags.push(at(
                        Diagnostic::error(
                            "strata::conflicting_fields",
                            format!("origin `{}` has both an origin access control and an identity", o.id),
                        )
                        .help("keep `origin_access_control` (AWS's recommendation) or the recipe's `origin_access_identity`"),
                        "both here",
                    ));
                }
            }
            if !d.aliases.is_empty() && d.certificate.is_none() {
                diags.push(at(
                    Diagnostic::error("strata::missing_field", "`aliases` need a `certificate`")
                        .help("name an ACM certificate in us-east-1 that covers them: `certificate: arn:aws:acm:us-east-1:…`"),
                    "aliases without a certificate",
                ));
            }
            if d.comment.chars().count() > 128 {
                diags.push(at(
                    Diagnostic::error("strata::invalid_value", "the comment of a distribution is too long")
                        .help("keep it to 128 characters"),
                    "comment too long",
                ));
            }
            for (field, allowed, value) in d.words() {
                if let Some(diag) = one_of(field, allowed, value) {
                    diags.push(at(diag, "here"));
                }
            }
        }
    }
}
