//! `iam.role` on AWS: CreateRole (tagged in the call), GetRole, ListRoles, ListRolePolicies /
//! GetRolePolicy / PutRolePolicy / DeleteRolePolicy, ListAttachedRolePolicies /
//! AttachRolePolicy / DetachRolePolicy, UpdateAssumeRolePolicy, UpdateRole, TagRole /
//! UntagRole, DeleteRole.
//!
//! Its id is its name. IAM roles are not in the tagging API's listing: the stack's are found
//! by `ListRoles` and the tags of each role whose name the documents give (`GetRole` answers
//! them), or of every role when the read does not know the documents' names. IAM answers policy documents
//! URL-encoded: they are decoded and read as JSON, so that they compare with the documents'
//! mappings.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_iam::types::Role;
use futures_util::TryFutureExt;
use futures_util::future::try_join_all;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, LiveResource, Progress, ProviderError, ReadRequest, UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags::{self, create_tags};
use super::{
    AwsKind, client, client_once, create_once, created, gone_between, i32_field, removed,
    str_field, str_list, updated,
};
use crate::Ctx;
use crate::error::aws;
use crate::kind::name_or_prefix;
use crate::tags::STACK_TAG;

pub struct RoleKind;

const KIND: &str = "iam.role";

/// A policy document as IAM answers it (URL-encoded JSON), as a JSON value; text that is not
/// JSON is kept as text.
fn document(text: &str) -> Value {
    let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
    serde_json::from_str(&decoded).unwrap_or_else(|_| json!(text))
}

/// The names of every role of the account (`ListRoles`, paginated).
async fn names(cx: &Ctx) -> Result<Vec<String>, ProviderError> {
    let roles: Vec<Role> = client(cx)
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("iam:ListRoles"))?;
    Ok(roles.iter().map(|r| r.role_name().to_string()).collect())
}

/// One role by name, with its tags and trust policy (`GetRole`).
async fn get(cx: &Ctx, name: &str) -> Result<Role, ProviderError> {
    client(cx)
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(aws("iam:GetRole"))?
        .role
        .ok_or_else(|| {
            ProviderError::new(
                strata_engine::provider::ErrorClass::NotFound,
                format!("IAM answered no role named {name}"),
            )
        })
}

/// The role's inline policies, by name (`ListRolePolicies`, then `GetRolePolicy` each).
async fn inline_policies(cx: &Ctx, name: &str) -> Result<BTreeMap<String, Value>, ProviderError> {
    let names: Vec<String> = client(cx)
        .list_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("iam:ListRolePolicies"))?;
    let docs = try_join_all(names.iter().map(|p| async move {
        client(cx)
            .get_role_policy()
            .role_name(name)
            .policy_name(p)
            .send()
            .await
            .map(|o| (p.clone(), document(o.policy_document())))
            .map_err(aws("iam:GetRolePolicy"))
    }))
    .await?;
    Ok(docs.into_iter().collect())
}

/// The ARNs of the managed policies attached to the role (`ListAttachedRolePolicies`).
async fn attached(cx: &Ctx, name: &str) -> Result<BTreeSet<String>, ProviderError> {
    let policies: Vec<_> = client(cx)
        .list_attached_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("iam:ListAttachedRolePolicies"))?;
    Ok(policies
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect())
}

/// The role as a live resource, with its policies read.
async fn read_one(cx: &Ctx, role: Role) -> Result<LiveResource, ProviderError> {
    let name = role.role_name();
    let (inline, managed) = tokio::try_join!(inline_policies(cx, name), attached(cx, name))?;
    let mut m = json!({
        "name": name,
        "path": role.path(),
        "assume_role_policy": role.assume_role_policy_document().map(document),
        "inline_policies": inline,
        "managed_policy_arns": managed,
        "max_session_duration": role.max_session_duration().unwrap_or(3600),
        "arn": role.arn(),
        "unique_id": role.role_id(),
    });
    // An empty description is none (`UpdateRole` removes one by setting it empty).
    if let (Some(d), Some(o)) = (
        role.description().filter(|d| !d.is_empty()),
        m.as_object_mut(),
    ) {
        o.insert("description".into(), json!(d));
    }
    Ok(crate::kind::live_with_tags(
        KIND,
        name,
        tags::split(role.tags()),
        m,
    ))
}

