//! `--target`, `--replace` and `--refresh-only`: their checks, the plan step that narrows
//! (`strata_engine::plan::scope`), and what they print.

use strata_engine::desired::Desired;
use strata_engine::lockfile::Lockfile;
use strata_engine::plan::{ActionKind, Mode, Plan, Scope, scope};
use strata_engine::render;

use crate::args::ScopeArgs;
use crate::commands::style_out;
use crate::fail::Failure;
use crate::settings::Settings;
use crate::ui;

impl ScopeArgs {
    /// The scope these options ask for.
    pub fn scope(&self) -> Scope {
        Scope {
            targets: self.targets.clone(),
            left_out: 0,
            replace: self.replace.clone(),
            refresh_only: self.refresh_only,
        }
    }
}

/// Every name given is a resource's: a target one of the documents' or the lockfile's, a
/// replacement one of the documents'.
pub fn check_names(sc: &Scope, desired: &Desired, lf: Option<&Lockfile>) -> Result<(), Failure> {
    let unknown = |e: scope::UnknownName| Failure::new(e.to_string()).help(e.help());
    let targets = scope::target_names(desired, lf);
    scope::check_names(
        "--target",
        &sc.targets,
        &targets,
        "in the documents or the lockfile",
    )
    .map_err(unknown)?;
    let documents = desired.resources.keys().map(String::as_str).collect();
    scope::check_names("--replace", &sc.replace, &documents, "in the documents")
        .map_err(unknown)?;
    Ok(())
}

/// A saved plan carries its own scope: the options cannot change it.
pub fn refuse_with_saved_plan(args: &ScopeArgs) -> Result<(), Failure> {
    if args.scope().is_empty() {
        return Ok(());
    }
    Err(
        Failure::new("--target, --replace and --refresh-only cannot change a saved plan")
            .help("give them to `strata plan --out FILE`: the saved plan then carries them"),
    )
}

/// Prints a plan as text: a refresh as the values it records, any other as `render` shows
/// it; then, for a targeted plan, the warning that it is partial.
pub fn print_plan(s: &Settings, p: &Plan) {
    if p.scope.refresh_only {
        ui::out(&refresh_text(p));
    } else {
        ui::out(&render::render_text(p, style_out(s)));
    }
    warn_partial(s, p);
}

/// A targeted plan is partial: says so, and what it leaves out.
pub fn warn_partial(s: &Settings, p: &Plan) {
    if p.scope.targets.is_empty() || s.quiet {
        return;
    }
    let names = p
        .scope
        .targets
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let reach = if p.mode == Mode::Destroy {
        "what depends on them"
    } else {
        "what they depend on"
    };
    let left = match p.scope.left_out {
        0 => "no change to another resource is left out".to_string(),
        1 => "1 change to another resource is left out".to_string(),
        n => format!("{n} changes to other resources are left out"),
    };
    warning(
        s,
        &format!("this plan is partial: it covers only {names} and {reach}; {left}"),
        "run `strata plan` without --target to see every change before long: a stack applied \
         only in parts drifts from its documents",
    );
}

/// A warning, rendered as the errors are (miette), with its help line.
fn warning(s: &Settings, message: &str, help: &str) {
    use miette::{GraphicalReportHandler, GraphicalTheme, MietteDiagnostic, Severity};
    let d = MietteDiagnostic::new(message)
        .with_severity(Severity::Warning)
        .with_help(help);
    let theme = if s.color_err {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let width = if ui::stderr_is_terminal() {
        ui::stderr_width()
    } else {
        usize::MAX / 2
    };
    let mut text = String::new();
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    if handler.render_report(&mut text, &d).is_err() {
        text = format!("warning: {message}\n  help: {help}\n");
    }
    ui::err(&text);
}

/// A refresh as text: each recorded value that differs from the live one, and the resources
/// that are gone.
fn refresh_text(p: &Plan) -> String {
    let mut out = String::from(
        "Refresh only: the lockfile records the live values below; nothing changes in AWS.\n",
    );
    let (mut record, mut forget) = (0, 0);
    for a in &p.actions {
        let id = a.id.as_deref().unwrap_or_default();
        match a.action {
            ActionKind::Forget => {
                forget += 1;
                out.push_str(&format!(
                    "\n  . {} ({} {id}) is gone and will be removed from the lockfile\n",
                    a.name, a.kind
                ));
            }
            _ if !a.changes.is_empty() => {
                record += 1;
                out.push_str(&format!(
                    "\n  ~ {} ({} {id}) differs from the lockfile's record:\n",
                    a.name, a.kind
                ));
                for c in &a.changes {
                    let show = |v: &Option<serde_json::Value>| {
                        v.as_ref()
                            .map_or_else(|| "(none)".to_string(), |v| render::show(v, false))
                    };
                    out.push_str(&format!(
                        "      {}: {} -> {}\n",
                        c.field,
                        show(&c.before),
                        show(&c.after)
                    ));
                }
            }
            _ => {}
        }
    }
    if record + forget == 0 {
        out.push_str("\nNo differences: the lockfile records every resource as it is.\n");
    } else {
        out.push_str(&format!(
            "\nRefresh: {record} to record, {forget} to forget.\n"
        ));
    }
    out
}
