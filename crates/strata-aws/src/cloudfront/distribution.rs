//! `cloudfront.distribution` on AWS: CreateDistributionWithTags, ListDistributions,
//! GetDistribution, GetDistributionConfig + UpdateDistribution (with the ETag), and the delete
//! sequence: disable, wait `Deployed`, DeleteDistribution.
//!
//! Its id is AWS's. The create's `CallerReference` is the create's journaled idempotency
//! token: CloudFront refuses a second create with it (`DistributionAlreadyExists`), and the
//! distribution the first one made is then found by its ownership tags and adopted. Updates
//! read the configuration with its ETag, change only the documents' fields on it (what strata
//! does not manage, such as logging or extra cache behaviours, stays as read) and send it back
//! with `If-Match` ([`super::with_etag`]). The delete reads where the distribution stands
//! each time (enabled, `InProgress`), so a delete interrupted anywhere in its sequence is
//! taken up where it stopped by the next run.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CookiePreference,
    CustomOriginConfig, DefaultCacheBehavior, Distribution, DistributionConfig,
    DistributionConfigWithTags, DistributionSummary, ForwardedValues, HttpVersion, ItemSelection,
    Method, MinimumProtocolVersion, Origin, OriginProtocolPolicy, OriginSslProtocols, Origins,
    PriceClass, S3OriginConfig, SslProtocol, SslSupportMethod, ViewerCertificate,
    ViewerProtocolPolicy,
};
use futures_util::TryFutureExt;
use futures_util::future::try_join_all;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags::{self, create_tags};
use super::{AwsKind, built, client, created, etag, gone_between, with_etag};
use crate::Ctx;
use crate::error::aws;
use crate::tags::STACK_TAG;
use crate::wait::{self, Backoff, Goal, Poll};

pub struct DistributionKind;

const KIND: &str = "cloudfront.distribution";

/// AWS deploys a change in 5 to 15 minutes; strata gives it an hour.
const DEPLOY_TIMEOUT: Duration = Duration::from_secs(3600);

/// A change is deployed once the distribution is `Deployed` again.
const DEPLOYED: Goal = Goal {
    ready: &["Deployed"],
    on_the_way: &["InProgress"],
};

/// How an S3 origin names its origin access identity.
const OAI_PATH: &str = "origin-access-identity/cloudfront/";

/// Every distribution of the account, as the listing summarises them.
async fn all(cx: &Ctx) -> Result<Vec<DistributionSummary>, ProviderError> {
    let mut pages = client(cx).list_distributions().into_paginator().send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("cloudfront:ListDistributions"))?;
        out.extend(
            page.distribution_list
                .and_then(|l| l.items)
                .unwrap_or_default(),
        );
    }
    Ok(out)
}

/// One distribution, with its configuration; `None` when it is gone.
async fn get(cx: &Ctx, id: &str) -> Result<Option<Distribution>, ProviderError> {
    let r = client(cx)
        .get_distribution()
        .id(id)
        .send()
        .await
        .map_err(aws("cloudfront:GetDistribution"));
    match r {
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        other => Ok(other?.distribution),
    }
}

/// Its configuration and the ETag it was read at.
async fn config_of(cx: &Ctx, id: &str) -> Result<(DistributionConfig, String), ProviderError> {
    let out = client(cx)
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(aws("cloudfront:GetDistributionConfig"))?;
    let e = etag(out.e_tag(), "GetDistributionConfig")?;
    let c = out.distribution_config.ok_or_else(|| {
        ProviderError::new(
            ErrorClass::Other,
            format!("CloudFront answered no configuration for distribution {id}"),
        )
    })?;
    Ok((c, e))
}

