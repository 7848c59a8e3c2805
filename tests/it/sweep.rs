//! `strata destroy --sweep` and `strata sweep --stack NAME`: what a stack made goes away even
//! when its lockfile is lost, and nothing else does.

use crate::support::{Stack, ec2_at, every_resource_at, failure, owned_at, stderr};

const NEIGHBOUR: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.77.0.0/16
";

/// A lab applied, its lockfile deleted: `destroy --sweep` deletes everything carrying the
/// stack's tags, in dependency order; a stack whose name starts with this one's (`NAME-1`) and
/// an untagged VPC are left alone; outside a terminal without --auto-approve it is a dry run.
#[tokio::test]
async fn a_lab_whose_lockfile_was_lost_is_swept_and_nothing_else_is_touched() {
    let lab = Stack::example("two-tier-network");
    lab.expect(0, &["apply", "--auto-approve"]);
    let made = owned_at(&lab.endpoint, &lab.name).await;
    assert!(made.len() >= 15, "{made:?}");
    for f in ["strata.lock", "strata.lock.journal", "strata.lock.backup"] {
        let _ = std::fs::remove_file(lab.path().join(f));
    }

    // A neighbour whose stack name starts with the lab's, and a VPC no stack owns.
    let neighbour = Stack::new(&format!("{}-1", lab.name), NEIGHBOUR);
    std::fs::write(
        neighbour.path().join("stack.yaml"),
        NEIGHBOUR.replace("STACK", &format!("{}-1", lab.name)),
    )
    .expect("write the neighbour");
    neighbour.expect(0, &["apply", "--auto-approve"]);
    let ec2 = ec2_at(&lab.endpoint).await;
    let untagged = ec2
        .create_vpc()
        .cidr_block("10.78.0.0/16")
        .send()
        .await
        .expect("an untagged VPC")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("its id");

    // No terminal, no --auto-approve: it shows what it would delete and deletes nothing.
    let dry = lab.expect(0, &["sweep", "--stack", &lab.name]);
    assert!(stderr(&dry).contains("Dry run"), "{}", stderr(&dry));
    assert_eq!(owned_at(&lab.endpoint, &lab.name).await, made);

    let out = lab.run(&["destroy", "--sweep", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{}", failure(&out));
    assert!(stderr(&out).contains("nothing tagged"), "{}", stderr(&out));
    assert_eq!(owned_at(&lab.endpoint, &lab.name).await, vec![]);

    let neighbours = owned_at(&lab.endpoint, &format!("{}-1", lab.name)).await;
    assert_eq!(
        neighbours.len(),
        1,
        "the neighbour's VPC is left: {neighbours:?}"
    );
    let everything = every_resource_at(&lab.endpoint).await;
    assert!(
        everything.iter().any(|r| r.id == untagged),
        "the untagged VPC is left"
    );
    ec2.delete_vpc()
        .vpc_id(&untagged)
        .send()
        .await
        .expect("delete the untagged VPC");
    neighbour.expect(0, &["destroy", "--auto-approve"]);
}

/// The web application (nine services: a load balancer, CloudFront, Aurora, ECS, autoscaling,
/// IAM, logs, S3 and the network), applied and its lockfile deleted: `destroy --sweep` leaves
/// nothing carrying its tags.
#[tokio::test]
async fn the_web_app_whose_lockfile_was_lost_is_swept() {
    let s = Stack::example("web-app");
    s.expect(0, &["apply", "--auto-approve"]);
    let made = owned_at(&s.endpoint, &s.name).await;
    // All but the bucket policy and the scaling policy, which AWS cannot tag.
    assert_eq!(made.len(), 35, "{made:?}");
    for f in ["strata.lock", "strata.lock.journal", "strata.lock.backup"] {
        let _ = std::fs::remove_file(s.path().join(f));
    }
    let out = s.run(&["destroy", "--sweep", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{}", failure(&out));
    assert!(stderr(&out).contains("nothing tagged"), "{}", stderr(&out));
    assert_eq!(owned_at(&s.endpoint, &s.name).await, vec![]);
}

/// A blocker that never goes away (a subnet made outside strata in the stack's VPC): the sweep
/// deletes the rest, stops when a round deletes nothing, names what is left and exits 1; once
/// the blocker is gone, the next sweep finishes.
#[tokio::test]
async fn a_blocker_that_stays_ends_the_sweep_with_a_report_naming_what_is_left() {
    let s = Stack::new(
        "blocked",
        NEIGHBOUR
            .replace(
                "cidr_block: 10.77.0.0/16",
                "cidr_block: 10.79.0.0/16
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.79.1.0/24",
            )
            .as_str(),
    );
    s.expect(0, &["apply", "--auto-approve"]);
    let ec2 = ec2_at(&s.endpoint).await;
    let blocker = ec2
        .create_subnet()
        .vpc_id(s.id_of("vpc"))
        .cidr_block("10.79.2.0/24")
        .send()
        .await
        .expect("a subnet outside strata")
        .subnet
        .and_then(|x| x.subnet_id)
        .expect("its id");
    std::fs::remove_file(s.path().join("strata.lock")).expect("lose the lockfile");
    let out = s
        .command(&["sweep", "--stack", &s.name, "--auto-approve"])
        // Each round gives up on the VPC quickly.
        .env("STRATA_MAX_WAIT_SECS", "3")
        .output()
        .expect("run strata sweep");
    assert_eq!(out.status.code(), Some(1), "{}", failure(&out));
    let err = stderr(&out);
    assert!(err.contains("the last round deleted nothing"), "{err}");
    assert!(err.contains("vpc (ec2.vpc"), "{err}");
    let left: Vec<String> = owned_at(&s.endpoint, &s.name)
        .await
        .into_iter()
        .map(|o| o.kind)
        .collect();
    assert_eq!(left, ["ec2.vpc"]);

    ec2.delete_subnet()
        .subnet_id(&blocker)
        .send()
        .await
        .expect("remove the blocker");
    let out = s.run(&["sweep", "--stack", &s.name, "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{}", failure(&out));
    assert_eq!(owned_at(&s.endpoint, &s.name).await, vec![]);
}

/// `apply --ttl 1s` (or `lifetime: 1s`) tags the stack's resources with `strata:expires`; once it passed,
/// `sweep --expired` lists the stack (exit 2) and not a stack without an expiry, and with
/// --confirm sweeps it; the plan of a stack with an expiry shows no change for the tag.
#[tokio::test]
async fn an_expired_lab_is_listed_and_swept_and_one_without_expiry_is_never_listed() {
    // `--ttl` wins over the documents' `lifetime:`.
    let lab = Stack::new(
        "ttl",
        &NEIGHBOUR
            .replace("10.77.0.0/16", "10.81.0.0/16")
            .replace("region: us-east-1", "region: us-east-1\nlifetime: 1h"),
    );
    let out = lab.expect(0, &["apply", "--auto-approve", "--ttl", "1s"]);
    assert!(stderr(&out).contains("Expires: "), "{}", stderr(&out));
    // `lifetime:` alone.
    let life = Stack::new(
        "life",
        &NEIGHBOUR
            .replace("10.77.0.0/16", "10.83.0.0/16")
            .replace("region: us-east-1", "region: us-east-1\nlifetime: 1s"),
    );
    life.expect(0, &["apply", "--auto-approve"]);
    let keep = Stack::new("keep", &NEIGHBOUR.replace("10.77.0.0/16", "10.82.0.0/16"));
    keep.expect(0, &["apply", "--auto-approve"]);
    // In another region: listed when that region is asked for.
    let west = Stack::new(
        "west",
        &NEIGHBOUR
            .replace("10.77.0.0/16", "10.84.0.0/16")
            .replace("region: us-east-1", "region: us-west-2\nlifetime: 1s"),
    );
    west.expect(0, &["apply", "--auto-approve"]);
    // The expiry is no change: the next plan is empty.
    lab.expect(0, &["plan", "--detailed-exitcode"]);
    std::thread::sleep(std::time::Duration::from_secs(2));

    let listed = lab.run(&["sweep", "--expired"]);
    assert_eq!(listed.status.code(), Some(2), "{}", failure(&listed));
    let table = crate::support::stdout(&listed);
    assert!(table.contains(&lab.name), "{table}");
    assert!(table.contains(&life.name), "{table}");
    assert!(!table.contains(&keep.name), "{table}");
    assert!(!table.contains(&west.name), "{table}");
    let regions = ["--region", "us-east-1", "--region", "us-west-2"];
    let both = lab.run(&[&["sweep", "--expired"][..], &regions].concat());
    assert_eq!(both.status.code(), Some(2), "{}", failure(&both));
    let table = crate::support::stdout(&both);
    assert!(
        table.contains(&format!("{}\tus-west-2", west.name)),
        "{table}"
    );
    assert!(table.contains(&lab.name), "{table}");
    // Several regions are for `sweep --expired` only.
    let refused = lab.run(&[&["plan"][..], &regions].concat());
    assert_eq!(refused.status.code(), Some(1), "{}", failure(&refused));
    assert!(
        stderr(&refused).contains("--region is given 2 times"),
        "{}",
        stderr(&refused)
    );

    let swept = lab.run(&[&["sweep", "--expired", "--confirm"][..], &regions].concat());
    assert_eq!(swept.status.code(), Some(0), "{}", failure(&swept));
    let west_ec2 = crate::support::ec2_in(&west.endpoint, "us-west-2").await;
    let west_vpcs = west_ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:strata:stack")
                .values(&west.name)
                .build(),
        )
        .send()
        .await
        .expect("the VPCs of us-west-2");
    assert_eq!(west_vpcs.vpcs().len(), 0, "the west stack is swept too");
    assert_eq!(owned_at(&lab.endpoint, &lab.name).await, vec![]);
    assert_eq!(owned_at(&life.endpoint, &life.name).await, vec![]);
    assert_eq!(owned_at(&keep.endpoint, &keep.name).await.len(), 1);
    keep.expect(0, &["destroy", "--auto-approve"]);
}
