//! A loaded and validated stack: what the documents ask for.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::kinds::{FromSpec, KindInfo, Spec};
use crate::source::Span;
use crate::spanned::Spanned;
use crate::types::Tags;

/// Per-resource lifecycle options.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Refuse any plan that would delete this resource (including a replacement).
    #[serde(default)]
    pub prevent_destroy: bool,
    /// When the resource must be replaced, create the new one before deleting the old one.
    #[serde(default)]
    pub create_before_destroy: bool,
    /// Fields whose live value is left alone: changes to them are neither shown nor made.
    /// `tags.KEY` ignores one tag.
    #[serde(default)]
    pub ignore_changes: Vec<Spanned<String>>,
    /// Fields another controller owns (an autoscaler's desired count, a deployer's task
    /// definition): set at create, then never changed by strata; a difference is shown as
    /// information, not as a change (`plan --detailed-exitcode` does not count it). `tags.KEY`
    /// names one tag.
    #[serde(default)]
    pub owned_elsewhere: Vec<Spanned<String>>,
    /// Fields whose values are secrets: they go to AWS and nowhere else (plans show
    /// `(sensitive)`, the lockfile, outputs and logs mask them). `tags.KEY` marks one tag.
    #[serde(default)]
    pub sensitive: Vec<Spanned<String>>,
    /// Wait until a new copy is usable before apply goes on (default true). `false`: apply
    /// returns once AWS accepted the create, and `strata wait` waits for it, as
    /// `apply --no-wait` does for every resource.
    #[serde(default = "wait_default")]
    pub wait: bool,
}

fn wait_default() -> bool {
    true
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            prevent_destroy: false,
            create_before_destroy: false,
            ignore_changes: Vec::new(),
            owned_elsewhere: Vec::new(),
            sensitive: Vec::new(),
            wait: true,
        }
    }
}

impl Lifecycle {
    /// True when changes to `field` (or to `field.key` for mappings) are ignored.
    pub fn ignores(&self, field: &str) -> bool {
        self.ignore_changes.iter().any(|f| f.value == field)
    }
}

/// How a resource refers to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefVia {
    /// A typed reference field, e.g. a subnet's `vpc`.
    Field(&'static str),
    /// A `${name.attribute}` inside a string.
    Expression,
    /// An entry of `depends_on`.
    DependsOn,
    /// An ordering AWS requires that no field states (e.g. a NAT gateway after the internet
    /// gateway of its VPC); added by the kinds' `implicit` rules.
    Implicit,
}

/// One dependency edge, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub target: String,
    /// The attribute read, for `${target.attr}`.
    pub attr: Option<String>,
    pub span: Span,
    pub via: RefVia,
    /// The kinds the target must be (typed references only).
    pub kinds: &'static [&'static str],
    /// Inside a field applied after creation (a security group rule naming another group):
    /// the target need not exist before this resource, only before that field is applied.
    pub soft: bool,
}

/// One resource of the stack.
#[derive(Debug, Clone)]
pub struct Resource {
    pub name: String,
    pub name_span: Span,
    pub kind: &'static KindInfo,
    pub kind_span: Span,
    pub spec: Spec,
    pub lifecycle: Lifecycle,
    /// Every reference to another resource, deduplicated by target (first place kept).
    pub refs: Vec<Reference>,
    /// The values of the fields `lifecycle.sensitive` names: (a name for the secret, its text).
    pub secret_texts: Vec<(String, String)>,
}

