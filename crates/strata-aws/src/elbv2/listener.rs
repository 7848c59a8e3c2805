//! `elbv2.listener` on AWS: CreateListener, ModifyListener, DeleteListener. Listeners are read
//! per load balancer (`DescribeListeners`), the stack's load balancers being the lockfile's and
//! the tagging API's listing's.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{self as t, Certificate, ProtocolEnum};
use futures_util::TryFutureExt;
use futures_util::future::try_join_all;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::load_balancer::LoadBalancer;
use super::tags::{self, create_tags};
use super::{
    AwsKind, actions, client, client_once, create_once, created, removed, required, str_field,
    str_list, updated, with_tags,
};
use crate::Ctx;
use crate::discovery;
use crate::error::aws;

pub struct Listener;

/// `arn:…:listener/app/NAME/LB/ID` → `arn:…:loadbalancer/app/NAME/LB`.
pub fn load_balancer_of(listener_arn: &str) -> Option<String> {
    super::parent_arn(listener_arn, "listener", 4, "loadbalancer")
}

/// Every listener of these load balancers (a load balancer that is gone has none).
pub async fn listeners_of(
    cx: &Ctx,
    load_balancers: &[String],
) -> Result<Vec<t::Listener>, ProviderError> {
    let c = client(cx);
    let pages = try_join_all(load_balancers.iter().map(|lb| {
        let c = c.clone();
        async move {
            let r: Result<Vec<t::Listener>, ProviderError> = c
                .describe_listeners()
                .load_balancer_arn(lb)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(aws("elbv2:DescribeListeners"));
            match r {
                Err(e) if e.class == ErrorClass::NotFound => Ok(Vec::new()),
                other => other,
            }
        }
    }))
    .await?;
    Ok(pages.into_iter().flatten().collect())
}

/// The load balancers whose listeners a read of the stack looks at: those the listeners asked
/// for belong to, and the stack's (the tagging API's listing; without one, every load
/// balancer of the region).
pub async fn parent_load_balancers(
    cx: &Ctx,
    ids: impl Iterator<Item = String>,
    stack: &str,
) -> Result<Vec<String>, ProviderError> {
    let mut lbs: Vec<String> = ids.collect();
    match discovery::tagged_ids(cx, LoadBalancer.discovery(), stack).await? {
        Some(tagged) => lbs.extend(tagged),
        None => lbs.extend(
            super::load_balancer::all(cx)
                .await?
                .iter()
                .filter_map(|l| l.load_balancer_arn().map(str::to_string)),
        ),
    }
    lbs.sort();
    lbs.dedup();
    Ok(lbs)
}

fn to_live(l: &t::Listener, tags: &[(String, String)]) -> LiveResource {
    let arn = l.listener_arn().unwrap_or_default();
    let certificates: Vec<&str> = l
        .certificates()
        .iter()
        .filter_map(Certificate::certificate_arn)
        .collect();
    let mut m = json!({
        "load_balancer": l.load_balancer_arn(),
        "port": l.port(),
        "protocol": l.protocol().map(ProtocolEnum::as_str),
        "default_actions": actions::from_aws(l.default_actions()),
        "arn": arn,
    });
    if let Some(o) = m.as_object_mut() {
        if !certificates.is_empty() {
            o.insert("certificates".into(), json!(certificates));
        }
        // Only a secure listener has a policy (the emulator reports one on HTTP listeners too).
        let secure = matches!(l.protocol().map(|p| p.as_str()), Some("HTTPS" | "TLS"));
        if let Some(p) = l.ssl_policy().filter(|_| secure) {
            o.insert("ssl_policy".into(), json!(p));
        }
    }
    super::live("elbv2.listener", arn, tags, m)
}

fn certificate(arn: String) -> Certificate {
    Certificate::builder().certificate_arn(arn).build()
}

/// The default certificate (the first): `CreateListener` and `ModifyListener` take exactly one.
fn default_certificate(a: &Attrs) -> Option<Vec<Certificate>> {
    str_list(a, "certificates")
        .into_iter()
        .next()
        .map(|c| vec![certificate(c)])
}

