//! `elbv2.target_group` on AWS: CreateTargetGroup, ModifyTargetGroup,
//! ModifyTargetGroupAttributes, DeleteTargetGroup. Registered targets are never read or changed.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    self as t, Matcher, ProtocolEnum, TargetGroupAttribute, TargetTypeEnum,
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
use super::{
    AwsKind, attribute_map, client, client_once, create_once, created, delete_until_free,
    describe_ids_and_stack, str_field, updated, with_tags,
};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::kind::name_or_prefix;

const DELETE_TIMEOUT: Duration = Duration::from_secs(600);

pub struct TargetGroup;

async fn by_arns(cx: &Ctx, arns: Vec<String>) -> Result<Vec<t::TargetGroup>, ProviderError> {
    client(cx)
        .describe_target_groups()
        .set_target_group_arns(Some(arns))
        .send()
        .await
        .map(|o| o.target_groups().to_vec())
        .map_err(aws("elbv2:DescribeTargetGroups"))
}

async fn all(cx: &Ctx) -> Result<Vec<t::TargetGroup>, ProviderError> {
    client(cx)
        .describe_target_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("elbv2:DescribeTargetGroups"))
}

async fn attributes(cx: &Ctx, arn: &str) -> Result<BTreeMap<String, String>, ProviderError> {
    let out = client(cx)
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(aws("elbv2:DescribeTargetGroupAttributes"))?;
    Ok(attribute_map(
        out.attributes().iter().map(|a| (a.key(), a.value())),
    ))
}

