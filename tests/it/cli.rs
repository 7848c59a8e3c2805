//! The command line's contract: exit codes, confirmation, saved plans, locks, graphs.

use crate::support::{Stack, changes, stderr, stdout};

const TWO_SUBNETS: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.20.0.0/16
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.20.1.0/24
  b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.20.2.0/24
";

#[test]
fn invalid_documents_exit_1_with_located_diagnostics_and_no_aws_call() {
    let s = Stack::new(
        "bad",
        "stack: STACK\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_blok: 10.0.0.0/16\n",
    );
    // No emulator is needed: validation comes before any call. The endpoint is unreachable.
    let out = s
        .command(&["plan"])
        .env("STRATA_LOCAL_ENDPOINT", "http://127.0.0.1:9")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("stack.yaml:5:5"), "{err}");
    assert!(err.contains("did you mean `cidr_block`?"), "{err}");
    assert!(err.contains("missing required field `cidr_block`"), "{err}");
    let json = s.run(&["validate", "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let unknown = v
        .as_array()
        .and_then(|a| a.iter().find(|d| d["code"] == "strata::unknown_key"))
        .expect("an unknown-key diagnostic");
    assert_eq!(unknown["line"], 5);
    assert_eq!(unknown["column"], 5);
    assert_eq!(unknown["file"], "./stack.yaml");
}

/// A region AWS does not have fails `validate` at its place, with the nearest region;
/// `--allow-unknown-region` lets a new one of a region's shape through. A zone of another
/// region fails too.
#[test]
fn unknown_regions_and_zones_of_another_region_fail_validate() {
    for (region, nearest) in [("us-east-9", "us-east-1"), ("us-east1", "us-east-1")] {
        let s = Stack::new(
            "region",
            &format!(
                "stack: STACK\nregion: {region}\nresources:\n  vpc: {{kind: ec2.vpc, cidr_block: 10.0.0.0/16}}\n"
            ),
        );
        let err = stderr(&s.expect(1, &["validate"]));
        assert!(err.contains("stack.yaml:2:9"), "{err}");
        assert!(err.contains(&format!("did you mean `{nearest}`?")), "{err}");
        let allowed = s.run(&["validate", "--allow-unknown-region"]);
        assert_eq!(
            allowed.status.code(),
            Some(if region == "us-east-9" { 0 } else { 1 })
        );
    }
    let s = Stack::new("zone", TWO_SUBNETS);
    s.write(&TWO_SUBNETS.replace(
        "cidr_block: 10.20.2.0/24",
        "cidr_block: 10.20.2.0/24\n    availability_zone: eu-west-1a",
    ));
    let err = stderr(&s.expect(1, &["validate"]));
    assert!(err.contains("stack.yaml:15:24"), "{err}");
    assert!(
        err.contains("availability zone `eu-west-1a` is in region `eu-west-1`, not in the stack's region `us-east-1`"),
        "{err}"
    );
}

/// The resources a stack directory's documents declare, counted from the text (not with
/// strata's loader): the keys indented by two spaces under each file's top-level `resources:`.
fn declared_resources(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("read the example's directory") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let document = (name.ends_with(".yaml") || name.ends_with(".yml"))
            && !name.ends_with(".vars.yaml")
            && !name.starts_with('.');
        if !document {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read a document");
        let mut in_resources = false;
        for line in text.lines() {
            if !line.starts_with([' ', '#']) && !line.is_empty() {
                in_resources = line.trim_end() == "resources:";
                continue;
            }
            let key = line.strip_prefix("  ").unwrap_or_default();
            if in_resources
                && key.starts_with(|c: char| c.is_ascii_alphabetic())
                && key.trim_end().ends_with(':')
            {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn validate_accepts_every_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut examples: Vec<std::path::PathBuf> = std::fs::read_dir(&root)
        .expect("examples/")
        .map(|e| e.expect("an entry").path())
        // Each example stack (examples/ci holds pipelines, not a stack).
        .filter(|p| p.join("stack.yaml").is_file())
        .collect();
    examples.sort();
    assert!(examples.len() >= 10, "examples found: {examples:?}");
    for dir in &examples {
        // Validation reads the example where it is: it needs no AWS and writes nothing. An
        // example with a server certificate reads its files, which the README says how to
        // make: here a copy of it gets them.
        let copy = tempfile::tempdir().expect("tempdir");
        let documents = std::fs::read_to_string(dir.join("stack.yaml")).unwrap_or_default();
        let dir = &if documents.contains(crate::support::CERTIFICATE_KEY) {
            std::fs::write(copy.path().join("stack.yaml"), &documents).expect("copy");
            crate::support::make_certificate(copy.path());
            copy.path().to_path_buf()
        } else {
            dir.clone()
        };
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
            .current_dir(dir)
            .args(["--no-color", "validate"])
            .env_remove("AWS_REGION")
            .output()
            .expect("run strata validate");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{}: {err}", dir.display());
        let n = declared_resources(dir);
        assert!(n > 0, "{} declares resources", dir.display());
        assert!(
            err.contains(&format!("with {n} resource")),
            "{}: validate counted other than the {n} resources the documents declare: {err}",
            dir.display()
        );
        let json = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
            .current_dir(dir)
            .args(["--no-color", "validate", "--json"])
            .output()
            .expect("run strata validate --json");
        assert_eq!(json.status.code(), Some(0), "{}", dir.display());
        let problems: serde_json::Value =
            serde_json::from_slice(&json.stdout).expect("validate --json prints JSON");
        assert_eq!(problems, serde_json::json!([]), "{}", dir.display());
        assert!(
            !dir.join("strata.lock").exists(),
            "validate wrote a lockfile in {}",
            dir.display()
        );
    }
}

#[test]
fn graph_prints_dot_and_mermaid() {
    let s = Stack::new("graph", TWO_SUBNETS);
    let dot = stdout(&s.expect(0, &["graph"]));
    assert!(
        dot.contains("\"a\" -> \"vpc\" [label = \"vpc\"];")
            && dot.contains("\"b\" -> \"vpc\" [label = \"vpc\"];"),
        "{dot}"
    );
    let mermaid = stdout(&s.expect(0, &["graph", "--format", "mermaid"]));
    insta::assert_snapshot!(mermaid.replace(&s.name, "STACK"));
}

/// `--format svg` runs Graphviz's `dot`; where it is not installed, the diagnostic says so and
/// how to install it.
#[test]
fn graph_as_svg_without_graphviz_says_how_to_install_it() {
    let s = Stack::new("graphsvg", TWO_SUBNETS);
    let empty = tempfile::tempdir().expect("tempdir");
    let out = s
        .command(&["graph", "--format", "svg"])
        .env("PATH", empty.path())
        .output()
        .expect("run strata");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Graphviz's `dot`, which is not installed")
            && err.contains("apt install graphviz"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());

    // With a `dot` on PATH (a stand-in here), its SVG is printed for the DOT graph.
    let script = empty.path().join("dot");
    std::fs::write(
        &script,
        "#!/bin/sh\n[ \"$1\" = -Tsvg ] || exit 3\necho '<svg>'\ncat\necho '</svg>'\n",
    )
    .expect("write");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let out = s
        .command(&["graph", "--format", "svg"])
        .env("PATH", format!("{}:/bin:/usr/bin", empty.path().display()))
        .output()
        .expect("run strata");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let svg = stdout(&out);
    assert!(
        svg.starts_with("<svg>\ndigraph") && svg.contains("\"a\" -> \"vpc\" [label = \"vpc\"];"),
        "{svg}"
    );
}

#[test]
fn apply_without_a_terminal_needs_auto_approve_or_a_saved_plan() {
    let s = Stack::new("confirm", TWO_SUBNETS);
    let out = s.expect(1, &["apply"]);
    assert!(stderr(&out).contains("--auto-approve"), "{}", stderr(&out));
    assert!(
        !s.path().join("strata.lock").exists(),
        "nothing was applied"
    );
}

#[test]
fn a_saved_plan_applies_exactly_and_a_stale_one_is_refused() {
    let s = Stack::new("saved", TWO_SUBNETS);
    s.expect(0, &["plan", "--out", "first.plan"]);
    s.expect(0, &["plan", "--out", "second.plan"]);
    let out = s.expect(0, &["apply", "first.plan"]);
    assert!(
        stderr(&out).contains("Apply complete: 3 added"),
        "{}",
        stderr(&out)
    );
    // The second plan was made against a state that no longer exists.
    let out = s.expect(1, &["apply", "second.plan"]);
    assert!(
        stderr(&out).contains("the saved plan is stale"),
        "{}",
        stderr(&out)
    );
    let out = s.expect(1, &["apply", "stack.yaml"]);
    assert!(
        stderr(&out).contains("not a strata plan"),
        "{}",
        stderr(&out)
    );
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.expect(0, &["destroy", "--auto-approve"]);
}

#[test]
fn a_second_apply_on_a_locked_stack_fails_at_once_naming_the_holder() {
    let s = Stack::new("locked", TWO_SUBNETS);
    let lock = strata_engine::lockfile::StackLock::acquire(
        &s.path().join("strata.lock"),
        "strata apply (test)",
    )
    .expect("lock");
    let started = std::time::Instant::now();
    let out = s.expect(1, &["apply", "--auto-approve"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let err = stderr(&out);
    assert!(err.contains("locked by pid"), "{err}");
    assert!(err.contains("strata apply (test)"), "{err}");
    drop(lock);
    s.expect(0, &["apply", "--auto-approve"]);
    s.expect(0, &["destroy", "--auto-approve"]);
}

#[test]
fn variables_from_flags_files_and_environment() {
    let docs = "stack: STACK
variables:
  cidr: {default: 10.30.0.0/16}
  name: {}
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: ${var.cidr}
    tags: {Name: \"${var.name}\"}
";
    let s = Stack::new("vars", docs);
    let unquoted = Stack::new("vars", &docs.replace("\"${var.name}\"", "${var.name}"));
    let out = unquoted.expect(1, &["validate"]);
    assert!(
        stderr(&out).contains("quote values that hold"),
        "{}",
        stderr(&out)
    );
    let out = s.expect(1, &["validate"]);
    assert!(
        stderr(&out).contains("variable `name` has no value"),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        s.path().join("dev.vars.yaml"),
        "name: from-file\ncidr: 10.31.0.0/16\n",
    )
    .expect("write");
    let plan = s.plan_json(&["--var-file", "dev.vars.yaml"]);
    let vpc = &plan["actions"][0]["desired"];
    assert_eq!(vpc["tags"]["Name"], "from-file");
    assert_eq!(vpc["cidr_block"], "10.31.0.0/16");
    let out = s
        .command(&[
            "plan",
            "--json",
            "--var-file",
            "dev.vars.yaml",
            "--var",
            "name=from-flag",
        ])
        .env("STRATA_VAR_name", "from-env")
        .output()
        .expect("run");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(plan["actions"][0]["desired"]["tags"]["Name"], "from-flag");
    let out = s
        .command(&["plan", "--json"])
        .env("STRATA_VAR_name", "from-env")
        .output()
        .expect("run");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(plan["actions"][0]["desired"]["tags"]["Name"], "from-env");
    assert_eq!(
        changes(&plan),
        vec![("vpc".to_string(), "create".to_string())]
    );
}

#[test]
fn state_and_output_read_the_lockfile() {
    let s = Stack::new(
        "state",
        &format!("{TWO_SUBNETS}outputs:\n  vpc_id: ${{vpc.id}}\n"),
    );
    let out = s.expect(1, &["state", "list"]);
    assert!(stderr(&out).contains("no lockfile"), "{}", stderr(&out));
    s.expect(0, &["apply", "--auto-approve"]);
    let list = stdout(&s.expect(0, &["state", "list"]));
    assert!(
        list.contains("ec2.vpc") && list.contains("ec2.subnet"),
        "{list}"
    );
    let show: serde_json::Value =
        serde_json::from_slice(&s.expect(0, &["state", "show", "a"]).stdout).expect("json");
    assert_eq!(show["attributes"]["cidr_block"], "10.20.1.0/24");
    let out = s.expect(1, &["state", "show", "vcp"]);
    assert!(
        stderr(&out).contains("did you mean `vpc`?"),
        "{}",
        stderr(&out)
    );
    let id = stdout(&s.expect(0, &["output", "vpc_id"]));
    assert_eq!(id.trim(), s.id_of("vpc"));
    s.expect(0, &["destroy", "--auto-approve"]);
}

/// Reads are batched: a no-op plan's describe calls do not grow with the number of resources
/// (one tagging API listing for the stack, one describe by id per kind, plus the VPC's two DNS
/// attributes, which EC2 only returns per VPC).
#[test]
fn plan_reads_are_batched_per_kind() {
    let mut doc = String::from(
        "stack: STACK\nregion: us-east-1\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.50.0.0/16\n",
    );
    for i in 0..12 {
        doc.push_str(&format!(
            "  s{i}:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.50.{i}.0/24\n"
        ));
    }
    let s = Stack::new("calls", &doc);
    s.expect(0, &["apply", "--auto-approve"]);
    // On the strict test bed, describes page by 5 (12 subnets: 3 pages per describe), and a
    // resource created in the last 1.5 s may not show its tags yet, which makes strata read
    // again: wait that out so that the count is exact.
    let pages = if crate::support::strict() {
        std::thread::sleep(std::time::Duration::from_secs(2));
        3
    } else {
        1
    };
    let out = s.expect(0, &["plan", "-v"]);
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("AWS calls:"))
        .expect("-v reports calls");
    assert!(
        line.contains(&format!("EC2.DescribeSubnets {pages}")),
        "{line}"
    );
    assert!(line.contains("EC2.DescribeVpcs 1"), "{line}");
    assert!(line.contains("EC2.DescribeVpcAttribute 2"), "{line}");
    assert!(line.contains(".GetResources 1"), "{line}");
    assert!(
        line.starts_with(&format!("AWS calls: {} ", 4 + pages)),
        "{line}"
    );
    s.expect(0, &["destroy", "--auto-approve"]);
}

/// `--timings`: each operation's start and end, what it waited for, and the critical path.
#[test]
fn apply_writes_timings_with_the_critical_path() {
    let s = Stack::example("cookbook-1.2-subnets");
    let out = s.expect(0, &["apply", "--auto-approve", "--timings", "t.json"]);
    assert!(stderr(&out).contains("critical path"), "{}", stderr(&out));
    let t: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.path().join("t.json")).expect("timings"))
            .expect("JSON");
    let ops = t["operations"].as_array().expect("operations");
    assert_eq!(ops.len(), 4, "{t}");
    let chain: Vec<&str> = t["critical_path"]
        .as_array()
        .expect("chain")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(chain.first(), Some(&"create vpc"), "{t}");
    assert!(chain.len() >= 2);
    assert!(t["wall_ms"].as_u64() >= t["critical_path_ms"].as_u64());
    let subnet = ops
        .iter()
        .find(|o| o["label"] == "create subnet_a")
        .expect("subnet_a");
    assert_eq!(subnet["after"], serde_json::json!(["create vpc"]));
    for op in ops {
        let (calls, chain) = (op["calls"].as_u64(), op["chain_calls"].as_u64());
        assert!(chain >= Some(1) && chain <= calls, "{op}");
    }
    // The table's two associations (and the lookup of the subnets' current tables, beside the
    // wait for the new table) go out together: fewer calls in a row than calls.
    let table = ops
        .iter()
        .find(|o| o["label"] == "create route_table")
        .expect("route_table");
    assert!(
        table["chain_calls"].as_u64() < table["calls"].as_u64(),
        "{table}"
    );
    assert!(t["critical_path_calls"].as_u64() >= Some(3), "{t}");
    s.expect(0, &["destroy", "--auto-approve"]);
}

/// A prefix list's entries are read only when its version moved since strata recorded them
/// (a version's entries never change): a no-op plan makes no per-list call.
#[tokio::test]
async fn prefix_list_entries_are_read_only_when_the_version_moved() {
    let s = Stack::example("cookbook-1.8-prefix-list");
    s.expect(0, &["apply", "--auto-approve"]);
    let out = s.expect(0, &["plan", "-v", "--detailed-exitcode"]);
    assert!(
        !stderr(&out).contains("GetManagedPrefixListEntries"),
        "{}",
        stderr(&out)
    );
    let pl = s.id_of("allowed_cidrs");
    let c = crate::support::ec2().await;
    c.modify_managed_prefix_list()
        .prefix_list_id(&pl)
        .prefix_list_name("allowed-us-east-1-cidrs")
        .current_version(1)
        .add_entries(
            aws_sdk_ec2::types::AddPrefixListEntry::builder()
                .cidr("192.0.2.0/24")
                .build(),
        )
        .send()
        .await
        .expect("change the list by hand");
    let out = s.expect(2, &["plan", "-v", "--detailed-exitcode"]);
    assert!(stderr(&out).contains("GetManagedPrefixListEntries"));
    assert!(crate::support::stdout(&out).contains("192.0.2.0/24"));
    s.expect(0, &["destroy", "--auto-approve"]);
}

/// `strata --help` and a command's help as a user sees them: what strata is, the commands,
/// and the global options under their own heading.
#[test]
fn help_says_what_strata_is_and_heads_the_global_options() {
    let help = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
            .args(args)
            .env("COLUMNS", "100")
            .env_remove("STRATA_REGION")
            .output()
            .expect("run strata --help");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        stdout(&out)
    };
    insta::assert_snapshot!("help", help(&["--help"]));
    insta::assert_snapshot!("plan_help", help(&["plan", "--help"]));
}

/// Every argument of every command has help text, and the global ones are under "Global
/// options" in every command's help, not mixed into its own.
#[test]
fn every_argument_has_help_and_global_options_have_their_heading() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {id}: no help"));
            }
            if arg.is_global_set() && arg.get_help_heading() != Some("Global options") {
                missing.push(format!("{path} {id}: global, not under \"Global options\""));
            }
            for v in arg.get_possible_values() {
                if !v.is_hide_set() && v.get_help().is_none() {
                    missing.push(format!("{path} {id}={}: no help", v.get_name()));
                }
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() {
                missing.push(format!("{path} {}: no about", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut cmd = strata_cli::cli_definition();
    cmd.build();
    let mut missing = Vec::new();
    walk(&cmd, "strata", &mut missing);
    assert!(missing.is_empty(), "{missing:#?}");
}

/// `output NAME` prints a string as it is and a list or mapping as JSON; `--raw` prints one
/// string and refuses a list; `--json` quotes a string too.
#[test]
fn output_prints_lists_and_maps_as_json_and_raw_one_string() {
    use strata_engine::lockfile::{self, LockedOutput, Lockfile};
    let s = Stack::new("out", TWO_SUBNETS);
    let mut lf = Lockfile::new(&s.name, "us-east-1");
    let out = |value: serde_json::Value| LockedOutput {
        value,
        sensitive: false,
    };
    lf.outputs
        .insert("id".into(), out(serde_json::json!("vpc-0123")));
    lf.outputs.insert(
        "subnets".into(),
        out(serde_json::json!(["subnet-1", "subnet-2"])),
    );
    lf.outputs
        .insert("tags".into(), out(serde_json::json!({"Team": "web"})));
    lockfile::write(&s.path().join("strata.lock"), &mut lf).expect("write the lockfile");

    assert_eq!(stdout(&s.expect(0, &["output", "id"])), "vpc-0123\n");
    assert_eq!(
        stdout(&s.expect(0, &["output", "--raw", "id"])),
        "vpc-0123\n"
    );
    assert_eq!(
        stdout(&s.expect(0, &["output", "--json", "id"])),
        "\"vpc-0123\"\n"
    );
    let list = stdout(&s.expect(0, &["output", "subnets"]));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&list).expect("a list prints as JSON"),
        serde_json::json!(["subnet-1", "subnet-2"])
    );
    let map = stdout(&s.expect(0, &["output", "tags"]));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&map).expect("a mapping prints as JSON"),
        serde_json::json!({"Team": "web"})
    );
    let raw = s.expect(1, &["output", "--raw", "subnets"]);
    assert!(stdout(&raw).is_empty());
    assert!(
        stderr(&raw).contains("output `subnets` is a list, not one string"),
        "{}",
        stderr(&raw)
    );
    let typo = s.expect(1, &["output", "subnet"]);
    assert!(
        stderr(&typo).contains("did you mean `subnets`?"),
        "{}",
        stderr(&typo)
    );
}

/// `strata completions SHELL` prints a script naming strata's commands and options for each
/// shell clap_complete knows; bash's parses; `--version` names the commit.
#[test]
fn completions_for_every_shell_and_a_version_with_the_commit() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
            .args(args)
            .output()
            .expect("run strata");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = run(&["completions", shell]);
        for word in [
            "apply",
            "destroy",
            "completions",
            "auto-approve",
            "detailed-exitcode",
        ] {
            assert!(script.contains(word), "{shell}'s script lacks {word}");
        }
    }
    let bash = tempfile::NamedTempFile::new().expect("tempfile");
    std::fs::write(bash.path(), run(&["completions", "bash"])).expect("write");
    let parsed = std::process::Command::new("bash")
        .arg("-n")
        .arg(bash.path())
        .status()
        .expect("run bash -n");
    assert!(parsed.success(), "bash cannot parse its completion script");
    let version = run(&["--version"]);
    let rest = version
        .strip_prefix(&format!("strata {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{version}"));
    let commit = rest.trim_end().trim_end_matches(')');
    assert!(
        commit == "unknown commit"
            || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{version}"
    );
}
