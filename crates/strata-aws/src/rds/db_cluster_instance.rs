//! `rds.db_cluster_instance` on AWS: CreateDBInstance in a cluster, DescribeDBInstances
//! (filtered by identifier, paginated; tags in the answer), ModifyDBInstance (always
//! `ApplyImmediately`), DeleteDBInstance.
//!
//! Its id is its identifier. Its engine is its cluster's (read from the cluster when it is
//! created). Creates, changes and deletes take minutes: the kind waits for `available` (or
//! gone), or records the instance converging with `--no-wait`.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::DbInstance;
use futures_util::TryFutureExt;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, create_tags};
use super::{
    AwsKind, asked_for, bool_field, client, client_once, create_once, created, i32_field,
    id_filter, ids_to_read, str_field,
};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::kind::name_or_prefix;
use crate::wait::{self, Backoff, Goal, Poll};

pub struct DbClusterInstanceKind;

const KIND: &str = "rds.db_cluster_instance";

const TIMEOUT: Duration = Duration::from_secs(3600);

const AVAILABLE: Goal = Goal {
    ready: &["available"],
    on_the_way: &[
        "creating",
        "modifying",
        "backing-up",
        "configuring-enhanced-monitoring",
        "configuring-log-exports",
        "rebooting",
        "starting",
        "upgrading",
        "maintenance",
    ],
};

async fn describe(
    cx: &Ctx,
    filter: Option<aws_sdk_rds::types::Filter>,
) -> Result<Vec<DbInstance>, ProviderError> {
    let mut pages = client(cx)
        .describe_db_instances()
        .set_filters(filter.map(|f| vec![f]))
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("rds:DescribeDBInstances"))?;
        out.extend(page.db_instances().iter().cloned());
    }
    Ok(out)
}

async fn one(cx: &Ctx, id: &str) -> Result<Option<DbInstance>, ProviderError> {
    let r = client(cx)
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .map_err(aws("rds:DescribeDBInstances"));
    match r {
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        other => Ok(other?.db_instances().first().cloned()),
    }
}

fn to_live(i: &DbInstance) -> LiveResource {
    let id = i.db_instance_identifier().unwrap_or_default();
    let mut m = json!({
        "identifier": id,
        "cluster": i.db_cluster_identifier(),
        "instance_class": i.db_instance_class(),
        "promotion_tier": i.promotion_tier(),
        "publicly_accessible": i.publicly_accessible().unwrap_or(false),
        "performance_insights": i.performance_insights_enabled().unwrap_or(false),
        "arn": i.db_instance_arn(),
        "endpoint": i.endpoint().and_then(|e| e.address()),
    });
    if let Some(o) = m.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    tags::live(KIND, id, i.tag_list(), m)
        .converging(AVAILABLE.converging(i.db_instance_status().unwrap_or_default()))
}

async fn until_available(
    cx: &Ctx,
    id: &str,
    what: &str,
    progress: &Progress,
) -> Result<DbInstance, ProviderError> {
    wait::until(
        what,
        cx.timeout(TIMEOUT),
        Backoff::minutes(),
        progress,
        || async {
            Ok(match one(cx, id).await? {
                Some(i) => {
                    let state = i.db_instance_status().unwrap_or_default().to_owned();
                    AVAILABLE.poll(&state, i)
                }
                None => Poll::Missing,
            })
        },
    )
    .await
}

/// The engine of the instance's cluster.
async fn engine_of(cx: &Ctx, cluster: &str) -> Result<String, ProviderError> {
    let out = client(cx)
        .describe_db_clusters()
        .db_cluster_identifier(cluster)
        .send()
        .await
        .map_err(aws("rds:DescribeDBClusters"))?;
    out.db_clusters()
        .first()
        .and_then(|c| c.engine())
        .map(str::to_string)
        .ok_or_else(|| {
            ProviderError::new(
                ErrorClass::NotFound,
                format!("DB cluster {cluster} is not there for its instance"),
            )
        })
}

