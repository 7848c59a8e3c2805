//! Resuming a saved plan whose apply stopped part-way (a call kept failing, or the run was
//! cancelled): the operations recorded as completed are not run again, and the rest run only
//! if nothing changed since the plan was made.
//!
//! "Nothing changed" means: the lockfile was last written by this plan's own apply (no other
//! apply ran since), and every resource the plan touches is, live, as the plan expects it:
//! as the plan read it for operations still to come, or as strata recorded it for those that
//! ran. A resource that a remaining create would make must not exist yet.

use std::collections::HashSet;

use crate::lockfile::Lockfile;
use crate::plan::{ActionKind, Plan, Wanted, diff_fields};
use crate::provider::LiveResource;
use crate::value::Attrs;

/// Why a saved plan cannot be resumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    #[error("the plan was applied completely already")]
    Finished,
    #[error("another apply ran on this stack since this plan's apply stopped")]
    Superseded,
    #[error("the live state changed since the plan was made: {}", .0.join("; "))]
    Changed(Vec<String>),
}

/// Whether `plan`'s apply was started and not finished, according to the lockfile.
pub fn is_resumable(plan: &Plan, lf: &Lockfile) -> bool {
    lf.last_apply
        .as_ref()
        .is_some_and(|r| r.plan_id == plan.plan_id)
}

/// Checks that `plan` can be resumed against the lockfile and the live state.
pub fn check(plan: &Plan, lf: &Lockfile, live: &[LiveResource]) -> Result<(), ResumeError> {
    let record = match &lf.last_apply {
        Some(r) if r.plan_id == plan.plan_id => r,
        _ => return Err(ResumeError::Superseded),
    };
    if record.finished {
        return Err(ResumeError::Finished);
    }
    let completed: HashSet<&str> = record.completed.iter().map(String::as_str).collect();
    let done = |verb: &str, name: &str| completed.contains(format!("{verb} {name}").as_str());
    let mut changed = Vec::new();
    for a in &plan.actions {
        let touched = ["create", "update", "adopt", "finish", "unlink", "delete"]
            .iter()
            .any(|v| done(v, &a.name));
        let recorded = lf.resources.get(&a.name);
        // The copy the plan read, unless this apply deleted it already.
        if let (Some(id), Some(prior)) = (&a.id, &a.prior)
            && !done("delete", &a.name)
            && a.action != ActionKind::Forget
        {
            match recorded.filter(|r| &r.id == id) {
                Some(r) if touched => {
                    changed.extend(mismatch(live, &a.name, &a.kind, id, &r.attributes))
                }
                _ => changed.extend(mismatch(live, &a.name, &a.kind, id, prior)),
            }
        }
        // A copy this apply created.
        if let Some(r) = recorded.filter(|r| Some(&r.id) != a.id.as_ref())
            && done("create", &a.name)
        {
            changed.extend(mismatch(live, &a.name, &a.kind, &r.id, &r.attributes));
        }
        // A create still to come: nothing of that name may exist yet.
        if matches!(a.action, ActionKind::Create { .. } | ActionKind::Replace(_))
            && !done("create", &a.name)
            && let Some(l) = live.iter().find(|l| {
                l.kind == a.kind
                    && l.stack.as_deref() == Some(plan.stack.as_str())
                    && l.name.as_deref() == Some(a.name.as_str())
                    && Some(&l.id) != a.id.as_ref()
            })
        {
            changed.push(format!(
                "{} exists now ({}), though the plan has still to create it",
                a.name, l.id
            ));
        }
    }
    if changed.is_empty() {
        Ok(())
    } else {
        Err(ResumeError::Changed(changed))
    }
}

/// How the live copy `id` differs from `attrs` (only the fields `attrs` has), if it does.
fn mismatch(
    live: &[LiveResource],
    name: &str,
    kind: &str,
    id: &str,
    attrs: &Attrs,
) -> Option<String> {
    let Some(l) = live.iter().find(|l| l.id == id) else {
        return Some(format!("{name} ({id}) is gone"));
    };
    let info = strata_model::kinds::find(kind)?;
    let fields: Vec<String> = diff_fields(info, &Wanted::known(attrs.clone()), &l.attrs, None, &[])
        .into_iter()
        .filter(|c| attrs.contains_key(&c.field))
        .map(|c| c.field)
        .collect();
    (!fields.is_empty()).then(|| format!("{name} ({id}) has other {}", fields.join(", ")))
}