/// Every certificate of a listener, the default first: `DescribeListenerCertificates`
/// (paginated), which also lists those added with `AddListenerCertificates`.
async fn all_certificates(cx: &Ctx, arn: &str) -> Result<Vec<String>, ProviderError> {
    let found: Vec<Certificate> = client(cx)
        .describe_listener_certificates()
        .listener_arn(arn)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("elbv2:DescribeListenerCertificates"))?;
    let (default, extra): (Vec<&Certificate>, Vec<&Certificate>) =
        found.iter().partition(|c| c.is_default() == Some(true));
    Ok(default
        .into_iter()
        .chain(extra)
        .filter_map(|c| c.certificate_arn().map(str::to_string))
        .collect())
}

/// Makes the certificates beyond the default (SNI certificates) those of `want` after its
/// first: `AddListenerCertificates` and `RemoveListenerCertificates` for the difference.
async fn set_extra_certificates(cx: &Ctx, arn: &str, want: &[String]) -> Result<(), ProviderError> {
    let have = all_certificates(cx, arn).await?;
    let default = want.first();
    let wanted_extra: Vec<&String> = want
        .iter()
        .skip(1)
        .filter(|c| Some(*c) != default)
        .collect();
    let add: Vec<Certificate> = wanted_extra
        .iter()
        .filter(|c| !have.contains(c))
        .map(|c| certificate((*c).clone()))
        .collect();
    let remove: Vec<Certificate> = have
        .iter()
        .filter(|c| Some(*c) != default && !wanted_extra.contains(c))
        .map(|c| certificate(c.clone()))
        .collect();
    if !add.is_empty() {
        client(cx)
            .add_listener_certificates()
            .listener_arn(arn)
            .set_certificates(Some(add))
            .send()
            .await
            .map_err(aws("elbv2:AddListenerCertificates"))?;
    }
    if !remove.is_empty() {
        client(cx)
            .remove_listener_certificates()
            .listener_arn(arn)
            .set_certificates(Some(remove))
            .send()
            .await
            .map_err(aws("elbv2:RemoveListenerCertificates"))?;
    }
    Ok(())
}

/// How long a certificate uploaded to IAM may take to reach Elastic Load Balancing.
const CERTIFICATE_PROPAGATION: std::time::Duration = std::time::Duration::from_secs(120);

/// Sends a call naming certificates until Elastic Load Balancing knows them: IAM is eventually
/// consistent, and a certificate uploaded seconds ago may still be `CertificateNotFound` here
/// (AWS made nothing then, so the call is safe to send again).
async fn once_certificates_known<T, F, Fut>(
    cx: &Ctx,
    progress: &Progress,
    mut call: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    crate::wait::until(
        "the certificate to reach the load balancer",
        cx.timeout(CERTIFICATE_PROPAGATION),
        crate::wait::Backoff::default(),
        progress,
        || {
            let sent = call();
            async move {
                match sent.await {
                    Ok(t) => Ok(crate::wait::Poll::Ready(t)),
                    Err(e) if e.code.as_deref() == Some("CertificateNotFound") => Ok(
                        crate::wait::Poll::NotYet("its certificate is not known yet".to_string()),
                    ),
                    Err(e) => Err(e),
                }
            }
        },
    )
    .await
}

fn port(a: &Attrs) -> Option<i32> {
    a.get("port")
        .and_then(Value::as_i64)
        .and_then(|p| i32::try_from(p).ok())
}