fn origin_json(o: &Origin) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(o.id()));
    m.insert("domain_name".into(), json!(o.domain_name()));
    m.insert("origin_path".into(), json!(o.origin_path().unwrap_or("")));
    if let Some(oac) = o.origin_access_control_id().filter(|s| !s.is_empty()) {
        m.insert("origin_access_control".into(), json!(oac));
    }
    let oai = o
        .s3_origin_config()
        .and_then(|s| s.origin_access_identity().strip_prefix(OAI_PATH));
    if let Some(oai) = oai.filter(|s| !s.is_empty()) {
        m.insert("origin_access_identity".into(), json!(oai));
    }
    if let Some(c) = o.custom_origin_config() {
        let protocols: Vec<&str> = c
            .origin_ssl_protocols()
            .map(|p| p.items().iter().map(SslProtocol::as_str).collect())
            .unwrap_or_default();
        m.insert(
            "custom".into(),
            json!({
                "http_port": c.http_port(),
                "https_port": c.https_port(),
                "protocol_policy": c.origin_protocol_policy().as_str(),
                "ssl_protocols": protocols,
            }),
        );
    }
    Value::Object(m)
}

fn methods(items: &[Method]) -> Vec<&str> {
    items.iter().map(Method::as_str).collect()
}

// The TTLs and forwarded values of a behaviour without a cache policy are AWS's legacy form,
// deprecated in the SDK; the recipe (and its challenge, a 30-day TTL) uses it.
#[allow(deprecated)]
fn behavior_json(b: &DefaultCacheBehavior) -> Value {
    let allowed = b.allowed_methods();
    let mut m = serde_json::Map::new();
    m.insert("target_origin".into(), json!(b.target_origin_id()));
    m.insert(
        "viewer_protocol_policy".into(),
        json!(b.viewer_protocol_policy().as_str()),
    );
    m.insert(
        "allowed_methods".into(),
        json!(allowed.map(|a| methods(a.items())).unwrap_or_default()),
    );
    m.insert(
        "cached_methods".into(),
        json!(
            allowed
                .and_then(AllowedMethods::cached_methods)
                .map(|c| methods(c.items()))
                .unwrap_or_default()
        ),
    );
    m.insert("compress".into(), json!(b.compress().unwrap_or(false)));
    match b.cache_policy_id().filter(|p| !p.is_empty()) {
        Some(p) => {
            m.insert("cache_policy".into(), json!(p));
        }
        None => {
            m.insert(
                "ttl".into(),
                json!({
                    "min": b.min_ttl().unwrap_or(0),
                    "default": b.default_ttl().unwrap_or(0),
                    "max": b.max_ttl().unwrap_or(0),
                }),
            );
        }
    }
    Value::Object(m)
}

/// A path behaviour as the default one's type, which holds the same fields but the path.
#[allow(deprecated)] // the legacy TTLs: see `behavior_json`
fn as_default(c: &CacheBehavior) -> Result<DefaultCacheBehavior, ProviderError> {
    built(
        DefaultCacheBehavior::builder()
            .target_origin_id(c.target_origin_id.clone())
            .set_trusted_signers(c.trusted_signers.clone())
            .set_trusted_key_groups(c.trusted_key_groups.clone())
            .viewer_protocol_policy(c.viewer_protocol_policy.clone())
            .set_allowed_methods(c.allowed_methods.clone())
            .set_smooth_streaming(c.smooth_streaming)
            .set_compress(c.compress)
            .set_lambda_function_associations(c.lambda_function_associations.clone())
            .set_function_associations(c.function_associations.clone())
            .set_field_level_encryption_id(c.field_level_encryption_id.clone())
            .set_realtime_log_config_arn(c.realtime_log_config_arn.clone())
            .set_cache_policy_id(c.cache_policy_id.clone())
            .set_origin_request_policy_id(c.origin_request_policy_id.clone())
            .set_response_headers_policy_id(c.response_headers_policy_id.clone())
            .set_grpc_config(c.grpc_config.clone())
            .set_forwarded_values(c.forwarded_values.clone())
            .set_min_ttl(c.min_ttl)
            .set_default_ttl(c.default_ttl)
            .set_max_ttl(c.max_ttl)
            .build(),
    )
}

