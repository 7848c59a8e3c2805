//! `strata import NAME ID`: adopts a resource that exists in AWS under a documents' name. It
//! is read by its id, refused if another stack's (or another lockfile's) ownership tags are
//! on it, tagged with this stack's, recorded in the lockfile (under the stack lock, journaled),
//! and the plan the next `strata plan` would show is printed.

use std::process::ExitCode;

use strata_engine::desired::{Desired, DesiredResource};
use strata_engine::lockfile::{LockedResource, Lockfile};
use strata_engine::plan::Mode;
use strata_engine::provider::LiveResource;
use strata_engine::render;

use crate::commands::{self, Cloud};
use crate::fail::Failure;
use crate::settings::Settings;
use crate::state_edit::{commit, has_tags, read_one, retag};
use crate::{signals, ui};

pub async fn import_cmd(s: &Settings, name: &str, id: &str) -> Result<ExitCode, Failure> {
    let loaded = commands::load(s)?;
    let region = commands::decide_region(s, &loaded)?;
    let stack = loaded.stack.name.value.clone();
    let url = crate::store::url_of(s, &loaded)?;
    let mut store = crate::store::open_at(s, url.as_ref(), &stack, region.clone()).await?;
    let _lock = store.acquire(s, "strata import").await?;
    let cloud = commands::connect(s, region).await?;
    let lf = commands::read_lockfile(&store, &stack)?;
    let desired = Desired::from_stack(&loaded.stack, &cloud.region);
    let res = documents_resource(&desired, name)?;
    check_unrecorded(lf.as_ref(), name, id, &cloud.region)?;
    if !has_tags(res.kind.name) {
        return Err(Failure::new(format!(
            "{} cannot be imported: AWS cannot tag it, and strata keeps its ownership marks in \
             a field that is set when strata creates it",
            res.kind.name
        ))
        .help("let strata create it (`strata apply`), and delete the one that exists"));
    }
    let live = read_settled(s, &cloud, &stack, res.kind.name, id, lf.as_ref())
        .await?
        .ok_or_else(|| {
            Failure::new(format!(
                "there is no {} with id `{id}` in {}",
                res.kind.name, cloud.region
            ))
            .help(
                "check the id and the region; a kind read only through its parent (a listener's \
                 rule, a route) cannot be found by its id alone",
            )
        })?;
    let mut lf = lf.unwrap_or_else(|| Lockfile::new(&stack, &cloud.region));
    check_owner(&live, name, &lf)?;
    if let Err(code) = signals::start_changes() {
        return Err(signals::stopped_before_changes(s, code));
    }
    adopt(&store, s, &cloud, &mut lf, res, &live).await?;
    ui::note(
        s,
        &format!(
            "Imported `{name}` ({} {id}): it carries stack `{stack}`'s ownership tags and {} \
             records it.\n",
            res.kind.name,
            s.lockfile.display()
        ),
    );
    next_plan(s, &loaded, &cloud, &lf).await
}

/// Tags a resource read from AWS with the stack's ownership tags under the documents' name
/// `res`, and records it (the checks of [`check_unrecorded`] and [`check_owner`] made).
pub(crate) async fn adopt(
    store: &crate::store::Store,
    s: &Settings,
    cloud: &Cloud,
    lf: &mut Lockfile,
    res: &DesiredResource,
    live: &LiveResource,
) -> Result<(), Failure> {
    let tagged = retag(cloud, live, &res.name, lf).await?;
    record(store, s, lf, res, &tagged)
}

