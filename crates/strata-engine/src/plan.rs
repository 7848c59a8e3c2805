//! Planning: desired state + lockfile + live state → a [`Plan`], a pure serialisable value.
//!
//! The planner makes no calls and has no side effects (uv's Planner/Plan split): the same inputs
//! give the same plan. Executing a plan is [`crate::exec`]'s job.
//!
//! For each desired resource, in dependency order, the planner finds its current copy (by the
//! lockfile's id, else by the ownership tags), resolves the references it can, and compares
//! field by field using the kind's field table: a field AWS cannot change in place means a
//! replacement, others an update. A live value that differs from what the lockfile recorded,
//! while the documents did not change, is drift: shown as such and reverted.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use strata_model::kinds::{
    Compare, FieldDef, KindInfo, NamePrefix, Omitted, ReplaceOrder, Update, has_name_prefix,
    version_covers,
};

use crate::desired::{Desired, DesiredResource};
use crate::lockfile::{LockedResource, Lockfile, PendingKind};
use crate::provider::{LINEAGE_TAG, LiveResource, NAME_TAG, STACK_TAG};
use crate::value::{self, Attrs};

pub mod scope;

pub use scope::Scope;

/// The plan format version, bumped on incompatible changes (docs/plan-format.md).
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// What a plan does to one resource, each with what only it needs. In the plan's JSON the
/// variant is the action's `action` field and its data sits beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ActionKind {
    Create {
        /// Idempotency token of an interrupted create, reused so the call cannot create twice.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    Update,
    Replace(Replacement),
    Delete,
    /// Take a resource found by its ownership tags into the lockfile (then update it if needed).
    Adopt,
    /// Drop a lockfile entry whose resource is already gone.
    Forget,
    NoOp {
        /// The existing copy is not usable yet: AWS is still making it (its state, e.g.
        /// `pending`). Not a change: `strata wait` waits for it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        converging: Option<String>,
    },
}

impl ActionKind {
    /// A create without an interrupted earlier one.
    pub const CREATE: ActionKind = ActionKind::Create { token: None };
    /// Nothing to do, the resource usable.
    pub const NO_OP: ActionKind = ActionKind::NoOp { converging: None };

    /// The action's name, as in the plan's JSON (`create`, `no_op`).
    pub fn verb(&self) -> &'static str {
        match self {
            ActionKind::Create { .. } => "create",
            ActionKind::Update => "update",
            ActionKind::Replace(_) => "replace",
            ActionKind::Delete => "delete",
            ActionKind::Adopt => "adopt",
            ActionKind::Forget => "forget",
            ActionKind::NoOp { .. } => "no_op",
        }
    }
}

/// How a replacement runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    pub replace_mode: ReplaceMode,
    /// The resource whose `lifecycle.create_before_destroy` orders this replacement, when it
    /// is not this one's own: a resource depending on this one, directly or not, replaced
    /// that way: create-before-destroy reaches what such a resource depends on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_mode_from: Option<String>,
    /// The replacement registers a new revision of the resource (its kind's replacement order
    /// is [`ReplaceOrder::NewRevision`], e.g. an ECS task definition), and is shown so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new_revision: bool,
}

/// Why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not created yet.
    New,
    /// The documents changed.
    Changed,
    /// Changed outside strata; the documents did not change.
    Drift,
    /// In the lockfile but deleted outside strata.
    DeletedOutside,
    /// Found by its ownership tags but missing from the lockfile.
    FoundByTag,
    /// An interrupted create, found by its ownership tags.
    InterruptedCreate,
    /// Removed from the documents.
    Removed,
    /// Carries this stack's tag but is neither in the lockfile nor in the documents.
    Orphan,
    /// A second copy carrying the same ownership tags.
    Duplicate,
    /// The old copy left by create-before-destroy.
    Deposed,
    /// `strata destroy`.
    Destroy,
    /// Already gone.
    Gone,
    /// A field it cannot change in place takes its value from a new or replaced resource.
    DependencyReplaced,
    /// `--replace NAME` asked for it.
    ReplaceRequested,
    /// Nothing to do.
    UpToDate,
}

/// The order of a replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceMode {
    DeleteBeforeCreate,
    CreateBeforeDelete,
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    /// The live value (absent for a create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The desired value (absent: the documents leave the field out, and the live value is
    /// removed). Resolved when `unknown` is false; otherwise in template form, resolved as far
    /// as possible: references such as `${vpc.id}` remain where the value is known only after
    /// apply, and literal text holding `${` is escaped as `$${`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// The value is known only after apply.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
    /// AWS cannot change this field in place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forces_replacement: bool,
    /// The live value was changed outside strata.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drift: bool,
    /// A value holds a secret, shown as `(sensitive)` (see `secret`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// One planned action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub name: String,
    pub kind: String,
    #[serde(flatten)]
    pub action: ActionKind,
    pub reason: Reason,
    /// The existing resource's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Fields another controller owns (`lifecycle.owned_elsewhere`) whose live values differ
    /// from the documents: information, never changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_elsewhere: Vec<FieldChange>,
    /// Why a field of `set_elsewhere` is owned elsewhere when the stack says so rather than
    /// the resource's `lifecycle` (`desired_count`: "its application_autoscaling.target NAME
    /// scales it"), by field.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub elsewhere_why: BTreeMap<String, String>,
    /// Desired fields in template form, resolved when the operation runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<Attrs>,
    /// The attributes of the existing resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<Attrs>,
    /// Resources this one will depend on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Resources the existing copy depends on now (for delete order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prior_depends_on: Vec<String>,
    /// Resources named only in deferred fields (applied once those exist).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub soft_depends_on: Vec<String>,
    /// Resources the existing copy names in deferred fields: those references are removed
    /// before such a resource is deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prior_soft_depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
    /// Whether apply waits until a new copy is usable (`lifecycle.wait`).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub wait: bool,
}

fn yes() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_true(b: &bool) -> bool {
    *b
}

impl Action {
    pub fn is_change(&self) -> bool {
        !matches!(self.action, ActionKind::NoOp { .. })
    }

    /// Whether the existing copy is deleted.
    pub fn deletes(&self) -> bool {
        matches!(self.action, ActionKind::Delete | ActionKind::Replace(_))
    }

    /// The replacement's order and origin, for a replacement.
    pub fn replacement(&self) -> Option<&Replacement> {
        match &self.action {
            ActionKind::Replace(r) => Some(r),
            _ => None,
        }
    }

    /// A replacement's order.
    pub fn replace_mode(&self) -> Option<ReplaceMode> {
        self.replacement().map(|r| r.replace_mode)
    }

    /// Whether this replacement creates the new copy before the old one is deleted.
    pub fn creates_first(&self) -> bool {
        self.replace_mode() == Some(ReplaceMode::CreateBeforeDelete)
    }

    /// The idempotency token of an interrupted create this one repeats.
    pub fn token(&self) -> Option<&str> {
        match &self.action {
            ActionKind::Create { token } => token.as_deref(),
            _ => None,
        }
    }

    /// The state of an existing copy AWS is still making (not a change).
    pub fn converging(&self) -> Option<&str> {
        match &self.action {
            ActionKind::NoOp { converging } => converging.as_deref(),
            _ => None,
        }
    }
}

/// Apply the documents, or destroy everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Apply,
    Destroy,
}

/// The lockfile the plan was made against; applying refuses if it changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRef {
    pub lineage: String,
    pub serial: u64,
}

/// An output's planned value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedOutput {
    /// The template from the documents, evaluated after apply.
    pub template: String,
    /// The value if known now (never for sensitive outputs), else the template.
    pub value: Value,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub adopt: usize,
    pub forget: usize,
}

/// A plan: everything apply will do, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    /// The strata release that made the plan (`strata --version`'s number).
    #[serde(default)]
    pub strata_version: String,
    pub plan_id: String,
    pub stack: String,
    pub region: String,
    pub mode: Mode,
    /// `None` when no lockfile existed.
    pub lockfile: Option<LockRef>,
    /// In execution order for creates and updates; deletions follow in reverse dependency order.
    pub actions: Vec<Action>,
    pub outputs: BTreeMap<String, PlannedOutput>,
    pub summary: Summary,
    /// Sensitive variables whose values the plan leaves out (`${var.NAME}` in the desired
    /// attributes): applying it needs them again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_variables: Vec<String>,
    /// What the command line narrowed or forced (`--target`, `--replace`, `--refresh-only`):
    /// a saved plan carries it, so that applying it does what was planned.
    #[serde(default, skip_serializing_if = "Scope::is_empty")]
    pub scope: Scope,
    /// Where the state the plan was made against is kept, when not in the local lockfile
    /// (`s3://BUCKET/PREFIX`): applying the saved plan writes there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl Plan {
    /// Whether applying it changes anything: in AWS, or, for `--refresh-only`, in the lockfile
    /// (a recorded value that differs from the live one).
    pub fn has_changes(&self) -> bool {
        self.actions.iter().any(Action::is_change)
            || (self.scope.refresh_only && self.actions.iter().any(|a| !a.changes.is_empty()))
    }
}

