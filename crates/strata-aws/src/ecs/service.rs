//! `ecs.service` on AWS: CreateService (tagged, with the create's journaled token as its
//! `clientToken`, so a repeat answers the same service), UpdateService, DescribeServices (ten
//! services of one cluster a call, with tags), DeleteService (forced: its tasks are stopped)
//! then the wait until it is `INACTIVE`; tags by ARN.
//!
//! A deployment (the create's, or an update's that changes what the tasks run) is awaited
//! until its rollout is `COMPLETED`, unless the run does not wait; a `FAILED` rollout (the
//! circuit breaker) ends the wait naming AWS's reason.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration,
    DeploymentRolloutState, LaunchType, LoadBalancer, NetworkConfiguration, Service, ServiceField,
};
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::cluster::{strategy, strategy_doc};
use super::tags;
use super::{AwsKind, client, created, ids_to_read, str_field, str_list, updated};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::wait::{self, Backoff, Goal, Poll};

pub struct ServiceKind;

const KIND: &str = "ecs.service";

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

const COMPLETED: Goal<'static> = Goal {
    ready: &["COMPLETED"],
    on_the_way: &["IN_PROGRESS"],
};

/// The fields whose change starts a new deployment (new tasks).
const DEPLOYING: &[&str] = &[
    "task_definition",
    "subnets",
    "security_groups",
    "assign_public_ip",
    "load_balancers",
];

/// The cluster's name in a service ARN (`…:service/CLUSTER/NAME`).
fn cluster_of(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":service/")?.1;
    rest.split_once('/').map(|(c, _)| c)
}