/// A behaviour of the default one's type as the path behaviour of `path`.
#[allow(deprecated)] // the legacy TTLs: see `behavior_json`
fn as_path(path: &str, d: DefaultCacheBehavior) -> Result<CacheBehavior, ProviderError> {
    built(
        CacheBehavior::builder()
            .path_pattern(path)
            .target_origin_id(d.target_origin_id)
            .set_trusted_signers(d.trusted_signers)
            .set_trusted_key_groups(d.trusted_key_groups)
            .viewer_protocol_policy(d.viewer_protocol_policy)
            .set_allowed_methods(d.allowed_methods)
            .set_smooth_streaming(d.smooth_streaming)
            .set_compress(d.compress)
            .set_lambda_function_associations(d.lambda_function_associations)
            .set_function_associations(d.function_associations)
            .set_field_level_encryption_id(d.field_level_encryption_id)
            .set_realtime_log_config_arn(d.realtime_log_config_arn)
            .set_cache_policy_id(d.cache_policy_id)
            .set_origin_request_policy_id(d.origin_request_policy_id)
            .set_response_headers_policy_id(d.response_headers_policy_id)
            .set_grpc_config(d.grpc_config)
            .set_forwarded_values(d.forwarded_values)
            .set_min_ttl(d.min_ttl)
            .set_default_ttl(d.default_ttl)
            .set_max_ttl(d.max_ttl)
            .build(),
    )
}

/// A path behaviour as the documents write it.
fn path_behavior_json(c: &CacheBehavior) -> Option<Value> {
    let mut v = behavior_json(&as_default(c).ok()?);
    if let Some(o) = v.as_object_mut() {
        o.insert("path_pattern".into(), json!(c.path_pattern));
    }
    Some(v)
}

/// The documents' fields of a configuration.
fn config_json(c: &DistributionConfig) -> Value {
    let mut m = json!({
        "origins": c.origins().map(|o| o.items().iter().map(origin_json).collect::<Vec<_>>()).unwrap_or_default(),
        "default_root_object": c.default_root_object().unwrap_or(""),
        "price_class": c.price_class().map_or("PriceClass_All", PriceClass::as_str),
        "enabled": c.enabled(),
        "comment": c.comment(),
        "http_version": c.http_version().map_or("http2", HttpVersion::as_str),
        "ipv6": c.is_ipv6_enabled().unwrap_or(true),
        "aliases": c.aliases().and_then(|a| a.items.clone()).unwrap_or_default(),
    });
    if let Some(o) = m.as_object_mut() {
        if let Some(b) = c.default_cache_behavior() {
            o.insert("default_cache_behavior".into(), behavior_json(b));
        }
        let paths: Vec<Value> = c
            .cache_behaviors()
            .map(|b| b.items().iter().filter_map(path_behavior_json).collect())
            .unwrap_or_default();
        if !paths.is_empty() {
            o.insert("cache_behaviors".into(), Value::Array(paths));
        }
        let acm = c
            .viewer_certificate()
            .and_then(ViewerCertificate::acm_certificate_arn)
            .filter(|a| !a.is_empty());
        if let Some(arn) = acm {
            o.insert("certificate".into(), json!(arn));
        }
    }
    m
}

fn to_live(d: &Distribution, tags: Option<&aws_sdk_cloudfront::types::Tags>) -> LiveResource {
    let mut m = d
        .distribution_config()
        .map(config_json)
        .unwrap_or(json!({}));
    if let Some(o) = m.as_object_mut() {
        o.insert("arn".into(), json!(d.arn()));
        o.insert("domain_name".into(), json!(d.domain_name()));
        o.insert("status".into(), json!(d.status()));
    }
    crate::kind::live_with_tags(KIND, d.id(), tags::split(tags), m)
        .converging(DEPLOYED.converging(d.status()))
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn int(v: &Value, key: &str, default: i64) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(default)
}