fn number(attrs: &BTreeMap<String, String>, key: &str, default: u64) -> u64 {
    attrs
        .get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn to_live(
    tg: &t::TargetGroup,
    tags: &[(String, String)],
    attrs: &BTreeMap<String, String>,
) -> LiveResource {
    let arn = tg.target_group_arn().unwrap_or_default();
    let lambda = tg.target_type() == Some(&TargetTypeEnum::Lambda);
    let m = json!({
        "name": tg.target_group_name(),
        "protocol": tg.protocol().map(ProtocolEnum::as_str),
        "port": if lambda { None } else { tg.port() },
        "vpc": tg.vpc_id(),
        "target_type": tg.target_type().map(TargetTypeEnum::as_str),
        "health_check": {
            "enabled": tg.health_check_enabled().unwrap_or(true),
            "path": tg.health_check_path().unwrap_or("/"),
            "port": tg.health_check_port().unwrap_or("traffic-port"),
            "protocol": tg.health_check_protocol().map(ProtocolEnum::as_str),
            "interval": tg.health_check_interval_seconds().unwrap_or(30),
            "timeout": tg.health_check_timeout_seconds().unwrap_or(5),
            "healthy_threshold": tg.healthy_threshold_count().unwrap_or(5),
            "unhealthy_threshold": tg.unhealthy_threshold_count().unwrap_or(2),
            "matcher": tg.matcher().and_then(Matcher::http_code).unwrap_or("200"),
        },
        "deregistration_delay": number(attrs, "deregistration_delay.timeout_seconds", 300),
        "stickiness": {
            "enabled": attrs.get("stickiness.enabled").is_some_and(|v| v == "true"),
            "duration": number(attrs, "stickiness.lb_cookie.duration_seconds", 86_400),
        },
        "arn": arn,
    });
    super::live("elbv2.target_group", arn, tags, m)
}

/// The document's health check, field by field (AWS's defaults where it leaves one out).
struct Health {
    enabled: bool,
    path: String,
    port: String,
    protocol: Option<ProtocolEnum>,
    interval: i32,
    timeout: i32,
    healthy: i32,
    unhealthy: i32,
    matcher: String,
}

impl Health {
    fn of(a: &Attrs) -> Health {
        let hc = a.get("health_check").and_then(Value::as_object);
        let text = |k: &str, d: &str| {
            hc.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .unwrap_or(d)
                .to_string()
        };
        let int = |k: &str, d: i64| {
            i32::try_from(
                hc.and_then(|m| m.get(k))
                    .and_then(Value::as_i64)
                    .unwrap_or(d),
            )
            .unwrap_or(0)
        };
        Health {
            enabled: hc
                .and_then(|m| m.get("enabled"))
                .and_then(Value::as_bool)
                .unwrap_or(true),
            path: text("path", "/"),
            port: text("port", "traffic-port"),
            protocol: hc
                .and_then(|m| m.get("protocol"))
                .and_then(Value::as_str)
                .map(ProtocolEnum::from),
            interval: int("interval", 30),
            timeout: int("timeout", 5),
            healthy: int("healthy_threshold", 5),
            unhealthy: int("unhealthy_threshold", 2),
            matcher: text("matcher", "200"),
        }
    }
}

/// Sets the health check on a create or modify builder (both have the same setters).
macro_rules! with_health {
    ($b:expr, $h:expr) => {{
        let h = $h;
        $b.health_check_enabled(h.enabled)
            .health_check_path(h.path)
            .health_check_port(h.port)
            .set_health_check_protocol(h.protocol)
            .health_check_interval_seconds(h.interval)
            .health_check_timeout_seconds(h.timeout)
            .healthy_threshold_count(h.healthy)
            .unhealthy_threshold_count(h.unhealthy)
            .matcher(Matcher::builder().http_code(h.matcher).build())
    }};
}

/// The attributes the document's fields among `fields` set.
fn attributes_to_set(a: &Attrs, fields: &[&str]) -> Vec<TargetGroupAttribute> {
    let attr = |k: &str, v: String| TargetGroupAttribute::builder().key(k).value(v).build();
    let mut out = Vec::new();
    if fields.contains(&"deregistration_delay")
        && let Some(d) = a.get("deregistration_delay").and_then(Value::as_u64)
    {
        out.push(attr("deregistration_delay.timeout_seconds", d.to_string()));
    }
    if fields.contains(&"stickiness")
        && let Some(s) = a.get("stickiness").and_then(Value::as_object)
    {
        let on = s.get("enabled").and_then(Value::as_bool).unwrap_or(false);
        out.push(attr("stickiness.enabled", on.to_string()));
        out.push(attr("stickiness.type", "lb_cookie".to_string()));
        if let Some(d) = s.get("duration").and_then(Value::as_u64) {
            out.push(attr("stickiness.lb_cookie.duration_seconds", d.to_string()));
        }
    }
    out
}

async fn set_attributes(
    cx: &Ctx,
    arn: &str,
    attributes: Vec<TargetGroupAttribute>,
) -> Result<(), ProviderError> {
    if attributes.is_empty() {
        return Ok(());
    }
    client(cx)
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map(|_| ())
        .map_err(aws("elbv2:ModifyTargetGroupAttributes"))
}

#[async_trait]
impl AwsKind for TargetGroup {
    fn kind(&self) -> &'static str {
        "elbv2.target_group"
    }

    /// Found by the tagging API's listing (`targetgroup/NAME/ID`).
    fn discovery(&self) -> Discovery {
        Discovery::TaggingArn(&["elasticloadbalancing:targetgroup"])
    }

    /// `DescribeTargetGroups` by ARN (20 a call) and `DescribeTags` (20 a call); each group's
    /// attributes with one `DescribeTargetGroupAttributes`, concurrently.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let groups = describe_ids_and_stack(
            cx,
            self,
            (req.ids, req.stack),
            |batch| by_arns(cx, batch),
            || all(cx),
        )
        .await?;
        let wanted = with_tags(cx, req, &groups, t::TargetGroup::target_group_arn).await?;
        let attrs = try_join_all(wanted.iter().map(|(_, arn, _)| attributes(cx, arn))).await?;
        Ok(wanted
            .iter()
            .zip(attrs)
            .map(|((g, _, tags), a)| to_live(g, tags, &a))
            .collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let name = name_or_prefix(req, "name", "name_prefix")?;
        let port = a
            .get("port")
            .and_then(Value::as_i64)
            .and_then(|p| i32::try_from(p).ok());
        let (arn, sent) = create_once(
            cx,
            self,
            req,
            || {
                let b = client_once(cx)
                    .create_target_group()
                    .name(&name)
                    .protocol(ProtocolEnum::from(
                        str_field(a, "protocol").unwrap_or("HTTP"),
                    ))
                    .set_port(port)
                    .set_vpc_id(str_field(a, "vpc").map(str::to_string))
                    .target_type(TargetTypeEnum::from(
                        str_field(a, "target_type").unwrap_or("instance"),
                    ))
                    .set_tags(Some(create_tags(req)));
                with_health!(b, Health::of(a))
                    .send()
                    .map_err(aws("elbv2:CreateTargetGroup"))
            },
            |out| {
                out.target_groups()
                    .first()
                    .and_then(|g| g.target_group_arn())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&arn);
        set_attributes(
            cx,
            &arn,
            attributes_to_set(a, &["deregistration_delay", "stickiness"]),
        )
        .await?;
        let group = match sent
            .answer()
            .and_then(|o| o.target_groups().first().cloned())
        {
            Some(g) => g,
            None => {
                super::until_visible("the target group", cx, progress, || async {
                    Ok(by_arns(cx, vec![arn.clone()]).await?.into_iter().next())
                })
                .await?
            }
        };
        let attrs = attributes(cx, &arn).await?;
        Ok(created(to_live(&group, &[], &attrs), req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let mut attribute_fields: Vec<&str> = Vec::new();
        for f in req.changed {
            match f.as_str() {
                "health_check" => {
                    let b = client(cx).modify_target_group().target_group_arn(req.id);
                    with_health!(b, Health::of(a))
                        .send()
                        .await
                        .map_err(aws("elbv2:ModifyTargetGroup"))?;
                }
                "deregistration_delay" | "stickiness" => attribute_fields.push(f.as_str()),
                "tags" => tags::sync_tags(cx, req).await?,
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("elbv2.target_group cannot change `{other}` in place"),
                    ));
                }
            }
        }
        set_attributes(cx, req.id, attributes_to_set(a, &attribute_fields)).await?;
        Ok(updated(req))
    }

    /// Deletes it once no listener or rule uses it: `ResourceInUse` is waited out (the
    /// listener that uses it may be being deleted in the same apply).
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let arn = req.id;
        delete_until_free(
            "the target group",
            cx.timeout(DELETE_TIMEOUT),
            progress,
            || async {
                client(cx)
                    .delete_target_group()
                    .target_group_arn(arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws("elbv2:DeleteTargetGroup"))
            },
            || async { Some("a listener or rule that forwards to it".to_string()) },
        )
        .await
    }
}