/// Reads the resource by its id, again for a few seconds while it does not show (AWS's
/// describes may not show a resource made moments ago; `STRATA_PENDING_RECHECK_SECS`).
async fn read_settled(
    s: &Settings,
    cloud: &Cloud,
    stack: &str,
    kind: &str,
    id: &str,
    lf: Option<&Lockfile>,
) -> Result<Option<LiveResource>, Failure> {
    let until = std::time::Instant::now() + s.pending_recheck;
    loop {
        let found = read_one(cloud, stack, kind, id, lf).await?;
        if found.is_some() || std::time::Instant::now() >= until {
            return Ok(found);
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// The documents' resource `name`.
fn documents_resource<'a>(
    desired: &'a Desired,
    name: &str,
) -> Result<&'a DesiredResource, Failure> {
    desired.resources.get(name).ok_or_else(|| {
        let names = desired.resources.keys().map(String::as_str);
        let help = match strata_model::diag::did_you_mean(name, names) {
            Some(m) => format!("did you mean `{m}`?"),
            None => {
                "import under a name the documents give: add the resource to them first".to_string()
            }
        };
        Failure::new(format!("the documents have no resource `{name}`")).help(help)
    })
}

/// Neither the name nor the id is recorded already, and the lockfile is this region's.
pub(crate) fn check_unrecorded(
    lf: Option<&Lockfile>,
    name: &str,
    id: &str,
    region: &str,
) -> Result<(), Failure> {
    let Some(lf) = lf else { return Ok(()) };
    if lf.region != region {
        return Err(Failure::new(format!(
            "the lockfile was written for region {}, but this run uses {region}",
            lf.region
        ))
        .help("use the same region as before, or a separate lockfile (--lockfile)"));
    }
    if let Some(r) = lf.resources.get(name) {
        return Err(Failure::new(format!(
            "the lockfile already records `{name}` ({} {})",
            r.kind, r.id
        ))
        .help(format!(
            "to import another resource as `{name}`, forget this one first with `strata state rm {name}`"
        )));
    }
    if let Some((other, _)) = lf.resources.iter().find(|(_, r)| r.id == id) {
        return Err(
            Failure::new(format!("`{id}` is recorded already, as `{other}`"))
                .help(format!("`strata state mv {other} {name}` renames it")),
        );
    }
    Ok(())
}

/// A resource carrying another stack's tags, or this stack's from another lockfile, is not
/// imported: it belongs to someone else.
pub(crate) fn check_owner(live: &LiveResource, name: &str, lf: &Lockfile) -> Result<(), Failure> {
    let Some(stack) = &live.stack else {
        return Ok(());
    };
    let what = format!("{} {}", live.kind, live.id);
    if *stack != lf.stack {
        return Err(Failure::new(format!(
            "{what} carries stack `{stack}`'s ownership tags (strata:name `{}`): it belongs to \
             another stack",
            live.name.as_deref().unwrap_or("?")
        ))
        .help(format!(
            "forget it in that stack first (`strata state rm` there), then remove its strata:* \
             tags, and import it here; or import another resource as `{name}`"
        )));
    }
    let ours = live.lineage.as_deref() == Some(lf.lineage.as_str());
    if !ours || live.name.as_deref() != Some(name) {
        return Err(Failure::new(format!(
            "{what} carries this stack's ownership tags as `{}`{}",
            live.name.as_deref().unwrap_or("?"),
            if ours { "" } else { ", from another lockfile" }
        ))
        .help(
            "`strata plan` finds resources carrying the stack's tags by itself; \
             --adopt-foreign takes over another lockfile's",
        ));
    }
    Ok(())
}

/// Records the imported resource.
fn record(
    store: &crate::store::Store,
    s: &Settings,
    lf: &mut Lockfile,
    res: &DesiredResource,
    live: &LiveResource,
) -> Result<(), Failure> {
    let entry = LockedResource {
        kind: live.kind.clone(),
        id: live.id.clone(),
        attributes: live.attrs.clone(),
        dependencies: res.deps.clone(),
        soft_dependencies: res.soft_deps.clone(),
        prevent_destroy: res.lifecycle.prevent_destroy,
        created_at: None,
        seen_at: None,
    };
    commit(store, s, lf, |e| {
        e.insert_resource(&res.name, entry);
    })
}

/// Prints the plan the next `strata plan` would show.
pub(crate) async fn next_plan(
    s: &Settings,
    loaded: &strata_model::Loaded,
    cloud: &Cloud,
    lf: &Lockfile,
) -> Result<ExitCode, Failure> {
    let scope = strata_engine::plan::Scope::default();
    let (p, _) =
        commands::make_plan_scoped(s, loaded, cloud, Some(lf), Mode::Apply, false, &scope).await?;
    ui::outln("The next plan:\n");
    ui::out(&render::render_text(&p, commands::style_out(s)));
    Ok(ExitCode::SUCCESS)
}
