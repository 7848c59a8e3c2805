//! The desired state: the validated stack reduced to what the planner needs.

use std::collections::BTreeMap;

use serde_json::Value;
use strata_model::Stack;
use strata_model::kinds::KindInfo;

use crate::value::Attrs;

/// Lifecycle options that matter to the planner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleOpts {
    pub prevent_destroy: bool,
    pub create_before_destroy: bool,
    /// Field names, or `field.key` for one key of a mapping field.
    pub ignore_changes: Vec<String>,
    /// Fields another controller owns (`lifecycle.owned_elsewhere`): set at create, then
    /// shown, never changed.
    pub owned_elsewhere: Vec<String>,
    /// Whether apply waits until a new copy is usable (`lifecycle.wait`, default true).
    pub wait: bool,
}

impl Default for LifecycleOpts {
    fn default() -> Self {
        LifecycleOpts {
            prevent_destroy: false,
            create_before_destroy: false,
            ignore_changes: Vec::new(),
            owned_elsewhere: Vec::new(),
            wait: true,
        }
    }
}

/// One desired resource.
#[derive(Debug, Clone)]
pub struct DesiredResource {
    pub name: String,
    pub kind: &'static KindInfo,
    /// Fields in template form (`${vpc.id}` for references), default tags merged in.
    pub attrs: Attrs,
    /// Names that must exist before this resource is created, sorted.
    pub deps: Vec<String>,
    /// Names referred to only from deferred fields (applied once they exist), sorted.
    pub soft_deps: Vec<String>,
    pub lifecycle: LifecycleOpts,
}

/// One desired output.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredOutput {
    pub value: String,
    pub sensitive: bool,
}

/// Everything the documents ask for.
#[derive(Debug, Clone)]
pub struct Desired {
    pub stack: String,
    pub region: String,
    pub resources: BTreeMap<String, DesiredResource>,
    pub outputs: BTreeMap<String, DesiredOutput>,
}

impl Desired {
    /// Builds the desired state; `region` is the region the run uses.
    pub fn from_stack(stack: &Stack, region: &str) -> Desired {
        let defaults = stack.default_tags.to_map();
        let resources = stack
            .resources
            .values()
            .map(|r| {
                let mut attrs = match r.spec.to_attrs() {
                    Value::Object(m) => m,
                    _ => Attrs::new(),
                };
                if r.kind.field("tags").is_some() {
                    let mut tags = defaults.clone();
                    if let Some(Value::Object(own)) = attrs.get("tags") {
                        for (k, v) in own {
                            if let Value::String(v) = v {
                                tags.insert(k.clone(), v.clone());
                            }
                        }
                    }
                    attrs.insert(
                        "tags".into(),
                        Value::Object(
                            tags.into_iter()
                                .map(|(k, v)| (k, Value::String(v)))
                                .collect(),
                        ),
                    );
                }
                if let Some(normalize) = r.kind.policy.desired {
                    normalize(&mut attrs, region);
                }
                let res = DesiredResource {
                    name: r.name.clone(),
                    kind: r.kind,
                    attrs,
                    deps: r.dependencies().into_iter().map(str::to_string).collect(),
                    soft_deps: r
                        .soft_dependencies()
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                    lifecycle: LifecycleOpts {
                        prevent_destroy: r.lifecycle.prevent_destroy,
                        create_before_destroy: r.lifecycle.create_before_destroy,
                        ignore_changes: values(&r.lifecycle.ignore_changes),
                        owned_elsewhere: values(&r.lifecycle.owned_elsewhere),
                        wait: r.lifecycle.wait,
                    },
                };
                (r.name.clone(), res)
            })
            .collect();
        let outputs = stack
            .outputs
            .values()
            .map(|o| {
                (
                    o.name.clone(),
                    DesiredOutput {
                        value: o.value.value.clone(),
                        sensitive: o.sensitive,
                    },
                )
            })
            .collect();
        Desired {
            stack: stack.name.value.clone(),
            region: region.to_string(),
            resources,
            outputs,
        }
    }
}

fn values(fields: &[strata_model::spanned::Spanned<String>]) -> Vec<String> {
    fields.iter().map(|s| s.value.clone()).collect()
}
