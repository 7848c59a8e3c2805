//! Plans as text for people (`+`, `~`, `-/+`, `-`, field by field), as Markdown for a pull
//! request's comment (`markdown`), and as JSON for machines.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::{Map, Value};

use crate::plan::{Action, ActionKind, FieldChange, Mode, Plan, Reason, ReplaceMode};

mod markdown;
pub use markdown::{COMMENT_LIMIT, render_markdown};

/// Terminal colours, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// `s` in the colour `code`, each of its lines closing the escape it opens (a terminal
    /// or a pager that shows one line must not carry the colour into the next).
    fn paint(&self, code: &str, s: &str) -> String {
        if !self.color {
            return s.to_string();
        }
        s.split('\n')
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("\x1b[{code}m{l}\x1b[0m")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

fn symbol(a: &Action, st: Style) -> String {
    match &a.action {
        ActionKind::Create { .. } => st.green("  +"),
        ActionKind::Update => st.yellow("  ~"),
        ActionKind::Replace(r) => match r.replace_mode {
            ReplaceMode::CreateBeforeDelete => format!("{}{}", st.green("+"), st.red("/-")),
            ReplaceMode::DeleteBeforeCreate => format!("{}{}", st.red("-/"), st.green("+")),
        },
        ActionKind::Delete => st.red("  -"),
        ActionKind::Adopt => st.cyan("  <"),
        ActionKind::Forget => st.dim("  ."),
        ActionKind::NoOp { .. } => "   ".to_string(),
    }
}

fn headline(a: &Action) -> String {
    let id = a.id.as_deref().map(|i| format!(" {i}")).unwrap_or_default();
    let what = match (&a.action, a.reason) {
        (ActionKind::Create { .. }, Reason::DeletedOutside) => {
            "was deleted outside strata and will be created again".to_string()
        }
        (ActionKind::Create { .. }, _) => "will be created".to_string(),
        (ActionKind::Update, Reason::Drift) => {
            "was changed outside strata and will be put back".to_string()
        }
        (ActionKind::Update, _) => "will be updated in place".to_string(),
        (ActionKind::Replace(r), _) if r.new_revision => {
            "will get a new revision (registered first, the old revision removed after)".to_string()
        }
        (ActionKind::Replace(_), Reason::DependencyReplaced) => {
            "must be replaced, because it depends on a new or replaced resource".to_string()
        }
        (ActionKind::Replace(_), Reason::ReplaceRequested) => {
            "will be replaced, as --replace asks".to_string()
        }
        (ActionKind::Replace(_), Reason::FoundByTag | Reason::InterruptedCreate) => {
            "was found by its tags and must be replaced".to_string()
        }
        (ActionKind::Replace(r), _) => match (r.replace_mode, &r.replace_mode_from) {
            (ReplaceMode::CreateBeforeDelete, None) => {
                "must be replaced (the new one is created first)".to_string()
            }
            _ => "must be replaced".to_string(),
        },
        (ActionKind::Delete, Reason::Removed) => {
            "will be deleted (removed from the documents)".to_string()
        }
        (ActionKind::Delete, Reason::Orphan) => {
            "will be deleted (it carries this stack's tag but is in no document)".to_string()
        }
        (ActionKind::Delete, Reason::Duplicate) => {
            "will be deleted (a duplicate carrying the same ownership tags)".to_string()
        }
        (ActionKind::Delete, Reason::Deposed) => {
            "will be deleted (the old copy left by create_before_destroy)".to_string()
        }
        (ActionKind::Delete, _) => "will be deleted".to_string(),
        (ActionKind::Adopt, Reason::InterruptedCreate) => {
            "was created by an interrupted run and will be adopted".to_string()
        }
        (ActionKind::Adopt, _) => "was found by its ownership tags and will be adopted".to_string(),
        (ActionKind::Forget, _) => {
            "is already gone and will be removed from the lockfile".to_string()
        }
        (ActionKind::NoOp { .. }, _) => "is up to date".to_string(),
    };
    let why = match a
        .replacement()
        .map(|r| (r.replace_mode, &r.replace_mode_from))
    {
        Some((ReplaceMode::CreateBeforeDelete, Some(from))) => format!(
            " (the new one is created first: `{from}`, which depends on it, is replaced with \
             create_before_destroy)"
        ),
        _ => String::new(),
    };
    format!("{} ({}){id} {what}{why}{}", a.name, a.kind, takes(a))
}

/// What a delete or replacement does to the data a resource holds (a database's final
/// snapshot, or none), for kinds that say (`Policy::on_delete`), from what was last seen.
fn data_note(a: &Action) -> Option<String> {
    let note = strata_model::kinds::find(&a.kind)?.policy.on_delete?;
    let prior = a.prior.as_ref()?;
    a.deletes().then(|| note(&a.name, prior))
}

/// `; usually 5 to 15 minutes on AWS` after a change to a kind whose changes take minutes
/// (`Policy::takes`).
fn takes(a: &Action) -> String {
    let changes = !matches!(
        a.action,
        ActionKind::NoOp { .. } | ActionKind::Adopt | ActionKind::Forget
    );
    match strata_model::kinds::find(&a.kind).and_then(|k| k.policy.takes) {
        Some(t) if changes => format!("; usually {t}"),
        _ => String::new(),
    }
}

/// A value as shown in a plan, on one line; `unknown`: the value is in template form (see
/// `FieldChange::after`), its references known only after apply.
pub fn show(v: &Value, unknown: bool) -> String {
    Shown::default().inline(v, unknown)
}

/// How a plan shows values: one form at every depth (`"text"`, `[a, b]`, `{ key = value }`),
/// a part in template form that holds a reference as `(known after apply: app.id)` where the
/// rest stays shown, and a resource's id that the plan knows followed by its logical name.
#[derive(Debug, Default)]
struct Shown<'a> {
    /// The plan's resources by their ids (from every action: the lockfile's and the live
    /// copies).
    names: BTreeMap<&'a str, &'a str>,
}

