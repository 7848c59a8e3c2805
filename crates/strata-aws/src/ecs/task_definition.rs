//! `ecs.task_definition` on AWS: RegisterTaskDefinition (a new revision of the family, tagged
//! in the call), DescribeTaskDefinition (one revision a call, with its tags),
//! DeregisterTaskDefinition; tags by the revision's ARN.
//!
//! A new IAM role is unknown to ECS for a few seconds after its create (IAM is eventually
//! consistent): the register's `iam:PassRole` refusal is retried for a bounded time.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, CpuArchitecture, HealthCheck, KeyValuePair,
    LogConfiguration, LogDriver, NetworkMode, OsFamily, PortMapping, RuntimePlatform, Secret,
    TaskDefinition, TaskDefinitionField, TaskDefinitionStatus, TransportProtocol,
};
use futures_util::TryFutureExt;
use serde_json::{Map, Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags;
use super::{AwsKind, client, create_once, created, ids_to_read, str_field, updated};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::wait::{self, Backoff, Poll};

pub struct TaskDefinitionKind;

const KIND: &str = "ecs.task_definition";

/// How long a register refused for a role IAM has not spread yet is tried again.
const ROLE_PROPAGATION: Duration = Duration::from_secs(60);

/// A revision (by ARN) with its tags; `None` when it is gone or deregistered.
async fn one(
    cx: &Ctx,
    arn: &str,
) -> Result<Option<(TaskDefinition, Vec<aws_sdk_ecs::types::Tag>)>, ProviderError> {
    let answer = client(cx)
        .describe_task_definition()
        .task_definition(arn)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .map_err(aws("ecs:DescribeTaskDefinition"));
    match answer {
        Ok(a) => Ok(a
            .task_definition()
            .filter(|t| t.status() == Some(&TaskDefinitionStatus::Active))
            .map(|t| (t.clone(), a.tags().to_vec()))),
        // AWS answers a revision it no longer has with `ClientException`.
        Err(e) if matches!(e.class, ErrorClass::NotFound | ErrorClass::Invalid) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every `ACTIVE` revision of the region (`ListTaskDefinitions`, paginated).
async fn all_arns(cx: &Ctx) -> Result<Vec<String>, ProviderError> {
    let mut pages = client(cx)
        .list_task_definitions()
        .status(TaskDefinitionStatus::Active)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("ecs:ListTaskDefinitions"))?;
        out.extend(page.task_definition_arns().iter().cloned());
    }
    Ok(out)
}

/// Drops nulls, empty lists and empty mappings from an object.
fn compact(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, v| match v {
            Value::Null => false,
            Value::Array(a) => !a.is_empty(),
            Value::Object(m) => !m.is_empty(),
            _ => true,
        });
    }
    v
}

/// A container as the documents write it.
fn container_doc(c: &ContainerDefinition) -> Value {
    let pairs = |kv: &[KeyValuePair]| -> Map<String, Value> {
        kv.iter()
            .filter_map(|p| Some((p.name()?.to_string(), json!(p.value().unwrap_or_default()))))
            .collect()
    };
    let ports: Vec<Value> = c
        .port_mappings()
        .iter()
        .map(|p| {
            compact(json!({
                "container_port": p.container_port(),
                "protocol": p.protocol().map(TransportProtocol::as_str),
            }))
        })
        .collect();
    let secrets: Map<String, Value> = c
        .secrets()
        .iter()
        .map(|s| (s.name().to_string(), json!(s.value_from())))
        .collect();
    let logs = c.log_configuration().map(|l| {
        compact(json!({
            "driver": l.log_driver().as_str(),
            "options": l.options().cloned().unwrap_or_default(),
        }))
    });
    let health = c.health_check().map(|h| {
        compact(json!({
            "command": h.command(),
            "interval": h.interval(),
            "timeout": h.timeout(),
            "retries": h.retries(),
            "start_period": h.start_period(),
        }))
    });
    compact(json!({
        "name": c.name(),
        "image": c.image(),
        "essential": c.essential(),
        "port_mappings": ports,
        "environment": pairs(c.environment()),
        "secrets": secrets,
        "log_configuration": logs,
        "health_check": health,
        "entry_point": c.entry_point(),
        "command": c.command(),
    }))
}

