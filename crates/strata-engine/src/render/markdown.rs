//! A plan as GitHub-flavoured Markdown, for a pull request's comment (`plan --format markdown`,
//! `strata show PLAN --format markdown`): the counts, what deletes or replaces first, drift in
//! its own section, a table of every change, then each resource's diff in a collapsed block.
//! Cut to fit a comment: diffs first, then table rows, each cut said in a note.

use std::fmt::Write;

use super::{Shown, Style, headline, render_action, summary_line};
use crate::plan::{Action, ActionKind, Mode, Plan, Reason};

/// The most characters GitHub takes in one comment.
pub const COMMENT_LIMIT: usize = 65_536;

/// Room kept for the notes on what was cut.
const NOTE_ROOM: usize = 600;

/// The plan as Markdown of at most `limit` bytes (so at most as many characters).
pub fn render_markdown(plan: &Plan, limit: usize) -> String {
    let changes = ordered_changes(plan);
    let mut head = header(plan, &changes);
    let shown = Shown::of(plan);
    let budget = limit.saturating_sub(NOTE_ROOM);
    let rows: Vec<String> = changes.iter().map(|a| table_row(a)).collect();
    let mut rows_shown = 0;
    if !changes.is_empty() {
        head.push_str("#### Changes\n\n| | Resource | Kind | Change |\n|:-:|---|---|---|\n");
        for row in &rows {
            if head.len() + row.len() > budget {
                break;
            }
            head.push_str(row);
            rows_shown += 1;
        }
        head.push('\n');
    }
    let mut details_shown = 0;
    for a in &changes {
        let block = details(a, &shown);
        if rows_shown < rows.len() || head.len() + block.len() > budget {
            break;
        }
        head.push_str(&block);
        details_shown += 1;
    }
    head.push_str(&cut_note(
        rows.len() - rows_shown,
        changes.len() - details_shown,
    ));
    head
}

/// The changes, deletes and replacements first (each group in the plan's order).
fn ordered_changes(plan: &Plan) -> Vec<&Action> {
    let changes = plan.actions.iter().filter(|a| a.is_change());
    let (destructive, rest): (Vec<&Action>, Vec<&Action>) = changes.partition(|a| destructive(a));
    destructive.into_iter().chain(rest).collect()
}

fn destructive(a: &Action) -> bool {
    matches!(a.action, ActionKind::Replace(_) | ActionKind::Delete)
}

/// The title, the counts, the call-out of what deletes, drift, and what others own.
fn header(plan: &Plan, changes: &[&Action]) -> String {
    let mut out = String::new();
    let what = match plan.mode {
        Mode::Apply => "plan",
        Mode::Destroy => "destroy plan",
    };
    let _ = writeln!(
        out,
        "### strata {what} for stack `{}` ({})\n",
        plan.stack, plan.region
    );
    let _ = writeln!(out, "**{}**\n", summary_line(plan));
    scope_note(&mut out, plan);
    let gone: Vec<&&Action> = changes.iter().filter(|a| destructive(a)).collect();
    if !gone.is_empty() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> This plan deletes or replaces {} resource(s):",
            gone.len()
        );
        for a in gone {
            let _ = writeln!(out, "> - `{}` {}", symbol(a), escape(&headline(a)));
        }
        out.push('\n');
    }
    drift(&mut out, changes);
    set_elsewhere(&mut out, plan);
    out
}

/// A targeted plan is partial; a refresh changes nothing in AWS.
fn scope_note(out: &mut String, plan: &Plan) {
    let sc = &plan.scope;
    if !sc.targets.is_empty() {
        let names: Vec<String> = sc.targets.iter().map(|t| format!("`{t}`")).collect();
        let _ = writeln!(
            out,
            "> [!WARNING]\n> A partial plan (`--target {}`): {} change(s) to other resources \
             left out.\n",
            names.join(", "),
            sc.left_out
        );
    }
    if sc.refresh_only {
        let _ = writeln!(
            out,
            "> [!NOTE]\n> Refresh only: apply records the live values in the state and changes \
             nothing in AWS.\n"
        );
    }
}

/// Changes made outside strata, in their own section.
fn drift(out: &mut String, changes: &[&Action]) {
    let drifted: Vec<&&Action> = changes
        .iter()
        .filter(|a| matches!(a.reason, Reason::Drift | Reason::DeletedOutside))
        .collect();
    if drifted.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "#### Drift\n\nChanged outside strata since the last apply; apply puts them back:\n"
    );
    for a in drifted {
        let fields: Vec<String> = a.changes.iter().map(|c| format!("`{}`", c.field)).collect();
        let fields = if fields.is_empty() {
            String::new()
        } else {
            format!(": {}", fields.join(", "))
        };
        let _ = writeln!(out, "- `{}` {}{fields}", symbol(a), escape(&headline(a)));
    }
    out.push('\n');
}

