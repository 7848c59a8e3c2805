//! How a plan shows each kind's create, update, replacement and drift: one snapshot a kind of
//! the registry, its resource taken from the crash matrix's stack or the examples, so that a
//! new kind cannot be left out (the test fails until a document holds one).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use strata_engine::desired::Desired;
use strata_engine::plan::{Mode, Plan};
use strata_engine::render::{Style, render_text};
use strata_model::VarInputs;
use strata_model::kinds::{FieldDef, KindInfo, Update};

use crate::fake::Env;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Kinds that neither the crash matrix's stack nor an example holds.
const OTHERS: &str = "stack: others
resources:
  oai:
    kind: cloudfront.origin_access_identity
    comment: one
";

/// Every document set that holds resources to show: the crash matrix's stack, each example,
/// then [`OTHERS`].
fn sources() -> Vec<(String, Desired)> {
    let mut paths = vec![root().join("tests/crash/every-kind.yaml")];
    // Each example stack (examples/ci holds pipelines, not a stack).
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("stack.yaml").is_file())
        .collect();
    examples.sort();
    paths.extend(examples);
    // Each in a directory of its own beside the certificate files the ALB examples read
    // (their tests generate them; a placeholder here).
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all: Vec<(String, Desired)> = paths
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            let copy = dir.path().join(&name);
            std::fs::create_dir_all(copy.join("certs")).expect("mkdir");
            for (f, what) in [("server.crt", "CERTIFICATE"), ("server.key", "PRIVATE KEY")] {
                let pem = format!("-----BEGIN {what}-----\nMIIB\n-----END {what}-----\n");
                std::fs::write(copy.join("certs").join(f), pem).expect("write");
            }
            if p.is_dir() {
                for e in std::fs::read_dir(&p).expect("example") {
                    let e = e.expect("entry").path();
                    if e.is_file() {
                        std::fs::copy(&e, copy.join(e.file_name()?)).expect("copy");
                    }
                }
            } else {
                std::fs::copy(&p, copy.join("stack.yaml")).expect("copy");
            }
            let loaded = strata_model::load::load(&copy, &VarInputs::default())
                .map_err(|e| {
                    eprintln!(
                        "{name}: {}",
                        strata_model::diag::render(&e.diagnostics, &e.sources, false, 100)
                    )
                })
                .ok()?;
            Some((name, Desired::from_stack(&loaded.stack, "us-east-1")))
        })
        .collect();
    all.push(("this test".into(), crate::fake::desired(OTHERS)));
    all
}

/// A different value of the same shape.
fn changed(v: &Value) -> Value {
    match v {
        Value::String(s) => json!(format!("{s}-2")),
        Value::Number(n) => n.as_i64().map_or(json!(2.5), |n| json!(n + 1)),
        Value::Bool(b) => json!(!b),
        Value::Array(items) => {
            let mut items = items.clone();
            match items.first().map(changed) {
                Some(x) => items.push(x),
                None => items.push(json!("added")),
            }
            Value::Array(items)
        }
        Value::Object(m) => {
            let mut m = m.clone();
            match m.iter().next().map(|(k, x)| (k.clone(), changed(x))) {
                Some((k, x)) => {
                    m.insert(k, x);
                }
                None => {
                    m.insert("Added".into(), json!("yes"));
                }
            }
            Value::Object(m)
        }
        Value::Null => json!("set"),
    }
}

/// The first field of the kind's table the resource sets that `update` applies to (tags last,
/// a name prefix never).
fn field_to_change<'a>(
    kind: &'a KindInfo,
    attrs: &serde_json::Map<String, Value>,
    update: Update,
) -> Option<&'a FieldDef> {
    // A name given as a prefix is completed with a random suffix: not a stable snapshot.
    let prefix = kind.policy.name_prefix.map(|n| n.prefix);
    let usable = |f: &&FieldDef| {
        f.update == update
            && Some(f.name) != prefix
            && !f.secret
            && !f.local
            && attrs.get(f.name).is_some_and(|v| !v.is_null())
    };
    kind.fields
        .iter()
        .filter(usable)
        .find(|f| f.name != "tags")
        .or_else(|| kind.fields.iter().find(usable))
}