impl<'a> Shown<'a> {
    fn of(plan: &'a Plan) -> Shown<'a> {
        Shown {
            names: plan
                .actions
                .iter()
                .filter_map(|a| a.id.as_deref().map(|id| (id, a.name.as_str())))
                .collect(),
        }
    }

    fn text(&self, s: &str) -> String {
        match self.names.get(s) {
            Some(name) => format!("{s:?} ({name})"),
            None => format!("{s:?}"),
        }
    }

    /// One line: mappings as `{ key = value, ... }`, lists as `[a, b]`, at every depth.
    fn inline(&self, v: &Value, unknown: bool) -> String {
        match v {
            Value::String(s) if unknown => {
                let refs = strata_model::expr::attr_refs(s);
                if refs.is_empty() {
                    match crate::value::unescape(v) {
                        Value::String(s) => self.text(&s),
                        other => self.inline(&other, false),
                    }
                } else {
                    let refs: Vec<String> = refs.iter().map(|(r, a)| format!("{r}.{a}")).collect();
                    format!("(known after apply: {})", refs.join(", "))
                }
            }
            Value::String(s) => self.text(s),
            Value::Array(items) if items.is_empty() => "[]".to_string(),
            Value::Array(items) => {
                let inner: Vec<String> = items.iter().map(|i| self.inline(i, unknown)).collect();
                format!("[{}]", inner.join(", "))
            }
            Value::Object(m) if m.is_empty() => "{}".to_string(),
            Value::Object(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|(k, x)| format!("{} = {}", show_key(k), self.inline(x, unknown)))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            other => other.to_string(),
        }
    }

    /// Lines, in the same form as [`Shown::inline`]: a mapping or list holding mappings or
    /// lists has one entry a line, indented two spaces a level (documents such as policies).
    fn block(&self, v: &Value, unknown: bool) -> Vec<String> {
        let container = |x: &Value| {
            matches!(x, Value::Object(m) if !m.is_empty())
                || matches!(x, Value::Array(a) if !a.is_empty())
        };
        match v {
            Value::Object(m) if m.values().any(container) => {
                let mut lines = vec!["{".to_string()];
                for (k, x) in m {
                    let inner = self.block(x, unknown);
                    for (i, l) in inner.into_iter().enumerate() {
                        lines.push(if i == 0 {
                            format!("  {} = {l}", show_key(k))
                        } else {
                            format!("  {l}")
                        });
                    }
                }
                lines.push("}".to_string());
                lines
            }
            Value::Array(items) if items.iter().any(container) => {
                let mut lines = vec!["[".to_string()];
                for x in items {
                    let inner = self.block(x, unknown);
                    let last = inner.len() - 1;
                    for (i, l) in inner.into_iter().enumerate() {
                        let comma = if i == last { "," } else { "" };
                        lines.push(format!("  {l}{comma}"));
                    }
                }
                lines.push("]".to_string());
                lines
            }
            other => vec![self.inline(other, unknown)],
        }
    }
}

/// A part of a field's value as data, to compare with the live value: in a field known only
/// after apply (template form), a part without references is its text unescaped.
fn as_data(v: &Value, unknown_field: bool) -> Value {
    if unknown_field && !crate::value::has_unresolved(v) {
        crate::value::unescape(v)
    } else {
        v.clone()
    }
}

/// A mapping's key as shown: as written, unless it holds a character that would not show as
/// itself (control, zero-width, bidirectional and other invisible characters, spaces at either
/// end, quotes, backslashes); then quoted and escaped like a string value, so that `Name\u{200b}`
/// cannot pass for `Name`.
fn show_key(k: &str) -> Cow<'_, str> {
    let plain = !k.is_empty()
        && !k.starts_with(' ')
        && !k.ends_with(' ')
        && k.chars().all(|c| c == '\'' || c.escape_debug().len() == 1);
    if plain {
        Cow::Borrowed(k)
    } else {
        Cow::Owned(format!("{k:?}"))
    }
}

