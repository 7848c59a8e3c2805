//! `ecs.task_definition`: a Fargate task definition (`aws ecs register-task-definition`), the
//! containers an ECS service runs (cookbook recipes 3.5 to 3.8).
//!
//! Its id is the ARN of its revision. A revision never changes: any change but the tags
//! registers a new revision of the family, before the old one is deregistered (once the
//! stack's services use the new one). Tags change in place, on the revision.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{AttrDef, FieldDef, KindInfo, KindSpec, Policy, ReplaceOrder};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::Tags;

pub static INFO: KindInfo = KindInfo {
    name: "ecs.task_definition",
    summary: "A Fargate task definition: its containers, size and roles (RegisterTaskDefinition).",
    fields: &[
        FieldDef::replace("family"),
        FieldDef::replace("cpu"),
        FieldDef::replace("memory"),
        FieldDef::replace("execution_role").unset_when_omitted(),
        FieldDef::replace("task_role").unset_when_omitted(),
        FieldDef::replace("runtime_platform").unset_when_omitted(),
        FieldDef::replace("containers"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The revision's ARN (`arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:N`).",
        },
        AttrDef {
            name: "revision",
            doc: "The revision's number in its family.",
        },
    ],
    deferred: &[],
    policy: Policy {
        replace: ReplaceOrder::NewRevision,
        compare: &[("containers", containers_canon)],
        // DescribeTaskDefinition reads one revision a call.
        id_chunk: 1,
        ..Policy::DEFAULT
    },
};

/// The CPU units Fargate offers, each with the memory sizes (MiB) it allows: from, to, step.
pub const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122_880, 8192),
];

/// Whether Fargate runs a task of `cpu` units and `memory` MiB.
pub fn fargate_size_ok(cpu: u32, memory: u32) -> bool {
    if cpu == 256 {
        return matches!(memory, 512 | 1024 | 2048);
    }
    FARGATE_SIZES.iter().any(|&(c, from, to, step)| {
        c == cpu && (from..=to).contains(&memory) && (memory - from).is_multiple_of(step)
    })
}

/// The containers as AWS writes them back: `essential` true unless false, a port mapping's
/// protocol `tcp` unless given, empty lists and mappings left out.
fn containers_canon(v: &Value) -> Value {
    let Some(items) = v.as_array() else {
        return v.clone();
    };
    items
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if let Some(o) = c.as_object_mut() {
                o.entry("essential").or_insert(Value::Bool(true));
                if let Some(ports) = o.get_mut("port_mappings").and_then(Value::as_array_mut) {
                    for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                        p.entry("protocol").or_insert(Value::String("tcp".into()));
                    }
                }
                o.retain(|_, v| match v {
                    Value::Null => false,
                    Value::Array(a) => !a.is_empty(),
                    Value::Object(m) => !m.is_empty(),
                    _ => true,
                });
            }
            c
        })
        .collect()
}

/// A task definition for Fargate (network mode `awsvpc`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EcsTaskDefinitionSpec {
    /// The family its revisions share (`web`).
    pub family: Spanned<String>,
    /// CPU units of the task: 256, 512, 1024, 2048, 4096, 8192 or 16384.
    pub cpu: Spanned<u32>,
    /// Memory of the task in MiB, one Fargate allows with its `cpu` (256: 512, 1024 or 2048;
    /// 512: 1024 to 4096; 1024: 2048 to 8192; …).
    pub memory: Spanned<u32>,
    /// The role ECS uses to pull the image and send logs (`${exec_role.arn}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role: Option<String>,
    /// The role the containers' code runs as (`${app_role.arn}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role: Option<String>,
    /// The platform the containers are built for; left out, Linux on x86-64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    /// Its containers, at least one.
    pub containers: Vec<Container>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

/// The operating system and CPU architecture of a task's containers.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuntimePlatform {
    /// `X86_64` or `ARM64`.
    pub cpu_architecture: CpuArchitecture,
    /// `LINUX` (Fargate's Windows platforms are not supported).
    #[serde(default = "linux")]
    pub operating_system_family: String,
}