fn i32_of(v: &Value, key: &str, default: i32) -> i32 {
    i32::try_from(int(v, key, i64::from(default))).unwrap_or(default)
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// One origin as the documents give it, made on the origin of the same id as read (so that
/// what strata does not manage, such as custom headers or timeouts, stays).
fn origin(o: &Value, live: Option<&Origin>) -> Result<Origin, ProviderError> {
    let mut out = match live {
        Some(l) => l.clone(),
        None => built(
            Origin::builder()
                .id(text(o, "id"))
                .domain_name(text(o, "domain_name"))
                .build(),
        )?,
    };
    out.domain_name = text(o, "domain_name").to_string();
    out.origin_path = Some(text(o, "origin_path").to_string());
    match o.get("custom") {
        Some(c) => {
            let protocols = strings(c, "ssl_protocols");
            let ssl = built(
                OriginSslProtocols::builder()
                    .quantity(i32::try_from(protocols.len()).unwrap_or(0))
                    .set_items(Some(
                        protocols
                            .iter()
                            .map(|p| SslProtocol::from(p.as_str()))
                            .collect(),
                    ))
                    .build(),
            )?;
            out.custom_origin_config = Some(built(
                CustomOriginConfig::builder()
                    .http_port(i32_of(c, "http_port", 80))
                    .https_port(i32_of(c, "https_port", 443))
                    .origin_protocol_policy(OriginProtocolPolicy::from(text(c, "protocol_policy")))
                    .origin_ssl_protocols(ssl)
                    .build(),
            )?);
            out.s3_origin_config = None;
            out.origin_access_control_id = None;
        }
        None => {
            let oai = o
                .get("origin_access_identity")
                .and_then(Value::as_str)
                .map(|id| format!("{OAI_PATH}{id}"))
                .unwrap_or_default();
            out.custom_origin_config = None;
            out.s3_origin_config = Some(
                S3OriginConfig::builder()
                    .origin_access_identity(oai)
                    .build(),
            );
            out.origin_access_control_id = o
                .get("origin_access_control")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
    }
    Ok(out)
}

fn method_list(v: &Value, key: &str) -> Vec<Method> {
    strings(v, key)
        .iter()
        .map(|m| Method::from(m.as_str()))
        .collect()
}

/// The default cache behaviour as the documents give it, made on the one read.
#[allow(deprecated)] // the legacy TTLs: see `behavior_json`
fn behavior(
    b: &Value,
    live: Option<&DefaultCacheBehavior>,
) -> Result<DefaultCacheBehavior, ProviderError> {
    let mut out = match live {
        Some(l) => l.clone(),
        None => built(
            DefaultCacheBehavior::builder()
                .target_origin_id(text(b, "target_origin"))
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .build(),
        )?,
    };
    out.target_origin_id = text(b, "target_origin").to_string();
    out.viewer_protocol_policy = ViewerProtocolPolicy::from(text(b, "viewer_protocol_policy"));
    let allowed = method_list(b, "allowed_methods");
    let cached = method_list(b, "cached_methods");
    out.allowed_methods = Some(built(
        AllowedMethods::builder()
            .quantity(i32::try_from(allowed.len()).unwrap_or(0))
            .set_items(Some(allowed))
            .cached_methods(built(
                CachedMethods::builder()
                    .quantity(i32::try_from(cached.len()).unwrap_or(0))
                    .set_items(Some(cached))
                    .build(),
            )?)
            .build(),
    )?);
    out.compress = Some(b.get("compress").and_then(Value::as_bool).unwrap_or(true));
    match (b.get("cache_policy").and_then(Value::as_str), b.get("ttl")) {
        (Some(policy), _) => {
            out.cache_policy_id = Some(policy.to_string());
            out.forwarded_values = None;
            out.min_ttl = None;
            out.default_ttl = None;
            out.max_ttl = None;
        }
        (None, ttl) => {
            let ttl = ttl.cloned().unwrap_or(json!({}));
            out.cache_policy_id = None;
            out.min_ttl = Some(int(&ttl, "min", 0));
            out.default_ttl = Some(int(&ttl, "default", 86_400));
            out.max_ttl = Some(int(&ttl, "max", 31_536_000));
            if out.forwarded_values.is_none() {
                out.forwarded_values = Some(built(
                    ForwardedValues::builder()
                        .query_string(false)
                        .cookies(built(
                            CookiePreference::builder()
                                .forward(ItemSelection::None)
                                .build(),
                        )?)
                        .build(),
                )?);
            }
        }
    }
    Ok(out)
}

/// Sets the documents' fields on a configuration (a new one, or the one just read).
fn apply(a: &Attrs, c: &mut DistributionConfig) -> Result<(), ProviderError> {
    let desired = Value::Object(a.clone());
    let live_origins: Vec<Origin> = c.origins().map(|o| o.items().to_vec()).unwrap_or_default();
    let origins = desired
        .get("origins")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|o| origin(o, live_origins.iter().find(|l| l.id() == text(o, "id"))))
        .collect::<Result<Vec<_>, _>>()?;
    c.origins = Some(built(
        Origins::builder()
            .quantity(i32::try_from(origins.len()).unwrap_or(0))
            .set_items(Some(origins))
            .build(),
    )?);
    let b = desired
        .get("default_cache_behavior")
        .cloned()
        .unwrap_or(json!({}));
    c.default_cache_behavior = Some(behavior(&b, c.default_cache_behavior())?);
    let live_paths: Vec<CacheBehavior> = c
        .cache_behaviors()
        .map(|b| b.items().to_vec())
        .unwrap_or_default();
    let paths = desired
        .get("cache_behaviors")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|b| {
            let path = text(b, "path_pattern");
            let live = live_paths
                .iter()
                .find(|l| l.path_pattern == path)
                .map(as_default)
                .transpose()?;
            as_path(path, behavior(b, live.as_ref())?)
        })
        .collect::<Result<Vec<_>, _>>()?;
    c.cache_behaviors = Some(built(
        CacheBehaviors::builder()
            .quantity(i32::try_from(paths.len()).unwrap_or(0))
            .set_items(Some(paths))
            .build(),
    )?);
    c.default_root_object = Some(text(&desired, "default_root_object").to_string());
    c.price_class = Some(PriceClass::from(match text(&desired, "price_class") {
        "" => "PriceClass_All",
        p => p,
    }));
    c.enabled = desired
        .get("enabled")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    c.comment = text(&desired, "comment").to_string();
    c.http_version = Some(HttpVersion::from(match text(&desired, "http_version") {
        "" => "http2",
        v => v,
    }));
    c.is_ipv6_enabled = Some(desired.get("ipv6").and_then(Value::as_bool).unwrap_or(true));
    let aliases = strings(&desired, "aliases");
    c.aliases = Some(built(
        Aliases::builder()
            .quantity(i32::try_from(aliases.len()).unwrap_or(0))
            .set_items(Some(aliases))
            .build(),
    )?);
    c.viewer_certificate = Some(match desired.get("certificate").and_then(Value::as_str) {
        Some(arn) => ViewerCertificate::builder()
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::from("TLSv1.2_2021"))
            .build(),
        None => ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build(),
    });
    Ok(())
}