fn is_long(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if s.contains('\n'))
}

/// A mapping or list that holds mappings or lists (a policy document, a list of rules).
fn is_nested(v: Option<&Value>) -> bool {
    let container = |x: &Value| x.is_object() || x.is_array();
    match v {
        Some(Value::Object(m)) => m.values().any(container),
        Some(Value::Array(a)) => a.iter().any(container),
        _ => false,
    }
}

/// What a plan writes for one field's change.
struct FieldLines<'a, 'b> {
    out: &'b mut String,
    shown: &'b Shown<'a>,
    st: Style,
}

impl FieldLines<'_, '_> {
    fn line(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{}{text}", " ".repeat(indent));
    }

    fn render(&mut self, c: &FieldChange, create: bool, width: usize) {
        let st = self.st;
        let pad = " ".repeat(width.saturating_sub(c.field.chars().count()));
        let note = if c.forces_replacement && !create {
            st.red(" # forces replacement")
        } else if c.drift {
            st.yellow(" # changed outside strata")
        } else {
            String::new()
        };
        if create {
            self.create(c, &pad);
            return;
        }
        // Mappings holding mappings or lists (policies): diffed line by line in block form.
        if matches!(&c.after, Some(Value::Object(_))) && is_nested(c.after.as_ref())
            || matches!(&c.before, Some(Value::Object(_))) && is_nested(c.before.as_ref())
        {
            let lines = |v: &Option<Value>, unknown| {
                v.as_ref()
                    .map(|v| self.shown.block(v, unknown).join("\n") + "\n")
                    .unwrap_or_default()
            };
            let (before, after) = (lines(&c.before, false), lines(&c.after, c.unknown));
            self.text_diff(c, &before, &after, &note);
            return;
        }
        match (&c.before, &c.after) {
            (before, Some(Value::Object(a))) => self.map_diff(c, before.as_ref(), a, &note),
            (Some(Value::Array(b)), Some(Value::Array(a))) => self.list_diff(c, b, a, &note),
            _ if is_long(c.before.as_ref()) || is_long(c.after.as_ref()) => {
                let text = |v: &Option<Value>| match v {
                    Some(Value::String(s)) => s.clone(),
                    Some(v) => self.shown.inline(v, false),
                    None => String::new(),
                };
                let (before, after) = (text(&c.before), text(&c.after));
                self.text_diff(c, &before, &after, &note);
            }
            _ => {
                let before = c
                    .before
                    .as_ref()
                    .map_or("null".to_string(), |v| self.shown.inline(v, false));
                let after = c
                    .after
                    .as_ref()
                    .map_or("null".to_string(), |v| self.shown.inline(v, c.unknown));
                let line = format!(
                    "{} {}{pad} = {before} -> {after}{note}",
                    st.yellow("~"),
                    c.field
                );
                self.line(6, &line);
            }
        }
    }

