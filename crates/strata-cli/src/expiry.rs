//! Lab expiry: `apply --ttl 8h` tags every resource the run creates or updates with
//! `strata:expires` (RFC 3339, UTC) and, once the apply succeeded, moves the tag on every other
//! resource the lockfile records; `strata sweep --expired` lists the stacks of the region whose
//! time has passed and, with `--confirm`, sweeps them.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use strata_engine::cost;
use strata_engine::lockfile::Lockfile;
use strata_engine::provider::{
    EXPIRES_TAG, NAME_TAG, Progress, Provider as _, STACK_TAG, UpdateRequest,
};

use crate::commands::{Cloud, connect};
use crate::fail::Failure;
use crate::settings::Settings;
use crate::sweep::{SweepOpts, sweep};
use crate::ui;

/// When a stack applied now with `--ttl ttl` expires.
pub fn expires_at(ttl: Duration) -> String {
    humantime::format_rfc3339_seconds(SystemTime::now() + ttl).to_string()
}

/// The note a plan or an apply shows with `--ttl`.
pub fn note(s: &Settings, expires: &str) {
    ui::note(
        s,
        &format!(
            "Expires: {expires} (strata:expires on every resource, moved by each apply with \
             --ttl); `strata sweep --expired` lists the stacks whose time has passed."
        ),
    );
}

/// Moves `strata:expires` on every resource the lockfile records that carries tags, through
/// the kind's update of its tags; a resource that refuses is named and left as it is.
pub async fn move_expiry(s: &Settings, cloud: &Cloud, lf: &Lockfile, expires: &str) {
    let changed = ["tags".to_string()];
    let mut failed = Vec::new();
    for (name, r) in &lf.resources {
        if !crate::state_edit::has_tags(&r.kind) {
            continue;
        }
        let req = UpdateRequest {
            kind: &r.kind,
            name,
            stack: &lf.stack,
            lineage: &lf.lineage,
            id: &r.id,
            prior: &r.attributes,
            attrs: &r.attributes,
            changed: &changed,
            wait: false,
            expires: Some(expires),
        };
        if let Err(e) = cloud.provider.update(req, &Progress::none()).await {
            failed.push(format!("{name} ({e})"));
        }
    }
    if !failed.is_empty() {
        ui::note(
            s,
            &format!(
                "Could not move the expiry on: {}. `strata sweep --expired` goes by the latest \
                 expiry among a stack's resources.",
                failed.join(", ")
            ),
        );
    }
}

/// A stack found by its expiry tags.
struct Expiring {
    /// The latest `strata:expires` among its resources.
    expires: String,
    resources: usize,
    /// The fixed cost per day of the resources priced by their ARN alone.
    per_day: f64,
}

/// `strata sweep --expired [--confirm]`, in each `--region` given (or the run's region): exit 0
/// when nothing expired, 2 when expired stacks were found and not deleted, else the sweeps'
/// outcome.
pub async fn sweep_expired(
    s: &Settings,
    confirm: bool,
    o: &SweepOpts,
) -> Result<ExitCode, Failure> {
    let regions: Vec<Option<String>> = match s.regions.len() {
        0 => vec![o.region.clone()],
        _ => s.regions.iter().cloned().map(Some).collect(),
    };
    let mut looked = Vec::new();
    let mut expired: Vec<(String, String, Expiring)> = Vec::new();
    for region in regions {
        let (region, found) = expired_in(s, region).await?;
        expired.extend(
            found
                .into_iter()
                .map(|(stack, e)| (region.clone(), stack, e)),
        );
        looked.push(region);
    }
    if expired.is_empty() {
        ui::note(
            s,
            &format!("No stack in {} has expired.", looked.join(", ")),
        );
        return Ok(ExitCode::SUCCESS);
    }
    ui::outln("STACK\tREGION\tEXPIRED SINCE\tRESOURCES\tAT LEAST PER DAY");
    for (region, stack, e) in &expired {
        ui::outln(&format!(
            "{stack}\t{region}\t{}\t{}\t{}",
            e.expires,
            e.resources,
            cost::dollars(e.per_day)
        ));
    }
    ui::note(
        s,
        &format!(
            "Per day: the NAT gateways, public addresses, load balancers and transit gateway \
             attachments found ({}); `strata cost` in a stack's directory prices the rest.",
            cost::basis(&looked[0])
        ),
    );
    if !confirm {
        ui::note(
            s,
            &format!(
                "{} expired stack(s); nothing was deleted. `strata sweep --expired --confirm` \
                 sweeps them.",
                expired.len()
            ),
        );
        return Ok(ExitCode::from(2));
    }
    let mut code = ExitCode::SUCCESS;
    for (region, stack, _) in expired {
        let one = SweepOpts {
            stack,
            region: Some(region),
            auto_approve: true,
            parallelism: o.parallelism,
            rounds: o.rounds,
            state: o.state.clone(),
        };
        match sweep(s, &one).await {
            Ok(c) if c == ExitCode::SUCCESS => {}
            Ok(c) => code = c,
            Err(f) => {
                if !f.reported {
                    ui::error(s, &f.message, f.help.as_deref());
                }
                code = ExitCode::FAILURE;
            }
        }
    }
    Ok(code)
}

/// The stacks of a region whose expiry has passed, and the region's name.
async fn expired_in(
    s: &Settings,
    region: Option<String>,
) -> Result<(String, Vec<(String, Expiring)>), Failure> {
    let cloud = connect(s, region).await?;
    let found =
        cloud.provider.tagged_with(EXPIRES_TAG).await.map_err(|e| {
            Failure::provider(Some("listing the resources with an expiry failed"), &e)
        })?;
    let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    // RFC 3339 in UTC with seconds compares as text.
    let expired = by_stack(&found)
        .into_iter()
        .filter(|(_, e)| e.expires < now)
        .collect();
    Ok((cloud.region, expired))
}

/// The resources carrying both ownership tags and an expiry, by stack.
fn by_stack(found: &[(String, Vec<(String, String)>)]) -> BTreeMap<String, Expiring> {
    let mut stacks: BTreeMap<String, Expiring> = BTreeMap::new();
    for (arn, tags) in found {
        let get = |k: &str| {
            tags.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let (Some(stack), Some(_), Some(expires)) =
            (get(STACK_TAG), get(NAME_TAG), get(EXPIRES_TAG))
        else {
            continue;
        };
        let e = stacks.entry(stack).or_insert(Expiring {
            expires: String::new(),
            resources: 0,
            per_day: 0.0,
        });
        e.resources += 1;
        e.per_day += cost::per_day_of_arn(arn).unwrap_or(0.0);
        if expires > e.expires {
            e.expires = expires;
        }
    }
    stacks
}