/// The plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("`{name}` has lifecycle.prevent_destroy set, and this plan would {what} it")]
    PreventDestroy { name: String, what: &'static str },
    /// AWS refuses to delete the resource while a field of its own says so.
    #[error(
        "`{name}` ({kind}) has `{field}` on, and this plan would {what} it: AWS refuses the \
         delete while it is on"
    )]
    DeletionProtected {
        name: String,
        kind: String,
        field: &'static str,
        what: &'static str,
    },
    #[error("the lockfile records `{name}` as {recorded}, but the documents say {desired}")]
    KindChanged {
        name: String,
        recorded: String,
        desired: String,
    },
    #[error("{0}")]
    Foreign(Foreign),
    /// A replacement that must create the new copy first, whose new copy AWS refuses while the
    /// old one exists.
    #[error(
        "`{name}` must be replaced with the new copy created first ({}), but the new copy keeps \
         the old one's {}, and AWS refuses two {kind} with the same {} at once",
        match (.from, .by_kind) { (Some(f), _) => format!("create_before_destroy of `{f}`, which depends on it"), (None, true) => format!("{kind} is always replaced so: what uses it moves to the new copy before the old one goes"), (None, false) => "lifecycle.create_before_destroy".to_string() },
        .fields.join(" and "),
        .fields.join(" and ")
    )]
    ReplaceConflict {
        name: String,
        kind: &'static str,
        /// The kind's unique fields, quoted.
        fields: Vec<String>,
        /// The resource whose create_before_destroy reached this one, if not its own.
        from: Option<String>,
        /// The kind itself creates the new copy first (`ReplaceOrder::CreateFirst`): no
        /// lifecycle setting can change that.
        by_kind: bool,
        /// The kind's name field and the field that may give it as a prefix instead, when the
        /// kind has one (see [`strata_model::kinds::NamePrefix`]).
        name_prefix: Option<NamePrefix>,
    },
}

impl PlanError {
    /// What to do about it, where the plan knows better than a general hint.
    pub fn help(&self) -> Option<String> {
        match self {
            PlanError::ReplaceConflict {
                name,
                fields,
                from,
                name_prefix,
                by_kind: true,
                ..
            } if from.is_none() => Some(format!(
                "{}change {} of `{name}` so that both copies can exist for a while",
                match name_prefix {
                    Some(NamePrefix {
                        name: field,
                        prefix,
                    }) => format!(
                        "give `{name}` a `{prefix}` instead of its `{field}` (strata completes \
                         it with a suffix of its own, new for each copy), or "
                    ),
                    None => String::new(),
                },
                fields.join(" or "),
            )),
            PlanError::ReplaceConflict {
                name,
                fields,
                from,
                name_prefix,
                ..
            } => Some(format!(
                "{}change {} of `{name}` so that both copies can exist for a while, or remove \
                 lifecycle.create_before_destroy from `{}`",
                match name_prefix {
                    Some(NamePrefix {
                        name: field,
                        prefix,
                    }) => format!(
                        "give `{name}` a `{prefix}` instead of its `{field}` (strata completes \
                         it with a suffix of its own, new for each copy), or "
                    ),
                    None => String::new(),
                },
                fields.join(" or "),
                from.as_deref().unwrap_or(name)
            )),
            PlanError::DeletionProtected {
                name, field, what, ..
            } => Some(format!(
                "set `{field}: false` on `{name}` and apply that first (strata never turns it \
                 off by itself), then {what} it"
            )),
            _ => None,
        }
    }
}

/// Resources carrying the stack's ownership tags that this lockfile did not create: another
/// lockfile's (a second directory on the same stack, a lost lockfile), or tagged by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    pub stack: String,
    /// This lockfile's lineage; `None` when there is no lockfile.
    pub lineage: Option<String>,
    pub resources: Vec<ForeignResource>,
}

/// One resource of [`Foreign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignResource {
    pub name: String,
    pub kind: String,
    pub id: String,
    /// Its `strata:lineage` tag; `None` when it has none.
    pub lineage: Option<String>,
}

impl std::fmt::Display for Foreign {
    /// `3 resources carry stack `lab`'s ownership tags but are not owned by this lockfile
    /// (lineage 9e2a…): lineage 1f0c…: vpc (ec2.vpc vpc-1), a (ec2.subnet subnet-2); no
    /// lineage tag: b (…)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 10;
        let n = self.resources.len();
        write!(
            f,
            "{n} resource{} carr{} stack `{}`'s ownership tags but {} not owned by this \
             lockfile ({}): ",
            if n == 1 { "" } else { "s" },
            if n == 1 { "ies" } else { "y" },
            self.stack,
            if n == 1 { "is" } else { "are" },
            match &self.lineage {
                Some(l) => format!("lineage {l}"),
                None => "there is none yet".to_string(),
            }
        )?;
        let mut groups: BTreeMap<Option<&str>, Vec<&ForeignResource>> = BTreeMap::new();
        for r in &self.resources {
            groups.entry(r.lineage.as_deref()).or_default().push(r);
        }
        let mut shown = 0;
        let mut parts = Vec::new();
        for (lineage, list) in groups {
            let head = match lineage {
                Some(l) => format!("lineage {l}"),
                None => "no lineage tag".to_string(),
            };
            let items: Vec<String> = list
                .iter()
                .take(SHOWN.saturating_sub(shown))
                .map(|r| format!("{} ({} {})", r.name, r.kind, r.id))
                .collect();
            shown += items.len();
            if !items.is_empty() {
                parts.push(format!("{head}: {}", items.join(", ")));
            }
        }
        f.write_str(&parts.join("; "))?;
        if n > shown {
            write!(f, "; and {} more", n - shown)?;
        }
        Ok(())
    }
}

/// Everything the planner reads.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub desired: &'a Desired,
    pub lockfile: Option<&'a Lockfile>,
    pub live: &'a [LiveResource],
    pub mode: Mode,
    pub plan_id: &'a str,
    /// Take over resources carrying the stack's tags that another lockfile created (or none
    /// did): adopt those the documents name, delete the rest. Without it they stop the plan.
    pub adopt_foreign: bool,
}

/// What this plan's lockfile owns: the stack, and the lockfile's lineage (`None` before the
/// first apply writes the lockfile).
#[derive(Debug, Clone, Copy)]
struct Owning<'a> {
    stack: &'a str,
    lineage: Option<&'a str>,
}

/// How the lineage of a lockfile not written yet shows in a plan: known after apply.
const NEW_LINEAGE: &str = "${lockfile.lineage}";

impl Owning<'_> {
    /// The ownership tags a resource of this name carries after apply.
    fn tags(&self, name: &str) -> Attrs {
        let lineage = self.lineage.unwrap_or(NEW_LINEAGE);
        [
            (STACK_TAG, self.stack),
            (NAME_TAG, name),
            (LINEAGE_TAG, lineage),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect()
    }

    /// Whether a live resource carries this lockfile's ownership tags for `name`.
    fn owns(&self, live: &LiveResource, name: &str) -> bool {
        live.stack.as_deref() == Some(self.stack)
            && live.name.as_deref() == Some(name)
            && self.lineage.is_some()
            && live.lineage.as_deref() == self.lineage
    }
}

/// What exists now for one name.
#[derive(Debug, Clone)]
struct Current<'a> {
    live: &'a LiveResource,
    recorded: Option<&'a LockedResource>,
}

/// Attribute values known at plan time, for reference resolution (a value known only after
/// apply is absent).
#[derive(Debug, Clone)]
struct Known {
    id: Option<String>,
    attrs: Attrs,
}

