//! `rds.db_cluster_parameter_group` on AWS: CreateDBClusterParameterGroup,
//! DescribeDBClusterParameterGroups (one name a call), DescribeDBClusterParameters with
//! `Source=user` (only the parameters set on the group, never the family's defaults),
//! ModifyDBClusterParameterGroup and ResetDBClusterParameterGroup (20 parameters a call),
//! DeleteDBClusterParameterGroup; tags by ARN.

use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, DbClusterParameterGroup, Parameter};
use futures_util::TryFutureExt;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags::{self, create_tags};
use super::{
    AwsKind, client, client_once, create_once, created, delete_until_free, read_by_name, str_field,
    tags_of, updated,
};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::kind::name_or_prefix;

pub struct DbClusterParameterGroupKind;

const KIND: &str = "rds.db_cluster_parameter_group";

/// The most parameters one modify or reset takes.
const PARAMETERS_PER_CALL: usize = 20;

async fn one(cx: &Ctx, name: &str) -> Result<Option<DbClusterParameterGroup>, ProviderError> {
    let r = client(cx)
        .describe_db_cluster_parameter_groups()
        .db_cluster_parameter_group_name(name)
        .send()
        .await
        .map_err(aws("rds:DescribeDBClusterParameterGroups"));
    match r {
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        other => Ok(other?.db_cluster_parameter_groups().first().cloned()),
    }
}

async fn all(cx: &Ctx) -> Result<Vec<DbClusterParameterGroup>, ProviderError> {
    let mut pages = client(cx)
        .describe_db_cluster_parameter_groups()
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("rds:DescribeDBClusterParameterGroups"))?;
        out.extend(page.db_cluster_parameter_groups().iter().cloned());
    }
    Ok(out)
}

/// The parameters set on the group (`Source=user`), all pages.
async fn user_parameters(cx: &Ctx, name: &str) -> Result<Vec<Parameter>, ProviderError> {
    let mut pages = client(cx)
        .describe_db_cluster_parameters()
        .db_cluster_parameter_group_name(name)
        .source("user")
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("rds:DescribeDBClusterParameters"))?;
        out.extend(page.parameters().iter().cloned());
    }
    Ok(out)
}

fn parameter_json(p: &Parameter) -> Value {
    json!({
        "name": p.parameter_name(),
        "value": p.parameter_value(),
        "apply_method": p.apply_method().map_or("pending-reboot", ApplyMethod::as_str),
    })
}

/// The group with its tags and its parameters.
async fn read_one(cx: &Ctx, g: DbClusterParameterGroup) -> Result<LiveResource, ProviderError> {
    let name = g
        .db_cluster_parameter_group_name()
        .unwrap_or_default()
        .to_string();
    let arn = g.db_cluster_parameter_group_arn().unwrap_or_default();
    let (t, params) = tokio::try_join!(tags_of(cx, arn), user_parameters(cx, &name))?;
    let params: Vec<Value> = params.iter().map(parameter_json).collect();
    Ok(tags::live(
        KIND,
        &name,
        &t,
        json!({
            "name": name,
            "family": g.db_parameter_group_family(),
            "description": g.description(),
            "parameters": params,
            "arn": arn,
        }),
    ))
}

/// The documents' parameters as RDS takes them.
fn parameters(v: Option<&Value>) -> Vec<Parameter> {
    v.and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default();
            Parameter::builder()
                .parameter_name(text("name"))
                .parameter_value(text("value"))
                .apply_method(ApplyMethod::from(match text("apply_method") {
                    "" => "pending-reboot",
                    m => m,
                }))
                .build()
        })
        .collect()
}

/// Sets the parameters, 20 a call.
async fn set(cx: &Ctx, name: &str, params: Vec<Parameter>) -> Result<(), ProviderError> {
    for chunk in params.chunks(PARAMETERS_PER_CALL) {
        client(cx)
            .modify_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(name)
            .set_parameters(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws("rds:ModifyDBClusterParameterGroup"))?;
    }
    Ok(())
}