    /// A new resource's field: a mapping key by key, a list of mappings or lists element by
    /// element, anything else on its line.
    fn create(&mut self, c: &FieldChange, pad: &str) {
        let st = self.st;
        let plus = st.green("+");
        match &c.after {
            Some(Value::Object(m)) if !m.is_empty() => {
                self.line(6, &format!("{plus} {}{pad} = {{", c.field));
                let kw = m
                    .keys()
                    .map(|k| show_key(k).chars().count())
                    .max()
                    .unwrap_or(0);
                for (k, v) in m {
                    let k = show_key(k);
                    let p = " ".repeat(kw - k.chars().count());
                    let value = self.shown.inline(v, c.unknown);
                    self.line(10, &format!("{plus} {k}{p} = {value}"));
                }
                self.line(8, "}");
            }
            Some(Value::Array(items)) if is_nested(c.after.as_ref()) => {
                self.line(6, &format!("{plus} {}{pad} = [", c.field));
                for x in items {
                    let value = self.shown.inline(x, c.unknown);
                    self.line(10, &format!("{plus} {value}"));
                }
                self.line(8, "]");
            }
            after => {
                let after = after
                    .as_ref()
                    .map_or("null".to_string(), |v| self.shown.inline(v, c.unknown));
                self.line(6, &format!("{plus} {}{pad} = {after}", c.field));
            }
        }
    }

    /// A mapping: only the keys that differ.
    fn map_diff(
        &mut self,
        c: &FieldChange,
        before: Option<&Value>,
        a: &Map<String, Value>,
        note: &str,
    ) {
        let st = self.st;
        let empty = Map::new();
        let b = match before {
            Some(Value::Object(b)) => b,
            _ => &empty,
        };
        self.line(6, &format!("{} {} = {{{note}", st.yellow("~"), c.field));
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        let kw = keys
            .iter()
            .map(|k| show_key(k).chars().count())
            .max()
            .unwrap_or(0);
        for key in keys {
            let k = show_key(key);
            let p = " ".repeat(kw - k.chars().count());
            let line = match (b.get(key), a.get(key)) {
                (Some(x), Some(y)) if *x == as_data(y, c.unknown) => continue,
                (Some(x), Some(y)) => format!(
                    "{} {k}{p} = {} -> {}",
                    st.yellow("~"),
                    self.shown.inline(x, false),
                    self.shown.inline(y, c.unknown)
                ),
                (None, Some(y)) => {
                    format!(
                        "{} {k}{p} = {}",
                        st.green("+"),
                        self.shown.inline(y, c.unknown)
                    )
                }
                (Some(x), None) => {
                    format!("{} {k}{p} = {}", st.red("-"), self.shown.inline(x, false))
                }
                (None, None) => continue,
            };
            self.line(10, &line);
        }
        self.line(8, "}");
    }

    /// A list: the elements added and removed, one a line (routes, rules, subnets).
    fn list_diff(&mut self, c: &FieldChange, b: &[Value], a: &[Value], note: &str) {
        let st = self.st;
        self.line(6, &format!("{} {} = [{note}", st.yellow("~"), c.field));
        let a_data: Vec<Value> = a.iter().map(|y| as_data(y, c.unknown)).collect();
        // In the order of the names strata knows them by, where it does: the ids' order is
        // AWS's, a different one each run.
        let mut removed: Vec<&Value> = b.iter().filter(|x| !a_data.contains(x)).collect();
        removed.sort_by_key(|x| {
            x.as_str()
                .and_then(|id| self.shown.names.get(id).copied())
                .unwrap_or_default()
        });
        for x in removed {
            let line = format!("{} {}", st.red("-"), self.shown.inline(x, false));
            self.line(10, &line);
        }
        for x in a.iter().filter(|y| !b.contains(&as_data(y, c.unknown))) {
            let line = format!("{} {}", st.green("+"), self.shown.inline(x, c.unknown));
            self.line(10, &line);
        }
        self.line(8, "]");
    }

    /// Text of several lines (and documents in block form): a line diff.
    fn text_diff(&mut self, c: &FieldChange, before: &str, after: &str, note: &str) {
        let st = self.st;
        self.line(6, &format!("{} {} = <<{note}", st.yellow("~"), c.field));
        let diff = similar::TextDiff::from_lines(before, after);
        for change in diff.iter_all_changes() {
            let text = change.value().trim_end_matches('\n');
            let line = match change.tag() {
                similar::ChangeTag::Delete => format!("{} {text}", st.red("-")),
                similar::ChangeTag::Insert => format!("{} {text}", st.green("+")),
                similar::ChangeTag::Equal => format!("  {text}"),
            };
            self.line(10, &line);
        }
        self.line(8, ">>");
    }
}

