//! `rds.db_cluster` on AWS: CreateDBCluster, DescribeDBClusters (filtered by identifier,
//! paginated; tags in the answer), ModifyDBCluster (always `ApplyImmediately`),
//! EnableHttpEndpoint/DisableHttpEndpoint (the Data API), DeleteDBCluster with a final
//! snapshot unless `skip_final_snapshot`.
//!
//! Its id is its identifier. RDS takes no idempotency token: a create whose answer was lost is
//! found by its ownership tags (`create_once`). Creates, changes and deletes take minutes: the
//! kind waits for `available` (or gone), or records the cluster converging with `--no-wait`.
//! The master password (when the documents give one) goes to RDS and nowhere else; with a
//! password RDS manages, only the secret's ARN is read.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::{DbCluster, ServerlessV2ScalingConfiguration};
use futures_util::TryFutureExt;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    Recorded, UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags::{self, create_tags};
use super::{
    AwsKind, asked_for, bool_field, client, client_once, create_once, created, i32_field,
    id_filter, ids_to_read, str_field, str_list,
};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::kind::name_or_prefix;
use crate::wait::{self, Backoff, Goal, Poll};

pub struct DbClusterKind;

const KIND: &str = "rds.db_cluster";

/// AWS creates a cluster in 5 to 10 minutes; strata gives it an hour, and as long to change
/// or delete it.
const TIMEOUT: Duration = Duration::from_secs(3600);

/// `available`, and the states on the way to it.
const AVAILABLE: Goal = Goal {
    ready: &["available"],
    on_the_way: &[
        "creating",
        "modifying",
        "backing-up",
        "upgrading",
        "configuring-iam-database-auth",
        "resetting-master-credentials",
        "renaming",
        "starting",
        "rebooting",
        "maintenance",
    ],
};

/// Clusters by a filter (`None`: every cluster of the region), all pages.
async fn describe(
    cx: &Ctx,
    filter: Option<aws_sdk_rds::types::Filter>,
) -> Result<Vec<DbCluster>, ProviderError> {
    let mut pages = client(cx)
        .describe_db_clusters()
        .set_filters(filter.map(|f| vec![f]))
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("rds:DescribeDBClusters"))?;
        out.extend(page.db_clusters().iter().cloned());
    }
    Ok(out)
}

/// One cluster; `None` when it is gone.
async fn one(cx: &Ctx, id: &str) -> Result<Option<DbCluster>, ProviderError> {
    let r = client(cx)
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
        .map_err(aws("rds:DescribeDBClusters"));
    match r {
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        other => Ok(other?.db_clusters().first().cloned()),
    }
}

fn scaling_json(c: &DbCluster) -> Option<Value> {
    let s = c.serverless_v2_scaling_configuration()?;
    let min = s.min_capacity().unwrap_or(0.0);
    let mut m = json!({
        "min_capacity": min,
        "max_capacity": s.max_capacity().unwrap_or(0.0),
    });
    // AWS answers a pause delay only for a cluster that pauses (min 0).
    if let (Some(p), Some(o)) = (s.seconds_until_auto_pause(), m.as_object_mut())
        && min == 0.0
    {
        o.insert("seconds_until_auto_pause".into(), json!(p));
    }
    Some(m)
}

/// The cluster as the documents describe it, plus its computed attributes. `skip_final_snapshot`
/// is strata's own setting: the lockfile's record says it.
fn to_live(c: &DbCluster, recorded: Option<&Attrs>) -> LiveResource {
    let id = c.db_cluster_identifier().unwrap_or_default();
    let groups: Vec<&str> = c
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    let secret = c.master_user_secret().and_then(|s| s.secret_arn());
    let mut m = json!({
        "identifier": id,
        "engine": c.engine(),
        "engine_version": c.engine_version(),
        "master_username": c.master_username(),
        "manage_master_user_password": secret.is_some(),
        "security_groups": groups,
        "subnet_group": c.db_subnet_group(),
        "parameter_group": c.db_cluster_parameter_group(),
        "port": c.port(),
        "storage_encrypted": c.storage_encrypted().unwrap_or(false),
        "kms_key": c.kms_key_id(),
        "backup_retention_period": c.backup_retention_period(),
        "preferred_backup_window": c.preferred_backup_window(),
        "preferred_maintenance_window": c.preferred_maintenance_window(),
        "deletion_protection": c.deletion_protection().unwrap_or(false),
        "enable_http_endpoint": c.http_endpoint_enabled().unwrap_or(false),
        "copy_tags_to_snapshot": c.copy_tags_to_snapshot().unwrap_or(false),
        "skip_final_snapshot": recorded.and_then(|r| bool_field(r, "skip_final_snapshot")).unwrap_or(false),
        "arn": c.db_cluster_arn(),
        "endpoint": c.endpoint(),
        "reader_endpoint": c.reader_endpoint(),
        "master_user_secret_arn": secret,
        "resource_id": c.db_cluster_resource_id(),
    });
    if let Some(o) = m.as_object_mut() {
        if let Some(s) = scaling_json(c) {
            o.insert("serverless_v2".into(), s);
        }
        if let Some(d) = c.database_name() {
            o.insert("database_name".into(), json!(d));
        }
        // Nulls (a field AWS did not answer) are left out.
        o.retain(|_, v| !v.is_null());
    }
    tags::live(KIND, id, c.tag_list(), m)
        .converging(AVAILABLE.converging(c.status().unwrap_or_default()))
}