/// Resets the named parameters to the family's defaults, 20 a call.
async fn reset(cx: &Ctx, name: &str, names: &[String]) -> Result<(), ProviderError> {
    for chunk in names.chunks(PARAMETERS_PER_CALL) {
        let params = chunk
            .iter()
            .map(|n| {
                Parameter::builder()
                    .parameter_name(n)
                    .apply_method(ApplyMethod::PendingReboot)
                    .build()
            })
            .collect();
        client(cx)
            .reset_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(name)
            .set_parameters(Some(params))
            .send()
            .await
            .map_err(aws("rds:ResetDBClusterParameterGroup"))?;
    }
    Ok(())
}

/// Names of the parameters `prior` sets that `attrs` does not.
fn removed(prior: &Attrs, attrs: &Attrs) -> Vec<String> {
    let names = |a: &Attrs| -> Vec<String> {
        parameters(a.get("parameters"))
            .iter()
            .filter_map(|p| p.parameter_name().map(str::to_string))
            .collect()
    };
    let keep = names(attrs);
    names(prior)
        .into_iter()
        .filter(|n| !keep.contains(n))
        .collect()
}

#[async_trait]
impl AwsKind for DbClusterParameterGroupKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["rds:cluster-pg"])
    }

    /// One describe per name the lockfile or the listing gives, then its tags and its user
    /// parameters; without a listing, every group.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        read_by_name(
            cx,
            self,
            req,
            |n| async move { one(cx, &n).await },
            || all(cx),
            |g| read_one(cx, g),
        )
        .await
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let name = name_or_prefix(req, "name", "name_prefix")?;
        let (id, sent) = create_once(
            cx,
            self,
            req,
            || {
                client_once(cx)
                    .create_db_cluster_parameter_group()
                    .db_cluster_parameter_group_name(&name)
                    .db_parameter_group_family(str_field(a, "family").unwrap_or_default())
                    .description(str_field(a, "description").unwrap_or_default())
                    .set_tags(Some(create_tags(req)))
                    .send()
                    .map_err(aws("rds:CreateDBClusterParameterGroup"))
            },
            |out| {
                out.db_cluster_parameter_group()
                    .and_then(|g| g.db_cluster_parameter_group_name())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&id);
        set(cx, &id, parameters(a.get("parameters"))).await?;
        let arn = match &sent {
            crate::kind::Sent::Found(l) => l.attrs.get("arn").cloned(),
            crate::kind::Sent::Answer(out) => out
                .db_cluster_parameter_group()
                .and_then(|g| g.db_cluster_parameter_group_arn())
                .map(|a| json!(a)),
        };
        let mut attrs = a.clone();
        attrs.insert("name".into(), json!(id));
        if let Some(arn) = arn {
            attrs.insert("arn".into(), arn);
        }
        Ok(created(LiveResource::new(KIND, &id, attrs), req))
    }

    /// Parameters set (modify) and those the documents dropped reset; tags by ARN.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        if req.changed.iter().any(|f| f == "parameters") {
            reset(cx, req.id, &removed(req.prior, req.attrs)).await?;
            set(cx, req.id, parameters(req.attrs.get("parameters"))).await?;
        }
        if req.changed.iter().any(|f| f == "tags") {
            let arn = str_field(req.prior, "arn").unwrap_or_default();
            tags::sync(cx, arn, req).await?;
        }
        Ok(updated(req))
    }

    /// Deletes it once no cluster uses it (`InvalidDBParameterGroupState` is waited out).
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        delete_until_free(
            "the DB cluster parameter group",
            cx.timeout(std::time::Duration::from_secs(1800)),
            progress,
            || {
                client(cx)
                    .delete_db_cluster_parameter_group()
                    .db_cluster_parameter_group_name(req.id)
                    .send()
                    .map_ok(|_| ())
                    .map_err(aws("rds:DeleteDBClusterParameterGroup"))
            },
            || async { Some("an RDS DB cluster".to_string()) },
        )
        .await
    }
}
