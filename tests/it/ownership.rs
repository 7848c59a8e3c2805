//! Ownership (issue 11): a lockfile, its journal and the resources it owns prove they belong
//! together. Another lockfile's journal is refused; two directories on one stack never delete
//! each other's resources; a resource tagged by hand to the stack is not taken; a symlinked
//! lockfile is one lock; simultaneous applies always name the holder; a full disk leaves the
//! old lockfile intact and no temporary file.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::Tag;

use crate::support::{
    Emulator, Scenario, Stack, ec2_at, locked_ids, start_private_emulator, stderr, strict, tag,
    tagged_ids,
};

/// The lineage in a lockfile's snapshot (read as bytes: its journal may be refused).
fn snapshot_lineage(lockfile: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lockfile).expect("lockfile")).expect("JSON");
    v["lineage"].as_str().expect("lineage").to_string()
}

/// The `strata:lineage` tag of a VPC.
async fn vpc_lineage(url: &str, id: &str) -> Option<String> {
    ec2_at(url)
        .await
        .describe_vpcs()
        .vpc_ids(id)
        .send()
        .await
        .expect("describe the VPC")
        .vpcs()
        .first()
        .and_then(|v| tag(v.tags(), "strata:lineage").map(str::to_string))
}

/// A test bed of its own where every call takes 150 ms (strict when the run is), so that an
/// apply holds the stack lock long enough for another process to meet it.
fn slow_emulator() -> Emulator {
    if strict() {
        start_private_emulator(&["--strict", "--latency-ms", "150"])
    } else {
        start_private_emulator(&["--latency-ms", "150"])
    }
}

/// Waits (bounded) until a lock holder has written its details.
fn wait_for_holder(holder: &Path) {
    let start = Instant::now();
    while std::fs::read(holder).unwrap_or_default().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the apply took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

const FIRST_DIR: &str = r#"stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.80.0.0/16
    tags: {Name: shared}
  subnet_a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.80.0.0/24
    availability_zone: us-east-1a
"#;

const SECOND_DIR: &str = r#"stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.80.0.0/16
    tags: {Name: shared}
  subnet_b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.80.1.0/24
    availability_zone: us-east-1b
"#;

/// The scenario "lockfile ownership": three ways another lockfile's state or resources meet
/// this one, each refused with the way out and nothing changed.
#[tokio::test]
async fn lockfile_ownership() {
    let sc = Scenario::start(
        "lockfile ownership",
        "two stacks killed (SIGKILL) during their first apply, one's strata.lock.journal copied \
         beside the other's lockfile; two directories whose documents both name one stack, \
         each with its own lockfile; a VPC made outside strata and tagged by hand with the \
         stack's strata:stack and strata:name; plan, apply and destroy on each",
    );
    let journal = a_journal_from_another_lockfile_is_refused().await;
    let (kept, taken) = two_directories_on_one_stack().await;
    a_resource_tagged_by_hand_is_not_taken().await;
    sc.pass(format!(
        "another lockfile's journal: plan, apply, destroy and state list exit 1 naming the \
         journal, both lineages and the way out, {journal} resources of the two stacks \
         untouched, both converge once the journal is put back; two directories: the second \
         apply, plan and destroy exit 1 naming the other lockfile's {kept} resources and \
         --adopt-foreign, none deleted; with --adopt-foreign it adopted the VPC (same id, \
         retagged with its lineage) and replaced {taken} subnet; tagged by hand: plan, apply, \
         destroy exit 1 naming it, not deleted, while a VPC carrying only strata:stack is left \
         alone"
    ));
}

/// Issue 11, item 3: each apply killed during the first apply; a journal copied beside the
/// other lockfile. Returns how many resources the two stacks had.
async fn a_journal_from_another_lockfile_is_refused() -> usize {
    let first = Stack::example("cookbook-1.3-internet-gateway");
    let second = Stack::example("cookbook-1.3-internet-gateway");
    for s in [&first, &second] {
        let out = s
            .command(&["apply", "--auto-approve"])
            .env("STRATA_FAULT_KILL_AFTER_CALL", "6")
            .output()
            .expect("run strata");
        assert_eq!(out.status.code(), None, "killed: {}", stderr(&out));
    }
    let before = (tagged_ids(&first).await, tagged_ids(&second).await);
    assert!(!before.0.is_empty() && !before.1.is_empty());
    let journal = second.path().join("strata.lock.journal");
    let own = std::fs::read(&journal).expect("the second stack's journal");
    std::fs::copy(first.path().join("strata.lock.journal"), &journal).expect("copy");
    let copied = std::fs::read(&journal).expect("journal");
    let theirs = snapshot_lineage(&first.path().join("strata.lock"));
    let mine = snapshot_lineage(&second.path().join("strata.lock"));
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["destroy", "--auto-approve"],
        &["state", "list"],
    ] {
        let out = second.run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        for part in [
            "strata.lock.journal does not belong to",
            theirs.as_str(),
            mine.as_str(),
            "mv ",
            "strata.lock.journal.foreign",
        ] {
            assert!(err.contains(part), "{args:?}: {part}: {err}");
        }
        assert!(!err.contains(".journal.backup"), "{err}");
        assert_eq!(std::fs::read(&journal).expect("journal"), copied);
    }
    assert_eq!(
        (tagged_ids(&first).await, tagged_ids(&second).await),
        before,
        "nothing deleted, created or retagged"
    );

    // Each journal back beside its own lockfile: both runs are recovered.
    std::fs::write(&journal, own).expect("put the journal back");
    for s in [&first, &second] {
        s.apply_clean();
        assert_eq!(tagged_ids(s).await, locked_ids(s));
    }
    assert!(before.0.is_subset(&tagged_ids(&first).await));
    assert!(before.1.is_subset(&tagged_ids(&second).await));
    let count = before.0.len() + before.1.len();
    for s in [&first, &second] {
        s.expect(0, &["destroy", "--auto-approve"]);
        assert!(tagged_ids(s).await.is_empty());
    }
    count
}

