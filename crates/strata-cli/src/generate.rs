//! `strata generate`: documents in strata's form from resources that exist in AWS (a VPC and
//! what is in it, whatever carries some tags, or resources by id), checked as `strata validate`
//! checks them; with `--import`, every resource is then imported under its generated name
//! (tagged with the stack's ownership tags and recorded) and the next plan is shown, which
//! changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use strata_aws::inventory::{self, Selection, owned_by_aws};
use strata_engine::desired::Desired;
use strata_engine::generate::{self, Generated, Origin};
use strata_engine::lockfile::Lockfile;
use strata_engine::provider::LiveResource;
use strata_engine::read::{self, KindRead};

use crate::commands::{self, Cloud};
use crate::fail::Failure;
use crate::import;
use crate::settings::Settings;
use crate::state_edit::has_tags;
use crate::{signals, ui};

/// What `strata generate` was asked.
#[derive(Debug, Clone)]
pub struct GenerateOpts {
    pub selection: Selection,
    pub stack: String,
    /// Where the documents go: a file, or `-` for standard output.
    pub out: PathBuf,
    pub force: bool,
    pub import: bool,
}

impl GenerateOpts {
    /// The options as given: the selection, and the file (stack.yaml in --file's directory
    /// when --out is not given).
    pub fn of(s: &Settings, a: &crate::args::GenerateArgs) -> Result<GenerateOpts, Failure> {
        let selection = if let Some(v) = &a.vpc {
            Selection::Vpc(v.clone())
        } else if !a.tags.is_empty() {
            Selection::Tags(
                a.tags
                    .iter()
                    .map(|t| match t.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (t.clone(), None),
                    })
                    .collect(),
            )
        } else {
            Selection::Ids(a.ids.clone())
        };
        if !strata_model::load::valid_name(&a.stack) {
            return Err(
                Failure::new(format!("`{}` is not a valid stack name", a.stack))
                    .help("a letter, then letters, digits, `_` or `-`"),
            );
        }
        let out = match &a.out {
            Some(o) => o.clone(),
            None if s.file.is_dir() => s.file.join("stack.yaml"),
            None => s.file.clone(),
        };
        Ok(GenerateOpts {
            selection,
            stack: a.stack.clone(),
            out,
            force: a.force,
            import: a.import,
        })
    }
}

pub async fn generate_cmd(s: &Settings, o: &GenerateOpts) -> Result<ExitCode, Failure> {
    let to_stdout = o.out.as_os_str() == "-";
    if o.import && to_stdout {
        return Err(
            Failure::new("--import needs the documents in a file, not on standard output")
                .help("give a file with --out, or leave --out out to write stack.yaml"),
        );
    }
    if !to_stdout && !o.force && o.out.exists() {
        return Err(Failure::new(format!("{} exists already", o.out.display()))
            .help("give another file with --out, or --force to write over it"));
    }
    let cloud = commands::connect(s, s.region.clone()).await?;
    let live = read_selection(&cloud, o).await?;
    let what = describe(&o.selection);
    let generated = generate::documents(
        &Origin {
            stack: &o.stack,
            region: &cloud.region,
            what: &what,
        },
        &live,
    );
    if to_stdout {
        ui::out(&generated.text);
        return Ok(ExitCode::SUCCESS);
    }
    write(&o.out, &generated.text)?;
    if !generated.to_write.is_empty() {
        return Err(Failure::new(format!(
            "wrote {} resource(s) to {}, but AWS does not return fields they need: {}",
            generated.resources.len(),
            o.out.display(),
            generated.to_write.join(", ")
        ))
        .help(
            "write them where the documents' comments say, then `strata validate`, and \
             `strata import NAME ID` for each resource (its id is the comment beside its name)",
        ));
    }
    // From here on the documents are the written file, and the lockfile is beside them
    // unless --lockfile names one.
    let lockfile = match s.lockfile_given {
        true => s.lockfile.clone(),
        false => o
            .out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("strata.lock"), |d| d.join("strata.lock")),
    };
    let s = Settings {
        file: o.out.clone(),
        lockfile,
        ..s.clone()
    };
    let loaded = commands::load(&s).inspect_err(|_| {
        ui::err(&format!(
            "The documents strata wrote to {} do not load: that is a bug in `strata generate`; \
             edit them where the errors above point.\n",
            o.out.display()
        ));
    })?;
    ui::note(
        &s,
        &format!(
            "Wrote {} resource(s) to {}.",
            generated.resources.len(),
            o.out.display(),
        ),
    );
    if !o.import {
        ui::note(
            &s,
            "Next: `strata generate … --import`, or `strata import NAME ID` for each, so that \
             strata manages them.",
        );
        return Ok(ExitCode::SUCCESS);
    }
    import_all(&s, &cloud, &loaded, &generated, &live).await
}