/// The lines of the plan about `name` (its headline and fields), ids hidden.
fn block_of(p: &Plan, name: &str) -> String {
    let text = render_text(p, Style { color: false });
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.len() > 3 && !line.starts_with("    ") {
            inside = line[3..].trim_start().starts_with(&format!("{name} ("));
        }
        if line.is_empty() {
            inside = false;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    hide_ids(&out)
}

fn hide_ids(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("fake-") {
        out.push_str(&rest[..i]);
        out.push_str("<id>");
        rest = rest[i + 5..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// Creates the stack in the fake cloud, its resources given the attributes AWS computes that
/// others refer to (a load balancer's `dns_name`).
async fn create_all(env: &Env, d: &Desired) {
    let mut refs = Vec::new();
    for r in d.resources.values() {
        strings(&Value::Object(r.attrs.clone()), &mut |s| {
            for (res, attr) in strata_model::expr::attr_refs(s) {
                if attr != "id" {
                    refs.push((res.to_string(), attr.to_string()));
                }
            }
        });
    }
    for (res, attr) in refs {
        env.cloud
            .state()
            .computed
            .entry(res)
            .or_default()
            .push(attr);
    }
    let p = env.plan(d, Mode::Apply).await.expect("plan");
    env.run_ok(&p, 4).await;
}

fn strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, f)),
        Value::Object(m) => m.values().for_each(|x| strings(x, f)),
        _ => {}
    }
}

#[tokio::test]
async fn every_kind_shows_its_create_update_replacement_and_drift() {
    let sources = sources();
    for kind in strata_model::kinds::all() {
        let Some((source, d, name)) = sources.iter().find_map(|(s, d)| {
            d.resources
                .values()
                .find(|r| r.kind.name == kind.name)
                .map(|r| (s, d, r.name.clone()))
        }) else {
            panic!(
                "no document of the crash stack or the examples holds a {}: add one",
                kind.name
            );
        };
        let env = Env::new();
        let first = env.plan(d, Mode::Apply).await.expect("plan");
        let mut shown = format!(
            "# {name} of {source}\n\n## create\n{}",
            block_of(&first, &name)
        );
        create_all(&env, d).await;
        assert!(
            env.cloud.find(&name).is_some(),
            "{name} of {source} created"
        );
        let attrs = d.resources[&name].attrs.clone();
        for (title, update) in [("update", Update::InPlace), ("replace", Update::Replace)] {
            let Some(f) = field_to_change(kind, &attrs, update) else {
                shown.push_str(&format!(
                    "\n## {title}\n(the resource sets no such field)\n"
                ));
                continue;
            };
            let mut edited = d.clone();
            let r = edited.resources.get_mut(&name).expect("resource");
            r.attrs.insert(f.name.to_string(), changed(&attrs[f.name]));
            let p = env.plan(&edited, Mode::Apply).await.expect("plan");
            shown.push_str(&format!(
                "\n## {title} of {}\n{}",
                f.name,
                block_of(&p, &name)
            ));
        }
        // Drift: the live value of an in-place field changed outside strata.
        if let Some(f) = field_to_change(kind, &attrs, Update::InPlace) {
            let live = env.cloud.find(&name).expect("created");
            {
                let mut s = env.cloud.state();
                let r = s.resources.get_mut(&live.id).expect("live");
                let v = r.attrs.get(f.name).cloned().unwrap_or(Value::Null);
                r.attrs.insert(f.name.to_string(), changed(&v));
            }
            let p = env.plan(d, Mode::Apply).await.expect("plan");
            shown.push_str(&format!(
                "\n## drift of {}\n{}",
                f.name,
                block_of(&p, &name)
            ));
        }
        insta::assert_snapshot!(format!("every_kind__{}", kind.name), shown);
    }
}

/// Each example's fixed cost per day as `strata cost` prints it (with the price table's date):
/// one snapshot each.
#[test]
fn each_examples_cost_per_day_is_a_snapshot() {
    use strata_engine::cost;
    let mut seen = 0;
    for (name, desired) in sources() {
        if !root().join("examples").join(&name).is_dir() {
            continue;
        }
        let table =
            cost::render_table(&desired.stack, &desired.region, &cost::of_desired(&desired));
        assert!(table.contains(cost::PRICES_DATE), "{name}: {table}");
        insta::assert_snapshot!(format!("cost_{name}"), table);
        seen += 1;
    }
    assert!(seen >= 10, "examples priced: {seen}");
}
