//! Target 5: the same lab built by Ansible (amazon.aws) and by strata on the same emulator, a
//! first run and a no-op re-run each, side by side in one run.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::emulator::Emulator;
use crate::runs::{measure, strata};
use crate::scale::Env;
use crate::{Section, secs};

/// Installs Ansible into the virtualenv unless it is there.
fn ensure_ansible(venv: &Path, here: &Path) -> Result<(), String> {
    if venv.join("bin/ansible-playbook").exists() {
        return Ok(());
    }
    eprintln!(
        "strata-bench: installing Ansible into {} ...",
        venv.display()
    );
    let ok = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(here.join("ansible/requirements.txt"))
        .status()
        .map_err(|e| format!("cannot run pip: {e}"))?
        .success();
    if ok {
        Ok(())
    } else {
        Err("installing Ansible failed (see pip's output above)".into())
    }
}

fn playbook(venv: &Path, dir: &Path, here: &Path, endpoint: &str) -> Result<Duration, String> {
    let book = here.join("ansible/lab.yml");
    let book = book.to_string_lossy();
    let extra = format!("endpoint={endpoint}");
    let run = measure(
        &venv.join("bin/ansible-playbook"),
        dir,
        &["-i", "localhost,", "-c", "local", &book, "-e", &extra],
        &[
            ("ANSIBLE_LOCALHOST_WARNING", "false"),
            ("ANSIBLE_INVENTORY_UNPARSED_WARNING", "false"),
            (
                "ANSIBLE_PYTHON_INTERPRETER",
                &venv.join("bin/python").to_string_lossy(),
            ),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ],
    )?;
    if run.code != 0 {
        return Err(format!(
            "ansible-playbook failed:\n{}\n{}",
            run.stdout, run.stderr
        ));
    }
    Ok(run.wall)
}

pub fn run(env: &Env, venv: &Path) -> Result<Section, String> {
    let here = env.repo.join("crates/strata-bench");
    ensure_ansible(venv, &here)?;
    let emu = Emulator::start(&env.repo, &env.python, &json!({}))?;
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    eprintln!("strata-bench: Ansible, first run and re-run ...");
    let a_first = playbook(venv, work.path(), &here, &emu.url)?;
    let a_again = playbook(venv, work.path(), &here, &emu.url)?;
    eprintln!("strata-bench: strata, first run and re-run ...");
    std::fs::copy(
        here.join("ansible/stack.yaml"),
        work.path().join("stack.yaml"),
    )
    .map_err(|e| e.to_string())?;
    let s_first = strata(
        &env.strata,
        work.path(),
        &emu.url,
        &["apply", "--auto-approve"],
        0,
    )?;
    let s_again = strata(
        &env.strata,
        work.path(),
        &emu.url,
        &["apply", "--auto-approve"],
        0,
    )?;
    let ratio = |a: Duration, s: Duration| a.as_secs_f64() / s.as_secs_f64().max(1e-9);
    let (r1, r2) = (ratio(a_first, s_first.wall), ratio(a_again, s_again.wall));
    let md = format!(
        "| run | Ansible (amazon.aws) | strata | Ansible / strata |\n|---|---|---|---|\n\
         | first run (creates 5 resources) | {} | **{}** | {r1:.0}× |\n\
         | re-run (nothing to do) | {} | **{}** | {r2:.0}× |\n",
        secs(a_first),
        secs(s_first.wall),
        secs(a_again),
        secs(s_again.wall),
    );
    Ok(Section {
        title: "5. Side by side with Ansible".into(),
        body: md,
        verdict: crate::verdict::ansible_verdict(r1, r2, 20.0),
    })
}