/// Fields another controller owns whose values differ: information, not changes.
fn set_elsewhere(out: &mut String, plan: &Plan) {
    let owned: Vec<(&Action, &str)> = plan
        .actions
        .iter()
        .flat_map(|a| a.set_elsewhere.iter().map(move |c| (a, c.field.as_str())))
        .collect();
    if owned.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "#### Set elsewhere\n\nOwned by another controller (`lifecycle.owned_elsewhere`); \
         strata leaves them as they are:\n"
    );
    for (a, field) in owned {
        let _ = writeln!(out, "- `{}.{field}`", a.name);
    }
    out.push('\n');
}

/// The terminal's symbol of the action, without colour or padding.
fn symbol(a: &Action) -> String {
    super::symbol(a, Style { color: false }).trim().to_string()
}

fn table_row(a: &Action) -> String {
    let id =
        a.id.as_deref()
            .map(|i| format!(" `{i}`"))
            .unwrap_or_default();
    format!(
        "| `{}` | `{}`{id} | {} | {} |\n",
        symbol(a),
        a.name,
        a.kind,
        a.action.verb()
    )
}

/// One resource's diff, as the terminal shows it without colours, collapsed.
fn details(a: &Action, shown: &Shown<'_>) -> String {
    let mut text = String::new();
    render_action(&mut text, a, shown, Style { color: false });
    // The headline is the block's summary; the block holds what follows it.
    let text = match text.split_once('\n') {
        Some((_, rest)) if !rest.trim().is_empty() => rest.to_string(),
        _ => "(no fields to show)\n".to_string(),
    };
    let fence = fence_for(&text);
    format!(
        "<details><summary><code>{}</code> {}</summary>\n\n{fence}\n{text}{fence}\n\n</details>\n\n",
        html(&symbol(a)),
        html(&headline(a)),
    )
}

/// A code fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// What was left out to fit the comment.
fn cut_note(rows_cut: usize, details_cut: usize) -> String {
    if rows_cut == 0 && details_cut == 0 {
        return String::new();
    }
    let mut parts = Vec::new();
    if rows_cut > 0 {
        parts.push(format!("{rows_cut} row(s) of the table"));
    }
    if details_cut > 0 {
        parts.push(format!("{details_cut} resource(s)' diffs"));
    }
    format!(
        "> [!NOTE]\n> Cut to fit a comment ({COMMENT_LIMIT} characters): {} left out. The \
         whole plan: `strata show PLAN_FILE` on the saved plan.\n",
        parts.join(" and ")
    )
}

/// Markdown's special characters in a line of text escaped, outside its `code` spans.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code && matches!(c, '\\' | '*' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text inside HTML (a `<summary>`).
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A plan that replaces, deletes, puts back drift and creates.
    fn mixed() -> Plan {
        let change = |field: &str, before: serde_json::Value, after: serde_json::Value| json!({"field": field, "before": before, "after": after});
        serde_json::from_value(json!({
            "format_version": 1,
            "plan_id": "p",
            "stack": "lab",
            "region": "us-east-1",
            "mode": "apply",
            "lockfile": {"lineage": "l", "serial": 3},
            "actions": [
                {"name": "app", "kind": "ec2.subnet", "action": "create", "reason": "new",
                 "changes": [{"field": "cidr_block", "after": "10.0.3.0/24"}]},
                {"name": "web_sg", "kind": "ec2.security_group", "action": "update",
                 "reason": "drift", "id": "sg-1",
                 "changes": [change("description", json!("by hand"), json!("web | tier"))]},
                {"name": "data", "kind": "ec2.subnet", "action": "replace",
                 "replace_mode": "delete_before_create", "reason": "changed", "id": "subnet-2",
                 "changes": [{"field": "cidr_block", "before": "10.0.2.0/24",
                              "after": "10.0.2.0/25", "forces_replacement": true}]},
                {"name": "old_sg", "kind": "ec2.security_group", "action": "delete",
                 "reason": "removed", "id": "sg-9"},
                {"name": "vpc", "kind": "ec2.vpc", "action": "no_op", "reason": "up_to_date",
                 "id": "vpc-1"}
            ],
            "outputs": {},
            "summary": {"add": 2, "change": 1, "destroy": 2, "adopt": 0, "forget": 0}
        }))
        .expect("a plan")
    }

    #[test]
    fn deletes_and_replacements_come_first_and_drift_has_its_section() {
        insta::assert_snapshot!(render_markdown(&mixed(), COMMENT_LIMIT));
    }

    #[test]
    fn a_plan_too_long_for_a_comment_is_cut_with_a_note() {
        let full = render_markdown(&mixed(), COMMENT_LIMIT);
        let limit = full.len() + NOTE_ROOM - 200;
        let cut = render_markdown(&mixed(), limit);
        assert!(cut.len() <= limit, "{} > {limit}", cut.len());
        assert!(cut.contains("resource(s)' diffs left out"), "{cut}");
        // The counts, the call-out and the table stay whole.
        assert!(cut.contains("**Plan: 2 to add, 1 to change, 2 to destroy.**"));
        assert!(cut.contains("| `-` | `old_sg` `sg-9` | ec2.security_group | delete |"));
        let tiny = render_markdown(&mixed(), NOTE_ROOM + 700);
        assert!(tiny.len() <= NOTE_ROOM + 700, "{tiny}");
        assert!(tiny.contains("row(s) of the table"), "{tiny}");
    }
}
