//! The lifecycle options against the emulator (the engine's own tests use an in-memory cloud):
//! `prevent_destroy` refuses destroy, replacement and removal and deletes nothing;
//! `create_before_destroy` moves a route to the new NAT gateway before the old one goes, so
//! the route is never missing; `ignore_changes` leaves a field and one tag key as they are
//! live, also while the rest is repaired; `owned_elsewhere` sets a field at create, then shows
//! its owner's changes and never puts them back; `depends_on` orders creates and deletes that no
//! reference orders. Orders are read from the test bed's call log.

use serde_json::json;

use crate::support::{
    Call, Stack, TestBed, destroy_leaves_nothing, ec2, stderr, stdout, subnets_of, tag, vpcs_of,
};

/// Where the first successful call of `operation` naming `id` (any id when `None`) is in the
/// log.
fn position(log: &[Call], operation: &str, id: Option<&str>) -> Option<usize> {
    log.iter().position(|c| {
        c.operation == operation && c.ok() && id.is_none_or(|i| c.ids.iter().any(|x| x == i))
    })
}

/// A subnet as the emulator holds it.
async fn subnet(id: &str) -> aws_sdk_ec2::types::Subnet {
    let out = ec2()
        .await
        .describe_subnets()
        .subnet_ids(id)
        .send()
        .await
        .expect("subnet");
    out.subnets()[0].clone()
}

/// Sets a subnet's `map_public_ip_on_launch` outside strata.
async fn set_public_ip_on_launch(id: &str, on: bool) {
    ec2()
        .await
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(
            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                .value(on)
                .build(),
        )
        .send()
        .await
        .expect("modify outside strata");
}

/// Sets one tag of a resource outside strata.
async fn tag_outside(id: &str, key: &str, value: &str) {
    ec2()
        .await
        .create_tags()
        .resources(id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key(key)
                .value(value)
                .build(),
        )
        .send()
        .await
        .expect("tag outside strata");
}

const PREVENT: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.73.0.0/24
    lifecycle: {prevent_destroy: true}
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.73.0.0/26
";

#[tokio::test]
async fn prevent_destroy_refuses_and_deletes_nothing() {
    let s = Stack::new("prevent", PREVENT);
    s.apply_clean();
    let vpc = s.id_of("vpc");

    let out = s.expect(1, &["destroy", "--auto-approve"]);
    let err = stderr(&out);
    assert!(
        err.contains("prevent_destroy") && err.contains("vpc"),
        "the refusal names the option and the resource: {err}"
    );
    assert_eq!(vpcs_of(&s.name).await.len(), 1, "the VPC is still there");
    assert_eq!(
        subnets_of(&s.name).await.len(),
        1,
        "nothing was deleted, not even what is not protected"
    );

    // A change that replaces it is refused at plan time.
    s.edit(|d| d.replace("cidr_block: 10.73.0.0/24", "cidr_block: 10.73.0.0/23"));
    let out = s.expect(1, &["plan"]);
    assert!(stderr(&out).contains("prevent_destroy"), "{}", stderr(&out));
    s.expect(1, &["apply", "--auto-approve"]);
    assert_eq!(s.id_of("vpc"), vpc);

    // Removed from the documents, it is still protected: the lockfile remembers.
    s.write(
        "stack: STACK\nregion: us-east-1\nresources:\n  other:\n    kind: ec2.vpc\n    cidr_block: 10.74.0.0/24\n",
    );
    let out = s.expect(1, &["apply", "--auto-approve"]);
    assert!(stderr(&out).contains("prevent_destroy"), "{}", stderr(&out));
    assert_eq!(
        vpcs_of(&s.name).await.len(),
        1,
        "nothing was created or deleted"
    );

    // Lifting the protection takes an apply; then destroy deletes everything.
    s.write(&PREVENT.replace("prevent_destroy: true", "prevent_destroy: false"));
    s.apply_clean();
    assert_eq!(s.id_of("vpc"), vpc);
    destroy_leaves_nothing(&s).await;
}

const CBD: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.75.0.0/24
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.75.0.0/26
    availability_zone: us-east-1a
  b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.75.0.64/26
    availability_zone: us-east-1b
  nat:
    kind: ec2.nat_gateway
    subnet: a
    connectivity_type: private
    lifecycle: {create_before_destroy: true}
  routes:
    kind: ec2.route_table
    vpc: vpc
    routes:
      - {destination_cidr_block: 192.168.0.0/16, nat_gateway: nat}
    subnets: [b]