/// Issue 11, item 4: two directories whose documents name one stack. Returns (resources the
/// second directory refused to touch, subnets deleted once it took the stack over).
async fn two_directories_on_one_stack() -> (usize, usize) {
    let first = Stack::new("own", FIRST_DIR);
    let second = Stack::new("own", "");
    std::fs::write(
        second.path().join("stack.yaml"),
        SECOND_DIR.replace("STACK", &first.name),
    )
    .expect("the second directory's documents");
    let url = first.endpoint.clone();
    first.apply_clean();
    let before = tagged_ids(&first).await;
    let vpc = first.id_of("vpc");
    let subnet_a = first.id_of("subnet_a");
    for args in [
        &["apply", "--auto-approve"][..],
        &["plan"],
        &["destroy", "--auto-approve"],
    ] {
        let out = second.run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        for part in [
            format!("stack `{}`'s ownership tags", first.name),
            format!("vpc (ec2.vpc {vpc})"),
            format!("subnet_a (ec2.subnet {subnet_a})"),
            snapshot_lineage(&first.path().join("strata.lock")),
            "--adopt-foreign".to_string(),
        ] {
            assert!(err.contains(&part), "{args:?}: {part}: {err}");
        }
        assert_eq!(tagged_ids(&first).await, before, "nothing deleted");
    }
    first.expect(0, &["plan", "--detailed-exitcode"]);

    // Taken over on purpose.
    let out = second.expect(0, &["apply", "--auto-approve", "--adopt-foreign"]);
    let text = crate::support::stdout(&out);
    assert!(text.contains("will be adopted"), "{text}");
    assert_eq!(second.id_of("vpc"), vpc, "adopted, not created again");
    let theirs = snapshot_lineage(&second.path().join("strata.lock"));
    assert_eq!(vpc_lineage(&url, &vpc).await, Some(theirs.clone()));
    let now = tagged_ids(&first).await;
    assert!(
        !now.contains(&subnet_a),
        "the subnet no document names was deleted"
    );
    assert_eq!(now, locked_ids(&second));
    second.expect(0, &["plan", "--detailed-exitcode"]);
    // The first directory's lockfile still records the VPC; another lockfile owns it now.
    let out = first.run(&["plan"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&theirs), "{}", stderr(&out));
    second.expect(0, &["destroy", "--auto-approve"]);
    assert!(tagged_ids(&first).await.is_empty());
    (before.len(), 1)
}