fn linux() -> String {
    "LINUX".to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CpuArchitecture {
    #[serde(rename = "X86_64")]
    X86_64,
    #[serde(rename = "ARM64")]
    Arm64,
}

/// One container of a task.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Container {
    /// Its name in the task, unique there (`web`).
    pub name: Spanned<String>,
    /// The image (`amazon/amazon-ecs-sample`, `ACCOUNT.dkr.ecr.REGION.amazonaws.com/app:1.2`).
    pub image: String,
    /// Whether the task stops when this container stops; left out, true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    /// The ports it listens on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    /// Environment variables, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// Environment variables read from Secrets Manager or SSM Parameter Store when the task
    /// starts, by name: the secret's or parameter's ARN. strata never reads their values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
    /// Where its output goes: `{driver: awslogs, options: {awslogs-group: "${logs.name}",
    /// awslogs-region: us-east-1, awslogs-stream-prefix: web}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    /// The command ECS runs to check it is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// The entry point it runs, instead of the image's (`["sh", "-c"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_point: Vec<String>,
    /// The command it runs, instead of the image's (or the arguments of `entry_point`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
}

/// A port a container listens on.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortMapping {
    /// The port (with `awsvpc`, the task's port too).
    pub container_port: Spanned<u32>,
    /// `tcp` (left out) or `udp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// A container's log driver and its options.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogConfiguration {
    /// `awslogs` (CloudWatch Logs), `awsfirelens`, `splunk`.
    pub driver: String,
    /// The driver's options (for `awslogs`: `awslogs-group`, `awslogs-region`,
    /// `awslogs-stream-prefix`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// A container's health check.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// `["CMD-SHELL", "curl -f http://localhost/ || exit 1"]`.
    pub command: Vec<String>,
    /// Seconds between checks (5 to 300; AWS's default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u32>,
    /// Seconds a check may take (2 to 120; default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// Failed checks before it is unhealthy (1 to 10; default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Seconds after start when failures do not count (0 to 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<u32>,
}

impl KindSpec for EcsTaskDefinitionSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, t) in stack.of_kind::<EcsTaskDefinitionSpec>() {
            check_family(&t.family, diags);
            check_size(t, diags);
            if t.containers.is_empty() {
                diags.push(
                    Diagnostic::error("strata::missing_field", "a task definition needs a container")
                        .at(r.name_span, "no containers")
                        .help("add `containers: [{name: web, image: amazon/amazon-ecs-sample}]`"),
                );
            }
            for (i, c) in t.containers.iter().enumerate() {
                if t.containers[..i].iter().any(|o| o.name.value == c.name.value) {
                    diags.push(
                        Diagnostic::error(
                            "strata::duplicate_name",
                            format!("two containers are named `{}`", c.name.value),
                        )
                        .at(c.name.span, "named again here")
                        .help("give each container of a task a name of its own"),
                    );
                }
                for p in &c.port_mappings {
                    if p.container_port.value == 0 || p.container_port.value > 65535 {
                        diags.push(
                            Diagnostic::error("strata::invalid_value", "a port is 1 to 65535")
                                .at(p.container_port.span, "not a port")
                                .help("give the port the container listens on"),
                        );
                    }
                }
            }
        }
    }
}

/// A family: 1 to 255 letters, digits, `-` and `_`.
fn check_family(f: &Spanned<String>, diags: &mut Diagnostics) {
    let v = &f.value;
    if v.is_empty()
        || v.len() > 255
        || !v.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    {
        diags.push(
            Diagnostic::error(
                "strata::invalid_value",
                format!("`{v}` is not a valid task definition family"),
            )
            .at(f.span, "invalid family")
            .help("1 to 255 characters: letters, digits, `-` and `_`"),
        );
    }
}

/// CPU and memory form a size Fargate offers.
fn check_size(t: &EcsTaskDefinitionSpec, diags: &mut Diagnostics) {
    let (cpu, memory) = (t.cpu.value, t.memory.value);
    match FARGATE_SIZES.iter().find(|s| s.0 == cpu) {
        None => diags.push(
            Diagnostic::error(
                "strata::invalid_value",
                format!("Fargate has no task of {cpu} CPU units"),
            )
            .at(t.cpu.span, "not a Fargate size")
            .help("use 256, 512, 1024, 2048, 4096, 8192 or 16384"),
        ),
        Some(&(_, from, to, step)) if !fargate_size_ok(cpu, memory) => diags.push(
            Diagnostic::error(
                "strata::invalid_value",
                format!("Fargate has no task of {cpu} CPU units with {memory} MiB"),
            )
            .at(t.memory.span, "not a memory size for this CPU")
            .also(t.cpu.span, "the CPU")
            .help(if cpu == 256 {
                "with 256 CPU units, give 512, 1024 or 2048 MiB".to_string()
            } else {
                format!("with {cpu} CPU units, give {from} to {to} MiB in steps of {step}")
            }),
        ),
        Some(_) => {}
    }
}
