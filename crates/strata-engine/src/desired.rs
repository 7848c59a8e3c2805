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
    /// Why a field of `owned_elsewhere` is owned elsewhere when the stack, not the resource's
    /// `lifecycle`, says so (an `ecs.service` an `application_autoscaling.target` scales), by
    /// field; the plan shows it beside the field.
    pub owned_elsewhere_why: BTreeMap<String, String>,
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
            owned_elsewhere_why: BTreeMap::new(),
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

/// An `ecs.service` that an `application_autoscaling.target` of the stack scales has its
/// `desired_count` owned elsewhere (the autoscaler's), with the target named as the reason.
fn scaled_elsewhere(stack: &Stack, resources: &mut BTreeMap<String, DesiredResource>) {
    use strata_model::kinds::autoscaling_target::AutoscalingTargetSpec;
    for (r, t) in stack.of_kind::<AutoscalingTargetSpec>() {
        if t.service.is_external() {
            continue;
        }
        let Some(service) = resources.get_mut(t.service.name()) else {
            continue;
        };
        let l = &mut service.lifecycle;
        if !l.owned_elsewhere.iter().any(|f| f == "desired_count") {
            l.owned_elsewhere.push("desired_count".to_string());
            l.owned_elsewhere_why.insert(
                "desired_count".to_string(),
                format!("its application_autoscaling.target {} scales it", r.name),
            );
        }
    }
}

impl Desired {
    /// Builds the desired state; `region` is the region the run uses.
    pub fn from_stack(stack: &Stack, region: &str) -> Desired {
        let defaults = stack.default_tags.to_map();
        let mut resources: BTreeMap<String, DesiredResource> = stack
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
                        owned_elsewhere_why: BTreeMap::new(),
                        wait: r.lifecycle.wait,
                    },
                };
                (r.name.clone(), res)
            })
            .collect();
        scaled_elsewhere(stack, &mut resources);
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

#[cfg(test)]
mod tests {
    use strata_model::source::SourceFile;
    use strata_model::{VarInputs, load::load_sources};

    use super::Desired;

    const SCALED: &str = "stack: s
region: us-east-1
resources:
  vpc: {kind: ec2.vpc, cidr_block: 10.0.0.0/16}
  a: {kind: ec2.subnet, vpc: vpc, cidr_block: 10.0.0.0/24, availability_zone: us-east-1a}
  cluster: {kind: ecs.cluster, name: c}
  task:
    kind: ecs.task_definition
    family: t
    cpu: 256
    memory: 512
    containers: [{name: web, image: nginx}]
  web: {kind: ecs.service, name: web, cluster: cluster, task_definition: task, subnets: [a]}
  other: {kind: ecs.service, name: other, cluster: cluster, task_definition: task, subnets: [a]}
  scaling: {kind: application_autoscaling.target, service: web, min_capacity: 1, max_capacity: 3}
";

    /// The service an autoscaling target scales has its desired count owned elsewhere, with
    /// the target named; another service keeps its own.
    #[test]
    fn a_scaled_service_has_its_desired_count_owned_elsewhere() {
        let loaded = load_sources(
            vec![SourceFile::new("s.yaml", SCALED)],
            &VarInputs::default(),
        )
        .expect("a valid stack");
        let d = Desired::from_stack(&loaded.stack, "us-east-1");
        let web = &d.resources["web"].lifecycle;
        assert_eq!(web.owned_elsewhere, vec!["desired_count".to_string()]);
        assert_eq!(
            web.owned_elsewhere_why["desired_count"],
            "its application_autoscaling.target scaling scales it"
        );
        let other = &d.resources["other"].lifecycle;
        assert!(other.owned_elsewhere.is_empty());
        assert!(other.owned_elsewhere_why.is_empty());
    }
}