fn scaling(a: &Attrs) -> Option<ServerlessV2ScalingConfiguration> {
    let s = a.get("serverless_v2")?;
    let num = |k: &str| s.get(k).and_then(Value::as_f64);
    Some(
        ServerlessV2ScalingConfiguration::builder()
            .set_min_capacity(num("min_capacity"))
            .set_max_capacity(num("max_capacity"))
            .set_seconds_until_auto_pause(
                s.get("seconds_until_auto_pause")
                    .and_then(Value::as_i64)
                    .and_then(|p| i32::try_from(p).ok()),
            )
            .build(),
    )
}

/// Waits until the cluster is `available` (`what`: what the wait is for).
async fn until_available(
    cx: &Ctx,
    id: &str,
    what: &str,
    progress: &Progress,
) -> Result<DbCluster, ProviderError> {
    wait::until(
        what,
        cx.timeout(TIMEOUT),
        Backoff::minutes(),
        progress,
        || async {
            Ok(match one(cx, id).await? {
                Some(c) => {
                    let state = c.status().unwrap_or_default().to_owned();
                    AVAILABLE.poll(&state, c)
                }
                None => Poll::Missing,
            })
        },
    )
    .await
}

/// Turns the Data API on or off.
async fn http_endpoint(cx: &Ctx, arn: &str, on: bool) -> Result<(), ProviderError> {
    let c = client(cx);
    if on {
        c.enable_http_endpoint()
            .resource_arn(arn)
            .send()
            .await
            .map(|_| ())
            .map_err(aws("rds:EnableHttpEndpoint"))
    } else {
        c.disable_http_endpoint()
            .resource_arn(arn)
            .send()
            .await
            .map(|_| ())
            .map_err(aws("rds:DisableHttpEndpoint"))
    }
}

/// The final snapshot's name: `IDENTIFIER-final-YYYYMMDDHHMMSS` (UTC).
pub fn final_snapshot_name(id: &str, at: std::time::SystemTime) -> String {
    let stamp: String = humantime::format_rfc3339_seconds(at)
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    format!("{id}-final-{stamp}")
}

/// The fields ModifyDBCluster changes.
const MODIFIED: &[&str] = &[
    "engine_version",
    "serverless_v2",
    "manage_master_user_password",
    "master_password",
    "security_groups",
    "parameter_group",
    "port",
    "backup_retention_period",
    "preferred_backup_window",
    "preferred_maintenance_window",
    "deletion_protection",
    "copy_tags_to_snapshot",
];

/// One ModifyDBCluster with every changed field that ModifyDBCluster changes (none: no call).
async fn modify(cx: &Ctx, req: &UpdateRequest<'_>) -> Result<(), ProviderError> {
    let a = req.attrs;
    let changed = |f: &str| req.changed.iter().any(|c| c == f);
    if !MODIFIED.iter().any(|f| changed(f)) {
        return Ok(());
    }
    let mut m = client(cx)
        .modify_db_cluster()
        .db_cluster_identifier(req.id)
        .apply_immediately(true);
    if changed("engine_version") {
        let major = |v: Option<&str>| v.and_then(|v| v.split('.').next().map(str::to_string));
        let upgrade =
            major(str_field(a, "engine_version")) != major(str_field(req.prior, "engine_version"));
        m = m
            .set_engine_version(str_field(a, "engine_version").map(str::to_string))
            .allow_major_version_upgrade(upgrade);
    }
    if changed("serverless_v2") {
        m = m.set_serverless_v2_scaling_configuration(scaling(a));
    }
    if changed("manage_master_user_password") || changed("master_password") {
        let managed = bool_field(a, "manage_master_user_password").unwrap_or(true);
        m = m
            .manage_master_user_password(managed)
            .set_master_user_password(str_field(a, "master_password").map(str::to_string));
    }
    if changed("security_groups") {
        m = m.set_vpc_security_group_ids(Some(str_list(a, "security_groups")));
    }
    if changed("parameter_group") {
        m = m.set_db_cluster_parameter_group_name(
            str_field(a, "parameter_group").map(str::to_string),
        );
    }
    if changed("port") {
        m = m.set_port(i32_field(a, "port"));
    }
    if changed("backup_retention_period") {
        m = m.set_backup_retention_period(i32_field(a, "backup_retention_period"));
    }
    if changed("preferred_backup_window") {
        m = m.set_preferred_backup_window(
            str_field(a, "preferred_backup_window").map(str::to_string),
        );
    }
    if changed("preferred_maintenance_window") {
        m = m.set_preferred_maintenance_window(
            str_field(a, "preferred_maintenance_window").map(str::to_string),
        );
    }
    if changed("deletion_protection") {
        m = m.set_deletion_protection(bool_field(a, "deletion_protection"));
    }
    if changed("copy_tags_to_snapshot") {
        m = m.set_copy_tags_to_snapshot(bool_field(a, "copy_tags_to_snapshot"));
    }
    m.send()
        .await
        .map(|_| ())
        .map_err(aws("rds:ModifyDBCluster"))
}