impl Resource {
    /// Names of the resources that must exist before this one, sorted and unique.
    pub fn dependencies(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .refs
            .iter()
            .filter(|r| !r.soft)
            .map(|r| r.target.as_str())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Names referred to only from fields applied after creation, sorted and unique.
    pub fn soft_dependencies(&self) -> Vec<&str> {
        let hard = self.dependencies();
        let mut v: Vec<&str> = self
            .refs
            .iter()
            .filter(|r| r.soft && r.target != self.name && !hard.contains(&r.target.as_str()))
            .map(|r| r.target.as_str())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// A stack output: a template evaluated after apply.
#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub span: Span,
    pub value: Spanned<String>,
    pub description: Option<String>,
    pub sensitive: bool,
    /// The `${resource.attribute}` references in the value.
    pub refs: Vec<Reference>,
}

/// A declared variable and the value it got.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub span: Span,
    pub description: Option<String>,
    pub sensitive: bool,
    /// Where the value came from: `default`, `--var`, `--var-file`, or `environment`.
    pub source: &'static str,
    /// For a sensitive variable, the text of its value (of each scalar in it, for a list or
    /// mapping): what must never be printed or stored. Empty otherwise.
    pub secret_texts: Vec<String>,
}

/// The whole desired stack.
#[derive(Debug, Clone)]
pub struct Stack {
    /// The ownership scope: resources are tagged `strata:stack=<name>`.
    pub name: Spanned<String>,
    pub region: Option<Spanned<String>>,
    /// A lab's lifetime (`lifetime: 8h`): each apply tags the stack's resources to expire that
    /// long after it (`strata:expires`, as `apply --ttl`).
    pub lifetime: Option<Spanned<String>>,
    /// Where the stack's state is kept (`state: s3://BUCKET/PREFIX`); `--state` and
    /// `STRATA_STATE` win over it. Left out: the local lockfile.
    pub state: Option<Spanned<String>>,
    pub default_tags: Tags,
    pub resources: BTreeMap<String, Resource>,
    pub outputs: BTreeMap<String, Output>,
    pub variables: BTreeMap<String, Variable>,
}

impl Stack {
    /// The sensitive variables' values: (variable name, text), longest first.
    pub fn secrets(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .variables
            .values()
            .flat_map(|v| v.secret_texts.iter().map(|t| (v.name.clone(), t.clone())))
            .chain(self.resources.values().flat_map(|r| r.secret_texts.clone()))
            .filter(|(_, t)| !t.is_empty())
            .collect();
        out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.cmp(b)));
        out.dedup();
        out
    }

    /// The spec of resource `name` if it is of kind `T`.
    pub fn spec<T: FromSpec + 'static>(&self, name: &str) -> Option<&T> {
        self.resources.get(name).and_then(|r| T::from_spec(&r.spec))
    }

    /// Every resource of kind `T`, by name.
    pub fn of_kind<T: FromSpec + 'static>(&self) -> impl Iterator<Item = (&Resource, &T)> + '_ {
        self.resources
            .values()
            .filter_map(|r| T::from_spec(&r.spec).map(|s| (r, s)))
    }
}

/// A lifetime as the documents write it: a whole number and a unit, `s`, `m`, `h` or `d`
/// (`45m`, `8h`, `2d`); `None` for anything else or zero.
pub fn parse_lifetime(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(unit_at);
    let n: u64 = n.parse().ok().filter(|n| *n > 0)?;
    let secs = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(secs).map(std::time::Duration::from_secs)
}

#[cfg(test)]
mod lifetime_tests {
    use super::parse_lifetime;
    use std::time::Duration;

    #[test]
    fn lifetimes_are_a_number_and_a_unit() {
        assert_eq!(parse_lifetime("8h"), Some(Duration::from_secs(8 * 3600)));
        assert_eq!(parse_lifetime("45m"), Some(Duration::from_secs(45 * 60)));
        assert_eq!(parse_lifetime("2d"), Some(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse_lifetime(" 30 s "), Some(Duration::from_secs(30)));
        for bad in [
            "",
            "8",
            "h",
            "0h",
            "8 hours",
            "1.5h",
            "-1h",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_lifetime(bad), None, "{bad}");
        }
    }
}

/// Whether `text` has the shape of a state location: `s3://BUCKET[/PREFIX]`, the bucket 3 to
/// 63 lowercase letters, digits, `-` and `.` (the command line parses it whole).
pub fn state_location_shape(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("s3://") else {
        return false;
    };
    let bucket = rest.split('/').next().unwrap_or_default();
    (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

#[cfg(test)]
mod state_tests {
    use super::state_location_shape;

    #[test]
    fn state_locations_are_s3_urls_with_a_bucket_name() {
        assert!(state_location_shape("s3://acme-strata-state/prod"));
        assert!(state_location_shape("s3://acme.state"));
        for bad in [
            "",
            "acme/prod",
            "s3://",
            "s3://ab",
            "s3://Acme/prod",
            "file:///tmp",
        ] {
            assert!(!state_location_shape(bad), "{bad}");
        }
    }
}
