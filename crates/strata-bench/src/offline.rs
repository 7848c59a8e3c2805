//! Target 4: validating the documents and building the plan for 10,000 resources, with no AWS
//! call, in under a second and 200 MB.

use std::time::{Duration, Instant};

use strata_engine::desired::Desired;
use strata_engine::exec::op_graph;
use strata_engine::plan::{self, Mode, PlanInput};
use strata_engine::render::{Style, render_json, render_text};
use strata_model::load::{VarInputs, load_sources};
use strata_model::source::SourceFile;

use crate::{Section, alloc, mib, secs, stacks};

struct One {
    load: Duration,
    plan: Duration,
    render: Duration,
    peak: usize,
    resources: usize,
    actions: usize,
}

fn once(resources: usize) -> Result<One, String> {
    let text = stacks::stack("bench-offline", resources);
    alloc::reset_peak();
    let base = alloc::current();
    let start = Instant::now();
    let loaded = load_sources(
        vec![SourceFile::new("stack.yaml", text)],
        &VarInputs::default(),
    )
    .map_err(|e| format!("the generated stack does not load: {:?}", e.diagnostics))?;
    let load = start.elapsed();
    let desired = Desired::from_stack(&loaded.stack, "us-east-1");
    let p = plan::plan(PlanInput {
        desired: &desired,
        lockfile: None,
        live: &[],
        mode: Mode::Apply,
        plan_id: "bench",
        adopt_foreign: false,
    })
    .map_err(|e| e.to_string())?;
    op_graph(&p).map_err(|e| e.to_string())?;
    let planned = start.elapsed();
    let text = render_text(&p, Style { color: false });
    let json = render_json(&p);
    let rendered = start.elapsed();
    let peak = alloc::peak().saturating_sub(base);
    std::hint::black_box((text.len(), json.len()));
    Ok(One {
        load,
        plan: planned - load,
        render: rendered - planned,
        peak,
        resources: loaded.stack.resources.len(),
        actions: p.actions.len(),
    })
}

pub fn run(resources: usize) -> Result<Section, String> {
    // The best of three, as the first run also pays for warming the allocator.
    let mut runs = (0..3)
        .map(|_| once(resources))
        .collect::<Result<Vec<_>, _>>()?;
    runs.sort_by_key(|r| r.load + r.plan);
    let best = &runs[0];
    let total = best.load + best.plan;
    let mut md = String::from(
        "| resources | load and validate | desired state, plan and operation graph | total | peak memory | rendering the plan (text and JSON, not counted) |\n|---|---|---|---|---|---|\n",
    );
    md.push_str(&format!(
        "| {} ({} actions) | {} | {} | **{}** | **{}** | {} |\n",
        best.resources,
        best.actions,
        secs(best.load),
        secs(best.plan),
        secs(total),
        mib(best.peak),
        secs(best.render),
    ));
    Ok(Section {
        title: "4. Offline cost: validate and plan 10,000 resources".into(),
        body: md,
        verdict: crate::verdict::offline_verdict(total.as_secs_f64(), best.peak, 1.0, 200),
    })
}
