//! `strata state pull`, `push` and `migrate`: the same state (lineage and serial kept) moved
//! between the local lockfile and S3.

use std::path::Path;
use std::process::ExitCode;

use strata_aws::state::StateUrl;
use strata_engine::lockfile::{self, Lockfile, RemoteState, StackLock};

use crate::commands::{decide_region, load};
use crate::fail::Failure;
use crate::settings::Settings;
use crate::store::{self, Store};
use crate::ui;

fn needs_state(what: &str) -> Failure {
    Failure::new(format!("`strata state {what}` works on a state kept on S3"))
        .help("give the state's location with --state s3://BUCKET/PREFIX (or STRATA_STATE)")
}

/// The stack's state on S3 (`--state`), its stack and region from the documents.
async fn s3_store(s: &Settings, what: &str) -> Result<(Store, String), Failure> {
    let Some(url) = &s.state else {
        return Err(needs_state(what));
    };
    let loaded = load(s)?;
    let region = decide_region(s, &loaded)?;
    let stack = loaded.stack.name.value.clone();
    Ok((store::open_s3(s, url, &stack, region).await?, stack))
}

/// `strata state pull`: the state on S3 as a lockfile, on stdout or in a file.
pub async fn pull(s: &Settings, out: Option<&Path>) -> Result<ExitCode, Failure> {
    let (store, _) = s3_store(s, "pull").await?;
    let Some(lf) = store.read()? else {
        return Err(
            Failure::new(format!("there is no state at {}", store.describe()))
                .help("check --state and the stack's name; `strata apply` makes the state"),
        );
    };
    match out {
        None => ui::out(&String::from_utf8_lossy(&lf.to_bytes())),
        Some(path) => {
            refuse_existing(path)?;
            lockfile::write_as_is(path, &lf)?;
            ui::note(
                s,
                &format!(
                    "Wrote the state of {} (serial {}) to {}.",
                    store.describe(),
                    lf.serial,
                    path.display()
                ),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn refuse_existing(path: &Path) -> Result<(), Failure> {
    if path.exists() {
        return Err(Failure::new(format!("{} exists already", path.display()))
            .help("move it away first, or name another file"));
    }
    Ok(())
}

/// A lockfile to push or migrate, with its journal applied.
fn local_state(path: &Path) -> Result<Lockfile, Failure> {
    lockfile::read(path)?.ok_or_else(|| {
        Failure::new(format!("there is no lockfile at {}", path.display()))
            .help("point --lockfile (or the file argument) at the stack's lockfile")
    })
}

/// Writes `lf` as the state on S3, under the stack's lock; `force` replaces a state of another
/// lineage or a newer serial.
async fn write_s3(
    s: &Settings,
    mut target: Store,
    lf: &Lockfile,
    command: &str,
    force: bool,
) -> Result<(), Failure> {
    let _lock = target.acquire(s, command).await?;
    if let Some(current) = target.read()?
        && !force
    {
        if current.lineage != lf.lineage {
            return Err(Failure::new(format!(
                "the state at {} has another lineage ({}) than this lockfile ({})",
                target.describe(),
                current.lineage,
                lf.lineage
            ))
            .help(
                "it is another stack's state, or a new one: check, then pass --force to replace it",
            ));
        }
        if current.serial > lf.serial {
            return Err(Failure::new(format!(
                "the state at {} is newer (serial {}) than this lockfile (serial {})",
                target.describe(),
                current.serial,
                lf.serial
            ))
            .help("pull it first (`strata state pull`), or pass --force to replace it"));
        }
    }
    let Store::S3 { state, .. } = &target else {
        return Err(Failure::new("the target of a push is a state on S3"));
    };
    state.push(lf.serial, &lf.to_bytes()).await?;
    ui::note(
        s,
        &format!(
            "Wrote the state (lineage {}, serial {}) to {}.",
            lf.lineage,
            lf.serial,
            state.location()
        ),
    );
    Ok(())
}

/// `strata state push FILE`: the lockfile becomes the state on S3.
pub async fn push(s: &Settings, file: &Path, force: bool) -> Result<ExitCode, Failure> {
    let (target, stack) = s3_store(s, "push").await?;
    let lf = local_state(file)?;
    if lf.stack != stack {
        return Err(lockfile::LockfileError::WrongStack {
            path: file.to_path_buf(),
            found: lf.stack.clone(),
            expected: stack,
        }
        .into());
    }
    write_s3(s, target, &lf, "strata state push", force).await?;
    Ok(ExitCode::SUCCESS)
}

/// `strata state migrate --to TARGET`: from the local lockfile to S3, or from S3 to a file.
pub async fn migrate(s: &Settings, to: &str) -> Result<ExitCode, Failure> {
    if to.starts_with("s3://") {
        let url = StateUrl::parse(to).map_err(|why| {
            Failure::new(format!("--to: {why}")).help("give it as s3://BUCKET/PREFIX")
        })?;
        return to_s3(s, &url).await;
    }
    if s.state.is_none() {
        return Err(Failure::new(
            "the state is the local lockfile already: there is nothing to migrate to a file",
        )
        .help(
            "move a local state to S3 with `--to s3://BUCKET/PREFIX`; move a state on S3 here \
             with `strata --state s3://BUCKET/PREFIX state migrate --to strata.lock`",
        ));
    }
    to_local(s, Path::new(to)).await
}

/// The local lockfile to S3; the lockfile is then renamed `….migrated`.
async fn to_s3(s: &Settings, url: &StateUrl) -> Result<ExitCode, Failure> {
    if s.state.is_some() {
        return Err(Failure::new("the state is on S3 already (--state)").help(
            "to move it to another place on S3, `strata state pull --out FILE`, then `strata \
             --state NEW state push FILE`",
        ));
    }
    let _local = StackLock::acquire(&s.lockfile, "strata state migrate")?;
    let lf = local_state(&s.lockfile)?;
    let target = store::open_s3(s, url, &lf.stack, Some(lf.region.clone())).await?;
    if let Some(existing) = target.read()? {
        return Err(Failure::new(format!(
            "there is a state at {} already (lineage {}, serial {})",
            target.describe(),
            existing.lineage,
            existing.serial
        ))
        .help("migrate only into an empty place; `strata state push --force` replaces a state"));
    }
    write_s3(s, target, &lf, "strata state migrate", false).await?;
    let moved = |suffix: &str| {
        let mut p = s.lockfile.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let journal = lockfile::journal_path(&s.lockfile);
    let renamed = std::fs::rename(&s.lockfile, moved(".migrated")).and_then(|()| {
        if journal.exists() {
            std::fs::rename(&journal, moved(".journal.migrated"))
        } else {
            Ok(())
        }
    });
    renamed.map_err(|e| {
        Failure::new(format!(
            "the state is on S3 now, but {} could not be renamed: {e}",
            s.lockfile.display()
        ))
        .help("remove it by hand: runs with --state no longer read it")
    })?;
    ui::note(
        s,
        &format!(
            "The stack's state is at {url} now. Run strata with --state {url} (or \
             STRATA_STATE); the local lockfile is kept as {}.",
            moved(".migrated").display()
        ),
    );
    Ok(ExitCode::SUCCESS)
}

/// The state on S3 to a local lockfile, under the stack's lock; the state on S3 stays.
async fn to_local(s: &Settings, path: &Path) -> Result<ExitCode, Failure> {
    let (mut source, _) = s3_store(s, "migrate").await?;
    refuse_existing(path)?;
    let _lock = source.acquire(s, "strata state migrate").await?;
    let Some(lf) = source.read()? else {
        return Err(Failure::new(format!(
            "there is no state at {}",
            source.describe()
        )));
    };
    lockfile::write_as_is(path, &lf)?;
    ui::note(
        s,
        &format!(
            "Wrote the state of {} (serial {}) to {}. Run strata without --state from now on; \
             the state on S3 is left as it was: remove it once you have checked the lockfile \
             (`aws s3 rm --recursive {}/`), so that no run uses it by mistake.",
            source.describe(),
            lf.serial,
            path.display(),
            source.describe()
        ),
    );
    Ok(ExitCode::SUCCESS)
}