/// Whether the role carries the stack's ownership tag.
fn of_stack(role: &Role, stack: &str) -> bool {
    role.tags()
        .iter()
        .any(|t| t.key() == STACK_TAG && t.value() == stack)
}

/// The inline policies of a resource's attributes, by name.
fn desired_inline(a: &Attrs) -> BTreeMap<String, Value> {
    a.get("inline_policies")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Writes each inline policy that differs from the role's (`prior`), and deletes those the
/// documents no longer give.
async fn sync_inline(
    cx: &Ctx,
    name: &str,
    prior: &BTreeMap<String, Value>,
    want: &BTreeMap<String, Value>,
) -> Result<(), ProviderError> {
    let c = client(cx);
    for (p, doc) in want {
        if prior.get(p) == Some(doc) {
            continue;
        }
        c.put_role_policy()
            .role_name(name)
            .policy_name(p)
            .policy_document(doc.to_string())
            .send()
            .await
            .map_err(aws("iam:PutRolePolicy"))?;
    }
    for p in prior.keys().filter(|p| !want.contains_key(*p)) {
        removed(
            c.delete_role_policy()
                .role_name(name)
                .policy_name(p)
                .send()
                .await
                .map_err(aws("iam:DeleteRolePolicy")),
        )?;
    }
    Ok(())
}

/// Attaches the managed policies the documents give that the role lacks, and detaches the
/// others.
async fn sync_managed(
    cx: &Ctx,
    name: &str,
    prior: &BTreeSet<String>,
    want: &BTreeSet<String>,
) -> Result<(), ProviderError> {
    let c = client(cx);
    for arn in want.difference(prior) {
        c.attach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
            .map_err(aws("iam:AttachRolePolicy"))?;
    }
    for arn in prior.difference(want) {
        removed(
            c.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(aws("iam:DetachRolePolicy")),
        )?;
    }
    Ok(())
}

/// Makes the role's user tags equal to the desired ones, and (re)sets the ownership tags.
async fn sync_tags(cx: &Ctx, req: &UpdateRequest<'_>) -> Result<(), ProviderError> {
    let (removed, set) = crate::tags::update_tags(req.prior, req.attrs, req.owner());
    let c = client(cx);
    if !removed.is_empty() {
        c.untag_role()
            .role_name(req.id)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(aws("iam:UntagRole"))?;
    }
    let set = set
        .into_iter()
        .map(|(k, v)| tags::tag(k, v))
        .collect::<Result<Vec<_>, _>>()?;
    c.tag_role()
        .role_name(req.id)
        .set_tags(Some(set))
        .send()
        .await
        .map_err(aws("iam:TagRole"))?;
    Ok(())
}

/// A policy of the attributes as the JSON text IAM takes.
fn policy_text(a: &Attrs, field: &str) -> String {
    a.get(field).cloned().unwrap_or(Value::Null).to_string()
}

#[async_trait]
impl AwsKind for RoleKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// `GetRole` for each name the lockfile gives and each role `ListRoles` lists that may be
    /// the stack's (a name the documents give, or any when they are not all known: its tags
    /// tell), then the policies of each one kept; a role deleted in between is gone.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let mut all: BTreeSet<String> = names(cx)
            .await?
            .into_iter()
            .filter(|n| req.may_be(n))
            .collect();
        all.extend(req.ids.iter().cloned());
        let roles = try_join_all(
            all.iter()
                .map(|n| async move { gone_between(get(cx, n).await) }),
        )
        .await?;
        let kept = roles
            .into_iter()
            .flatten()
            .filter(|r| req.ids.iter().any(|i| i == r.role_name()) || of_stack(r, req.stack));
        let read =
            try_join_all(kept.map(|r| async { gone_between(read_one(cx, r).await) })).await?;
        Ok(read.into_iter().flatten().collect())
    }

    /// CreateRole, tagged and with its trust policy in the call, then its inline and managed
    /// policies. The create takes no idempotency token: a lost answer is looked for by its tags
    /// (`create_once`), and the policies are written either way.
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let name = name_or_prefix(req, "name", "name_prefix")?;
        let trust = policy_text(a, "assume_role_policy");
        let tags = create_tags(req)?;
        let (id, _) = create_once(
            cx,
            self,
            req,
            || {
                client_once(cx)
                    .create_role()
                    .role_name(&name)
                    .path(str_field(a, "path").unwrap_or("/"))
                    .assume_role_policy_document(&trust)
                    .set_description(str_field(a, "description").map(str::to_string))
                    .set_max_session_duration(i32_field(a, "max_session_duration"))
                    .set_tags(Some(tags.clone()))
                    .send()
                    .map_err(aws("iam:CreateRole"))
            },
            |out| out.role().map(|r| r.role_name().to_string()),
        )
        .await?;
        progress.created(&id);
        // IAM is eventually consistent: wait until the role reads back before writing its
        // policies.
        let role = super::until_visible("the role", cx, progress, || async {
            gone_between(get(cx, &id).await)
        })
        .await?;
        // A copy found after a lost answer has none of its policies yet, or some: the rest are
        // written as for an update from nothing (a repeat writes the same).
        sync_inline(cx, &id, &BTreeMap::new(), &desired_inline(a)).await?;
        let managed = str_list(a, "managed_policy_arns").into_iter().collect();
        sync_managed(cx, &id, &BTreeSet::new(), &managed).await?;
        Ok(created(read_one(cx, role).await?, req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let (a, name) = (req.attrs, req.id);
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        let c = client(cx);
        if changed("assume_role_policy") {
            c.update_assume_role_policy()
                .role_name(name)
                .policy_document(policy_text(a, "assume_role_policy"))
                .send()
                .await
                .map_err(aws("iam:UpdateAssumeRolePolicy"))?;
        }
        if changed("inline_policies") {
            sync_inline(cx, name, &desired_inline(req.prior), &desired_inline(a)).await?;
        }
        if changed("managed_policy_arns") {
            let set = |x: &Attrs| str_list(x, "managed_policy_arns").into_iter().collect();
            sync_managed(cx, name, &set(req.prior), &set(a)).await?;
        }
        if changed("description") || changed("max_session_duration") {
            c.update_role()
                .role_name(name)
                .description(str_field(a, "description").unwrap_or_default())
                .set_max_session_duration(i32_field(a, "max_session_duration"))
                .send()
                .await
                .map_err(aws("iam:UpdateRole"))?;
        }
        if changed("tags") {
            sync_tags(cx, req).await?;
        }
        Ok(updated(req))
    }

    /// Detaches its managed policies and deletes its inline ones (IAM refuses to delete a role
    /// that has any), then DeleteRole; a role already gone is deleted.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        _: &Progress,
    ) -> Result<(), ProviderError> {
        let name = req.id;
        let policies = gone_between(
            async { tokio::try_join!(inline_policies(cx, name), attached(cx, name)) }.await,
        )?;
        let Some((inline, managed)) = policies else {
            return Ok(());
        };
        sync_managed(cx, name, &managed, &BTreeSet::new()).await?;
        sync_inline(cx, name, &inline, &BTreeMap::new()).await?;
        removed(
            client(cx)
                .delete_role()
                .role_name(name)
                .send()
                .await
                .map_err(aws("iam:DeleteRole")),
        )
    }
}