/// Issue 11, item 4: a resource retagged by hand to the stack is refused, not deleted.
async fn a_resource_tagged_by_hand_is_not_taken() {
    let s = Stack::example("cookbook-1.2-subnets");
    s.apply_clean();
    let c = ec2_at(&s.endpoint).await;
    let hand = c
        .create_vpc()
        .cidr_block("10.99.0.0/16")
        .send()
        .await
        .expect("a VPC made outside strata")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("id")
        .to_string();
    let set = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    c.create_tags()
        .resources(&hand)
        .tags(set("strata:stack", &s.name))
        .send()
        .await
        .expect("tag");
    if strict() {
        // The strict test bed shows a new resource a second late.
        std::thread::sleep(Duration::from_secs(2));
    }
    // Only the stack's tag, no name: nothing strata would act on.
    s.expect(0, &["plan", "--detailed-exitcode"]);
    c.create_tags()
        .resources(&hand)
        .tags(set("strata:name", "vpc"))
        .send()
        .await
        .expect("tag");
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["destroy", "--auto-approve"],
    ] {
        let out = s.run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!("no lineage tag: vpc (ec2.vpc {hand})")),
            "{args:?}: {err}"
        );
    }
    let exists = |id: String| {
        let c = c.clone();
        async move {
            c.describe_vpcs()
                .vpc_ids(id)
                .send()
                .await
                .map(|o| o.vpcs().len())
                .unwrap_or(0)
        }
    };
    assert_eq!(exists(hand.clone()).await, 1, "not deleted");
    assert_eq!(exists(s.id_of("vpc")).await, 1);
    c.delete_tags()
        .resources(&hand)
        .tags(Tag::builder().key("strata:stack").build())
        .tags(Tag::builder().key("strata:name").build())
        .send()
        .await
        .expect("untag");
    s.expect(0, &["destroy", "--auto-approve"]);
    c.delete_vpc()
        .vpc_id(&hand)
        .send()
        .await
        .expect("delete the VPC made by hand");
}

/// Issue 11, item 8: `strata.lock` a symlink. Applies through the link and through the target
/// take one lock; the link stays a link and the target is the file updated.
#[test]
fn a_symlinked_lockfile_is_one_lock() {
    let sc = Scenario::start(
        "symlinked lockfile",
        "strata.lock a relative symlink to state/strata.lock; an apply through the link while \
         another starts with --lockfile state/strata.lock; then plans, a change and destroy \
         through each",
    );
    let em = slow_emulator();
    let mut s = Stack::example("cookbook-1.2-subnets");
    s.endpoint = em.url.clone();
    let state = s.path().join("state");
    std::fs::create_dir(&state).expect("state dir");
    let link = s.path().join("strata.lock");
    std::os::unix::fs::symlink("state/strata.lock", &link).expect("symlink");
    let target = state.join("strata.lock");
    let through_target = ["--lockfile", "state/strata.lock"];

    let first = s
        .command(&["apply", "--auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start strata");
    wait_for_holder(&state.join("strata.lock.holder"));
    let out = s.run(&[&through_target[..], &["apply", "--auto-approve"]].concat());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");
    assert!(first.wait_with_output().expect("wait").status.success());

    let is_link = || {
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    };
    assert!(is_link(), "the link stays a link");
    assert!(
        std::fs::symlink_metadata(&target)
            .expect("target")
            .is_file()
    );
    let beside_link: BTreeSet<String> = std::fs::read_dir(s.path())
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(
        beside_link,
        BTreeSet::from(["stack.yaml", "state", "strata.lock"].map(String::from)),
        "lock, backup and journal live beside the target"
    );
    let serial = |p: &Path| {
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(p).expect("read")).expect("JSON")
            ["serial"]
            .as_u64()
            .expect("serial")
    };
    let applied = serial(&target);
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.expect(
        0,
        &[&through_target[..], &["plan", "--detailed-exitcode"]].concat(),
    );
    // A change through the target, seen through the link.
    s.edit(|d| d.replace("Name: AWSCookbook202a", "Name: changed-through-target"));
    s.expect(
        0,
        &[&through_target[..], &["apply", "--auto-approve"]].concat(),
    );
    assert!(serial(&target) > applied);
    assert!(is_link());
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.expect(0, &["destroy", "--auto-approve"]);
    assert!(is_link(), "the link stays a link");
    assert!(
        s.lockfile()["resources"]
            .as_object()
            .is_none_or(|m| m.is_empty())
    );
    sc.pass(
        "the apply through the target exited 1 naming the holder's pid (one lock); the link \
         stayed a symlink through apply, change and destroy; lock, backup and journal lived \
         beside the target; the plans through either path agreed",
    );
}

