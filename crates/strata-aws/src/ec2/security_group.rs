//! `ec2.security_group` on AWS: CreateSecurityGroup; rules one by one with
//! Authorize/RevokeSecurityGroupIngress/Egress and UpdateSecurityGroupRuleDescriptions*;
//! DeleteSecurityGroup, waiting out `DependencyViolation` and naming what holds the group.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, UserIdGroupPair,
};
use futures_util::TryFutureExt;
use futures_util::future::try_join_all;
use serde_json::{Map, Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;
use strata_model::kinds::security_group::{SELF, normalize_protocol};

use super::tags::{self, tag_specification};
use super::{
    AwsKind, Refusal, create_once, created, delete_until_free, describe_blocking_interfaces,
    id_filter, live, required, until_visible, updated,
};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::kind::name_or_prefix;

const DELETE_TIMEOUT: Duration = Duration::from_secs(1200);

pub struct SecurityGroup;

async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::SecurityGroup>, ProviderError> {
    cx.ec2
        .describe_security_groups()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeSecurityGroups"))
}

/// One rule per source, in strata's terms (the group itself is `self`).
fn flatten(group: &str, perms: &[IpPermission]) -> Vec<Value> {
    let mut out = Vec::new();
    for p in perms {
        let protocol = normalize_protocol(p.ip_protocol().unwrap_or("-1"));
        let base = |description: Option<&str>| {
            let mut m = Map::new();
            m.insert("protocol".into(), json!(protocol));
            if protocol != "-1" {
                m.insert("from_port".into(), json!(p.from_port().unwrap_or(-1)));
                m.insert("to_port".into(), json!(p.to_port().unwrap_or(-1)));
            }
            if let Some(d) = description.filter(|d| !d.is_empty()) {
                m.insert("description".into(), json!(d));
            }
            m
        };
        for r in p.ip_ranges() {
            let mut m = base(r.description());
            m.insert("cidr".into(), json!(r.cidr_ip()));
            out.push(Value::Object(m));
        }
        for r in p.ipv6_ranges() {
            let mut m = base(r.description());
            m.insert("ipv6_cidr".into(), json!(r.cidr_ipv6()));
            out.push(Value::Object(m));
        }
        for r in p.prefix_list_ids() {
            let mut m = base(r.description());
            m.insert("prefix_list".into(), json!(r.prefix_list_id()));
            out.push(Value::Object(m));
        }
        for r in p.user_id_group_pairs() {
            let mut m = base(r.description());
            let g = r.group_id().unwrap_or_default();
            m.insert(
                "security_group".into(),
                json!(if g == group { SELF } else { g }),
            );
            out.push(Value::Object(m));
        }
    }
    out
}

fn to_live(cx: &Ctx, g: &aws_sdk_ec2::types::SecurityGroup) -> LiveResource {
    let id = g.group_id().unwrap_or_default();
    let owner = g.owner_id().unwrap_or_default();
    live(
        "ec2.security_group",
        id,
        g.tags(),
        json!({
            "vpc": g.vpc_id(),
            "name": g.group_name(),
            "description": g.description(),
            "ingress": flatten(id, g.ip_permissions()),
            "egress": flatten(id, g.ip_permissions_egress()),
            "owner_id": owner,
            "arn": ec2_arn(cx, owner, id),
        }),
    )
}

fn ec2_arn(cx: &Ctx, owner: &str, id: &str) -> String {
    super::ec2_arn(cx, owner, "security-group", id)
}

/// A rule as one IpPermission (`group` replaces `self`).
fn permission(group: &str, rule: &Value) -> IpPermission {
    let s = |k: &str| rule.get(k).and_then(Value::as_str);
    let port = |k: &str| {
        rule.get(k)
            .and_then(Value::as_i64)
            .and_then(|p| i32::try_from(p).ok())
    };
    let description = s("description").map(str::to_string);
    let mut p = IpPermission::builder().ip_protocol(s("protocol").unwrap_or("-1"));
    if let Some(f) = port("from_port") {
        p = p.from_port(f);
    }
    if let Some(t) = port("to_port") {
        p = p.to_port(t);
    }
    if let Some(c) = s("cidr") {
        p = p.ip_ranges(
            IpRange::builder()
                .cidr_ip(c)
                .set_description(description)
                .build(),
        );
    } else if let Some(c) = s("ipv6_cidr") {
        p = p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(description)
                .build(),
        );
    } else if let Some(pl) = s("prefix_list") {
        p = p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(pl)
                .set_description(description)
                .build(),
        );
    } else if let Some(g) = s("security_group") {
        let g = if g == SELF { group } else { g };
        p = p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(description)
                .build(),
        );
    }
    p.build()
}