";

#[tokio::test]
async fn create_before_destroy_moves_the_route_before_the_old_copy_goes() {
    let tb = TestBed::like_this_run(json!({}));
    let s = tb.stack("cbd", CBD);
    s.apply_clean();
    let old = s.id_of("nat");

    s.edit(|d| d.replace("    subnet: a\n", "    subnet: b\n"));
    let plan = s.plan_json(&[]);
    let nat = plan["actions"]
        .as_array()
        .and_then(|v| v.iter().find(|a| a["name"] == "nat"))
        .expect("nat");
    assert_eq!(nat["action"], "replace");
    assert_eq!(nat["replace_mode"], "create_before_delete");
    let text = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(
        text.contains("+/- nat (ec2.nat_gateway)")
            && text.contains("must be replaced (the new one is created first)"),
        "{text}"
    );

    tb.clear_log();
    s.apply_clean();
    let new = s.id_of("nat");
    assert_ne!(new, old);
    let log = tb.log();
    let calls: Vec<String> = log
        .iter()
        .filter(|c| crate::support::mutating(&c.operation))
        .map(|c| format!("{} {:?}", c.operation, c.ids))
        .collect();
    let created = position(&log, "CreateNatGateway", None).expect("the new NAT gateway");
    let moved = position(&log, "ReplaceRoute", Some(&new))
        .unwrap_or_else(|| panic!("the route moved in place: {calls:#?}"));
    let deleted = position(&log, "DeleteNatGateway", Some(&old)).expect("the old one deleted");
    assert!(
        created < moved && moved < deleted,
        "create, then the route, then the delete: {created}, {moved}, {deleted}"
    );
    assert!(
        position(&log, "DeleteRoute", None).is_none(),
        "the route was never removed"
    );
    let c = crate::support::ec2_at(tb.url()).await;
    let t = c
        .describe_route_tables()
        .route_table_ids(s.id_of("routes"))
        .send()
        .await
        .expect("route table");
    let target = t.route_tables()[0]
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("192.168.0.0/16"))
        .and_then(|r| r.nat_gateway_id())
        .map(str::to_string);
    assert_eq!(target, Some(new.clone()));
    let gone = c
        .describe_nat_gateways()
        .nat_gateway_ids(&old)
        .send()
        .await
        .expect("old NAT gateway");
    assert_eq!(
        gone.nat_gateways()[0].state().map(|x| x.as_str()),
        Some("deleted")
    );
    assert!(
        s.lockfile()["deposed"]
            .as_object()
            .is_none_or(serde_json::Map::is_empty),
        "no old copy is left in the lockfile: {}",
        s.lockfile()["deposed"]
    );
    destroy_leaves_nothing(&s).await;
}

#[tokio::test]
async fn ignore_changes_leaves_a_field_and_a_tag_key_as_they_are_live() {
    let s = Stack::new(
        "ignore",
        "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.76.0.0/24
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.76.0.0/26
    tags: {Name: web, Owner: platform}
    lifecycle: {ignore_changes: [map_public_ip_on_launch, tags.Owner]}
",
    );
    s.apply_clean();
    let a = s.id_of("a");
    set_public_ip_on_launch(&a, true).await;
    tag_outside(&a, "Owner", "finance").await;
    let live = || async {
        let sub = subnet(&a).await;
        (
            sub.map_public_ip_on_launch(),
            tag(sub.tags(), "Name").map(str::to_string),
            tag(sub.tags(), "Owner").map(str::to_string),
        )
    };

    // Both changes outside strata are ignored: no plan, and apply leaves them.
    s.apply_clean();
    assert_eq!(
        live().await,
        (Some(true), Some("web".into()), Some("finance".into()))
    );

    // Another tag changed outside strata is drift: apply puts it back and still leaves the
    // ignored key and field as they are.
    tag_outside(&a, "Name", "hand-edited").await;
    let text = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(
        text.contains("\"hand-edited\" -> \"web\"") && !text.contains("finance"),
        "only the tag that is not ignored changes: {text}"
    );
    s.apply_clean();
    assert_eq!(
        live().await,
        (Some(true), Some("web".into()), Some("finance".into()))
    );

    // Changing the ignored field in the documents does not change it either: it is left as
    // it is live.
    s.edit(|d| {
        d.replace(
            "tags: {Name: web, Owner: platform}",
            "tags: {Name: web, Owner: ops}\n    map_public_ip_on_launch: false",
        )
    });
    s.apply_clean();
    assert_eq!(
        live().await,
        (Some(true), Some("web".into()), Some("finance".into()))
    );
    destroy_leaves_nothing(&s).await;
}

