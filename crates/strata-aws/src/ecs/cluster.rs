//! `ecs.cluster` on AWS: CreateCluster (tagged, with its settings and capacity providers in
//! the call), UpdateCluster (its settings), PutClusterCapacityProviders, DescribeClusters (a hundred
//! names a call, with tags and settings; `ListClusters` without a listing), DeleteCluster
//! (waiting out the services still draining from it).
//!
//! CreateCluster with the name of an `ACTIVE` cluster answers that cluster, so a repeat after
//! a lost answer is safe; a cluster of that name that is not this stack's own is refused, not
//! adopted.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, Cluster, ClusterField, ClusterSetting, ClusterSettingName,
};
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags;
use super::{
    AwsKind, client, created, delete_until_free, ids_to_read, str_field, str_list, updated,
};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::kind::name_or_prefix;

pub struct ClusterKind;

const KIND: &str = "ecs.cluster";

const STRATEGY: &str = "default_capacity_provider_strategy";

/// How long a delete waits for the services draining from the cluster.
const DELETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The `ACTIVE` clusters of these names (or ARNs), with their tags and settings; names not
/// found or `INACTIVE` (deleted) are left out.
async fn describe(cx: &Ctx, names: Vec<String>) -> Result<Vec<Cluster>, ProviderError> {
    let mut out = Vec::new();
    for chunk in names.chunks(100) {
        let answer = client(cx)
            .describe_clusters()
            .set_clusters(Some(chunk.to_vec()))
            .include(ClusterField::Tags)
            .include(ClusterField::Settings)
            .send()
            .await
            .map_err(aws("ecs:DescribeClusters"))?;
        out.extend(
            answer
                .clusters()
                .iter()
                .filter(|c| c.status() != Some("INACTIVE"))
                .cloned(),
        );
    }
    Ok(out)
}

/// Every cluster of the region (`ListClusters`, paginated), described.
async fn all(cx: &Ctx) -> Result<Vec<Cluster>, ProviderError> {
    let mut pages = client(cx).list_clusters().into_paginator().send();
    let mut arns = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("ecs:ListClusters"))?;
        arns.extend(page.cluster_arns().iter().cloned());
    }
    describe(cx, arns).await
}

/// One cluster by name, `ACTIVE`.
async fn one(cx: &Ctx, name: &str) -> Result<Option<Cluster>, ProviderError> {
    Ok(describe(cx, vec![name.to_string()])
        .await?
        .into_iter()
        .next())
}

/// The cluster's Container Insights setting (`enabled`, `enhanced`, `disabled`).
fn insights(c: &Cluster) -> Option<&str> {
    c.settings()
        .iter()
        .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
        .and_then(ClusterSetting::value)
}

fn to_live(c: &Cluster) -> LiveResource {
    let name = c.cluster_name().unwrap_or_default();
    let strategy = strategy_doc(c.default_capacity_provider_strategy());
    let mut m = json!({
        "name": name,
        "container_insights": insights(c),
        "capacity_providers": c.capacity_providers(),
        "default_capacity_provider_strategy": strategy,
        "arn": c.cluster_arn(),
    });
    if let Some(o) = m.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    tags::live(KIND, name, c.tags(), m)
}

/// The document's Container Insights as a setting, if it gives one.
fn settings(a: &Attrs) -> Option<Vec<ClusterSetting>> {
    str_field(a, "container_insights").map(|v| {
        vec![
            ClusterSetting::builder()
                .name(ClusterSettingName::ContainerInsights)
                .value(v)
                .build(),
        ]
    })
}

/// A capacity provider strategy as the documents write it.
pub(super) fn strategy_doc(items: &[CapacityProviderStrategyItem]) -> Vec<Value> {
    items
        .iter()
        .map(|s| {
            json!({
                "capacity_provider": s.capacity_provider(),
                "weight": s.weight(),
                "base": s.base(),
            })
        })
        .collect()
}

