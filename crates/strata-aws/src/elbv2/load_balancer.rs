//! `elbv2.load_balancer` on AWS: CreateLoadBalancer, SetSubnets, SetSecurityGroups,
//! SetIpAddressType, ModifyLoadBalancerAttributes, DeleteLoadBalancer.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    self as t, IpAddressType, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
};
use futures_util::TryFutureExt;
use futures_util::future::try_join_all;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, create_tags};
use super::{
    AwsKind, attribute_map, client, client_once, create_once, created, describe_ids_and_stack,
    str_field, str_list, updated, with_tags,
};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::kind::name_or_prefix;
use crate::wait::{self, Backoff, Goal, Poll};

const CREATE_TIMEOUT: Duration = Duration::from_secs(900);
const DELETE_TIMEOUT: Duration = Duration::from_secs(900);

const ACTIVE: Goal<'static> = Goal {
    ready: &["active"],
    on_the_way: &["provisioning"],
};

/// The document's attribute fields and AWS's keys for them, with AWS's defaults.
const ATTRIBUTES: &[(&str, &str, &str)] = &[
    ("idle_timeout", "idle_timeout.timeout_seconds", "60"),
    (
        "deletion_protection",
        "deletion_protection.enabled",
        "false",
    ),
    ("http2", "routing.http2.enabled", "true"),
    (
        "drop_invalid_header_fields",
        "routing.http.drop_invalid_header_fields.enabled",
        "false",
    ),
];

pub struct LoadBalancer;

async fn by_arns(cx: &Ctx, arns: Vec<String>) -> Result<Vec<t::LoadBalancer>, ProviderError> {
    client(cx)
        .describe_load_balancers()
        .set_load_balancer_arns(Some(arns))
        .send()
        .await
        .map(|o| o.load_balancers().to_vec())
        .map_err(aws("elbv2:DescribeLoadBalancers"))
}

/// Every load balancer of the region, paginated.
pub(super) async fn all(cx: &Ctx) -> Result<Vec<t::LoadBalancer>, ProviderError> {
    client(cx)
        .describe_load_balancers()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("elbv2:DescribeLoadBalancers"))
}