#[async_trait]
impl AwsKind for Listener {
    fn kind(&self) -> &'static str {
        "elbv2.listener"
    }

    /// `DescribeListeners` per load balancer of the stack, concurrently, and `DescribeTags`
    /// (20 ARNs a call); `DescribeListenerCertificates` for a listener recorded with more than
    /// one certificate.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let parents = parent_load_balancers(
            cx,
            req.ids.iter().filter_map(|id| load_balancer_of(id)),
            req.stack,
        )
        .await?;
        let listeners = listeners_of(cx, &parents).await?;
        let mut live: Vec<LiveResource> = with_tags(cx, req, &listeners, t::Listener::listener_arn)
            .await?
            .into_iter()
            .map(|(l, _, tags)| to_live(l, &tags))
            .collect();
        // `DescribeListeners` names the default certificate only: the listeners recorded with
        // more read them all (one `DescribeListenerCertificates` each).
        let with_extra: Vec<&str> = req
            .records
            .iter()
            .filter(|r| str_list(r.attrs, "certificates").len() > 1)
            .map(|r| r.id)
            .collect();
        let extra = try_join_all(
            live.iter()
                .filter(|l| with_extra.contains(&l.id.as_str()))
                .map(|l| async move {
                    Ok::<_, ProviderError>((l.id.clone(), all_certificates(cx, &l.id).await?))
                }),
        )
        .await?;
        for (id, certificates) in extra {
            if let Some(l) = live.iter_mut().find(|l| l.id == id) {
                l.attrs.insert("certificates".into(), json!(certificates));
            }
        }
        Ok(live)
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let lb = required(a, "load_balancer")?;
        let default_actions = actions::to_aws(a.get("default_actions"))?;
        let (arn, sent) = once_certificates_known(cx, progress, || {
            create_once(
                cx,
                self,
                req,
                || {
                    client_once(cx)
                        .create_listener()
                        .load_balancer_arn(lb)
                        .set_port(port(a))
                        .protocol(ProtocolEnum::from(
                            str_field(a, "protocol").unwrap_or("HTTP"),
                        ))
                        .set_certificates(default_certificate(a))
                        .set_ssl_policy(str_field(a, "ssl_policy").map(str::to_string))
                        .set_default_actions(Some(default_actions.clone()))
                        .set_tags(Some(create_tags(req)))
                        .send()
                        .map_err(aws("elbv2:CreateListener"))
                },
                |out| {
                    out.listeners()
                        .first()
                        .and_then(|l| l.listener_arn())
                        .map(str::to_string)
                },
            )
        })
        .await?;
        progress.created(&arn);
        let listener = match sent.answer().and_then(|o| o.listeners().first().cloned()) {
            Some(l) => l,
            None => {
                super::until_visible("the listener", cx, progress, || async {
                    let all = listeners_of(cx, &[lb.to_string()]).await?;
                    Ok(all
                        .into_iter()
                        .find(|l| l.listener_arn() == Some(arn.as_str())))
                })
                .await?
            }
        };
        let mut live = to_live(&listener, &[]);
        let want = str_list(a, "certificates");
        if want.len() > 1 {
            once_certificates_known(cx, progress, || set_extra_certificates(cx, &arn, &want))
                .await?;
            live.attrs.insert("certificates".into(), json!(want));
        }
        Ok(created(live, req))
    }

    /// One `ModifyListener` with every changed field but the tags.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let mut call = client(cx).modify_listener().listener_arn(req.id);
        let mut modify = false;
        let mut extra = false;
        for f in req.changed {
            match f.as_str() {
                "port" => call = call.set_port(port(a)),
                "protocol" => {
                    call = call.protocol(ProtocolEnum::from(
                        str_field(a, "protocol").unwrap_or("HTTP"),
                    ));
                }
                "certificates" => {
                    call = call.set_certificates(default_certificate(a));
                    extra = true;
                }
                "ssl_policy" => {
                    call = call.set_ssl_policy(str_field(a, "ssl_policy").map(str::to_string));
                }
                "default_actions" => {
                    call =
                        call.set_default_actions(Some(actions::to_aws(a.get("default_actions"))?));
                }
                "tags" => {
                    tags::sync_tags(cx, req).await?;
                    continue;
                }
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("elbv2.listener cannot change `{other}` in place"),
                    ));
                }
            }
            modify = true;
        }
        if modify {
            once_certificates_known(cx, progress, || {
                call.clone().send().map_err(aws("elbv2:ModifyListener"))
            })
            .await?;
        }
        if extra {
            let want = str_list(a, "certificates");
            once_certificates_known(cx, progress, || set_extra_certificates(cx, req.id, &want))
                .await?;
        }
        Ok(updated(req))
    }

    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        _: &Progress,
    ) -> Result<(), ProviderError> {
        removed(
            client(cx)
                .delete_listener()
                .listener_arn(req.id)
                .send()
                .await
                .map_err(aws("elbv2:DeleteListener")),
        )
    }
}