fn normalize(v: &Value, compare: Compare, ignored_keys: &[&str]) -> Value {
    match (compare, v) {
        (Compare::Set, Value::Array(items)) => {
            let mut sorted = items.clone();
            sorted.sort_by_key(|x| x.to_string());
            sorted.dedup();
            Value::Array(sorted)
        }
        (Compare::Map, Value::Object(m)) => Value::Object(
            m.iter()
                .filter(|(k, _)| !ignored_keys.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        (Compare::Map, Value::Null) => Value::Object(Attrs::new()),
        (Compare::Set, Value::Null) => Value::Array(Vec::new()),
        _ => v.clone(),
    }
}

/// A resource's desired fields as far as the plan knows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wanted {
    /// Each field resolved, or, when it is in `unknown`, in template form (see
    /// [`value::resolve_partly`]).
    pub attrs: Attrs,
    /// The fields holding a value known only after apply.
    pub unknown: BTreeSet<String>,
}

impl Wanted {
    /// Fields whose values are all known.
    pub fn known(attrs: Attrs) -> Wanted {
        Wanted {
            attrs,
            unknown: BTreeSet::new(),
        }
    }

    /// Resolves template-form fields with `lookup`, field by field: a field is unknown when one
    /// of its references is (decided on the template, so resolved text is never read as a
    /// reference again).
    pub fn resolve(template: &Attrs, lookup: &dyn Fn(&str, &str) -> Option<Value>) -> Wanted {
        let mut out = Wanted::default();
        for (k, v) in template {
            let r = value::resolve(v, lookup);
            let v = if r.unknown.is_empty() {
                r.value
            } else {
                out.unknown.insert(k.clone());
                value::resolve_partly(v, lookup)
            };
            out.attrs.insert(k.clone(), v);
        }
        out
    }

    /// The fields whose values are known.
    fn known_attrs(&self) -> Attrs {
        self.attrs
            .iter()
            .filter(|(k, _)| !self.unknown.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// `desired` with what `ignore` names (a field, or one key of a map field such as
/// `tags.Owner`) taken from the live resource, or left out where the live resource has none.
fn keep_ignored(desired: &Wanted, live: &Attrs, ignore: &[String]) -> Wanted {
    let mut out = desired.clone();
    for name in ignore {
        if !name.contains('.') {
            out.unknown.remove(name);
        }
    }
    out.attrs = keep_ignored_attrs(&desired.attrs, live, ignore);
    out
}

/// The reasons the stack gives (`LifecycleOpts.owned_elsewhere_why`) for these fields set
/// elsewhere.
fn elsewhere_why(res: &DesiredResource, shown: &[FieldChange]) -> BTreeMap<String, String> {
    shown
        .iter()
        .filter_map(|c| {
            let why = res.lifecycle.owned_elsewhere_why.get(&c.field)?;
            Some((c.field.clone(), why.clone()))
        })
        .collect()
}

/// The fields another controller owns whose live values differ from the documents' (a
/// `tags.KEY` entry shows the whole field).
fn set_elsewhere(res: &DesiredResource, resolved: &Wanted, live: &Attrs) -> Vec<FieldChange> {
    let owned = &res.lifecycle.owned_elsewhere;
    if owned.is_empty() {
        return Vec::new();
    }
    let named = |field: &str| {
        owned
            .iter()
            .any(|o| o == field || o.split_once('.').is_some_and(|(f, _)| f == field))
    };
    diff_fields(
        res.kind,
        resolved,
        live,
        None,
        &res.lifecycle.ignore_changes,
    )
    .into_iter()
    .filter(|c| named(&c.field) && !c.unknown)
    .map(|c| FieldChange {
        forces_replacement: false,
        ..c
    })
    .collect()
}

/// [`keep_ignored`] on attributes (resolved, or in template form).
fn keep_ignored_attrs(desired: &Attrs, live: &Attrs, ignore: &[String]) -> Attrs {
    let mut out = desired.clone();
    for name in ignore {
        match name.split_once('.') {
            None => match live.get(name) {
                Some(v) => {
                    out.insert(name.clone(), v.clone());
                }
                None => {
                    out.remove(name);
                }
            },
            Some((field, key)) => {
                if let Some(Value::Object(m)) = out.get_mut(field) {
                    match live.get(field).and_then(|l| l.get(key)) {
                        Some(v) => {
                            m.insert(key.to_string(), v.clone());
                        }
                        None => {
                            m.remove(key);
                        }
                    }
                }
            }
        }
    }
    out
}

/// A version the documents give by its leading parts, naming the live one.
fn same_version(compare: Compare, wanted: &Value, live: &Value) -> bool {
    match (compare, wanted, live) {
        (Compare::Version, Value::String(w), Value::String(l)) => version_covers(w, l),
        _ => false,
    }
}

/// A secret whose value no longer matches the verifier recorded for it: rotated.
fn rotated_secret(
    def: &FieldDef,
    desired: &Wanted,
    recorded: Option<&Attrs>,
) -> Option<FieldChange> {
    let Some(Value::String(wanted)) = desired.attrs.get(def.name) else {
        return None;
    };
    let Some(Value::String(verifier)) = recorded.and_then(|r| r.get(def.name)) else {
        return None;
    };
    if desired.unknown.contains(def.name)
        || crate::verifier::verifies(verifier, wanted) != Some(false)
    {
        return None;
    }
    Some(FieldChange {
        field: def.name.to_string(),
        before: Some(Value::String(crate::secret::MASK.to_string())),
        after: Some(Value::String(wanted.clone())),
        unknown: false,
        forces_replacement: def.update == Update::Replace,
        drift: false,
        sensitive: true,
    })
}

/// Compares desired with live (and recorded) attributes field by field. A field the documents
/// leave out is compared with nothing, unless its table says AWS's value is kept then
/// ([`Omitted::Kept`]).
pub fn diff_fields(
    kind: &KindInfo,
    desired: &Wanted,
    live: &Attrs,
    recorded: Option<&Attrs>,
    ignore: &[String],
) -> Vec<FieldChange> {
    let (live, recorded) = prefix_view(kind, desired, live, recorded);
    let (live, recorded) = (live.as_ref(), recorded.as_deref());
    fn canon<'v>(kind: &KindInfo, field: &str, v: &'v Value) -> Cow<'v, Value> {
        match kind.canon(field) {
            Some(f) if !v.is_null() => Cow::Owned(f(v)),
            _ => Cow::Borrowed(v),
        }
    }
    let mut out = Vec::new();
    for def in kind.fields {
        if ignore.iter().any(|i| i == def.name) {
            continue;
        }
        // A secret AWS never returns (a private key, a password) is compared with the verifier
        // the lockfile recorded in its place, if any.
        if def.secret {
            out.extend(rotated_secret(def, desired, recorded));
            continue;
        }
        let wanted = desired.attrs.get(def.name);
        if wanted.is_none() && def.omitted == Omitted::Kept {
            continue;
        }
        let d = wanted.unwrap_or(&Value::Null);
        let prefix = format!("{}.", def.name);
        let ignored_keys: Vec<&str> = ignore
            .iter()
            .filter_map(|i| i.strip_prefix(prefix.as_str()))
            .collect();
        let unknown = desired.unknown.contains(def.name);
        let l = live.get(def.name).unwrap_or(&Value::Null);
        let nd = normalize(&canon(kind, def.name, d), def.compare, &ignored_keys);
        let nl = normalize(&canon(kind, def.name, l), def.compare, &ignored_keys);
        if !unknown && (nd == nl || same_version(def.compare, &nd, &nl)) {
            continue;
        }
        let drift = match recorded.and_then(|r| r.get(def.name)) {
            Some(r) => {
                let nr = normalize(&canon(kind, def.name, r), def.compare, &ignored_keys);
                nr != nl && nr == nd
            }
            None => false,
        };
        out.push(FieldChange {
            field: def.name.to_string(),
            before: if l.is_null() { None } else { Some(l.clone()) },
            after: wanted.cloned(),
            unknown,
            forces_replacement: def.update == Update::Replace,
            drift,
            sensitive: false,
        });
    }
    out
}

/// Live (and recorded) attributes as the documents of a kind with a name prefix see them:
/// when the documents give the prefix, a live name made from it ([`has_name_prefix`]) reads as
/// that prefix, and any other name as itself, so a name not made from the prefix is a change
/// of the prefix, which replaces the resource. The name itself is then not compared.
fn prefix_view<'a>(
    kind: &KindInfo,
    desired: &Wanted,
    live: &'a Attrs,
    recorded: Option<&'a Attrs>,
) -> (Cow<'a, Attrs>, Option<Cow<'a, Attrs>>) {
    let prefix = kind
        .policy
        .name_prefix
        .and_then(|np| match desired.attrs.get(np.prefix) {
            Some(Value::String(p)) => Some((np, p)),
            _ => None,
        });
    let view = |attrs: &'a Attrs| -> Cow<'a, Attrs> {
        let Some((np, prefix)) = prefix else {
            return Cow::Borrowed(attrs);
        };
        let Some(Value::String(name)) = attrs.get(np.name) else {
            return Cow::Borrowed(attrs);
        };
        let seen = if has_name_prefix(name, prefix) {
            prefix.clone()
        } else {
            name.clone()
        };
        let mut attrs = attrs.clone();
        attrs.insert(np.prefix.to_string(), Value::String(seen));
        Cow::Owned(attrs)
    };
    (view(live), recorded.map(view))
}

/// Names of other resources whose ids appear in `attrs` (how a live resource refers to
/// others): `(in ordinary fields, in deferred fields)`.
fn live_refs(
    kind: &str,
    attrs: &Attrs,
    self_name: &str,
    by_id: &HashMap<&str, &str>,
) -> (Vec<String>, Vec<String>) {
    let deferred = strata_model::kinds::find(kind).map_or(&[][..], |k| k.deferred);
    let (mut hard, mut soft) = (Attrs::new(), Attrs::new());
    for (k, v) in attrs {
        if deferred.contains(&k.as_str()) {
            soft.insert(k.clone(), v.clone());
        } else {
            hard.insert(k.clone(), v.clone());
        }
    }
    (
        referenced_names(&hard, self_name, by_id),
        referenced_names(&soft, self_name, by_id),
    )
}

/// Names of other resources whose ids appear in `attrs`.
fn referenced_names(attrs: &Attrs, self_name: &str, by_id: &HashMap<&str, &str>) -> Vec<String> {
    fn walk(v: &Value, by_id: &HashMap<&str, &str>, out: &mut BTreeSet<String>) {
        match v {
            Value::String(s) => {
                if let Some(n) = by_id.get(s.as_str()) {
                    out.insert((*n).to_string());
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, by_id, out)),
            Value::Object(m) => m.values().for_each(|i| walk(i, by_id, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for (k, v) in attrs {
        if k != "id" {
            walk(v, by_id, &mut out);
        }
    }
    out.remove(self_name);
    out.into_iter().collect()
}

/// Kahn's algorithm with a sorted ready set: a deterministic topological order.
/// `deps[n]` lists what `n` depends on; the result lists dependencies first.
pub fn topo_order(names: &[String], deps: &HashMap<String, Vec<String>>) -> Vec<String> {
    let set: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let mut indegree: BTreeMap<&str, usize> = set.iter().map(|n| (*n, 0)).collect();
    let mut dependents: HashMap<&str, Vec<&str>> = HashMap::new();
    for n in &set {
        for d in deps.get(*n).into_iter().flatten() {
            if set.contains(d.as_str()) && d != n {
                *indegree.entry(n).or_default() += 1;
                dependents.entry(d.as_str()).or_default().push(n);
            }
        }
    }
    let mut ready: BTreeSet<&str> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(n, _)| *n)
        .collect();
    let mut out = Vec::with_capacity(set.len());
    while let Some(n) = ready.pop_first() {
        out.push(n.to_string());
        for m in dependents.get(n).into_iter().flatten() {
            if let Some(d) = indegree.get_mut(m) {
                *d -= 1;
                if *d == 0 {
                    ready.insert(m);
                }
            }
        }
    }
    // Anything left is in a cycle (validation prevents that); keep it, sorted, at the end.
    if out.len() < set.len() {
        let done: BTreeSet<String> = out.iter().cloned().collect();
        out.extend(
            set.iter()
                .filter(|n| !done.contains(**n))
                .map(|n| n.to_string()),
        );
    }
    out
}

/// Makes the plan.
pub fn plan(input: PlanInput<'_>) -> Result<Plan, PlanError> {
    plan_scoped(input, &Scope::default())
}

/// Makes the plan as `scope` narrows or forces it: the resources `scope.replace` names are
/// replaced whether or not a field forces it; with targets, only their actions are kept
/// ([`scope::reach`]); a refresh keeps no change to AWS ([`scope::narrow`]). What a narrowed
/// plan leaves out cannot stop it (`prevent_destroy`, deletion protection).
pub fn plan_scoped(input: PlanInput<'_>, sc: &Scope) -> Result<Plan, PlanError> {
    let empty = BTreeMap::new();
    let mut p = Planner::new(input, &empty);
    p.replace = sc.replace.iter().cloned().collect();
    p.guarded = scope::guarded(sc, input.mode, input.desired, input.lockfile);
    if !input.adopt_foreign {
        let foreign = p.foreign();
        if !foreign.is_empty() {
            return Err(PlanError::Foreign(Foreign {
                stack: p.desired.stack.clone(),
                lineage: p.owning.lineage.map(str::to_string),
                resources: foreign,
            }));
        }
    }
    match input.mode {
        Mode::Apply => p.plan_apply()?,
        Mode::Destroy => p.plan_destroy()?,
    }
    p.plan_leftovers();
    let left_out = scope::narrow(
        &mut p.actions,
        sc,
        input.mode,
        input.desired,
        input.lockfile,
    );
    check_deletion_protection(&p.actions)?;
    let Planner {
        desired,
        lockfile,
        mode,
        locked,
        currents,
        actions,
        ..
    } = p;
    let actions = order_actions(actions, desired);
    let outputs = plan_outputs(desired, &actions, locked, &currents);
    let summary = summarize(&actions);
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        strata_version: env!("CARGO_PKG_VERSION").to_string(),
        plan_id: input.plan_id.to_string(),
        stack: desired.stack.clone(),
        region: desired.region.clone(),
        mode,
        lockfile: lockfile.map(|l| LockRef {
            lineage: l.lineage.clone(),
            serial: l.serial,
        }),
        actions,
        outputs,
        summary,
        sensitive_variables: Vec::new(),
        scope: Scope {
            left_out,
            ..sc.clone()
        },
        state: None,
    })
}

/// The counts of the summary line.
pub fn summarize(actions: &[Action]) -> Summary {
    let mut summary = Summary::default();
    for a in actions {
        match a.action {
            ActionKind::Create { .. } => summary.add += 1,
            ActionKind::Update => summary.change += 1,
            ActionKind::Replace(_) => {
                summary.add += 1;
                summary.destroy += 1;
            }
            ActionKind::Delete => summary.destroy += 1,
            ActionKind::Adopt => {
                summary.adopt += 1;
                if !a.changes.is_empty() {
                    summary.change += 1;
                }
            }
            ActionKind::Forget => summary.forget += 1,
            ActionKind::NoOp { .. } => {}
        }
    }
    summary
}

/// What the planner's steps share: the inputs, their indexes, and what has been decided so
/// far.
struct Planner<'a> {
    desired: &'a Desired,
    lockfile: Option<&'a Lockfile>,
    mode: Mode,
    owning: Owning<'a>,
    /// The lockfile's resources (none without a lockfile).
    locked: &'a BTreeMap<String, LockedResource>,
    live_by_id: HashMap<(&'a str, &'a str), &'a LiveResource>,
    /// The live resources carrying this stack's tags, by the name they carry (an interrupted
    /// create found by its journaled id counts as carrying its name), ordered by id.
    tagged: BTreeMap<&'a str, Vec<&'a LiveResource>>,
    /// The name of each id: recorded in the lockfile, else carried by the resource's tags.
    by_id: HashMap<&'a str, &'a str>,
    /// The token of each interrupted create.
    pending_creates: BTreeMap<&'a str, &'a str>,
    /// The current copy of each name.
    currents: BTreeMap<&'a str, Current<'a>>,
    /// The live resources accounted for (current copies, deposed ones); the rest of the
    /// tagged ones are orphans or duplicates.
    claimed: BTreeSet<(&'a str, &'a str)>,
    /// What each resource planned so far will expose, for references.
    known: HashMap<String, Known>,
    actions: Vec<Action>,
    /// The resources `--replace` names.
    replace: BTreeSet<String>,
    /// The names a narrowed plan keeps, whose `prevent_destroy` may refuse it (`None`: all).
    guarded: Option<BTreeSet<String>>,
}

impl<'a> Planner<'a> {
    /// Indexes the inputs and finds the current copy of every lockfile resource.
    fn new(input: PlanInput<'a>, empty: &'a BTreeMap<String, LockedResource>) -> Planner<'a> {
        let PlanInput {
            desired,
            lockfile,
            live,
            mode,
            ..
        } = input;
        let locked = lockfile.map_or(empty, |l| &l.resources);
        let owning = Owning {
            stack: &desired.stack,
            lineage: lockfile.map(|l| l.lineage.as_str()),
        };

        // Index the live resources.
        let mut live_by_id: HashMap<(&str, &str), &LiveResource> = HashMap::new();
        let mut tagged: BTreeMap<&str, Vec<&LiveResource>> = BTreeMap::new();
        for r in live {
            live_by_id.insert((r.kind.as_str(), r.id.as_str()), r);
            if r.stack.as_deref() == Some(desired.stack.as_str())
                && let Some(n) = &r.name
            {
                tagged.entry(n.as_str()).or_default().push(r);
            }
        }
        // An interrupted create whose id was journaled is found by that id, whatever its tags
        // say (a crash may come before AWS shows them): it counts as carrying its name.
        for (p, id) in lockfile.into_iter().flat_map(Lockfile::journaled_creates) {
            if let Some(r) = live_by_id.get(&(p.kind.as_str(), id)) {
                let list = tagged.entry(p.name.as_str()).or_default();
                if !list.iter().any(|l| l.id == r.id) {
                    list.push(r);
                }
            }
        }
        for list in tagged.values_mut() {
            list.sort_by(|a, b| a.id.cmp(&b.id));
        }
        let mut by_id: HashMap<&str, &str> = HashMap::new();
        for (n, r) in locked {
            by_id.insert(r.id.as_str(), n.as_str());
        }
        for r in live {
            if let (Some(n), Some(s)) = (&r.name, &r.stack)
                && s == &desired.stack
            {
                by_id.entry(r.id.as_str()).or_insert(n.as_str());
            }
        }
        let pending_creates: BTreeMap<&str, &str> = lockfile
            .map(|l| {
                l.pending
                    .iter()
                    .filter(|p| p.op == PendingKind::Create)
                    .map(|p| (p.name.as_str(), p.token.as_str()))
                    .collect()
            })
            .unwrap_or_default();

        let mut claimed: BTreeSet<(&str, &str)> = BTreeSet::new();
        let mut currents: BTreeMap<&str, Current<'_>> = BTreeMap::new();
        // The current copy of every lockfile resource.
        for (name, rec) in locked {
            if let Some(l) = live_by_id.get(&(rec.kind.as_str(), rec.id.as_str())) {
                claimed.insert((l.kind.as_str(), l.id.as_str()));
                currents.insert(
                    name.as_str(),
                    Current {
                        live: l,
                        recorded: Some(rec),
                    },
                );
            }
        }
        if let Some(lf) = lockfile {
            for d in &lf.deposed {
                if let Some(l) = live_by_id.get(&(d.resource.kind.as_str(), d.resource.id.as_str()))
                {
                    claimed.insert((l.kind.as_str(), l.id.as_str()));
                }
            }
        }
        Planner {
            desired,
            lockfile,
            mode,
            owning,
            locked,
            live_by_id,
            tagged,
            by_id,
            pending_creates,
            currents,
            claimed,
            known: HashMap::new(),
            actions: Vec::new(),
            replace: BTreeSet::new(),
            guarded: None,
        }
    }

    /// The resources of this stack another lockfile owns, which are never deleted or adopted
    /// unless the user says to take them over: those carrying the stack's tags that this
    /// lockfile did not create (another lineage, or none: tagged by hand, or made before a
    /// lockfile was lost), and those it records that carry another lockfile's lineage (taken
    /// over since). Resources it records without a lineage tag stay its own.
    fn foreign(&self) -> Vec<ForeignResource> {
        let owning = self.owning;
        let lockfile = self.lockfile;
        let entry = |name: &str, l: &LiveResource| ForeignResource {
            name: name.to_string(),
            kind: l.kind.clone(),
            id: l.id.clone(),
            lineage: l.lineage.clone(),
        };
        let taken_over =
            |l: &LiveResource| l.lineage.is_some() && l.lineage.as_deref() != owning.lineage;
        let mut out: Vec<ForeignResource> = Vec::new();
        for (name, c) in &self.currents {
            if taken_over(c.live) {
                out.push(entry(name, c.live));
            }
        }
        for d in lockfile.map_or(&[][..], |l| &l.deposed) {
            if let Some(l) = self
                .live_by_id
                .get(&(d.resource.kind.as_str(), d.resource.id.as_str()))
                && taken_over(l)
            {
                out.push(entry(&d.name, l));
            }
        }
        // An interrupted create's resource, found by the id this lockfile journaled, is its
        // own.
        let journaled = |l: &LiveResource| {
            lockfile.is_some_and(|lf| {
                lf.journaled_creates()
                    .any(|(p, id)| p.kind == l.kind && id == l.id)
            })
        };
        for (name, list) in &self.tagged {
            for l in list {
                if !self.claimed.contains(&(l.kind.as_str(), l.id.as_str()))
                    && !journaled(l)
                    && (owning.lineage.is_none() || l.lineage.as_deref() != owning.lineage)
                {
                    out.push(entry(name, l));
                }
            }
        }
        out
    }

    /// Whether the plan keeps `name`'s actions, so that its `prevent_destroy` refuses them.
    fn guards(&self, name: &str) -> bool {
        self.guarded.as_ref().is_none_or(|g| g.contains(name))
    }

    /// Destroy: every recorded resource that exists is deleted, the others forgotten.
    fn plan_destroy(&mut self) -> Result<(), PlanError> {
        for (name, rec) in self.locked {
            match self.currents.get(name.as_str()) {
                Some(c) => {
                    if rec.prevent_destroy && self.guards(name) {
                        return Err(PlanError::PreventDestroy {
                            name: name.clone(),
                            what: "destroy",
                        });
                    }
                    self.actions.push(delete_action(
                        name,
                        c.live,
                        Some(rec),
                        Reason::Destroy,
                        &self.by_id,
                    ));
                }
                None => self.actions.push(forget_action(name, rec)),
            }
        }
        Ok(())
    }

    /// Deposed copies and unclaimed tagged resources (orphans, duplicates) are deleted, or
    /// forgotten when gone.
    fn plan_leftovers(&mut self) {
        if let Some(lf) = self.lockfile {
            for d in &lf.deposed {
                match self
                    .live_by_id
                    .get(&(d.resource.kind.as_str(), d.resource.id.as_str()))
                {
                    Some(l) => self.actions.push(delete_action(
                        &d.name,
                        l,
                        Some(&d.resource),
                        Reason::Deposed,
                        &self.by_id,
                    )),
                    None => self.actions.push(Action {
                        reason: Reason::Deposed,
                        ..forget_action(&d.name, &d.resource)
                    }),
                }
            }
        }
        for (name, list) in &self.tagged {
            for l in list {
                if self.claimed.contains(&(l.kind.as_str(), l.id.as_str())) {
                    continue;
                }
                let reason = if self.mode == Mode::Destroy {
                    Reason::Destroy
                } else if self.currents.contains_key(name)
                    || self.desired.resources.contains_key(*name)
                {
                    Reason::Duplicate
                } else {
                    Reason::Orphan
                };
                self.actions
                    .push(delete_action(name, l, None, reason, &self.by_id));
            }
        }
    }

    /// Apply: the documents' resources created, updated, adopted or replaced, then those
    /// removed from the documents deleted.
    fn plan_apply(&mut self) -> Result<(), PlanError> {
        self.check_kinds()?;
        let adopted = self.adopt_by_tags();
        self.plan_desired(&adopted)?;
        order_replacements(&mut self.actions)?;
        self.plan_removed()
    }

    /// Kind changes are not something to paper over.
    fn check_kinds(&self) -> Result<(), PlanError> {
        for (name, r) in &self.desired.resources {
            if let Some(rec) = self.locked.get(name)
                && rec.kind != r.kind.name
            {
                return Err(PlanError::KindChanged {
                    name: name.clone(),
                    recorded: rec.kind.clone(),
                    desired: r.kind.name.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Matches desired resources without a lockfile entry to live copies found by their tags;
    /// returns their names.
    fn adopt_by_tags(&mut self) -> BTreeSet<&'a str> {
        let mut adopted: BTreeSet<&str> = BTreeSet::new();
        for (name, res) in &self.desired.resources {
            if self.currents.contains_key(name.as_str()) {
                continue;
            }
            if let Some(candidates) = self.tagged.get(name.as_str())
                && let Some(&l) = candidates.iter().find(|l| {
                    l.kind == res.kind.name
                        && !self.claimed.contains(&(l.kind.as_str(), l.id.as_str()))
                })
            {
                self.claimed.insert((l.kind.as_str(), l.id.as_str()));
                self.currents.insert(
                    name.as_str(),
                    Current {
                        live: l,
                        recorded: None,
                    },
                );
                adopted.insert(name.as_str());
            }
        }
        adopted
    }

    /// The documents' resources, in two passes in dependency order: the first learns what
    /// every resource will expose (ids of resources kept, values of replaced ones), so that
    /// the second can resolve references in deferred fields, which may point either way.
    /// Replacement is decided by fields that are never deferred, so both passes agree on it.
    fn plan_desired(&mut self, adopted: &BTreeSet<&str>) -> Result<(), PlanError> {
        let desired = self.desired;
        let names: Vec<String> = desired.resources.keys().cloned().collect();
        let deps: HashMap<String, Vec<String>> = desired
            .resources
            .iter()
            .map(|(n, r)| (n.clone(), r.deps.clone()))
            .collect();
        let order = topo_order(&names, &deps);
        for pass in 0..2 {
            for name in &order {
                let Some(res) = desired.resources.get(name) else {
                    continue;
                };
                let known = &self.known;
                let lookup = |r: &str, a: &str| -> Option<Value> {
                    let k = known.get(r)?;
                    if a == "id" {
                        k.id.clone().map(Value::String)
                    } else {
                        k.attrs.get(a).cloned()
                    }
                };
                let resolved = Wanted::resolve(&res.attrs, &lookup);
                let action = match self.currents.get(name.as_str()).cloned() {
                    None => self.plan_create(name, res, &resolved),
                    Some(cur) => {
                        self.plan_existing(res, &cur, &resolved, adopted.contains(name.as_str()))?
                    }
                };
                if pass == 1 {
                    self.actions.push(action);
                }
            }
        }
        Ok(())
    }

    /// A desired resource with no current copy is created.
    fn plan_create(&mut self, name: &str, res: &DesiredResource, resolved: &Wanted) -> Action {
        let recorded = self.locked.get(name);
        let reason = if recorded.is_some() {
            Reason::DeletedOutside
        } else {
            Reason::New
        };
        let changes = res
            .kind
            .fields
            .iter()
            .filter_map(|f| {
                resolved.attrs.get(f.name).map(|v| FieldChange {
                    field: f.name.to_string(),
                    before: None,
                    after: Some(v.clone()),
                    unknown: resolved.unknown.contains(f.name),
                    forces_replacement: false,
                    drift: false,
                    sensitive: false,
                })
            })
            .collect();
        self.known.insert(
            name.to_string(),
            Known {
                id: None,
                attrs: resolved.known_attrs(),
            },
        );
        Action {
            name: name.to_string(),
            kind: res.kind.name.to_string(),
            action: ActionKind::Create {
                token: self.pending_creates.get(name).map(|t| t.to_string()),
            },
            reason,
            id: None,
            changes,
            desired: Some(res.attrs.clone()),
            prior: recorded.map(|r| r.attributes.clone()),
            depends_on: res.deps.clone(),
            prior_depends_on: Vec::new(),
            soft_depends_on: res.soft_deps.clone(),
            prior_soft_depends_on: Vec::new(),
            set_elsewhere: Vec::new(),
            elsewhere_why: BTreeMap::new(),
            prevent_destroy: res.lifecycle.prevent_destroy,
            wait: res.lifecycle.wait,
        }
    }

    /// A desired resource with a current copy is left as it is, updated, adopted or replaced.
    fn plan_existing(
        &mut self,
        res: &DesiredResource,
        cur: &Current<'_>,
        resolved: &Wanted,
        adopted: bool,
    ) -> Result<Action, PlanError> {
        let owning = self.owning;
        let recorded_attrs = cur.recorded.map(|r| &r.attributes);
        // What `ignore_changes` and `owned_elsewhere` name stays as it is live, also when the
        // rest is updated.
        let ignore: &Vec<String> = &res
            .lifecycle
            .ignore_changes
            .iter()
            .chain(&res.lifecycle.owned_elsewhere)
            .cloned()
            .collect();
        let kept_live = keep_ignored(resolved, &cur.live.attrs, ignore);
        let set_elsewhere = set_elsewhere(res, resolved, &cur.live.attrs);
        let mut changes = diff_fields(
            res.kind,
            &kept_live,
            &cur.live.attrs,
            recorded_attrs,
            ignore,
        );
        if !owning.owns(cur.live, &res.name) {
            put_back_ownership(&mut changes, owning, res, cur.live, &resolved.attrs);
        }
        let requested = self.replace.contains(&res.name);
        let replace = requested || changes.iter().any(|c| c.forces_replacement);
        if replace && !ignore.is_empty() {
            // A new copy takes the documents' values, ignored ones included.
            changes = diff_fields(res.kind, resolved, &cur.live.attrs, recorded_attrs, ignore);
        }
        let mut prior_deps: BTreeSet<String> = cur
            .recorded
            .map(|r| r.dependencies.iter().cloned().collect())
            .unwrap_or_default();
        let mut prior_soft: BTreeSet<String> = cur
            .recorded
            .map(|r| r.soft_dependencies.iter().cloned().collect())
            .unwrap_or_default();
        let (hard, soft) = live_refs(&cur.live.kind, &cur.live.attrs, &res.name, &self.by_id);
        prior_deps.extend(hard);
        prior_soft.extend(soft);
        for d in &prior_deps {
            prior_soft.remove(d);
        }

        let replacement = || {
            ActionKind::Replace(Replacement {
                replace_mode: replace_mode(
                    res.kind.policy.replace,
                    res.lifecycle.create_before_destroy,
                ),
                replace_mode_from: None,
                new_revision: res.kind.policy.replace == ReplaceOrder::NewRevision,
            })
        };
        let (action, reason) = if adopted {
            let reason = if self.pending_creates.contains_key(res.name.as_str()) {
                Reason::InterruptedCreate
            } else {
                Reason::FoundByTag
            };
            if replace {
                (replacement(), reason)
            } else {
                (ActionKind::Adopt, reason)
            }
        } else if replace {
            let forced: Vec<&FieldChange> =
                changes.iter().filter(|c| c.forces_replacement).collect();
            let dependency = !forced.is_empty() && forced.iter().all(|c| c.unknown);
            (
                replacement(),
                if requested && forced.is_empty() {
                    Reason::ReplaceRequested
                } else if dependency {
                    Reason::DependencyReplaced
                } else {
                    Reason::Changed
                },
            )
        } else if changes.is_empty() {
            (
                ActionKind::NoOp {
                    converging: cur.live.converging.clone(),
                },
                Reason::UpToDate,
            )
        } else if changes.iter().all(|c| c.drift) {
            (ActionKind::Update, Reason::Drift)
        } else {
            (ActionKind::Update, Reason::Changed)
        };

        if replace && res.lifecycle.prevent_destroy && self.guards(&res.name) {
            return Err(PlanError::PreventDestroy {
                name: res.name.clone(),
                what: "replace",
            });
        }

        // What later resources may read from this one.
        let entry = if replace {
            Known {
                id: None,
                attrs: resolved.known_attrs(),
            }
        } else {
            let mut attrs = cur.live.attrs.clone();
            for c in &changes {
                match kept_live.attrs.get(&c.field) {
                    Some(v) if !c.unknown => attrs.insert(c.field.clone(), v.clone()),
                    _ => attrs.remove(&c.field),
                };
            }
            Known {
                id: Some(cur.live.id.clone()),
                attrs,
            }
        };
        self.known.insert(res.name.clone(), entry);

        Ok(Action {
            name: res.name.clone(),
            kind: res.kind.name.to_string(),
            action,
            reason,
            id: Some(cur.live.id.clone()),
            changes,
            elsewhere_why: if replace {
                BTreeMap::new()
            } else {
                elsewhere_why(res, &set_elsewhere)
            },
            set_elsewhere: if replace { Vec::new() } else { set_elsewhere },
            desired: Some(if replace {
                res.attrs.clone()
            } else {
                keep_ignored_attrs(&res.attrs, &cur.live.attrs, ignore)
            }),
            prior: Some(cur.live.attrs.clone()),
            depends_on: res.deps.clone(),
            prior_depends_on: prior_deps.into_iter().collect(),
            soft_depends_on: res.soft_deps.clone(),
            prior_soft_depends_on: prior_soft.into_iter().collect(),
            prevent_destroy: res.lifecycle.prevent_destroy,
            wait: res.lifecycle.wait,
        })
    }

    /// Resources removed from the documents are deleted, or forgotten when gone.
    fn plan_removed(&mut self) -> Result<(), PlanError> {
        for (name, rec) in self.locked {
            if self.desired.resources.contains_key(name) {
                continue;
            }
            match self.currents.get(name.as_str()) {
                Some(c) => {
                    if rec.prevent_destroy && self.guards(name) {
                        return Err(PlanError::PreventDestroy {
                            name: name.clone(),
                            what: "delete",
                        });
                    }
                    self.actions.push(delete_action(
                        name,
                        c.live,
                        Some(rec),
                        Reason::Removed,
                        &self.by_id,
                    ));
                }
                None => self.actions.push(forget_action(name, rec)),
            }
        }
        Ok(())
    }
}

fn delete_action(
    name: &str,
    live: &LiveResource,
    rec: Option<&LockedResource>,
    reason: Reason,
    by_id: &HashMap<&str, &str>,
) -> Action {
    let mut prior_deps: BTreeSet<String> = rec
        .map(|r| r.dependencies.iter().cloned().collect())
        .unwrap_or_default();
    let mut prior_soft: BTreeSet<String> = rec
        .map(|r| r.soft_dependencies.iter().cloned().collect())
        .unwrap_or_default();
    let (hard, soft) = live_refs(&live.kind, &live.attrs, name, by_id);
    prior_deps.extend(hard);
    prior_soft.extend(soft);
    for d in &prior_deps {
        prior_soft.remove(d);
    }
    Action {
        name: name.to_string(),
        kind: live.kind.clone(),
        action: ActionKind::Delete,
        reason,
        id: Some(live.id.clone()),
        changes: Vec::new(),
        desired: None,
        prior: Some(live.attrs.clone()),
        depends_on: Vec::new(),
        prior_depends_on: prior_deps.into_iter().collect(),
        soft_depends_on: Vec::new(),
        prior_soft_depends_on: prior_soft.into_iter().collect(),
        set_elsewhere: Vec::new(),
        elsewhere_why: BTreeMap::new(),
        prevent_destroy: rec.is_some_and(|r| r.prevent_destroy),
        wait: true,
    }
}

fn forget_action(name: &str, rec: &LockedResource) -> Action {
    Action {
        name: name.to_string(),
        kind: rec.kind.clone(),
        action: ActionKind::Forget,
        reason: Reason::Gone,
        id: Some(rec.id.clone()),
        changes: Vec::new(),
        desired: None,
        prior: Some(rec.attributes.clone()),
        depends_on: Vec::new(),
        prior_depends_on: rec.dependencies.clone(),
        soft_depends_on: Vec::new(),
        prior_soft_depends_on: rec.soft_dependencies.clone(),
        set_elsewhere: Vec::new(),
        elsewhere_why: BTreeMap::new(),
        prevent_destroy: false,
        wait: true,
    }
}

/// The order of a replacement: the kind's ([`strata_model::kinds::Policy::replace`]), unless
/// `lifecycle.create_before_destroy` asks for the new copy first. The documents cannot make a
/// kind whose new copy comes first (a new revision) delete first.
pub fn replace_mode(order: ReplaceOrder, create_before_destroy: bool) -> ReplaceMode {
    match (order, create_before_destroy) {
        (ReplaceOrder::DeleteFirst, false) => ReplaceMode::DeleteBeforeCreate,
        (ReplaceOrder::DeleteFirst, true)
        | (ReplaceOrder::CreateFirst | ReplaceOrder::NewRevision, _) => {
            ReplaceMode::CreateBeforeDelete
        }
    }
}

/// A delete or replacement of a resource whose own protection field is on (as AWS reports it)
/// can only fail: the plan is refused, saying how to lift the protection.
fn check_deletion_protection(actions: &[Action]) -> Result<(), PlanError> {
    for a in actions.iter().filter(|a| a.deletes()) {
        let Some(field) =
            strata_model::kinds::find(&a.kind).and_then(|k| k.policy.delete_protection)
        else {
            continue;
        };
        if a.prior.as_ref().and_then(|p| p.get(field)) == Some(&Value::Bool(true)) {
            return Err(PlanError::DeletionProtected {
                name: a.name.clone(),
                kind: a.kind.clone(),
                field,
                what: if matches!(a.action, ActionKind::Replace(_)) {
                    "replace"
                } else {
                    "delete"
                },
            });
        }
    }
    Ok(())
}

/// Decides the order of each replacement. Create-before-destroy reaches everything a resource
/// replaced that way depends on and that is replaced too (Terraform's rule): the new copy of
/// the dependent is made after the new copy of its dependency, and the old copy of the
/// dependency can go only after the old copy of the dependent, so deleting the dependency
/// first would make a cycle. A replacement ordered so is refused when its new copy keeps all of
/// the fields AWS does not let two copies share (a security group's VPC and name).
///
/// `actions` are the desired resources' in dependency order.
fn order_replacements(actions: &mut [Action]) -> Result<(), PlanError> {
    let index: HashMap<String, usize> = actions
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.clone(), i))
        .collect();
    // Dependents first, so that it reaches dependencies of dependencies.
    for i in (0..actions.len()).rev() {
        let Some(r) = actions[i]
            .replacement()
            .filter(|_| actions[i].creates_first())
        else {
            continue;
        };
        let from = r
            .replace_mode_from
            .clone()
            .unwrap_or_else(|| actions[i].name.clone());
        for d in actions[i].depends_on.clone() {
            if let Some(&j) = index.get(&d)
                && let ActionKind::Replace(dep) = &mut actions[j].action
                && dep.replace_mode == ReplaceMode::DeleteBeforeCreate
            {
                dep.replace_mode = ReplaceMode::CreateBeforeDelete;
                dep.replace_mode_from = Some(from.clone());
            }
        }
    }
    for a in actions.iter() {
        if !a.creates_first() {
            continue;
        }
        let Some(kind) = strata_model::kinds::find(&a.kind) else {
            continue;
        };
        let unique: Vec<&str> = kind.unique_fields().map(|f| f.name).collect();
        let prior = a.prior.as_ref();
        let prefix = kind.policy.name_prefix;
        // A name made from a prefix is new for each copy.
        let named_anew = |f: &str| {
            prefix.is_some_and(|np| {
                np.name == f
                    && a.desired
                        .as_ref()
                        .and_then(|d| d.get(np.prefix))
                        .is_some_and(|v| !v.is_null())
            })
        };
        let keeps = |f: &str| {
            !a.changes.iter().any(|c| c.field == f)
                && !named_anew(f)
                && prior.and_then(|p| p.get(f)).is_some_and(|v| !v.is_null())
        };
        if !unique.is_empty() && unique.iter().all(|f| keeps(f)) {
            return Err(PlanError::ReplaceConflict {
                name: a.name.clone(),
                kind: kind.name,
                fields: unique.iter().map(|f| format!("`{f}`")).collect(),
                from: a.replacement().and_then(|r| r.replace_mode_from.clone()),
                by_kind: kind.policy.replace != ReplaceOrder::DeleteFirst,
                name_prefix: prefix,
            });
        }
    }
    Ok(())
}

/// The ownership tags are missing or not this lockfile's (removed outside strata, or a
/// resource being taken over): the tags change puts them back with the other tags, and shows
/// them, since they are what changes.
fn put_back_ownership(
    changes: &mut Vec<FieldChange>,
    owning: Owning<'_>,
    res: &DesiredResource,
    live: &LiveResource,
    resolved: &Attrs,
) {
    if res.kind.field("tags").is_none() {
        return;
    }
    let Some(Value::Object(desired)) = resolved.get("tags") else {
        return;
    };
    let with = |tags: Option<&Value>, ownership: Attrs| {
        let mut all = match tags {
            Some(Value::Object(m)) => m.clone(),
            _ => Attrs::new(),
        };
        all.extend(ownership);
        Value::Object(all)
    };
    let before = with(live.attrs.get("tags"), live.ownership_tags());
    match changes.iter_mut().find(|c| c.field == "tags") {
        Some(c) => {
            c.before = Some(before);
            c.after = Some(with(c.after.as_ref(), owning.tags(&res.name)));
        }
        None => changes.push(FieldChange {
            field: "tags".to_string(),
            before: Some(before),
            after: Some(with(
                Some(&Value::Object(desired.clone())),
                owning.tags(&res.name),
            )),
            unknown: false,
            forces_replacement: false,
            drift: true,
            sensitive: false,
        }),
    }
}

/// Creates and updates in dependency order, then deletions in reverse dependency order.
fn order_actions(actions: Vec<Action>, desired: &Desired) -> Vec<Action> {
    let (forward, backward): (Vec<Action>, Vec<Action>) = actions.into_iter().partition(|a| {
        desired.resources.contains_key(&a.name)
            && a.reason != Reason::Duplicate
            && a.reason != Reason::Deposed
            && a.reason != Reason::Destroy
    });
    let deps: HashMap<String, Vec<String>> = forward
        .iter()
        .map(|a| (a.name.clone(), a.depends_on.clone()))
        .collect();
    let names: Vec<String> = forward.iter().map(|a| a.name.clone()).collect();
    let order: HashMap<String, usize> = topo_order(&names, &deps)
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, i))
        .collect();
    let mut forward = forward;
    forward.sort_by_key(|a| order.get(&a.name).copied().unwrap_or(usize::MAX));

    let bdeps: HashMap<String, Vec<String>> = backward
        .iter()
        .map(|a| (a.name.clone(), a.prior_depends_on.clone()))
        .collect();
    let bnames: Vec<String> = backward.iter().map(|a| a.name.clone()).collect();
    let border: HashMap<String, usize> = topo_order(&bnames, &bdeps)
        .into_iter()
        .rev()
        .enumerate()
        .map(|(i, n)| (n, i))
        .collect();
    let mut backward = backward;
    backward.sort_by(|a, b| {
        border
            .get(&a.name)
            .cmp(&border.get(&b.name))
            .then_with(|| a.id.cmp(&b.id))
    });
    forward.extend(backward);
    forward
}

