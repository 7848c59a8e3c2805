//! Plans as text for people (`+`, `~`, `-/+`, `-`, field by field) and as JSON for machines.

use std::borrow::Cow;
use std::fmt::Write;

use serde_json::Value;

use crate::plan::{Action, ActionKind, FieldChange, Mode, Plan, Reason, ReplaceMode};

/// Terminal colours, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
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

/// A value as shown in a plan; `unknown`: the value of a field known only after apply, in
/// template form (see `FieldChange::after`).
pub fn show(v: &Value, unknown: bool) -> String {
    if let (true, Value::Array(items)) = (unknown, v) {
        let inner: Vec<String> = items.iter().map(|i| show_part(i, true)).collect();
        return format!("[{}]", inner.join(", "));
    }
    if unknown {
        let refs = match v {
            Value::String(s) => strata_model::expr::attr_refs(s)
                .into_iter()
                .map(|(r, a)| format!("{r}.{a}"))
                .collect::<Vec<_>>()
                .join(", "),
            _ => String::new(),
        };
        return if refs.is_empty() {
            "(known after apply)".to_string()
        } else {
            format!("(known after apply: {refs})")
        };
    }
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(|i| show(i, false)).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}

/// A part of a field's value (a list element, a mapping's value). In a field known only after
/// apply (`unknown_field`) the value is in template form: a part holding a reference is not
/// known yet, and any other part is text whose escapes are removed when shown.
fn show_part(v: &Value, unknown_field: bool) -> String {
    if !unknown_field {
        show(v, false)
    } else if crate::value::has_unresolved(v) {
        show(v, true)
    } else {
        show(&crate::value::unescape(v), false)
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

/// A list element on one line: mappings as `{ key = value, ... }`.
fn show_inline(v: &Value, unknown: bool) -> String {
    match v {
        Value::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{} = {}", show_key(k), show_part(x, unknown)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        other => show_part(other, unknown),
    }
}

fn is_long(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if s.contains('\n'))
}

fn render_change(out: &mut String, c: &FieldChange, create: bool, width: usize, st: Style) {
    let pad = width.saturating_sub(c.field.chars().count());
    let note = if c.forces_replacement && !create {
        st.red(" # forces replacement")
    } else if c.drift {
        st.yellow(" # changed outside strata")
    } else {
        String::new()
    };
    if create {
        // Maps are listed key by key.
        if let Some(Value::Object(m)) = &c.after {
            if m.is_empty() {
                let _ = writeln!(
                    out,
                    "      {} {}{} = {{}}",
                    st.green("+"),
                    c.field,
                    " ".repeat(pad)
                );
                return;
            }
            let _ = writeln!(
                out,
                "      {} {}{} = {{",
                st.green("+"),
                c.field,
                " ".repeat(pad)
            );
            let kw = m
                .keys()
                .map(|k| show_key(k).chars().count())
                .max()
                .unwrap_or(0);
            for (k, v) in m {
                let k = show_key(k);
                let _ = writeln!(
                    out,
                    "          {} {k}{} = {}",
                    st.green("+"),
                    " ".repeat(kw - k.chars().count()),
                    show_part(v, c.unknown)
                );
            }
            let _ = writeln!(out, "        }}");
            return;
        }
        let after = c
            .after
            .as_ref()
            .map_or("null".to_string(), |v| show(v, c.unknown));
        let _ = writeln!(
            out,
            "      {} {}{} = {after}",
            st.green("+"),
            c.field,
            " ".repeat(pad)
        );
        return;
    }
    // Documents (mappings holding lists or mappings, e.g. policies): diffed as pretty JSON.
    let nested = |v: &Option<Value>| matches!(v, Some(Value::Object(m)) if m.values().any(|x| x.is_object() || x.is_array()));
    if nested(&c.after) || nested(&c.before) {
        let pretty = |v: &Option<Value>| {
            v.as_ref()
                .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
                .unwrap_or_default()
        };
        let doc = FieldChange {
            before: Some(Value::String(pretty(&c.before))),
            after: Some(Value::String(pretty(&c.after) + "\n")),
            ..c.clone()
        };
        let doc = FieldChange {
            before: doc.before.map(|b| match b {
                Value::String(s) => Value::String(s + "\n"),
                other => other,
            }),
            ..doc
        };
        render_change(out, &doc, false, width, st);
        return;
    }
    // Maps: only the keys that differ.
    if let (Some(Value::Object(a)), before) = (&c.after, &c.before) {
        let empty = serde_json::Map::new();
        let b = match before {
            Some(Value::Object(b)) => b,
            _ => &empty,
        };
        let _ = writeln!(out, "      {} {} = {{{note}", st.yellow("~"), c.field);
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        let kw = keys
            .iter()
            .map(|k| show_key(k).chars().count())
            .max()
            .unwrap_or(0);
        for key in keys {
            let k = show_key(key);
            let p = " ".repeat(kw - k.chars().count());
            match (b.get(key), a.get(key)) {
                (Some(x), Some(y)) if *x == as_data(y, c.unknown) => {}
                (Some(x), Some(y)) => {
                    let _ = writeln!(
                        out,
                        "          {} {k}{p} = {} -> {}",
                        st.yellow("~"),
                        show(x, false),
                        show_part(y, c.unknown)
                    );
                }
                (None, Some(y)) => {
                    let _ = writeln!(
                        out,
                        "          {} {k}{p} = {}",
                        st.green("+"),
                        show_part(y, c.unknown)
                    );
                }
                (Some(x), None) => {
                    let _ = writeln!(out, "          {} {k}{p} = {}", st.red("-"), show(x, false));
                }
                (None, None) => {}
            }
        }
        let _ = writeln!(out, "        }}");
        return;
    }
    // Lists: the elements added and removed, one per line (routes, rules, subnets).
    if let (Some(Value::Array(b)), Some(Value::Array(a))) = (&c.before, &c.after) {
        let _ = writeln!(out, "      {} {} = [{note}", st.yellow("~"), c.field);
        let a_data: Vec<Value> = a.iter().map(|y| as_data(y, c.unknown)).collect();
        for x in b.iter().filter(|x| !a_data.contains(x)) {
            let _ = writeln!(out, "          {} {}", st.red("-"), show_inline(x, false));
        }
        for x in a.iter().filter(|y| !b.contains(&as_data(y, c.unknown))) {
            let _ = writeln!(
                out,
                "          {} {}",
                st.green("+"),
                show_inline(x, c.unknown)
            );
        }
        let _ = writeln!(out, "        ]");
        return;
    }
    if is_long(c.before.as_ref()) || is_long(c.after.as_ref()) {
        let before = match &c.before {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let after = match &c.after {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let _ = writeln!(out, "      {} {} = <<{note}", st.yellow("~"), c.field);
        let diff = similar::TextDiff::from_lines(&before, &after);
        for change in diff.iter_all_changes() {
            let line = change.value().trim_end_matches('\n');
            let _ = match change.tag() {
                similar::ChangeTag::Delete => writeln!(out, "          {} {line}", st.red("-")),
                similar::ChangeTag::Insert => writeln!(out, "          {} {line}", st.green("+")),
                similar::ChangeTag::Equal => writeln!(out, "            {line}"),
            };
        }
        let _ = writeln!(out, "        >>");
        return;
    }
    let before = c
        .before
        .as_ref()
        .map_or("null".to_string(), |v| show(v, false));
    let after = c
        .after
        .as_ref()
        .map_or("null".to_string(), |v| show(v, c.unknown));
    let _ = writeln!(
        out,
        "      {} {}{} = {before} -> {after}{note}",
        st.yellow("~"),
        c.field,
        " ".repeat(pad)
    );
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
    for a in changes {
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
        for c in &a.changes {
            render_change(&mut out, c, create, width, st);
        }
        out.push('\n');
    }
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

/// Fields another controller owns whose values differ from the documents: information only.
fn render_set_elsewhere(out: &mut String, plan: &Plan, st: Style) {
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
                .map_or_else(|| "unset".to_string(), |v| show_inline(v, false)),
            c.after
                .as_ref()
                .map_or_else(|| "nothing".to_string(), |v| show_inline(v, false)),
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

    #[test]
    fn colours_only_when_asked() {
        let p = plan_with(vec![]);
        assert!(!render_text(&p, Style { color: false }).contains('\x1b'));
        assert!(render_text(&p, Style { color: true }).contains("\x1b[33m"));
    }
}