/// One load balancer by ARN, `None` once it is gone.
async fn one(cx: &Ctx, arn: &str) -> Result<Option<t::LoadBalancer>, ProviderError> {
    match by_arns(cx, vec![arn.to_string()]).await {
        Ok(v) => Ok(v.into_iter().next()),
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

async fn attributes(cx: &Ctx, arn: &str) -> Result<BTreeMap<String, String>, ProviderError> {
    let out = client(cx)
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(aws("elbv2:DescribeLoadBalancerAttributes"))?;
    Ok(attribute_map(
        out.attributes().iter().map(|a| (a.key(), a.value())),
    ))
}

fn state(lb: &t::LoadBalancer) -> String {
    lb.state()
        .and_then(|s| s.code())
        .map_or("unknown", |c| c.as_str())
        .to_string()
}

/// The document's attribute fields from AWS's attributes (AWS's default where one is missing).
fn attribute_fields(attrs: &BTreeMap<String, String>) -> serde_json::Map<String, Value> {
    ATTRIBUTES
        .iter()
        .map(|(field, key, default)| {
            let text = attrs.get(*key).map_or(*default, String::as_str);
            let value = match *field {
                "idle_timeout" => json!(text.parse::<u64>().unwrap_or(60)),
                _ => json!(text == "true"),
            };
            ((*field).to_string(), value)
        })
        .collect()
}

fn to_live(
    lb: &t::LoadBalancer,
    tags: &[(String, String)],
    attrs: &BTreeMap<String, String>,
) -> LiveResource {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let mut subnets: Vec<&str> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.subnet_id())
        .collect();
    subnets.sort_unstable();
    let mut m = json!({
        "name": lb.load_balancer_name(),
        "type": lb.r#type().map(LoadBalancerTypeEnum::as_str),
        "scheme": lb.scheme().map(LoadBalancerSchemeEnum::as_str),
        "subnets": subnets,
        "security_groups": lb.security_groups(),
        "ip_address_type": lb.ip_address_type().map(IpAddressType::as_str),
        "arn": arn,
        "dns_name": lb.dns_name(),
        "zone_id": lb.canonical_hosted_zone_id(),
        "vpc": lb.vpc_id(),
    });
    if let Some(o) = m.as_object_mut() {
        o.extend(attribute_fields(attrs));
    }
    super::live("elbv2.load_balancer", arn, tags, m).converging(ACTIVE.converging(&state(lb)))
}

/// The attributes a create or update sends: the document's fields among `fields`.
fn attributes_to_set(
    a: &strata_engine::value::Attrs,
    fields: &[&str],
) -> Vec<LoadBalancerAttribute> {
    ATTRIBUTES
        .iter()
        .filter(|(field, _, _)| fields.contains(field))
        .filter_map(|(field, key, _)| {
            let v = a.get(*field)?;
            let text = match v {
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => return None,
            };
            Some(
                LoadBalancerAttribute::builder()
                    .key(*key)
                    .value(text)
                    .build(),
            )
        })
        .collect()
}

async fn set_attributes(
    cx: &Ctx,
    arn: &str,
    attributes: Vec<LoadBalancerAttribute>,
) -> Result<(), ProviderError> {
    if attributes.is_empty() {
        return Ok(());
    }
    client(cx)
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map(|_| ())
        .map_err(aws("elbv2:ModifyLoadBalancerAttributes"))
}

/// The description AWS gives a load balancer's network interfaces: `ELB app/NAME/ID`, as its
/// ARN ends.
fn interface_description(arn: &str) -> Option<String> {
    arn.split_once(":loadbalancer/")
        .map(|(_, rest)| format!("ELB {rest}"))
}

/// The load balancer's network interfaces still in its subnets (they linger for minutes after
/// the delete).
async fn interfaces_left(cx: &Ctx, arn: &str) -> Result<Vec<String>, ProviderError> {
    let Some(description) = interface_description(arn) else {
        return Ok(Vec::new());
    };
    let out = cx
        .ec2
        .describe_network_interfaces()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("description")
                .values(description)
                .build(),
        )
        .send()
        .await
        .map_err(aws("ec2:DescribeNetworkInterfaces"))?;
    Ok(out
        .network_interfaces()
        .iter()
        .filter_map(|n| n.network_interface_id().map(str::to_string))
        .collect())
}