/// A new configuration: the documents' fields, `token` as its caller reference.
fn new_config(a: &Attrs, token: &str) -> Result<DistributionConfig, ProviderError> {
    let mut c = built(
        DistributionConfig::builder()
            .caller_reference(token)
            .comment("")
            .enabled(true)
            .origins(built(
                Origins::builder()
                    .quantity(0)
                    .set_items(Some(Vec::new()))
                    .build(),
            )?)
            .default_cache_behavior(built(
                DefaultCacheBehavior::builder()
                    .target_origin_id("")
                    .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                    .build(),
            )?)
            .build(),
    )?;
    apply(a, &mut c)?;
    Ok(c)
}

/// Waits until the distribution has deployed its last change (`what`: what the wait is for).
async fn until_deployed(
    cx: &Ctx,
    id: &str,
    what: &str,
    progress: &Progress,
) -> Result<Distribution, ProviderError> {
    wait::until(
        what,
        cx.timeout(DEPLOY_TIMEOUT),
        Backoff::minutes(),
        progress,
        || async {
            Ok(match get(cx, id).await? {
                Some(d) => {
                    let status = d.status().to_owned();
                    DEPLOYED.poll(&status, d)
                }
                None => Poll::Missing,
            })
        },
    )
    .await
}

/// Sets the documents' configuration on the distribution, with the current ETag.
async fn update_config(cx: &Ctx, id: &str, a: &Attrs) -> Result<(), ProviderError> {
    with_etag(
        "the distribution",
        || config_of(cx, id),
        |mut c, etag| {
            let applied = apply(a, &mut c);
            let call = client(cx).update_distribution().id(id).if_match(etag);
            async move {
                applied?;
                call.distribution_config(c)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws("cloudfront:UpdateDistribution"))
            }
        },
    )
    .await
}