fn plan_outputs(
    desired: &Desired,
    actions: &[Action],
    locked: &BTreeMap<String, LockedResource>,
    currents: &BTreeMap<&str, Current<'_>>,
) -> BTreeMap<String, PlannedOutput> {
    let changing: BTreeSet<&str> = actions
        .iter()
        .filter(|a| matches!(a.action, ActionKind::Create { .. } | ActionKind::Replace(_)))
        .map(|a| a.name.as_str())
        .collect();
    let lookup = |r: &str, a: &str| -> Option<Value> {
        if changing.contains(r) || !desired.resources.contains_key(r) {
            return None;
        }
        let live = currents.get(r).map(|c| c.live);
        match a {
            "id" => live
                .map(|l| Value::String(l.id.clone()))
                .or_else(|| locked.get(r).map(|l| Value::String(l.id.clone()))),
            _ => live.and_then(|l| l.attrs.get(a).cloned()),
        }
    };
    desired
        .outputs
        .iter()
        .map(|(name, o)| {
            let r = value::resolve(&Value::String(o.value.clone()), &lookup);
            (
                name.clone(),
                PlannedOutput {
                    template: o.value.clone(),
                    unknown: !r.unknown.is_empty(),
                    value: if o.sensitive { Value::Null } else { r.value },
                    sensitive: o.sensitive,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod policy_tests {
    use serde_json::json;
    use strata_model::kinds::{AttrDef, FieldDef, KindInfo, Policy, ReplaceOrder};

    use super::*;
    use crate::desired::{DesiredResource, LifecycleOpts};

    #[test]
    fn replace_mode_is_the_kinds_order_unless_create_before_destroy_asks_for_the_new_copy_first() {
        use ReplaceMode::{CreateBeforeDelete as Create, DeleteBeforeCreate as Delete};
        let table = [
            (ReplaceOrder::DeleteFirst, false, Delete),
            (ReplaceOrder::DeleteFirst, true, Create),
            (ReplaceOrder::CreateFirst, false, Create),
            (ReplaceOrder::CreateFirst, true, Create),
            (ReplaceOrder::NewRevision, false, Create),
            (ReplaceOrder::NewRevision, true, Create),
        ];
        for (order, cbd, want) in table {
            assert_eq!(replace_mode(order, cbd), want, "{order:?}, {cbd}");
        }
    }

    /// A kind that creates its new copy first and keeps a unique name can always be given that
    /// name as a prefix, so that some document can replace it; the kinds that do so today are
    /// the ones listed.
    #[test]
    fn a_kind_creating_first_with_a_unique_name_takes_a_name_prefix() {
        let mut creating_first = Vec::new();
        for k in strata_model::kinds::all() {
            if k.policy.replace == ReplaceOrder::DeleteFirst {
                continue;
            }
            creating_first.push(k.name);
            if k.unique_fields().next().is_some() {
                assert!(k.policy.name_prefix.is_some(), "{}", k.name);
            }
        }
        assert_eq!(
            creating_first,
            [
                "elbv2.target_group",
                "iam.server_certificate",
                "ecs.task_definition"
            ]
        );
    }

    static REVISIONED: KindInfo = KindInfo {
        name: "test.revisioned",
        summary: "A kind whose changes are new revisions.",
        fields: &[FieldDef::replace("body"), FieldDef::in_place("note")],
        computed: &[AttrDef {
            name: "revision",
            doc: "The revision number.",
        }],
        deferred: &[],
        policy: Policy {
            replace: ReplaceOrder::NewRevision,
            ..Policy::DEFAULT
        },
    };

    fn plan_of(kind: &'static KindInfo, desired: Attrs, live: Attrs) -> Plan {
        plan_with(kind, desired, live, LifecycleOpts::default())
    }

    fn plan_with(
        kind: &'static KindInfo,
        desired: Attrs,
        live: Attrs,
        lifecycle: LifecycleOpts,
    ) -> Plan {
        let mut lockfile = Lockfile::new("lab", "us-east-1");
        lockfile.resources.insert(
            "task".into(),
            LockedResource {
                kind: kind.name.into(),
                id: "rev-1".into(),
                attributes: live.clone(),
                dependencies: vec![],
                soft_dependencies: vec![],
                prevent_destroy: false,
                created_at: None,
                seen_at: None,
            },
        );
        let desired = Desired {
            stack: "lab".into(),
            region: "us-east-1".into(),
            resources: [(
                "task".to_string(),
                DesiredResource {
                    name: "task".into(),
                    kind,
                    attrs: desired,
                    deps: vec![],
                    soft_deps: vec![],
                    lifecycle,
                },
            )]
            .into(),
            outputs: BTreeMap::new(),
        };
        let live = [LiveResource::new(kind.name, "rev-1", live)];
        plan(PlanInput {
            desired: &desired,
            lockfile: Some(&lockfile),
            live: &live,
            mode: Mode::Apply,
            plan_id: "p",
            adopt_foreign: false,
        })
        .expect("plan")
    }

    fn attrs(v: Value) -> Attrs {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("an object"),
        }
    }

    /// A field the stack, not the resource's lifecycle, leaves to another controller: the plan
    /// says why beside it.
    #[test]
    fn a_field_owned_elsewhere_by_the_stack_says_why() {
        let lifecycle = LifecycleOpts {
            owned_elsewhere: vec!["note".into()],
            owned_elsewhere_why: [("note".to_string(), "its scaler scales it".to_string())].into(),
            ..LifecycleOpts::default()
        };
        let p = plan_with(
            &REVISIONED,
            attrs(json!({"body": "v1", "note": "two"})),
            attrs(json!({"body": "v1", "note": "four"})),
            lifecycle,
        );
        let a = &p.actions[0];
        assert!(!a.is_change(), "{a:?}");
        assert_eq!(a.elsewhere_why["note"], "its scaler scales it");
        let text = crate::render::render_text(&p, crate::render::Style { color: false });
        assert!(
            text.contains(
                "i task.note is \"four\"; the documents say \"two\" (its scaler scales it)"
            ),
            "{text}"
        );
    }

    /// A kind whose replacement is a new revision creates it first without
    /// `create_before_destroy`, and the plan says it is a new revision; a change it can make
    /// in place stays an update.
    #[test]
    fn a_field_owned_elsewhere_is_shown_and_never_changed() {
        let lifecycle = LifecycleOpts {
            owned_elsewhere: vec!["note".into()],
            ..LifecycleOpts::default()
        };
        // Changed by its owner: information, not a change.
        let p = plan_with(
            &REVISIONED,
            attrs(json!({"body": "v1", "note": "two"})),
            attrs(json!({"body": "v1", "note": "four"})),
            lifecycle.clone(),
        );
        let a = &p.actions[0];
        assert!(!a.is_change(), "{a:?}");
        assert!(!p.has_changes());
        assert_eq!(a.set_elsewhere.len(), 1);
        let text = crate::render::render_text(&p, crate::render::Style { color: false });
        assert!(
            text.contains("i task.note is \"four\"; the documents say \"two\""),
            "{text}"
        );
        assert!(text.contains("No changes."), "{text}");

        // A new copy is created with the documents' value.
        let p = plan_with(
            &REVISIONED,
            attrs(json!({"body": "v2", "note": "two"})),
            attrs(json!({"body": "v1", "note": "four"})),
            lifecycle,
        );
        let a = &p.actions[0];
        assert!(matches!(a.action, ActionKind::Replace(_)), "{a:?}");
        assert!(a.set_elsewhere.is_empty());
        assert_eq!(
            a.desired.as_ref().and_then(|d| d.get("note")),
            Some(&json!("two"))
        );
    }

    #[test]
    fn a_revisioned_kinds_replacement_is_a_new_revision_created_first() {
        let p = plan_of(
            &REVISIONED,
            attrs(json!({"body": "v2", "note": "n"})),
            attrs(json!({"body": "v1", "note": "n"})),
        );
        let a = &p.actions[0];
        assert_eq!(
            a.action,
            ActionKind::Replace(Replacement {
                replace_mode: ReplaceMode::CreateBeforeDelete,
                replace_mode_from: None,
                new_revision: true,
            })
        );
        let text = crate::render::render_text(&p, crate::render::Style { color: false });
        assert!(text.contains("will get a new revision"), "{text}");

        let p = plan_of(
            &REVISIONED,
            attrs(json!({"body": "v1", "note": "m"})),
            attrs(json!({"body": "v1", "note": "n"})),
        );
        assert_eq!(p.actions[0].action, ActionKind::Update);
    }
}

#[cfg(test)]
mod compare_tests {
    use serde_json::json;

    use super::*;

    /// The fields `diff_fields` sees changed for an `rds.db_cluster`.
    fn changed(desired: Value, live: Value, recorded: Option<Value>) -> Vec<String> {
        let kind = strata_model::kinds::find("rds.db_cluster").expect("the kind");
        let obj = |v: Value| v.as_object().cloned().unwrap_or_default();
        let recorded = recorded.map(obj);
        diff_fields(
            kind,
            &Wanted::known(obj(desired)),
            &obj(live),
            recorded.as_ref(),
            &[],
        )
        .into_iter()
        .map(|c| c.field)
        .collect()
    }

    #[test]
    fn a_version_given_by_its_leading_parts_names_every_release_of_it() {
        let v = |d: &str, l: &str| {
            changed(
                json!({"engine_version": d}),
                json!({"engine_version": l}),
                None,
            )
        };
        assert!(v("16", "16.4").is_empty());
        assert!(v("16.4", "16.4").is_empty());
        assert!(v("8.0", "8.0.mysql_aurora.3.05.2").is_empty());
        assert_eq!(v("16.4", "16.6"), ["engine_version"]);
        assert_eq!(v("16", "160.1"), ["engine_version"]);
        assert_eq!(v("16.4", "16"), ["engine_version"]);
    }

    #[test]
    fn a_kms_key_by_id_is_the_same_key_by_arn() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        let arn = format!("arn:aws:kms:us-east-1:123456789012:key/{id}");
        assert!(changed(json!({"kms_key": id}), json!({"kms_key": arn}), None).is_empty());
        assert_eq!(
            changed(json!({"kms_key": "other"}), json!({"kms_key": arn}), None),
            ["kms_key"]
        );
    }

    #[test]
    fn a_secret_is_compared_with_its_verifier_only() {
        let recorded = json!({"master_password": crate::verifier::verifier("first pass")});
        let pw = |p: &str, r: Option<Value>| changed(json!({"master_password": p}), json!({}), r);
        assert!(pw("first pass", Some(recorded.clone())).is_empty());
        assert_eq!(pw("second pass", Some(recorded)), ["master_password"]);
        // Recorded without a verifier (adopted, or by an older strata): nothing to compare.
        assert!(
            pw(
                "second pass",
                Some(json!({"master_password": "(sensitive)"}))
            )
            .is_empty()
        );
        assert!(pw("second pass", None).is_empty());
    }
}
