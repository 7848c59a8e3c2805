//! `strata state rm` and `strata state mv`: lockfile changes under the stack lock, journaled
//! like an apply's, and for `mv` the `strata:name` tag in AWS through the kind's tag update.

use std::process::ExitCode;

use strata_engine::lockfile::{Edit, Journal, LockedResource, Lockfile};
use strata_engine::provider::{LiveResource, Progress, UpdateRequest};
use strata_engine::read::{self, KindRead};

use crate::commands::{self, Cloud};
use crate::fail::Failure;
use crate::settings::Settings;
use crate::store::{Guard, Store};
use crate::{signals, ui};

/// Writes what `change` does to the lockfile as one journal entry, then folds the journal
/// into the snapshot (as an apply does at its end).
pub(crate) fn commit(
    store: &Store,
    s: &Settings,
    lf: &mut Lockfile,
    change: impl FnOnce(&mut Edit<'_>),
) -> Result<(), Failure> {
    let mask = Box::new(|_: &mut Lockfile| {});
    let mut journal = Journal::start_at(&s.lockfile, store.remote(), lf, mask)?;
    let mut e = Edit::new(lf);
    change(&mut e);
    journal.commit(e)?;
    journal.finish(lf)?;
    Ok(())
}

/// The record of `name`, or an error naming the closest recorded name.
fn recorded<'a>(lf: &'a Lockfile, name: &str) -> Result<&'a LockedResource, Failure> {
    lf.resources.get(name).ok_or_else(|| {
        let names = lf.resources.keys().map(String::as_str);
        let help = match strata_model::diag::did_you_mean(name, names) {
            Some(m) => format!("did you mean `{m}`?"),
            None => "`strata state list` shows the names".to_string(),
        };
        Failure::new(format!("no resource `{name}` in the lockfile")).help(help)
    })
}

/// The stack's state, locked, and what it records (an error when there is none).
async fn locked(s: &Settings, command: &str) -> Result<(Store, Guard, Lockfile), Failure> {
    let mut store = commands::open_store(s).await?;
    let guard = store.acquire(s, command).await?;
    let lf = store.read()?.ok_or_else(|| {
        Failure::new(format!("there is no state at {}", store.describe()))
            .help("run `strata apply` first, or point --lockfile (or --state) at the stack's state")
    })?;
    Ok((store, guard, lf))
}

/// `strata state rm NAME`: forgets the resource; AWS keeps it, and its ownership tags.
pub async fn rm(s: &Settings, name: &str) -> Result<ExitCode, Failure> {
    let (store, _lock, mut lf) = locked(s, "strata state rm").await?;
    let rec = recorded(&lf, name)?.clone();
    commit(&store, s, &mut lf, |e| {
        e.remove_resource(name);
    })?;
    ui::note(
        s,
        &format!(
            "Removed `{name}` from the lockfile. AWS still holds it: {} {}, which strata did not \
             delete.\nIt still carries stack `{}`'s ownership tags (strata:stack, strata:name \
             `{name}`, strata:lineage of this lockfile), so the next plan finds it again: it \
             adopts it if the documents still name `{name}`, and deletes it as an orphan if they \
             do not. To let it go for good, remove those three tags from it in AWS.",
            rec.kind, rec.id, lf.stack
        ),
    );
    Ok(ExitCode::SUCCESS)
}