/// The summary line.
pub fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    if !plan.has_changes() {
        return "No changes. The live resources match the documents.".to_string();
    }
    let mut line = format!(
        "Plan: {} to add, {} to change, {} to destroy",
        s.add, s.change, s.destroy
    );
    if s.adopt > 0 {
        let _ = write!(line, ", {} to adopt", s.adopt);
    }
    if s.forget > 0 {
        let _ = write!(line, ", {} to forget", s.forget);
    }
    line.push('.');
    line
}

/// Renders a plan for a terminal.
pub fn render_text(plan: &Plan, st: Style) -> String {
    let mut out = String::new();
    let changes: Vec<&Action> = plan.actions.iter().filter(|a| a.is_change()).collect();
    if changes.is_empty() {
        render_set_elsewhere(&mut out, plan, st);
        render_converging(&mut out, plan, st);
        let _ = writeln!(out, "{}", st.bold(&summary_line(plan)));
        return out;
    }
    let verb = match plan.mode {
        Mode::Apply => "strata will make these changes",
        Mode::Destroy => "strata will destroy everything it made",
    };
    let _ = writeln!(
        out,
        "{verb} to stack {} ({}):\n",
        st.bold(&plan.stack),
        plan.region
    );
    let shown = Shown::of(plan);
    for a in &changes {
        render_action(&mut out, a, &shown, st);
        out.push('\n');
    }
    render_legend(&mut out, &changes, st);
    let outputs: Vec<_> = plan.outputs.iter().filter(|(_, o)| o.unknown).collect();
    if !outputs.is_empty() && plan.mode == Mode::Apply {
        let _ = writeln!(out, "Outputs after apply:");
        for (name, o) in outputs {
            let shown = if o.sensitive {
                "(sensitive)".to_string()
            } else {
                show(&o.value, true)
            };
            let _ = writeln!(out, "  {name} = {shown}");
        }
        out.push('\n');
    }
    render_set_elsewhere(&mut out, plan, st);
    render_converging(&mut out, plan, st);
    let _ = writeln!(out, "{}", st.bold(&summary_line(plan)));
    out
}

/// One change: its headline, what it does to data, and its fields.
fn render_action(out: &mut String, a: &Action, shown: &Shown<'_>, st: Style) {
    let _ = writeln!(out, "{} {}", symbol(a, st), st.bold(&headline(a)));
    if let Some(note) = data_note(a) {
        let _ = writeln!(out, "      {}", st.red(&format!("! {note}")));
    }
    let create = matches!(a.action, ActionKind::Create { .. });
    let width = a
        .changes
        .iter()
        .filter(|c| !matches!(c.after, Some(Value::Object(_))))
        .map(|c| c.field.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines = FieldLines { out, shown, st };
    for c in &a.changes {
        lines.render(c, create, width);
    }
}

/// What `<` and `.` mean, when the plan shows them (`+`, `~`, `-` and `-/+` say what they do
/// in their headlines, and are the symbols every such tool uses).
fn render_legend(out: &mut String, changes: &[&Action], st: Style) {
    let has = |f: fn(&ActionKind) -> bool| changes.iter().any(|a| f(&a.action));
    let mut parts = Vec::new();
    if has(|k| matches!(k, ActionKind::Adopt)) {
        parts.push(format!(
            "{} adopt: an existing resource becomes this lockfile's, unchanged",
            st.cyan("<")
        ));
    }
    if has(|k| matches!(k, ActionKind::Forget)) {
        parts.push(format!(
            "{} forget: the lockfile's record of a resource already gone is removed",
            st.dim(".")
        ));
    }
    if !parts.is_empty() {
        let _ = writeln!(out, "Legend: {}\n", parts.join("; "));
    }
}

/// Fields another controller owns whose values differ from the documents: information only.
fn render_set_elsewhere(out: &mut String, plan: &Plan, st: Style) {
    let shown = Shown::of(plan);
    let owned: Vec<(&Action, &FieldChange)> = plan
        .actions
        .iter()
        .flat_map(|a| a.set_elsewhere.iter().map(move |c| (a, c)))
        .collect();
    if owned.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Set elsewhere (lifecycle.owned_elsewhere: strata leaves these as they are, and they \
         are not changes):"
    );
    for (a, c) in owned {
        let why = a
            .elsewhere_why
            .get(&c.field)
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {}.{} is {}; the documents say {}{why}",
            st.cyan("i"),
            st.bold(&a.name),
            c.field,
            c.before
                .as_ref()
                .map_or_else(|| "unset".to_string(), |v| shown.inline(v, false)),
            c.after
                .as_ref()
                .map_or_else(|| "nothing".to_string(), |v| shown.inline(v, false)),
        );
    }
    out.push('\n');
}