/// The rule without its description: what identifies it to AWS.
fn key(rule: &Value) -> Value {
    let mut k = rule.clone();
    if let Some(m) = k.as_object_mut() {
        m.remove("description");
    }
    k
}

fn rules(attrs: &Attrs, field: &str) -> Option<Vec<Value>> {
    attrs.get(field).and_then(Value::as_array).cloned()
}

/// Makes one direction's rules equal to `desired`: revokes extra rules (those added outside
/// strata included), authorizes missing ones, and updates descriptions in place.
async fn sync_rules(
    cx: &Ctx,
    id: &str,
    egress: bool,
    current: &[Value],
    desired: &[Value],
) -> Result<(), ProviderError> {
    let cur: BTreeMap<String, &Value> = current.iter().map(|r| (key(r).to_string(), r)).collect();
    let want: BTreeMap<String, &Value> = desired.iter().map(|r| (key(r).to_string(), r)).collect();
    let revoke: Vec<IpPermission> = cur
        .iter()
        .filter(|(k, _)| !want.contains_key(*k))
        .map(|(_, r)| permission(id, r))
        .collect();
    let add: Vec<IpPermission> = want
        .iter()
        .filter(|(k, _)| !cur.contains_key(*k))
        .map(|(_, r)| permission(id, r))
        .collect();
    let describe_changed: Vec<IpPermission> = want
        .iter()
        .filter(|(k, r)| {
            cur.get(*k)
                .is_some_and(|c| c.get("description") != r.get("description"))
        })
        .map(|(_, r)| permission(id, r))
        .collect();
    if !revoke.is_empty() {
        if egress {
            cx.ec2
                .revoke_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(revoke))
                .send()
                .await
                .map_err(aws("ec2:RevokeSecurityGroupEgress"))?;
        } else {
            cx.ec2
                .revoke_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(revoke))
                .send()
                .await
                .map_err(aws("ec2:RevokeSecurityGroupIngress"))?;
        }
    }
    if !add.is_empty() {
        if egress {
            cx.ec2
                .authorize_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(add))
                .send()
                .await
                .map_err(aws("ec2:AuthorizeSecurityGroupEgress"))?;
        } else {
            cx.ec2
                .authorize_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(add))
                .send()
                .await
                .map_err(aws("ec2:AuthorizeSecurityGroupIngress"))?;
        }
    }
    if !describe_changed.is_empty() {
        if egress {
            cx.ec2
                .update_security_group_rule_descriptions_egress()
                .group_id(id)
                .set_ip_permissions(Some(describe_changed))
                .send()
                .await
                .map_err(aws("ec2:UpdateSecurityGroupRuleDescriptionsEgress"))?;
        } else {
            cx.ec2
                .update_security_group_rule_descriptions_ingress()
                .group_id(id)
                .set_ip_permissions(Some(describe_changed))
                .send()
                .await
                .map_err(aws("ec2:UpdateSecurityGroupRuleDescriptionsIngress"))?;
        }
    }
    Ok(())
}

/// [`sync_rules`], and again from a fresh read if AWS refuses a rule as already there
/// (`InvalidPermission.Duplicate`) or already gone (`InvalidPermission.NotFound`): the repeat of
/// an authorize or revoke whose answer was lost is refused so, and so is a rule someone changed
/// since the read. Each pass starts from what exists and does what is left.
async fn sync_rules_from(
    cx: &Ctx,
    id: &str,
    egress: bool,
    current_rules: &[Value],
    desired: &[Value],
) -> Result<(), ProviderError> {
    const PASSES: usize = 4;
    const REFUSED: Refusal<'static> =
        Refusal::Codes(&["InvalidPermission.Duplicate", "InvalidPermission.NotFound"]);
    let field = if egress { "egress" } else { "ingress" };
    let mut now = current_rules.to_vec();
    for _ in 1..PASSES {
        match sync_rules(cx, id, egress, &now, desired).await {
            Err(e) if REFUSED.matches(&e) => {
                now = rules(&to_live(cx, &current(cx, id).await?).attrs, field).unwrap_or_default();
            }
            done => return done,
        }
    }
    sync_rules(cx, id, egress, &now, desired).await
}