/// Disables the distribution (with the current ETag) unless it is disabled already.
async fn disable(cx: &Ctx, id: &str) -> Result<(), ProviderError> {
    with_etag(
        "the distribution",
        || config_of(cx, id),
        |mut c, etag| {
            let call = (c.enabled).then(|| {
                c.enabled = false;
                client(cx)
                    .update_distribution()
                    .id(id)
                    .if_match(etag)
                    .distribution_config(c)
            });
            async move {
                match call {
                    Some(call) => call
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(aws("cloudfront:UpdateDistribution")),
                    None => Ok(()),
                }
            }
        },
    )
    .await
}

/// How many times the delete sequence starts over when someone enables the distribution again
/// or changes it while strata deletes it (`DistributionNotDisabled`).
const DELETE_ROUNDS: u32 = 3;

#[async_trait]
impl AwsKind for DistributionKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// `ListDistributions` (paginated); the tags of each distribution the lockfile does not
    /// record (CloudFront has no filter by tag) to find the stack's; then each of the stack's
    /// with its configuration (`GetDistribution`) and tags, concurrently.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let listed = all(cx).await?;
        let (known, others): (Vec<_>, Vec<_>) = listed
            .iter()
            .partition(|s| req.ids.iter().any(|i| i == s.id()));
        // A distribution deleted since the listing has no tags to read: it is gone.
        let others_tags = try_join_all(
            others
                .iter()
                .map(|s| async { gone_between(tags::of(cx, s.arn()).await) }),
        )
        .await?;
        let ours = others.into_iter().zip(others_tags).filter(|(_, t)| {
            t.as_ref().and_then(Option::as_ref).is_some_and(|t| {
                t.items()
                    .iter()
                    .any(|t| t.key() == STACK_TAG && t.value() == Some(req.stack))
            })
        });
        let wanted = known
            .into_iter()
            .map(|s| (s, None))
            .chain(ours.map(|(s, t)| (s, Some(t.flatten()))));
        let read = try_join_all(wanted.map(|(s, t)| async move {
            let (d, t) = match t {
                Some(t) => (get(cx, s.id()).await?, t),
                None => {
                    let (d, t) = tokio::try_join!(get(cx, s.id()), async {
                        gone_between(tags::of(cx, s.arn()).await)
                    })?;
                    (d, t.flatten())
                }
            };
            Ok::<_, ProviderError>(d.map(|d| to_live(&d, t.as_ref())))
        }))
        .await?;
        Ok(read.into_iter().flatten().collect())
    }

    /// Creates it, tagged in the call, with the journaled token as its caller reference, and
    /// waits until it is `Deployed` (unless `req.wait` is off: it is then recorded as
    /// converging).
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let config = DistributionConfigWithTags::builder()
            .distribution_config(new_config(req.attrs, req.token)?)
            .tags(create_tags(req)?)
            .build();
        let sent = client(cx)
            .create_distribution_with_tags()
            .distribution_config_with_tags(config)
            .send()
            .await
            .map_err(aws("cloudfront:CreateDistributionWithTags"));
        let d = match sent {
            Ok(out) => out.distribution.ok_or_else(|| {
                ProviderError::new(
                    ErrorClass::Other,
                    "CloudFront answered the create without the distribution",
                )
            })?,
            // The caller reference was used: by this create's first attempt (its answer lost),
            // or by the run that crashed before recording it. Its distribution carries this
            // lockfile's ownership tags.
            Err(e) if e.code.as_deref() == Some("DistributionAlreadyExists") => {
                let by_tag = ReadRequest {
                    kind: req.kind,
                    ids: &[],
                    stack: req.stack,
                    records: &[],
                    names: None,
                };
                let mine = self.read(cx, &by_tag).await?.into_iter().find(|l| {
                    l.name.as_deref() == Some(req.name) && l.lineage.as_deref() == Some(req.lineage)
                });
                let Some(l) = mine else {
                    return Err(e.with_help(
                        "CloudFront has a distribution made with this create's caller reference, \
                         but not with this stack's ownership tags; if it is this stack's, tag it \
                         (strata:stack, strata:name, strata:lineage) and run strata again",
                    ));
                };
                match get(cx, &l.id).await? {
                    Some(d) => d,
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        progress.created(d.id());
        let d = if req.wait {
            until_deployed(cx, d.id(), "the distribution to be deployed", progress).await?
        } else {
            d
        };
        Ok(created(to_live(&d, None), req))
    }

    /// The tags by ARN; every other field is the one configuration, changed with the current
    /// ETag; then waits until the change is `Deployed` (unless `req.wait` is off).
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        if req.changed.iter().any(|f| f == "tags") {
            let arn = req
                .prior
                .get("arn")
                .and_then(Value::as_str)
                .unwrap_or_default();
            tags::sync(cx, arn, req).await?;
        }
        if req.changed.iter().any(|f| f != "tags") {
            update_config(cx, req.id, req.attrs).await?;
        }
        let d = if req.wait {
            until_deployed(cx, req.id, "the change to be deployed", progress).await?
        } else {
            get(cx, req.id).await?.ok_or_else(|| {
                ProviderError::new(
                    ErrorClass::NotFound,
                    format!("distribution {} is gone", req.id),
                )
            })?
        };
        let mut l = to_live(&d, None).owned_by(req.owner());
        l.attrs
            .insert("tags".into(), json!(crate::tags::desired_tags(req.attrs)));
        Ok(l)
    }

    /// Disables it (unless it is already), waits until that is deployed, and deletes it with
    /// the ETag of then. Each step starts from what CloudFront says now, so a run killed in
    /// the middle is resumed by the next.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let mut round = 1;
        loop {
            if get(cx, req.id).await?.is_none() {
                return Ok(());
            }
            disable(cx, req.id).await?;
            until_deployed(cx, req.id, "the distribution to be disabled", progress).await?;
            let r = with_etag(
                "the distribution",
                || config_of(cx, req.id),
                |_, etag| {
                    client(cx)
                        .delete_distribution()
                        .id(req.id)
                        .if_match(etag)
                        .send()
                        .map_ok(|_| ())
                        .map_err(aws("cloudfront:DeleteDistribution"))
                },
            )
            .await;
            match r {
                Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
                Err(e) if e.class == ErrorClass::InvalidState && round < DELETE_ROUNDS => {
                    round += 1;
                }
                other => return other,
            }
        }
    }
}