fn to_live(t: &TaskDefinition, tag_list: &[aws_sdk_ecs::types::Tag]) -> LiveResource {
    let arn = t.task_definition_arn().unwrap_or_default();
    let number = |s: Option<&str>| s.and_then(|s| s.parse::<u32>().ok());
    let platform = t.runtime_platform().map(|p| {
        compact(json!({
            "cpu_architecture": p.cpu_architecture().map(CpuArchitecture::as_str),
            "operating_system_family": p.operating_system_family().map(OsFamily::as_str),
        }))
    });
    let containers: Vec<Value> = t
        .container_definitions()
        .iter()
        .map(container_doc)
        .collect();
    let m = compact(json!({
        "family": t.family(),
        "cpu": number(t.cpu()),
        "memory": number(t.memory()),
        "execution_role": t.execution_role_arn(),
        "task_role": t.task_role_arn(),
        "runtime_platform": platform,
        "containers": containers,
        "arn": arn,
        "revision": t.revision(),
    }));
    tags::live(KIND, arn, tag_list, m)
}

/// A text field of a JSON object.
fn text<'a>(v: &'a Value, f: &str) -> Option<&'a str> {
    v.get(f).and_then(Value::as_str)
}

/// A number field of a JSON object, as AWS's `i32`.
fn int(v: &Value, f: &str) -> Option<i32> {
    v.get(f)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

fn invalid(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(ErrorClass::Invalid, e.to_string())
}

/// The SDK's container from the documents' form.
fn container(c: &Value) -> Result<ContainerDefinition, ProviderError> {
    let map = |f: &str| {
        c.get(f)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let ports = c
        .get("port_mappings")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            PortMapping::builder()
                .set_container_port(int(p, "container_port"))
                .protocol(TransportProtocol::from(
                    text(p, "protocol").unwrap_or("tcp"),
                ))
                .build()
        })
        .collect();
    let environment = map("environment")
        .iter()
        .map(|(k, v)| {
            KeyValuePair::builder()
                .name(k)
                .value(v.as_str().unwrap_or_default())
                .build()
        })
        .collect();
    let secrets = map("secrets")
        .iter()
        .map(|(k, v)| {
            Secret::builder()
                .name(k)
                .value_from(v.as_str().unwrap_or_default())
                .build()
                .map_err(invalid)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let logs = c
        .get("log_configuration")
        .map(|l| {
            let options = l.get("options").and_then(Value::as_object).map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            });
            LogConfiguration::builder()
                .log_driver(LogDriver::from(text(l, "driver").unwrap_or_default()))
                .set_options(options)
                .build()
                .map_err(invalid)
        })
        .transpose()?;
    let health = c
        .get("health_check")
        .map(|h| {
            let command = h.get("command").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            });
            HealthCheck::builder()
                .set_command(command)
                .set_interval(int(h, "interval"))
                .set_timeout(int(h, "timeout"))
                .set_retries(int(h, "retries"))
                .set_start_period(int(h, "start_period"))
                .build()
                .map_err(invalid)
        })
        .transpose()?;
    let texts = |f: &str| -> Option<Vec<String>> {
        c.get(f)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .filter(|v: &Vec<String>| !v.is_empty())
    };
    Ok(ContainerDefinition::builder()
        .set_name(text(c, "name").map(str::to_string))
        .set_image(text(c, "image").map(str::to_string))
        .essential(c.get("essential").and_then(Value::as_bool).unwrap_or(true))
        .set_port_mappings(Some(ports))
        .set_environment(Some(environment))
        .set_secrets(Some(secrets).filter(|s| !s.is_empty()))
        .set_log_configuration(logs)
        .set_health_check(health)
        .set_entry_point(texts("entry_point"))
        .set_command(texts("command"))
        .build())
}

/// The documents' runtime platform.
fn platform(a: &Attrs) -> Option<RuntimePlatform> {
    let p = a.get("runtime_platform")?;
    Some(
        RuntimePlatform::builder()
            .set_cpu_architecture(text(p, "cpu_architecture").map(CpuArchitecture::from))
            .operating_system_family(OsFamily::from(
                text(p, "operating_system_family").unwrap_or("LINUX"),
            ))
            .build(),
    )
}

/// Whether a refusal is IAM's role not known to ECS yet (`iam:PassRole` on a new role).
fn role_not_spread(e: &ProviderError) -> bool {
    e.class == ErrorClass::AccessDenied && e.message.contains("iam:PassRole")
}