#[async_trait]
impl AwsKind for DbClusterInstanceKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["rds:db"])
    }

    /// `DescribeDBInstances` filtered on the identifiers the lockfile and the listing give (100
    /// a call), paginated; without a listing, every instance, kept by its tags.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let instances = match ids_to_read(cx, self, req.ids, req.stack).await? {
            Some(ids) => {
                let mut out = Vec::new();
                for chunk in ids.chunks(self.id_chunk()) {
                    out.extend(describe(cx, Some(id_filter("db-instance-id", chunk))).await?);
                }
                out
            }
            None => describe(cx, None).await?,
        };
        Ok(instances
            .iter()
            .filter(|i| {
                let id = i.db_instance_identifier().unwrap_or_default();
                i.db_instance_status() != Some("deleting")
                    && asked_for(id, i.tag_list(), req.ids, req.stack)
            })
            .map(to_live)
            .collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let id = name_or_prefix(req, "identifier", "identifier_prefix")?;
        let cluster = super::required(a, "cluster")?.to_string();
        let engine = engine_of(cx, &cluster).await?;
        let (id, _) = create_once(
            cx,
            self,
            req,
            || {
                client_once(cx)
                    .create_db_instance()
                    .db_instance_identifier(&id)
                    .db_cluster_identifier(&cluster)
                    .engine(&engine)
                    .db_instance_class(str_field(a, "instance_class").unwrap_or("db.serverless"))
                    .set_promotion_tier(i32_field(a, "promotion_tier"))
                    .publicly_accessible(bool_field(a, "publicly_accessible").unwrap_or(false))
                    .enable_performance_insights(
                        bool_field(a, "performance_insights").unwrap_or(false),
                    )
                    .set_tags(Some(create_tags(req)))
                    .send()
                    .map_err(aws("rds:CreateDBInstance"))
            },
            |out| {
                out.db_instance()
                    .and_then(|i| i.db_instance_identifier())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&id);
        let i = if req.wait {
            until_available(cx, &id, "the instance to be available", progress).await?
        } else {
            super::until_visible("the instance", cx, progress, || one(cx, &id)).await?
        };
        Ok(created(to_live(&i), req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        let fields = [
            "instance_class",
            "promotion_tier",
            "publicly_accessible",
            "performance_insights",
        ];
        if fields.iter().any(|f| changed(f)) {
            until_available(cx, req.id, "the instance to be available", progress).await?;
            let mut m = client(cx)
                .modify_db_instance()
                .db_instance_identifier(req.id)
                .apply_immediately(true);
            if changed("instance_class") {
                m = m.set_db_instance_class(str_field(a, "instance_class").map(str::to_string));
            }
            if changed("promotion_tier") {
                m = m.set_promotion_tier(i32_field(a, "promotion_tier"));
            }
            if changed("publicly_accessible") {
                m = m.set_publicly_accessible(bool_field(a, "publicly_accessible"));
            }
            if changed("performance_insights") {
                m = m.set_enable_performance_insights(bool_field(a, "performance_insights"));
            }
            let sent = m.clone().send().await.map_err(aws("rds:ModifyDBInstance"));
            match sent {
                Ok(_) => {}
                // The SDK repeated a call whose answer was lost after it acted: the instance
                // is busy with this very change. Once it is done, the same change again is
                // harmless.
                Err(e) if e.class == ErrorClass::InvalidState => {
                    until_available(cx, req.id, "the instance to be available", progress).await?;
                    m.send().await.map_err(aws("rds:ModifyDBInstance"))?;
                }
                Err(e) => return Err(e),
            }
        }
        if changed("tags") {
            let arn = str_field(req.prior, "arn").unwrap_or_default().to_string();
            tags::sync(cx, &arn, req).await?;
        }
        let i = if req.wait {
            until_available(cx, req.id, "the change to be applied", progress).await?
        } else {
            one(cx, req.id).await?.ok_or_else(|| {
                ProviderError::new(
                    ErrorClass::NotFound,
                    format!("DB instance {} is gone", req.id),
                )
            })?
        };
        let mut l = to_live(&i).owned_by(req.owner());
        l.attrs
            .insert("tags".into(), json!(crate::tags::desired_tags(req.attrs)));
        Ok(l)
    }

    /// Deletes it (its snapshots are its cluster's) and waits until it is gone.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let sent = client(cx)
            .delete_db_instance()
            .db_instance_identifier(req.id)
            .send()
            .await
            .map_err(aws("rds:DeleteDBInstance"));
        match sent {
            Ok(_) => {}
            Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
            // Already being deleted (a run killed after its call): wait for it below.
            Err(e) if e.class == ErrorClass::InvalidState => {}
            Err(e) => return Err(e),
        }
        wait::until(
            "the instance to be deleted",
            cx.timeout(TIMEOUT),
            Backoff::minutes(),
            progress,
            || async {
                Ok(match one(cx, req.id).await? {
                    None => Poll::Ready(()),
                    Some(i) => {
                        Poll::NotYet(i.db_instance_status().unwrap_or("deleting").to_string())
                    }
                })
            },
        )
        .await
    }
}