/// `owned_elsewhere`: a field another controller owns (as autoscaling owns a service's desired
/// count) is set at create, shown when its owner changes it, never put back, and not a change
/// for `--detailed-exitcode`, also while the rest is repaired.
#[tokio::test]
async fn a_field_owned_elsewhere_is_set_at_create_shown_and_never_put_back() {
    let s = Stack::new(
        "owned",
        "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.77.0.0/24
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.77.0.0/26
    map_public_ip_on_launch: true
    tags: {Name: web}
    lifecycle: {owned_elsewhere: [map_public_ip_on_launch]}
",
    );
    s.apply_clean();
    let a = s.id_of("a");
    let live = || async {
        let sub = subnet(&a).await;
        (
            sub.map_public_ip_on_launch(),
            tag(sub.tags(), "Name").map(str::to_string),
        )
    };
    assert_eq!(
        live().await,
        (Some(true), Some("web".into())),
        "set at create"
    );

    // Its owner changes it: shown, and not a change.
    set_public_ip_on_launch(&a, false).await;
    let text = stdout(&s.expect(0, &["plan", "--detailed-exitcode"]));
    assert!(
        text.contains("a.map_public_ip_on_launch is false; the documents say true")
            && text.contains("No changes."),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&s.expect(0, &["plan", "--json"]))).expect("a JSON plan");
    let a_plan = json["actions"]
        .as_array()
        .and_then(|x| x.iter().find(|x| x["name"] == "a"))
        .expect("the subnet's action");
    assert_eq!(a_plan["action"], "no_op");
    assert_eq!(
        a_plan["set_elsewhere"][0]["field"],
        "map_public_ip_on_launch"
    );
    assert_eq!(a_plan["set_elsewhere"][0]["before"], false);

    // Drift of another field is repaired; the owned one stays as its owner left it.
    tag_outside(&a, "Name", "hand-edited").await;
    s.expect(2, &["plan", "--detailed-exitcode"]);
    s.apply_clean();
    assert_eq!(live().await, (Some(false), Some("web".into())));
    destroy_leaves_nothing(&s).await;
}

#[tokio::test]
async fn depends_on_orders_creates_and_deletes_that_no_reference_orders() {
    let tb = TestBed::like_this_run(json!({}));
    let s = tb.stack(
        "dependson",
        "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.77.0.0/24
  igw:
    kind: ec2.internet_gateway
    vpc: vpc
  web:
    kind: ec2.security_group
    vpc: vpc
    name: web
    description: Only once the VPC is on the internet
    depends_on: [igw]
",
    );
    let graph = stdout(&s.expect(0, &["graph"]));
    assert!(graph.contains("\"web\" -> \"igw\""), "{graph}");

    tb.clear_log();
    s.expect(0, &["apply", "--auto-approve", "--parallelism", "32"]);
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let log = tb.log();
    let attached = position(&log, "AttachInternetGateway", None).expect("attached");
    let created = position(&log, "CreateSecurityGroup", None).expect("created");
    assert!(
        attached < created,
        "the group is created after the gateway is attached: {attached} < {created}"
    );

    tb.clear_log();
    s.expect(0, &["destroy", "--auto-approve", "--parallelism", "32"]);
    let log = tb.log();
    let deleted = position(&log, "DeleteSecurityGroup", None).expect("deleted");
    let detached = position(&log, "DetachInternetGateway", None).expect("detached");
    assert!(
        deleted < detached,
        "the group is deleted before the gateway is detached: {deleted} < {detached}"
    );
    let left = crate::support::tagged_at(tb.url(), &s.name).await;
    assert!(left.is_empty(), "left behind: {left:?}");
}