/// RegisterTaskDefinition, once (no SDK retry), with the documents' revision; the refusal of
/// a role IAM has not spread yet is tried again for [`ROLE_PROPAGATION`].
async fn register(
    cx: &Ctx,
    req: &CreateRequest<'_>,
    progress: &Progress,
) -> Result<TaskDefinition, ProviderError> {
    let a = req.attrs;
    let containers = a
        .get("containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(container)
        .collect::<Result<Vec<_>, _>>()?;
    let number = |f: &str| a.get(f).and_then(Value::as_u64).map(|n| n.to_string());
    let send = || {
        cx.client::<aws_sdk_ecs::Client>()
            .once
            .register_task_definition()
            .family(str_field(a, "family").unwrap_or_default())
            .set_cpu(number("cpu"))
            .set_memory(number("memory"))
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .set_execution_role_arn(str_field(a, "execution_role").map(str::to_string))
            .set_task_role_arn(str_field(a, "task_role").map(str::to_string))
            .set_runtime_platform(platform(a))
            .set_container_definitions(Some(containers.clone()))
            .set_tags(Some(tags::create_tags(req)))
            .send()
            .map_err(aws("ecs:RegisterTaskDefinition"))
    };
    let refused: std::sync::Mutex<Option<ProviderError>> = std::sync::Mutex::new(None);
    let r = wait::until(
        "the task definition's roles to be known to ECS",
        ROLE_PROPAGATION,
        Backoff::default(),
        progress,
        || {
            let refused = &refused;
            let sent = send();
            async move {
                match sent.await {
                    Ok(out) => Ok(Poll::Ready(out)),
                    Err(e) if role_not_spread(&e) => {
                        let note = format!("IAM has not spread the role yet: {}", e.message);
                        if let Ok(mut r) = refused.lock() {
                            *r = Some(e);
                        }
                        Ok(Poll::NotYet(note))
                    }
                    Err(e) => Err(e),
                }
            }
        },
    )
    .await;
    let out = match r {
        Ok(out) => out,
        Err(e) if e.class == ErrorClass::Timeout => {
            return Err(refused.into_inner().ok().flatten().unwrap_or(e));
        }
        Err(e) => return Err(e),
    };
    out.task_definition().cloned().ok_or_else(|| {
        ProviderError::new(
            ErrorClass::Other,
            "RegisterTaskDefinition answered no task definition",
        )
    })
}

#[async_trait]
impl AwsKind for TaskDefinitionKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn discovery(&self) -> Discovery {
        Discovery::TaggingArn(&["ecs:task-definition"])
    }

    /// One `DescribeTaskDefinition` per revision the lockfile or the listing gives; without a
    /// listing, every `ACTIVE` revision of the region.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let arns = match ids_to_read(cx, self, req.ids, req.stack).await? {
            Some(arns) => arns,
            None => all_arns(cx).await?,
        };
        let found = futures_util::future::try_join_all(arns.iter().map(|arn| one(cx, arn))).await?;
        Ok(found
            .into_iter()
            .flatten()
            .map(|(t, tag_list)| to_live(&t, &tag_list))
            .filter(|l| req.wants(l))
            .collect())
    }

    /// RegisterTaskDefinition: a new revision of the family. The call takes no idempotency
    /// token: a lost answer is looked for by its tags (`create_once`).
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let (arn, _) = create_once(
            cx,
            self,
            req,
            || register(cx, req, progress),
            |t: &TaskDefinition| t.task_definition_arn().map(str::to_string),
        )
        .await?;
        progress.created(&arn);
        let (t, tag_list) = one(cx, &arn).await?.ok_or_else(|| {
            ProviderError::new(
                ErrorClass::NotFound,
                format!("the task definition {arn} is not there after its register"),
            )
        })?;
        Ok(created(to_live(&t, &tag_list), req))
    }

    /// Only the tags change in place, on the revision.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        if req.changed.iter().any(|c| c == "tags") {
            tags::sync(cx, req.id, req).await?;
        }
        Ok(updated(req))
    }

    /// DeregisterTaskDefinition: the revision becomes `INACTIVE` (tasks running it go on); one
    /// already gone is deleted.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        _: &Progress,
    ) -> Result<(), ProviderError> {
        let r = client(cx)
            .deregister_task_definition()
            .task_definition(req.id)
            .send()
            .await
            .map_err(aws("ecs:DeregisterTaskDefinition"));
        match r {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.class, ErrorClass::NotFound | ErrorClass::Invalid) => {
                // Gone, or already deregistered: AWS answers `ClientException` for both.
                match one(cx, req.id).await? {
                    None => Ok(()),
                    Some(_) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }
}