async fn current(cx: &Ctx, id: &str) -> Result<aws_sdk_ec2::types::SecurityGroup, ProviderError> {
    describe(cx, id_filter("group-id", &[id.to_string()]))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ProviderError::new(ErrorClass::NotFound, format!("security group {id} is gone"))
        })
}

#[async_trait]
impl AwsKind for SecurityGroup {
    fn kind(&self) -> &'static str {
        "ec2.security_group"
    }

    /// Found by the tagging API's listing.
    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ec2:security-group"])
    }

    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let (ids, stack) = (req.ids, req.stack);
        let found = describe_ids_and_stack(
            cx,
            Scope {
                kind: self,
                id_filter: "group-id",
                ids,
                stack,
            },
            |f| describe(cx, f),
            aws_sdk_ec2::types::SecurityGroup::group_id,
        )
        .await?;
        Ok(found.values().map(|g| to_live(cx, g)).collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let (vpc, description) = (required(a, "vpc")?, required(a, "description")?);
        // A prefix is completed from the journaled token: a repeat after a crash names the same.
        let name = name_or_prefix(req, "name", "name_prefix")?;
        let name = name.as_str();
        let (id, _) = create_once(
            cx,
            self,
            req,
            || {
                cx.ec2_once
                    .create_security_group()
                    .vpc_id(vpc)
                    .group_name(name)
                    .description(description)
                    .tag_specifications(tag_specification(ResourceType::SecurityGroup, req))
                    .send()
                    .map_err(aws("ec2:CreateSecurityGroup"))
            },
            |out| out.group_id().map(str::to_string),
        )
        .await?;
        progress.created(&id);
        let g = until_visible("the security group", cx, progress, || async {
            current(cx, &id).await.map(Some)
        })
        .await?;
        let live_now = to_live(cx, &g);
        // Ingress and egress are separate calls on separate rule sets: they go out together.
        let id_ref = id.as_str();
        let syncs = ["ingress", "egress"].into_iter().filter_map(|f| {
            let want = rules(a, f)?;
            let now = rules(&live_now.attrs, f).unwrap_or_default();
            Some(async move { sync_rules_from(cx, id_ref, f == "egress", &now, &want).await })
        });
        try_join_all(syncs).await?;
        let mut l = live_now;
        for f in ["ingress", "egress"] {
            if let Some(r) = rules(a, f) {
                l.attrs.insert(f.into(), Value::Array(r));
            }
        }
        Ok(created(l, req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        if let Some(other) = req
            .changed
            .iter()
            .find(|f| !matches!(f.as_str(), "tags" | "ingress" | "egress"))
        {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                format!("ec2.security_group cannot change `{other}` in place"),
            ));
        }
        if req.changed.iter().any(|f| f == "tags") {
            tags::sync_tags(cx, req).await?;
        }
        let directions: Vec<&str> = req
            .changed
            .iter()
            .map(String::as_str)
            .filter(|f| matches!(*f, "ingress" | "egress"))
            .collect();
        if !directions.is_empty() {
            // One fresh read of the group, then each direction's calls, together.
            let fresh = to_live(cx, &current(cx, req.id).await?);
            let fresh = &fresh;
            try_join_all(directions.into_iter().map(|f| async move {
                let now = rules(&fresh.attrs, f).unwrap_or_default();
                let want = rules(req.attrs, f).unwrap_or_default();
                sync_rules_from(cx, req.id, f == "egress", &now, &want).await
            }))
            .await?;
        }
        Ok(updated(req))
    }

    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let id = req.id;
        delete_until_free(
            "the security group to be deleted",
            cx.timeout(DELETE_TIMEOUT),
            progress,
            || async move {
                cx.ec2
                    .delete_security_group()
                    .group_id(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws("ec2:DeleteSecurityGroup"))
            },
            || async move {
                let enis = describe_blocking_interfaces(cx, "group-id", id).await;
                let referencing = describe(
                    cx,
                    Filter::builder()
                        .name("ip-permission.group-id")
                        .values(id)
                        .build(),
                )
                .await
                .ok()
                .map(|gs| {
                    gs.iter()
                        .filter_map(|g| g.group_id())
                        .filter(|g| *g != id)
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .filter(|v| !v.is_empty())
                .map(|v| format!("rules of security groups {}", v.join(", ")));
                match (enis, referencing) {
                    (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                    (a, b) => a.or(b),
                }
            },
        )
        .await
    }
}