/// `strata state mv OLD NEW`: renames the record, the other records' dependencies on it, and
/// its `strata:name` tag in AWS.
pub async fn mv(s: &Settings, old: &str, new: &str) -> Result<ExitCode, Failure> {
    let (store, _lock, mut lf) = locked(s, "strata state mv").await?;
    let rec = recorded(&lf, old)?.clone();
    if !strata_model::load::valid_name(new) {
        return Err(
            Failure::new(format!("`{new}` is not a valid resource name")).help(
                "names start with a letter and use letters, digits, `_` and `-` (at most 64 \
                 characters), and do not look like AWS ids such as vpc-0abc1234",
            ),
        );
    }
    if let Some(there) = lf.resources.get(new) {
        return Err(Failure::new(format!(
            "the lockfile already records `{new}` ({} {})",
            there.kind, there.id
        ))
        .help(format!(
            "choose another name, or forget that one first with `strata state rm {new}`"
        )));
    }
    let tagged = has_tags(&rec.kind);
    if tagged {
        let cloud = commands::connect(s, Some(lf.region.clone())).await?;
        let live = read_one(&cloud, &lf.stack, &rec.kind, &rec.id, Some(&lf))
            .await?
            .ok_or_else(|| {
                Failure::new(format!(
                    "`{old}` ({} {}) is not in AWS any more: there is no tag to rename",
                    rec.kind, rec.id
                ))
                .help(format!(
                    "`strata state rm {old}` forgets it, or `strata apply` creates it again"
                ))
            })?;
        if let Err(code) = signals::start_changes() {
            return Err(signals::stopped_before_changes(s, code));
        }
        retag(&cloud, &live, new, &lf).await?;
    }
    commit(&store, s, &mut lf, |e| rename(e, old, new))?;
    let tag = if tagged {
        format!("and its strata:name tag in AWS ({} {})", rec.kind, rec.id)
    } else {
        format!(
            "({} {}); its kind keeps its ownership marks in a field strata does not change in \
             place, so AWS still names it `{old}`: the lockfile finds it by its id",
            rec.kind, rec.id
        )
    };
    ui::note(
        s,
        &format!(
            "Renamed `{old}` to `{new}` in the lockfile {tag}.\nRename it in the documents too: \
             while they name `{old}`, the next plan creates `{old}` and deletes `{new}`."
        ),
    );
    Ok(ExitCode::SUCCESS)
}

/// Moves the record `old` to `new`, and every dependency on it.
fn rename(e: &mut Edit<'_>, old: &str, new: &str) {
    let Some(rec) = e.remove_resource(old) else {
        return;
    };
    e.insert_resource(new, rec);
    let users: Vec<String> = e
        .resources
        .iter()
        .filter(|(_, r)| {
            r.dependencies.iter().any(|d| d == old) || r.soft_dependencies.iter().any(|d| d == old)
        })
        .map(|(n, _)| n.clone())
        .collect();
    for n in users {
        if let Some(r) = e.resource_mut(&n) {
            for d in r
                .dependencies
                .iter_mut()
                .chain(r.soft_dependencies.iter_mut())
            {
                if d == old {
                    *d = new.to_string();
                }
            }
        }
    }
    if e.deposed.iter().any(|d| d.name == old) {
        for d in e.deposed_mut().iter_mut().filter(|d| d.name == old) {
            d.name = new.to_string();
        }
    }
}

/// Whether the kind carries AWS tags (a `tags` field), which its update sets with the
/// ownership tags; the others keep their marks in a text field of their own.
pub(crate) fn has_tags(kind: &str) -> bool {
    strata_model::kinds::find(kind).is_some_and(|k| k.field("tags").is_some())
}

/// Reads one resource of `kind` by its id.
pub(crate) async fn read_one(
    cloud: &Cloud,
    stack: &str,
    kind: &str,
    id: &str,
    lf: Option<&Lockfile>,
) -> Result<Option<LiveResource>, Failure> {
    let reqs = [KindRead {
        kind: kind.to_string(),
        ids: vec![id.to_string()],
        names: None,
    }];
    let live = read::read_live(&cloud.provider, stack, &reqs, lf)
        .await
        .map_err(|e| commands::provider_failure(&e))?;
    Ok(live.into_iter().find(|l| l.kind == kind && l.id == id))
}

/// Sets the ownership tags of this lockfile under `name` on `live` (its other tags as they
/// are), through the kind's update of its tags; returns the resource as it now is.
pub(crate) async fn retag(
    cloud: &Cloud,
    live: &LiveResource,
    name: &str,
    lf: &Lockfile,
) -> Result<LiveResource, Failure> {
    let changed = ["tags".to_string()];
    let req = UpdateRequest {
        kind: &live.kind,
        name,
        stack: &lf.stack,
        lineage: &lf.lineage,
        id: &live.id,
        prior: &live.attrs,
        attrs: &live.attrs,
        changed: &changed,
        wait: true,
        expires: None,
    };
    use strata_engine::provider::Provider as _;
    cloud
        .provider
        .update(req, &Progress::none())
        .await
        .map_err(|e| Failure::provider(Some("setting the ownership tags failed"), &e))
}