#[async_trait]
impl AwsKind for LoadBalancer {
    fn kind(&self) -> &'static str {
        "elbv2.load_balancer"
    }

    /// Found by the tagging API's listing (`loadbalancer/app/NAME/ID`).
    fn discovery(&self) -> Discovery {
        Discovery::TaggingArn(&["elasticloadbalancing:loadbalancer"])
    }

    /// `DescribeLoadBalancers` by ARN (20 a call) and `DescribeTags` (20 a call); each load
    /// balancer's attributes with one `DescribeLoadBalancerAttributes` (ELBv2 has no batched
    /// read of them), concurrently.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let lbs = describe_ids_and_stack(
            cx,
            self,
            (req.ids, req.stack),
            |batch| by_arns(cx, batch),
            || all(cx),
        )
        .await?;
        let wanted = with_tags(cx, req, &lbs, t::LoadBalancer::load_balancer_arn).await?;
        let attrs = try_join_all(wanted.iter().map(|(_, arn, _)| attributes(cx, arn))).await?;
        Ok(wanted
            .iter()
            .zip(attrs)
            .map(|((l, _, tags), a)| to_live(l, tags, &a))
            .collect())
    }

    /// Creates it, tagged in the call, sets its attributes, and waits until it is `active`
    /// (unless `req.wait` is off: it is then recorded as converging).
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let name = name_or_prefix(req, "name", "name_prefix")?;
        let (arn, _) = create_once(
            cx,
            self,
            req,
            || {
                client_once(cx)
                    .create_load_balancer()
                    .name(&name)
                    .r#type(LoadBalancerTypeEnum::Application)
                    .scheme(LoadBalancerSchemeEnum::from(
                        str_field(a, "scheme").unwrap_or("internet-facing"),
                    ))
                    .set_subnets(Some(str_list(a, "subnets")))
                    .set_security_groups(Some(str_list(a, "security_groups")))
                    .ip_address_type(IpAddressType::from(
                        str_field(a, "ip_address_type").unwrap_or("ipv4"),
                    ))
                    .set_tags(Some(create_tags(req)))
                    .send()
                    .map_err(aws("elbv2:CreateLoadBalancer"))
            },
            |out| {
                out.load_balancers()
                    .first()
                    .and_then(|l| l.load_balancer_arn())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&arn);
        let fields: Vec<&str> = ATTRIBUTES.iter().map(|(f, _, _)| *f).collect();
        set_attributes(cx, &arn, attributes_to_set(a, &fields)).await?;
        let lb = if req.wait {
            wait::until(
                "the load balancer to be active",
                cx.timeout(CREATE_TIMEOUT),
                Backoff::default(),
                progress,
                || async {
                    Ok(match one(cx, &arn).await? {
                        Some(l) if state(&l) == "failed" => {
                            return Err(ProviderError::new(
                                ErrorClass::Invalid,
                                format!("load balancer {name} failed to provision"),
                            )
                            .with_help(
                                "check its subnets (one per availability zone, public for an \
                                 internet-facing one) and security groups",
                            ));
                        }
                        Some(l) => ACTIVE.poll(&state(&l), l),
                        None => Poll::Missing,
                    })
                },
            )
            .await?
        } else {
            super::until_visible("the load balancer", cx, progress, || one(cx, &arn)).await?
        };
        let attrs = attributes(cx, &arn).await?;
        Ok(created(to_live(&lb, &[], &attrs), req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let c = client(cx);
        let mut attribute_fields: Vec<&str> = Vec::new();
        for f in req.changed {
            match f.as_str() {
                "subnets" => {
                    c.set_subnets()
                        .load_balancer_arn(req.id)
                        .set_subnets(Some(str_list(a, "subnets")))
                        .send()
                        .await
                        .map_err(aws("elbv2:SetSubnets"))?;
                }
                "security_groups" => {
                    c.set_security_groups()
                        .load_balancer_arn(req.id)
                        .set_security_groups(Some(str_list(a, "security_groups")))
                        .send()
                        .await
                        .map_err(aws("elbv2:SetSecurityGroups"))?;
                }
                "ip_address_type" => {
                    c.set_ip_address_type()
                        .load_balancer_arn(req.id)
                        .ip_address_type(IpAddressType::from(
                            str_field(a, "ip_address_type").unwrap_or("ipv4"),
                        ))
                        .send()
                        .await
                        .map_err(aws("elbv2:SetIpAddressType"))?;
                }
                "tags" => tags::sync_tags(cx, req).await?,
                other if ATTRIBUTES.iter().any(|(f, _, _)| *f == other) => {
                    attribute_fields.push(other);
                }
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("elbv2.load_balancer cannot change `{other}` in place"),
                    ));
                }
            }
        }
        set_attributes(cx, req.id, attributes_to_set(a, &attribute_fields)).await?;
        Ok(updated(req))
    }

    /// Deletes it and waits until it is gone and its network interfaces have left its subnets
    /// and security groups (they linger for minutes on AWS). Deletion protection is never
    /// turned off here: AWS's refusal is reported with the way out.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let arn = req.id;
        match client(cx)
            .delete_load_balancer()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(aws("elbv2:DeleteLoadBalancer"))
        {
            Ok(_) => {}
            Err(e) if e.class == ErrorClass::NotFound => {}
            Err(e) if e.code.as_deref() == Some("OperationNotPermitted") => {
                return Err(e.with_help(format!(
                    "deletion protection is on for {}: set `deletion_protection: false` on it, \
                     apply, then delete it (strata never turns protection off by itself)",
                    req.name
                )));
            }
            Err(e) => return Err(e),
        }
        wait::until(
            "the load balancer to be deleted",
            cx.timeout(DELETE_TIMEOUT),
            Backoff::default(),
            progress,
            || async {
                Ok(match one(cx, arn).await? {
                    None => Poll::Ready(()),
                    Some(l) => Poll::NotYet(state(&l)),
                })
            },
        )
        .await?;
        wait::until(
            "the load balancer's network interfaces to be released",
            cx.timeout(DELETE_TIMEOUT),
            Backoff::default(),
            progress,
            || async {
                let left = interfaces_left(cx, arn).await?;
                Ok(if left.is_empty() {
                    Poll::Ready(())
                } else {
                    Poll::NotYet(left.join(", "))
                })
            },
        )
        .await
    }
}