/// The cluster's record in the lockfile, for strata's own settings.
fn recorded<'a>(records: &'a [Recorded<'a>], id: &str) -> Option<&'a Attrs> {
    records.iter().find(|r| r.id == id).map(|r| r.attrs)
}

/// Deletes the cluster: with a final snapshot unless `skip`, waiting out
/// `InvalidDBClusterStateFault` (its instances are still being deleted, or it is busy).
async fn send_delete(
    cx: &Ctx,
    id: &str,
    skip: bool,
    progress: &Progress,
) -> Result<(), ProviderError> {
    let snapshot = (!skip).then(|| final_snapshot_name(id, std::time::SystemTime::now()));
    wait::until(
        "the cluster's instances to be gone",
        cx.timeout(TIMEOUT),
        Backoff::minutes(),
        progress,
        || async {
            let sent = client(cx)
                .delete_db_cluster()
                .db_cluster_identifier(id)
                .skip_final_snapshot(skip)
                .set_final_db_snapshot_identifier(snapshot.clone())
                .send()
                .await
                .map_err(aws("rds:DeleteDBCluster"));
            match sent {
                Ok(_) => Ok(Poll::Ready(())),
                Err(e) if e.class == ErrorClass::NotFound => Ok(Poll::Ready(())),
                Err(e) if e.class == ErrorClass::InvalidState => Ok(Poll::NotYet(e.message)),
                Err(e) if e.message.contains("protected") => Err(e.with_help(
                    "deletion protection is on: set `deletion_protection: false` in the \
                     documents and apply, then delete (strata never turns it off by itself)",
                )),
                Err(e) => Err(e),
            }
        },
    )
    .await
}

#[async_trait]
impl AwsKind for DbClusterKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["rds:cluster"])
    }

    /// `DescribeDBClusters` filtered on the identifiers the lockfile and the listing give (100
    /// a call), paginated; without a listing, every cluster, kept by its tags.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let clusters = match ids_to_read(cx, self, req.ids, req.stack).await? {
            Some(ids) => {
                let mut out = Vec::new();
                for chunk in ids.chunks(self.id_chunk()) {
                    out.extend(describe(cx, Some(id_filter("db-cluster-id", chunk))).await?);
                }
                out
            }
            None => describe(cx, None).await?,
        };
        Ok(clusters
            .iter()
            .filter(|c| {
                let id = c.db_cluster_identifier().unwrap_or_default();
                // A deleted cluster shows `deleting` for a while: not the stack's any more.
                c.status() != Some("deleting") && asked_for(id, c.tag_list(), req.ids, req.stack)
            })
            .map(|c| {
                to_live(
                    c,
                    recorded(req.records, c.db_cluster_identifier().unwrap_or_default()),
                )
            })
            .collect())
    }

    /// Creates it, tagged in the call, waits until it is `available` (unless `req.wait` is
    /// off), then turns the Data API on if the documents ask.
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let id = name_or_prefix(req, "identifier", "identifier_prefix")?;
        let managed = bool_field(a, "manage_master_user_password").unwrap_or(true);
        let (id, _) = create_once(
            cx,
            self,
            req,
            || {
                client_once(cx)
                    .create_db_cluster()
                    .db_cluster_identifier(&id)
                    .engine(str_field(a, "engine").unwrap_or("aurora-postgresql"))
                    .set_engine_version(str_field(a, "engine_version").map(str::to_string))
                    .set_serverless_v2_scaling_configuration(scaling(a))
                    .set_database_name(str_field(a, "database_name").map(str::to_string))
                    .master_username(str_field(a, "master_username").unwrap_or("postgres"))
                    .manage_master_user_password(managed)
                    .set_master_user_password(
                        (!managed)
                            .then(|| str_field(a, "master_password").map(str::to_string))
                            .flatten(),
                    )
                    .set_vpc_security_group_ids(Some(str_list(a, "security_groups")))
                    .set_db_subnet_group_name(str_field(a, "subnet_group").map(str::to_string))
                    .set_db_cluster_parameter_group_name(
                        str_field(a, "parameter_group").map(str::to_string),
                    )
                    .set_port(i32_field(a, "port"))
                    .storage_encrypted(bool_field(a, "storage_encrypted").unwrap_or(true))
                    .set_kms_key_id(str_field(a, "kms_key").map(str::to_string))
                    .set_backup_retention_period(i32_field(a, "backup_retention_period"))
                    .set_preferred_backup_window(
                        str_field(a, "preferred_backup_window").map(str::to_string),
                    )
                    .set_preferred_maintenance_window(
                        str_field(a, "preferred_maintenance_window").map(str::to_string),
                    )
                    .deletion_protection(bool_field(a, "deletion_protection").unwrap_or(false))
                    .copy_tags_to_snapshot(bool_field(a, "copy_tags_to_snapshot").unwrap_or(false))
                    .set_tags(Some(create_tags(req)))
                    .send()
                    .map_err(aws("rds:CreateDBCluster"))
            },
            |out| {
                out.db_cluster()
                    .and_then(|c| c.db_cluster_identifier())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&id);
        let mut c = if req.wait {
            until_available(cx, &id, "the cluster to be available", progress).await?
        } else {
            super::until_visible("the cluster", cx, progress, || one(cx, &id)).await?
        };
        let data_api = bool_field(a, "enable_http_endpoint").unwrap_or(false);
        if data_api && !c.http_endpoint_enabled().unwrap_or(false) {
            http_endpoint(cx, c.db_cluster_arn().unwrap_or_default(), true).await?;
            c = one(cx, &id).await?.unwrap_or(c);
        }
        let mut l = to_live(&c, None);
        l.attrs.insert(
            "skip_final_snapshot".into(),
            json!(bool_field(a, "skip_final_snapshot").unwrap_or(false)),
        );
        Ok(created(l, req))
    }

    /// One ModifyDBCluster for what it changes, applied at once; the Data API by its own
    /// calls; tags by ARN; then waits until the cluster is `available` again.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let arn = str_field(req.prior, "arn").unwrap_or_default().to_string();
        // A cluster busy with an earlier change refuses a new one.
        until_available(cx, req.id, "the cluster to be available", progress).await?;
        if let Err(e) = modify(cx, req).await {
            if e.class != ErrorClass::InvalidState {
                return Err(e);
            }
            // The SDK repeated a call whose answer was lost after it acted: the cluster is
            // busy with this very change. Once it is done, the same change again is harmless.
            until_available(cx, req.id, "the cluster to be available", progress).await?;
            modify(cx, req).await?;
        }
        if req.changed.iter().any(|f| f == "enable_http_endpoint") {
            let on = bool_field(req.attrs, "enable_http_endpoint").unwrap_or(false);
            http_endpoint(cx, &arn, on).await?;
        }
        if req.changed.iter().any(|f| f == "tags") {
            tags::sync(cx, &arn, req).await?;
        }
        let c = if req.wait {
            // RDS answers `available` for a moment after the call before `modifying`: the
            // wait may end early on AWS; the next plan shows it converging if it is.
            until_available(cx, req.id, "the change to be applied", progress).await?
        } else {
            one(cx, req.id).await?.ok_or_else(|| {
                ProviderError::new(
                    ErrorClass::NotFound,
                    format!("DB cluster {} is gone", req.id),
                )
            })?
        };
        let mut l = to_live(&c, Some(req.attrs)).owned_by(req.owner());
        l.attrs
            .insert("tags".into(), json!(crate::tags::desired_tags(req.attrs)));
        Ok(l)
    }

    /// Deletes it (with its final snapshot unless `skip_final_snapshot` was applied), once its
    /// instances are gone, and waits until it is gone.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let skip = bool_field(req.prior, "skip_final_snapshot").unwrap_or(false);
        send_delete(cx, req.id, skip, progress).await?;
        wait::until(
            "the cluster to be deleted",
            cx.timeout(TIMEOUT),
            Backoff::minutes(),
            progress,
            || async {
                Ok(match one(cx, req.id).await? {
                    None => Poll::Ready(()),
                    Some(c) => Poll::NotYet(c.status().unwrap_or("deleting").to_string()),
                })
            },
        )
        .await
    }
}