/// Issue 11: ten applies at once. Each either applies or is refused naming the holder.
#[tokio::test]
async fn simultaneous_applies_always_name_the_holder() {
    let em = slow_emulator();
    let mut s = Stack::example("cookbook-1.1-vpc");
    s.endpoint = em.url.clone();
    let children: Vec<std::process::Child> = (0..10)
        .map(|_| {
            s.command(&["apply", "--auto-approve"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start strata")
        })
        .collect();
    let pids: Vec<u32> = children.iter().map(std::process::Child::id).collect();
    let mut refused = 0;
    for child in children {
        let pid = child.id();
        let out = child.wait_with_output().expect("wait");
        let err = stderr(&out);
        match out.status.code() {
            Some(0) => {}
            Some(1) => {
                refused += 1;
                let holder: u32 = err
                    .split("locked by pid ")
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("the refusal names the holder: {err}"));
                assert!(holder != pid && pids.contains(&holder), "{err}");
            }
            other => panic!("exit {other:?}: {err}"),
        }
    }
    assert!(refused >= 1, "the ten applies met");
    let vpcs = tagged_ids(&s).await;
    assert_eq!(vpcs.len(), 1, "one VPC: {vpcs:?}");
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.expect(0, &["destroy", "--auto-approve"]);
}

/// A small file system for the lockfile, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// A 64 KiB tmpfs (this needs the right to mount, which the test machines have).
    fn mount() -> SmallDisk {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "mounting a small tmpfs (the test needs to run as root): {}",
            stderr(&out)
        );
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system, leaving `pages` 4 KiB pages free.
    fn fill(&self, pages: u64) {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).expect("filler");
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        drop(f);
        let whole_pages = std::fs::metadata(&path).expect("filler").len() / 4096;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("filler")
            .set_len(whole_pages.saturating_sub(pages) * 4096)
            .expect("truncate");
    }

    fn free(&self) {
        std::fs::remove_file(self.path().join("filler")).expect("remove the filler");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// Issue 11: a full disk when the lockfile is written leaves the old lockfile intact and no
/// `strata.lock.tmp<pid>`.
#[tokio::test]
async fn a_full_disk_leaves_no_temporary_file_and_the_old_lockfile() {
    let disk = SmallDisk::mount();
    let s = Stack::example("cookbook-1.1-vpc");
    let lockfile = disk.path().join("strata.lock");
    let lockfile = lockfile.to_str().expect("UTF-8 path");
    fn with<'a>(lockfile: &'a str, args: &[&'a str]) -> Vec<&'a str> {
        [&["--lockfile", lockfile][..], args].concat()
    }
    s.expect(0, &with(lockfile, &["apply", "--auto-approve"]));
    let names = || -> BTreeSet<String> {
        std::fs::read_dir(disk.path())
            .expect("list")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect()
    };
    let files = |p: &str| std::fs::read(disk.path().join(p)).expect(p);
    let (lock, backup) = (files("strata.lock"), files("strata.lock.backup"));

    // One page left: enough for the lock holder's details, not for a new lockfile.
    disk.fill(1);
    s.edit(|d| d.replace("Name: AWSCookbook201", "Name: full-disk"));
    let out = s.run(&with(lockfile, &["apply", "--auto-approve"]));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write"), "{err}");
    assert!(err.contains("free disk space"), "{err}");
    assert!(
        !names().iter().any(|n| n.contains(".tmp")),
        "no temporary file: {:?}",
        names()
    );
    assert_eq!(files("strata.lock"), lock, "the old lockfile is intact");
    assert_eq!(files("strata.lock.backup"), backup);
    let lock_json: serde_json::Value = serde_json::from_slice(&lock).expect("JSON");
    let vpc = lock_json["resources"]["vpc"]["id"]
        .as_str()
        .expect("vpc")
        .to_string();
    let described = ec2_at(&s.endpoint)
        .await
        .describe_vpcs()
        .vpc_ids(&vpc)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        tag(described.vpcs()[0].tags(), "Name"),
        Some("AWSCookbook201"),
        "nothing was changed before the lockfile could be written"
    );

    disk.free();
    s.expect(0, &with(lockfile, &["apply", "--auto-approve"]));
    s.expect(0, &with(lockfile, &["plan", "--detailed-exitcode"]));
    s.expect(0, &with(lockfile, &["destroy", "--auto-approve"]));
}

/// Every kind sets `strata:lineage` in its create call and reads it back: with the lockfile's
/// records lost (its lineage kept, as after a crash), every resource is adopted by its tags
/// with nothing to change; a kind whose id follows from the documents (an S3 object, a bucket
/// policy) is written again instead, which makes nothing twice.
#[tokio::test]
async fn every_kind_is_created_with_the_lockfiles_lineage() {
    let mut kinds = BTreeSet::new();
    for example in [
        "two-tier-network",
        "cookbook-1.10-transit-gateway",
        "cookbook-1.11-vpc-peering",
        "cookbook-1.7-alb",
        "cookbook-1.12-cloudfront",
        "cookbook-2.1-aurora-serverless",
        "the origin access identity stack of tests/it/cloudfront.rs",
        "the log group of tests/it/logs.rs",
        "the cluster, task definition, service and autoscaling of tests/it/ecs.rs",
        "the role of tests/it/iam.rs",
    ] {
        let s = if example.starts_with("the origin") {
            Stack::new("ex", crate::cloudfront::WITH_IDENTITY)
        } else if example.starts_with("the log group") {
            Stack::new("ex", crate::logs::LOG_GROUP)
        } else if example.starts_with("the cluster") {
            Stack::new("ex", crate::ecs::OWNED)
        } else if example.starts_with("the role") {
            Stack::new("ex", crate::iam::ROLE)
        } else {
            let s = Stack::example(example);
            // elbv2:: applies the same example on the shared emulator at the same time: a
            // target group's and a load balancer's names are unique in the account.
            s.edit(|d| {
                d.replace("name: aws-cookbook207-tg", "name_prefix: own-tg-")
                    .replace("name: aws-cookbook207-alb", "name_prefix: own-alb-")
            });
            s
        };
        s.expect(0, &["apply", "--auto-approve"]);
        if crate::support::strict() {
            // The strict test bed shows a new resource's tags up to 1.5 s late (AWS's eventual
            // consistency), and a resource no lockfile records is looked for by its tags only:
            // wait that out, so that the plan below sees what it is meant to adopt.
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
        let path = s.path().join("strata.lock");
        let mut lf = strata_engine::lockfile::read(&path)
            .expect("reads")
            .expect("lockfile");
        kinds.extend(lf.resources.values().map(|r| r.kind.clone()));
        lf.resources.clear();
        strata_engine::lockfile::write(&path, &mut lf).expect("write");
        let plan = s.plan_json(&[]);
        for a in plan["actions"].as_array().expect("actions") {
            let kind = a["kind"].as_str().unwrap_or_default();
            if strata_model::kinds::find(kind).is_some_and(|k| k.policy.id_from_documents) {
                assert_eq!(a["action"], "create", "{example}: written again: {a}");
                continue;
            }
            assert_eq!(
                (&a["action"], &a["reason"]),
                (
                    &serde_json::json!("adopt"),
                    &serde_json::json!("found_by_tag")
                ),
                "{example}: {a}"
            );
            // strata's own settings (a bucket's `force_destroy`) are kept in the lockfile
            // only: with the records lost they read as their default, and adopting sets them
            // again (no AWS call).
            let local = |field: &serde_json::Value| {
                strata_model::kinds::find(kind)
                    .and_then(|k| k.field(field.as_str().unwrap_or_default()))
                    .is_some_and(|f| f.local)
            };
            let changes: Vec<&serde_json::Value> = a["changes"]
                .as_array()
                .map(|c| c.iter().filter(|c| !local(&c["field"])).collect())
                .unwrap_or_default();
            assert!(
                changes.is_empty(),
                "{example}: the ownership tags are all there: {a}"
            );
        }
        s.expect(0, &["apply", "--auto-approve"]);
        s.expect(0, &["destroy", "--auto-approve"]);
    }
    let all: BTreeSet<String> = strata_model::kinds::all()
        .iter()
        .map(|k| k.name.to_string())
        .collect();
    assert_eq!(kinds, all, "every kind was covered");
}