/// The capacity provider strategy the documents give in `field`.
pub(super) fn strategy(
    a: &Attrs,
    field: &str,
) -> Result<Vec<CapacityProviderStrategyItem>, ProviderError> {
    let items = a
        .get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    items
        .iter()
        .map(|i| {
            let n = |f: &str| {
                i.get(f)
                    .and_then(Value::as_i64)
                    .and_then(|n| i32::try_from(n).ok())
            };
            CapacityProviderStrategyItem::builder()
                .capacity_provider(i["capacity_provider"].as_str().unwrap_or_default())
                .set_weight(n("weight"))
                .set_base(n("base"))
                .build()
                .map_err(|e| ProviderError::new(ErrorClass::Invalid, e.to_string()))
        })
        .collect()
}

/// Refuses a cluster that CreateCluster answered but this run did not make: one of that name
/// existed already (AWS answers it instead of failing).
fn ours(l: LiveResource, req: &CreateRequest<'_>) -> Result<LiveResource, ProviderError> {
    if l.lineage.as_deref() == Some(req.lineage) {
        return Ok(l);
    }
    let mut e = ProviderError::new(
        ErrorClass::Invalid,
        format!(
            "an ECS cluster named {} exists already, and this stack did not make it",
            l.id
        ),
    );
    e.help = Some(
        "give the cluster another name (or a `name_prefix`), or delete the other cluster"
            .to_string(),
    );
    Err(e)
}

#[async_trait]
impl AwsKind for ClusterKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ecs:cluster"])
    }

    /// `DescribeClusters` of the names the lockfile or the listing gives, a hundred a call;
    /// without a listing, every cluster.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let found = match ids_to_read(cx, self, req.ids, req.stack).await? {
            Some(names) if names.is_empty() => Vec::new(),
            Some(names) => describe(cx, names).await?,
            None => all(cx).await?,
        };
        Ok(found.iter().map(to_live).filter(|l| req.wants(l)).collect())
    }

    /// CreateCluster, tagged and with its settings, capacity providers and strategy in the
    /// call. A repeat with the same name answers the cluster made the first time.
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let name = name_or_prefix(req, "name", "name_prefix")?;
        let providers = str_list(a, "capacity_providers");
        client(cx)
            .create_cluster()
            .cluster_name(&name)
            .set_settings(settings(a))
            .set_capacity_providers((!providers.is_empty()).then_some(providers))
            .set_default_capacity_provider_strategy(
                Some(strategy(a, STRATEGY)?).filter(|s| !s.is_empty()),
            )
            .set_tags(Some(tags::create_tags(req)))
            .send()
            .await
            .map_err(aws("ecs:CreateCluster"))?;
        progress.created(&name);
        let c = one(cx, &name).await?.ok_or_else(|| {
            ProviderError::new(
                ErrorClass::NotFound,
                format!("the cluster {name} is not there after its create"),
            )
        })?;
        Ok(created(ours(to_live(&c), req)?, req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        let c = client(cx);
        if changed("container_insights")
            && let Some(s) = settings(a)
        {
            c.update_cluster()
                .cluster(req.id)
                .set_settings(Some(s))
                .send()
                .await
                .map_err(aws("ecs:UpdateCluster"))?;
        }
        if changed("capacity_providers") || changed("default_capacity_provider_strategy") {
            c.put_cluster_capacity_providers()
                .cluster(req.id)
                .set_capacity_providers(Some(str_list(a, "capacity_providers")))
                .set_default_capacity_provider_strategy(Some(strategy(a, STRATEGY)?))
                .send()
                .await
                .map_err(aws("ecs:PutClusterCapacityProviders"))?;
        }
        if changed("tags") {
            let arn = str_field(req.prior, "arn").unwrap_or_default();
            tags::sync(cx, arn, req).await?;
        }
        Ok(updated(req))
    }

    /// DeleteCluster, again while services are still draining from it
    /// (`ClusterContainsServicesException`); one already gone is deleted.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        delete_until_free(
            "the cluster's services to be gone",
            DELETE_TIMEOUT,
            progress,
            || async {
                client(cx)
                    .delete_cluster()
                    .cluster(req.id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws("ecs:DeleteCluster"))
            },
            || async { None },
        )
        .await
    }
}