/// Resources AWS is still making: not changes, but not usable yet either.
fn render_converging(out: &mut String, plan: &Plan, st: Style) {
    let converging: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| a.converging().is_some())
        .collect();
    if converging.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Still converging (AWS accepted them and is still making them; `strata wait` waits \
         until they are usable):"
    );
    for a in converging {
        let _ = writeln!(
            out,
            "  {} {} ({} {}): {}",
            st.cyan("~>"),
            st.bold(&a.name),
            a.kind,
            a.id.as_deref().unwrap_or("?"),
            a.converging().unwrap_or_default()
        );
    }
    out.push('\n');
}

/// The machine-readable plan (docs/plan-format.md).
pub fn render_json(plan: &Plan) -> String {
    // A plan holds JSON values only: serialization cannot fail.
    let mut s = serde_json::to_string_pretty(plan).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::{Action, FieldChange, Summary};

    fn plan_with(changes: Vec<FieldChange>) -> Plan {
        Plan {
            format_version: 1,
            strata_version: "0.1.0".into(),
            plan_id: "p".into(),
            stack: "lab".into(),
            region: "us-east-1".into(),
            mode: Mode::Apply,
            lockfile: None,
            actions: vec![Action {
                name: "endpoint".into(),
                kind: "ec2.vpc_endpoint".into(),
                action: ActionKind::Update,
                reason: Reason::Changed,
                id: Some("vpce-1".into()),
                changes,
                desired: None,
                prior: None,
                depends_on: vec![],
                prior_depends_on: vec![],
                soft_depends_on: vec![],
                prior_soft_depends_on: vec![],
                set_elsewhere: vec![],
                elsewhere_why: Default::default(),
                prevent_destroy: false,
                wait: true,
            }],
            outputs: Default::default(),
            summary: Summary {
                change: 1,
                ..Summary::default()
            },
            sensitive_variables: vec![],
            scope: Default::default(),
            state: None,
        }
    }

    #[test]
    fn long_values_are_diffed_line_by_line() {
        let before = "{\n  \"Effect\": \"Allow\",\n  \"Action\": \"s3:GetObject\",\n  \"Resource\": \"*\"\n}";
        let after = "{\n  \"Effect\": \"Allow\",\n  \"Action\": [\"s3:GetObject\", \"s3:PutObject\"],\n  \"Resource\": \"*\"\n}";
        let p = plan_with(vec![
            FieldChange {
                field: "policy".into(),
                before: Some(json!(before)),
                after: Some(json!(after)),
                unknown: false,
                forces_replacement: false,
                drift: false,
                sensitive: false,
            },
            FieldChange {
                field: "route_tables".into(),
                before: Some(json!(["rtb-1"])),
                after: Some(json!(["rtb-1", "${private_b.id}"])),
                unknown: true,
                forces_replacement: false,
                drift: false,
                sensitive: false,
            },
        ]);
        insta::assert_snapshot!(render_text(&p, Style { color: false }));
    }

    #[test]
    fn tag_keys_with_invisible_characters_are_escaped() {
        // Keys that look alike: a zero-width space, a right-to-left override, an escape
        // sequence, a newline, a no-break space, a trailing space, a quote.
        let tags = json!({
            "Name": "web",
            "Name\u{200b}": "zero-width",
            "\u{202e}eman": "bidi",
            "Team\nName": "newline",
            "Cost\u{a0}Center": "no-break space",
            "Env ": "trailing space",
            "say \"hi\"": "quote",
            "O'Brien's": "apostrophes stay",
        });
        let mut before = tags.clone();
        before["Name"] = json!("api");
        before["Name\u{200b}"] = json!("was");
        before["Owner\u{1b}[2K"] = json!("removed");
        let mut p = plan_with(vec![FieldChange {
            field: "tags".into(),
            before: Some(before),
            after: Some(tags.clone()),
            unknown: false,
            forces_replacement: false,
            drift: false,
            sensitive: false,
        }]);
        p.actions[0].changes.push(FieldChange {
            field: "entries".into(),
            before: Some(json!([])),
            after: Some(json!([{"cidr": "10.0.0.0/8", "note\u{200b}": "list element"}])),
            unknown: false,
            forces_replacement: false,
            drift: false,
            sensitive: false,
        });
        let mut created = p.actions[0].clone();
        created.name = "new".into();
        created.action = ActionKind::CREATE;
        created.reason = Reason::New;
        created.id = None;
        created.changes = vec![FieldChange {
            field: "tags".into(),
            before: None,
            after: Some(tags),
            unknown: false,
            forces_replacement: false,
            drift: false,
            sensitive: false,
        }];
        p.actions.push(created);
        let text = render_text(&p, Style { color: false });
        assert!(
            !text.contains('\u{200b}') && !text.contains('\u{1b}') && !text.contains('\u{202e}')
        );
        insta::assert_snapshot!(text);
    }

    /// Every line of a coloured plan closes the escapes it opens, and `<` and `.` are
    /// explained when they appear.
    #[test]
    fn each_line_closes_its_colours_and_the_legend_explains_adopt_and_forget() {
        let mut p = plan_with(vec![FieldChange {
            field: "tags".into(),
            before: Some(json!({"Name": "a"})),
            after: Some(json!({"Name": "b\nc"})),
            unknown: false,
            forces_replacement: false,
            drift: true,
            sensitive: false,
        }]);
        let plain = render_text(&p, Style { color: false });
        assert!(!plain.contains("Legend"), "{plain}");
        for (name, kind) in [("found", ActionKind::Adopt), ("gone", ActionKind::Forget)] {
            let mut a = p.actions[0].clone();
            a.name = name.into();
            a.action = kind;
            a.changes.clear();
            p.actions.push(a);
        }
        let text = render_text(&p, Style { color: true });
        for line in text.lines() {
            // The escape last written on the line is a reset, or there is none.
            let last = line.rsplit("\x1b[").next().unwrap_or("");
            assert!(!line.contains('\x1b') || last.starts_with("0m"), "{line:?}");
        }
        let plain = render_text(&p, Style { color: false });
        assert!(
            plain.contains("Legend: < adopt: an existing resource becomes this lockfile's, unchanged; . forget: the lockfile's record of a resource already gone is removed"),
            "{plain}"
        );
    }

    /// Nested values keep one form at every depth; only the part holding a reference is
    /// unknown; an id the plan knows is followed by its resource's name.
    #[test]
    fn values_show_in_one_form_with_unknown_parts_and_names() {
        let mut p = plan_with(vec![FieldChange {
            field: "ingress".into(),
            before: Some(json!([{"from_port": 80, "security_group": "sg-1"}])),
            after: Some(json!([
                {"from_port": 5432, "security_group": "${app.id}", "cidrs": ["10.0.0.0/8"]},
                {"from_port": 80, "security_group": "sg-1"}
            ])),
            unknown: true,
            forces_replacement: false,
            drift: false,
            sensitive: false,
        }]);
        let mut db = p.actions[0].clone();
        db.name = "db".into();
        db.id = Some("sg-1".into());
        db.action = ActionKind::NO_OP;
        p.actions.push(db);
        let mut created = p.actions[0].clone();
        created.name = "new".into();
        created.action = ActionKind::CREATE;
        created.id = None;
        created.changes[0].before = None;
        p.actions.push(created);
        let text = render_text(&p, Style { color: false });
        assert!(text.contains(r#"+ { cidrs = ["10.0.0.0/8"], from_port = 5432, security_group = (known after apply: app.id) }"#), "{text}");
        assert!(
            text.contains(r#"+ { from_port = 80, security_group = "sg-1" (db) }"#),
            "{text}"
        );
        assert!(!text.contains("\"from_port\""), "{text}");
    }

    #[test]
    fn colours_only_when_asked() {
        let p = plan_with(vec![]);
        assert!(!render_text(&p, Style { color: false }).contains('\x1b'));
        assert!(render_text(&p, Style { color: true }).contains("\x1b[33m"));
    }
}