/// The `ACTIVE` services of one cluster among these ARNs, ten a call, with their tags.
async fn describe(cx: &Ctx, cluster: &str, arns: &[String]) -> Result<Vec<Service>, ProviderError> {
    let mut out = Vec::new();
    for chunk in arns.chunks(10) {
        let answer = client(cx)
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .include(ServiceField::Tags)
            .send()
            .await
            .map_err(aws("ecs:DescribeServices"));
        match answer {
            Ok(a) => out.extend(
                a.services()
                    .iter()
                    .filter(|s| s.status() == Some("ACTIVE"))
                    .cloned(),
            ),
            // The cluster is gone, and its services with it.
            Err(e) if e.class == ErrorClass::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The `ACTIVE` services of these ARNs, grouped by cluster.
async fn by_arns(cx: &Ctx, arns: &[String]) -> Result<Vec<Service>, ProviderError> {
    let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for arn in arns {
        if let Some(c) = cluster_of(arn) {
            by_cluster.entry(c).or_default().push(arn.clone());
        }
    }
    let found = futures_util::future::try_join_all(
        by_cluster.iter().map(|(c, arns)| describe(cx, c, arns)),
    )
    .await?;
    Ok(found.into_iter().flatten().collect())
}

/// Every service of every cluster of the region.
async fn all(cx: &Ctx) -> Result<Vec<Service>, ProviderError> {
    let c = client(cx);
    let mut clusters = Vec::new();
    let mut pages = c.list_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        clusters.extend(
            page.map_err(aws("ecs:ListClusters"))?
                .cluster_arns()
                .to_vec(),
        );
    }
    let mut out = Vec::new();
    for cluster in clusters {
        let mut arns = Vec::new();
        let mut pages = c.list_services().cluster(&cluster).into_paginator().send();
        while let Some(page) = pages.next().await {
            arns.extend(
                page.map_err(aws("ecs:ListServices"))?
                    .service_arns()
                    .to_vec(),
            );
        }
        out.extend(describe(cx, &cluster, &arns).await?);
    }
    Ok(out)
}

async fn one(cx: &Ctx, arn: &str) -> Result<Option<Service>, ProviderError> {
    Ok(by_arns(cx, &[arn.to_string()]).await?.into_iter().next())
}

/// The rollout state of the service's `PRIMARY` deployment, and AWS's reason.
fn rollout(s: &Service) -> (String, String) {
    s.deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .map(|d| {
            (
                d.rollout_state()
                    .map(DeploymentRolloutState::as_str)
                    .unwrap_or("COMPLETED")
                    .to_string(),
                d.rollout_state_reason().unwrap_or_default().to_string(),
            )
        })
        .unwrap_or_else(|| ("COMPLETED".to_string(), String::new()))
}

fn to_live(s: &Service) -> LiveResource {
    let arn = s.service_arn().unwrap_or_default();
    let vpc = s
        .network_configuration()
        .and_then(NetworkConfiguration::awsvpc_configuration);
    let lbs: Vec<Value> = s
        .load_balancers()
        .iter()
        .map(|l| {
            json!({
                "target_group": l.target_group_arn(),
                "container_name": l.container_name(),
                "container_port": l.container_port(),
            })
        })
        .collect();
    let deployment = s.deployment_configuration().map(|d| {
        let mut v = json!({
            "minimum_healthy_percent": d.minimum_healthy_percent(),
            "maximum_percent": d.maximum_percent(),
        });
        if let Some(b) = d.deployment_circuit_breaker().filter(|b| b.enable())
            && let Some(o) = v.as_object_mut()
        {
            o.insert(
                "circuit_breaker".into(),
                json!({"enable": b.enable(), "rollback": b.rollback()}),
            );
        }
        v
    });
    let mut m = json!({
        "name": s.service_name(),
        "cluster": s.cluster_arn().and_then(|a| a.rsplit('/').next()),
        "task_definition": s.task_definition(),
        "desired_count": s.desired_count(),
        "capacity_provider_strategy": strategy_doc(s.capacity_provider_strategy()),
        "subnets": vpc.map(AwsVpcConfiguration::subnets),
        "security_groups": vpc.map(AwsVpcConfiguration::security_groups),
        "assign_public_ip": vpc.and_then(AwsVpcConfiguration::assign_public_ip)
            .map(|a| *a == AssignPublicIp::Enabled),
        // None is no list: the documents leave the field out then.
        "load_balancers": (!lbs.is_empty()).then_some(lbs),
        "health_check_grace_period": s.health_check_grace_period_seconds(),
        "deployment": deployment,
        "enable_execute_command": s.enable_execute_command(),
        "arn": arn,
    });
    if let Some(o) = m.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    let (state, _) = rollout(s);
    tags::live(KIND, arn, s.tags(), m).converging(COMPLETED.converging(&state))
}

/// The documents' network: the awsvpc subnets, groups and public address.
fn network(a: &Attrs) -> Result<NetworkConfiguration, ProviderError> {
    let public = a
        .get("assign_public_ip")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(str_list(a, "subnets")))
        .set_security_groups(Some(str_list(a, "security_groups")).filter(|g| !g.is_empty()))
        .assign_public_ip(if public {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .map_err(|e| ProviderError::new(ErrorClass::Invalid, e.to_string()))?;
    Ok(NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build())
}

/// The documents' load balancers.
fn load_balancers(a: &Attrs) -> Vec<LoadBalancer> {
    a.get("load_balancers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|l| {
            LoadBalancer::builder()
                .set_target_group_arn(l["target_group"].as_str().map(str::to_string))
                .set_container_name(l["container_name"].as_str().map(str::to_string))
                .set_container_port(
                    l["container_port"]
                        .as_i64()
                        .and_then(|n| i32::try_from(n).ok()),
                )
                .build()
        })
        .collect()
}

/// The documents' deployment settings, if they give them.
fn deployment(a: &Attrs) -> Option<DeploymentConfiguration> {
    let d = a.get("deployment")?;
    let n = |f: &str| {
        d.get(f)
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
    };
    let breaker = d.get("circuit_breaker").map(|b| {
        DeploymentCircuitBreaker::builder()
            .enable(b["enable"].as_bool().unwrap_or(false))
            .rollback(b["rollback"].as_bool().unwrap_or(false))
            .build()
    });
    Some(
        DeploymentConfiguration::builder()
            .set_minimum_healthy_percent(n("minimum_healthy_percent"))
            .set_maximum_percent(n("maximum_percent"))
            .set_deployment_circuit_breaker(breaker)
            .build(),
    )
}

fn count(a: &Attrs) -> i32 {
    a.get("desired_count")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(1)
}

fn grace(a: &Attrs) -> Option<i32> {
    a.get("health_check_grace_period")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

/// Waits until the service's `PRIMARY` deployment has completed (its tasks running, the old
/// ones gone).
async fn until_deployed(
    cx: &Ctx,
    arn: &str,
    progress: &Progress,
) -> Result<Service, ProviderError> {
    wait::until(
        "the service's deployment to complete",
        cx.timeout(DEPLOY_TIMEOUT),
        Backoff::default(),
        progress,
        || async {
            Ok(match one(cx, arn).await? {
                Some(s) => {
                    let (state, reason) = rollout(&s);
                    match COMPLETED.poll(&state, s) {
                        Poll::Never(st) if !reason.is_empty() => {
                            Poll::Never(format!("{st}: {reason}"))
                        }
                        p => p,
                    }
                }
                None => Poll::Missing,
            })
        },
    )
    .await
}

#[async_trait]
impl AwsKind for ServiceKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn discovery(&self) -> Discovery {
        Discovery::TaggingArn(&["ecs:service"])
    }

    /// `DescribeServices` of the ARNs the lockfile or the listing gives, ten of one cluster a
    /// call; without a listing, every service of every cluster.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let found = match ids_to_read(cx, self, req.ids, req.stack).await? {
            Some(arns) => by_arns(cx, &arns).await?,
            None => all(cx).await?,
        };
        Ok(found.iter().map(to_live).filter(|l| req.wants(l)).collect())
    }

    /// CreateService with the create's token as `clientToken`, then its first deployment
    /// awaited (unless the run does not wait).
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let strategy = strategy(a, "capacity_provider_strategy")?;
        let out = client(cx)
            .create_service()
            .cluster(str_field(a, "cluster").unwrap_or_default())
            .service_name(str_field(a, "name").unwrap_or_default())
            .task_definition(str_field(a, "task_definition").unwrap_or_default())
            .desired_count(count(a))
            .set_launch_type(strategy.is_empty().then_some(LaunchType::Fargate))
            .set_capacity_provider_strategy(Some(strategy).filter(|s| !s.is_empty()))
            .network_configuration(network(a)?)
            .set_load_balancers(Some(load_balancers(a)).filter(|l| !l.is_empty()))
            .set_health_check_grace_period_seconds(grace(a))
            .set_deployment_configuration(deployment(a))
            .enable_execute_command(
                a.get("enable_execute_command")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            )
            .set_tags(Some(tags::create_tags(req)))
            .client_token(req.token)
            .send()
            .await
            .map_err(aws("ecs:CreateService"))?;
        let arn = out
            .service()
            .and_then(Service::service_arn)
            .ok_or_else(|| ProviderError::new(ErrorClass::Other, "CreateService answered no ARN"))?
            .to_string();
        progress.created(&arn);
        let s = if req.wait {
            until_deployed(cx, &arn, progress).await?
        } else {
            super::until_visible("the service", cx, progress, || one(cx, &arn)).await?
        };
        Ok(created(to_live(&s), req))
    }

    /// UpdateService with the changed fields; a change that starts a deployment is awaited.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        let service_fields = [
            "task_definition",
            "desired_count",
            "subnets",
            "security_groups",
            "assign_public_ip",
            "load_balancers",
            "health_check_grace_period",
            "deployment",
            "enable_execute_command",
        ];
        if service_fields.iter().any(|f| changed(f)) {
            let network_changed = ["subnets", "security_groups", "assign_public_ip"]
                .iter()
                .any(|f| changed(f));
            client(cx)
                .update_service()
                .cluster(cluster_of(req.id).unwrap_or_default())
                .service(req.id)
                .set_task_definition(
                    changed("task_definition")
                        .then(|| str_field(a, "task_definition").map(str::to_string))
                        .flatten(),
                )
                .set_desired_count(changed("desired_count").then(|| count(a)))
                .set_network_configuration(network_changed.then(|| network(a)).transpose()?)
                .set_load_balancers(changed("load_balancers").then(|| load_balancers(a)))
                .set_health_check_grace_period_seconds(
                    changed("health_check_grace_period")
                        .then(|| grace(a))
                        .flatten(),
                )
                .set_deployment_configuration(
                    changed("deployment").then(|| deployment(a)).flatten(),
                )
                .set_enable_execute_command(changed("enable_execute_command").then(|| {
                    a.get("enable_execute_command")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                }))
                .send()
                .await
                .map_err(aws("ecs:UpdateService"))?;
            if req.wait && DEPLOYING.iter().any(|f| changed(f)) {
                until_deployed(cx, req.id, progress).await?;
            }
        }
        if changed("tags") {
            tags::sync(cx, req.id, req).await?;
        }
        Ok(updated(req))
    }

    /// DeleteService, forced (its tasks are stopped, whatever its desired count), then the
    /// wait until it is `INACTIVE`; one already gone is deleted. Its tasks' network interfaces
    /// linger a while after: the subnets' and security groups' deletes wait them out.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let sent = client(cx)
            .delete_service()
            .cluster(cluster_of(req.id).unwrap_or_default())
            .service(req.id)
            .force(true)
            .send()
            .await
            .map_err(aws("ecs:DeleteService"));
        match sent {
            Ok(_) => {}
            Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        let cluster = cluster_of(req.id).unwrap_or_default();
        wait::until(
            "the service to be inactive",
            cx.timeout(DELETE_TIMEOUT),
            Backoff::default(),
            progress,
            || async {
                let answer = client(cx)
                    .describe_services()
                    .cluster(cluster)
                    .services(req.id)
                    .send()
                    .await
                    .map_err(aws("ecs:DescribeServices"));
                Ok(match answer {
                    Ok(a) => match a.services().first().and_then(Service::status) {
                        None | Some("INACTIVE") => Poll::Ready(()),
                        Some(other) => Poll::NotYet(other.to_string()),
                    },
                    // The cluster is gone, and the service with it.
                    Err(e) if e.class == ErrorClass::NotFound => Poll::Ready(()),
                    Err(e) => return Err(e),
                })
            },
        )
        .await
    }
}