/// The resources of the selection, as AWS has them, and those they name from outside it (a
/// security group rule's prefix list, an attachment's transit gateway), but AWS's own.
async fn read_selection(cloud: &Cloud, o: &GenerateOpts) -> Result<Vec<LiveResource>, Failure> {
    let mut wanted = cloud
        .provider
        .inventory(&o.selection)
        .await
        .map_err(|e| commands::provider_failure(&e))?;
    let mut live: Vec<LiveResource> = Vec::new();
    // References lead to references (an attachment to its transit gateway): a few rounds.
    for _ in 0..4 {
        let read = read_ids(cloud, &o.stack, &wanted).await?;
        let before = live.len();
        live.extend(read.into_iter().filter(|l| !owned_by_aws(&l.attrs)));
        let mut next = cloud
            .provider
            .inventory_children(&wanted)
            .await
            .map_err(|e| commands::provider_failure(&e))?;
        for l in &live[before..] {
            next.extend(inventory::referenced(&l.attrs));
        }
        next.retain(|(k, id)| !live.iter().any(|l| l.kind == *k && l.id == *id));
        if next.is_empty() {
            break;
        }
        wanted = next;
    }
    if live.is_empty() {
        return Err(Failure::new(format!(
            "found nothing to write: {} has no resource of a kind strata manages in {}",
            describe(&o.selection),
            cloud.region
        ))
        .help("check the selection and the region (--region)"));
    }
    Ok(live)
}

/// The resources with these kinds and ids that exist.
async fn read_ids(
    cloud: &Cloud,
    stack: &str,
    wanted: &inventory::Found,
) -> Result<Vec<LiveResource>, Failure> {
    let mut by_kind: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (kind, id) in wanted {
        by_kind.entry(kind).or_default().push(id.clone());
    }
    let requests: Vec<KindRead> = by_kind
        .into_iter()
        .map(|(kind, ids)| KindRead {
            kind: kind.to_string(),
            ids,
            names: None,
        })
        .collect();
    let live = read::read_live(&cloud.provider, stack, &requests, None)
        .await
        .map_err(|e| commands::provider_failure(&e))?;
    Ok(live
        .into_iter()
        .filter(|l| wanted.iter().any(|(k, id)| *k == l.kind && *id == l.id))
        .collect())
}

fn describe(sel: &Selection) -> String {
    match sel {
        Selection::Vpc(id) => format!("VPC {id} and what is in it"),
        Selection::Tags(tags) => {
            let t: Vec<String> = tags
                .iter()
                .map(|(k, v)| match v {
                    Some(v) => format!("{k}={v}"),
                    None => k.clone(),
                })
                .collect();
            format!("the resources tagged {}", t.join(" and "))
        }
        Selection::Ids(ids) => ids.join(", "),
    }
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::new(format!("cannot make {}: {e}", dir.display())))?;
    }
    std::fs::write(path, text)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))
}

/// Imports every generated resource under its name (all checked before the first is tagged),
/// then shows the next plan.
async fn import_all(
    s: &Settings,
    cloud: &Cloud,
    loaded: &strata_model::Loaded,
    g: &Generated,
    live: &[LiveResource],
) -> Result<ExitCode, Failure> {
    let stack = loaded.stack.name.value.clone();
    let url = crate::store::url_of(s, loaded)?;
    let mut store =
        crate::store::open_at(s, url.as_ref(), &stack, Some(cloud.region.clone())).await?;
    let _lock = store.acquire(s, "strata generate --import").await?;
    let lf = commands::read_lockfile(&store, &stack)?;
    let desired = Desired::from_stack(&loaded.stack, &cloud.region);
    let mut lf = lf.unwrap_or_else(|| Lockfile::new(&stack, &cloud.region));
    let mut todo = Vec::new();
    for n in &g.resources {
        let Some(l) = live.iter().find(|l| l.kind == n.kind && l.id == n.id) else {
            continue;
        };
        if !has_tags(&n.kind) {
            ui::note(
                s,
                &format!(
                    "Warning: `{}` ({} {}) is not imported: AWS cannot tag its kind; `strata apply` makes \
                     one of its own",
                    n.name, n.kind, n.id
                ),
            );
            continue;
        }
        let res = desired
            .resources
            .get(&n.name)
            .ok_or_else(|| Failure::new(format!("the documents lost `{}` on loading", n.name)))?;
        import::check_unrecorded(Some(&lf), &n.name, &n.id, &cloud.region)?;
        import::check_owner(l, &n.name, &lf)?;
        todo.push((res, l));
    }
    if let Err(code) = signals::start_changes() {
        return Err(signals::stopped_before_changes(s, code));
    }
    for (res, l) in &todo {
        import::adopt(&store, s, cloud, &mut lf, res, l).await?;
    }
    ui::note(
        s,
        &format!(
            "Imported {} resource(s): they carry stack `{stack}`'s ownership tags and {} \
             records them.\n",
            todo.len(),
            s.lockfile.display()
        ),
    );
    import::next_plan(s, loaded, cloud, &lf).await
}
