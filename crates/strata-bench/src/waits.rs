//! Target 10: `examples/web-app` applied and destroyed on the test bed with AWS's pending
//! times scaled down 60 times, each run's wall time against the longest chain of operations
//! along the dependency graph (the waits included): the waits must run side by side, not one
//! after another.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::emulator::Emulator;
use crate::recipe::example_dir;
use crate::runs::strata;
use crate::scale::Env;
use crate::{Section, secs};

/// How long AWS keeps each kind pending, about, and the test bed's setting for it: a 60th.
const SCALED: &[(&str, &str, f64)] = &[
    ("nat_gateway", "NAT gateway available: 2 min", 2.0),
    ("nat_gateway_delete", "NAT gateway deleted: 1 min", 1.0),
    ("load_balancer", "load balancer active: 3 min", 3.0),
    ("rds_cluster", "Aurora cluster available: 3 min", 3.0),
    ("rds_instance", "Aurora instance available: 5 min", 5.0),
    ("rds_instance_delete", "Aurora instance deleted: 5 min", 5.0),
    ("rds_cluster_delete", "Aurora cluster deleted: 2 min", 2.0),
    (
        "cloudfront",
        "CloudFront distribution deployed (create, disable): 6 min",
        6.0,
    ),
    ("ecs_deployment", "ECS service steady state: 2 min", 2.0),
    ("ecs_service_delete", "ECS service drained: 2 min", 2.0),
];

/// The longest chain from `--timings`: its duration and operations.
fn chain(path: &Path) -> Result<(Duration, Vec<String>), String> {
    let t: Value = serde_json::from_slice(
        &std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?,
    )
    .map_err(|e| e.to_string())?;
    let ops = t["critical_path"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok((
        Duration::from_millis(t["critical_path_ms"].as_u64().unwrap_or(0)),
        ops,
    ))
}

/// One measured run: its table row and its ratio.
fn row(what: &str, wall: Duration, timings: &Path) -> Result<(String, f64), String> {
    let (critical, ops) = chain(timings)?;
    let ratio = wall.as_secs_f64() / critical.as_secs_f64().max(1e-9);
    Ok((
        format!(
            "| {what} | {} | {} | **{ratio:.2}** | {} |\n",
            secs(wall),
            secs(critical),
            ops.join(" → ")
        ),
        ratio,
    ))
}

pub fn run(env: &Env) -> Result<Section, String> {
    const TARGET: f64 = 1.2;
    let pending: serde_json::Map<String, Value> = SCALED
        .iter()
        .map(|(k, _, s)| ((*k).to_string(), json!(s)))
        .collect();
    let emu = Emulator::start(&env.repo, &env.python, &json!({ "pending": pending }))?;
    let (dir, _) = example_dir(env, "web-app")?;
    // moto builds each service's models on its first request: a plan first, so that the apply
    // measures strata and the waits, not the emulator's warm-up.
    strata(&env.strata, dir.path(), &emu.url, &["plan"], 0)?;
    emu.warm_up("us-east-1")?;
    eprintln!("strata-bench: examples/web-app with AWS's pending times / 60 ...");
    let timings = dir.path().join("timings.json");
    let t = timings.to_string_lossy().to_string();
    let apply = strata(
        &env.strata,
        dir.path(),
        &emu.url,
        &["apply", "--auto-approve", "--timings", &t],
        0,
    )?;
    let (apply_row, apply_ratio) = row("apply", apply.wall, &timings)?;
    let destroy = strata(
        &env.strata,
        dir.path(),
        &emu.url,
        &["destroy", "--auto-approve", "--timings", &t],
        0,
    )?;
    let (destroy_row, destroy_ratio) = row("destroy", destroy.wall, &timings)?;
    let settings = SCALED
        .iter()
        .map(|(_, aws, s)| format!("{aws} → {s} s"))
        .collect::<Vec<_>>()
        .join("; ");
    let body = format!(
        "`examples/web-app` (37 resources of 9 services) on the test bed, its pending times AWS's \
         divided by 60 ({settings}). The chain is the longest chain of operations along the \
         dependency graph by their measured durations (each operation's calls and waits): no \
         schedule can finish before it. The run is the whole command (reads, plan, execution).\
         \n\n| run | the command | the longest chain | run / chain | the chain |\n|---|---|---|---|---|\n\
         {apply_row}{destroy_row}"
    );
    let worst = apply_ratio.max(destroy_ratio);
    let state = if worst <= TARGET { "met" } else { "NOT met" };
    Ok(Section {
        title: "10. The web application's waits side by side".into(),
        body,
        verdict: format!(
            "{state}: apply took {apply_ratio:.2} and destroy {destroy_ratio:.2} times their \
             longest chain (target: at most {TARGET})."
        ),
    })
}
