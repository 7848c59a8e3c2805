//! Changes made outside strata with the SDK, on the emulator: to a route table (routes added,
//! retargeted and deleted; a subnet's association removed) and to security groups' egress
//! rules. Each is shown by the plan as changed outside strata, put back by apply, and followed
//! by an empty plan. A group whose egress the documents leave out is not strata's to repair.

use aws_sdk_ec2::types::{IpPermission, IpRange};

use crate::support::{
    Stack, blocks, changes, destroy_leaves_nothing, ec2, pairs, reasons, route_table,
    security_group, snapshot, stdout,
};

/// The plan shows `name` changed outside strata, and its changes are all drift (its text
/// snapshotted as `snap`, when given); apply puts it back.
fn drift_put_back(s: &Stack, name: &str, kind: &str, snap: Option<&str>) {
    let plan = s.plan_json(&[]);
    assert_eq!(changes(&plan), pairs(&[(name, "update")]));
    assert_eq!(reasons(&plan), pairs(&[(name, "drift")]));
    let text = s.plan_text();
    assert!(
        text.contains(&format!("{name} ({kind})"))
            && text.contains("was changed outside strata and will be put back")
            && text.contains("# changed outside strata"),
        "{text}"
    );
    if let Some(snap) = snap {
        snapshot!(snap, &text);
    }
    s.apply_clean();
}

const ROUTES: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.69.0.0/24
  igw:
    kind: ec2.internet_gateway
    vpc: vpc
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.69.0.0/26
    availability_zone: us-east-1a
  b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.69.0.64/26
    availability_zone: us-east-1b
  relay:
    kind: ec2.nat_gateway
    subnet: b
    connectivity_type: private
  routes:
    kind: ec2.route_table
    vpc: vpc
    routes:
      - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}
      - {destination_cidr_block: 192.168.0.0/16, nat_gateway: relay}
    subnets: [a]
";

/// (destination, target) of the table's routes other than `local`, sorted.
async fn routes(id: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = route_table(id)
        .await
        .routes()
        .iter()
        .filter(|r| r.gateway_id() != Some("local"))
        .map(|r| {
            (
                r.destination_cidr_block().unwrap_or_default().to_string(),
                r.gateway_id()
                    .or(r.nat_gateway_id())
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn route_table_drift_is_shown_and_repaired() {
    let s = Stack::new("rtdrift", ROUTES);
    s.apply_clean();
    let (rt, igw, relay) = (s.id_of("routes"), s.id_of("igw"), s.id_of("relay"));
    let declared = {
        let mut v = vec![
            ("0.0.0.0/0".to_string(), igw.clone()),
            ("192.168.0.0/16".to_string(), relay.clone()),
        ];
        v.sort();
        v
    };
    assert_eq!(routes(&rt).await, declared);
    let c = ec2().await;

    // A route added outside strata is removed.
    c.create_route()
        .route_table_id(&rt)
        .destination_cidr_block("172.16.0.0/12")
        .nat_gateway_id(&relay)
        .send()
        .await
        .expect("add a route outside strata");
    drift_put_back(&s, "routes", "ec2.route_table", Some("route_added_outside"));
    assert_eq!(routes(&rt).await, declared);

    // A route sent elsewhere outside strata is sent back.
    c.replace_route()
        .route_table_id(&rt)
        .destination_cidr_block("0.0.0.0/0")
        .nat_gateway_id(&relay)
        .send()
        .await
        .expect("retarget a route outside strata");
    drift_put_back(
        &s,
        "routes",
        "ec2.route_table",
        Some("route_retargeted_outside"),
    );
    assert_eq!(routes(&rt).await, declared);

    // A route deleted outside strata is created again.
    c.delete_route()
        .route_table_id(&rt)
        .destination_cidr_block("192.168.0.0/16")
        .send()
        .await
        .expect("delete a route outside strata");
    drift_put_back(&s, "routes", "ec2.route_table", None);
    assert_eq!(routes(&rt).await, declared);

    // A subnet's association removed outside strata is made again.
    let assoc = route_table(&rt)
        .await
        .associations()
        .iter()
        .find(|a| a.subnet_id() == Some(s.id_of("a").as_str()))
        .and_then(|a| a.route_table_association_id())
        .expect("the association")
        .to_string();
    c.disassociate_route_table()
        .association_id(assoc)
        .send()
        .await
        .expect("disassociate outside strata");
    drift_put_back(
        &s,
        "routes",
        "ec2.route_table",
        Some("association_removed_outside"),
    );
    let associated: Vec<String> = route_table(&rt)
        .await
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id().map(str::to_string))
        .collect();
    assert_eq!(associated, vec![s.id_of("a")]);
    destroy_leaves_nothing(&s).await;
}

const GROUPS: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.70.0.0/24
  managed:
    kind: ec2.security_group
    vpc: vpc
    name: managed-egress
    description: Egress as written
    egress:
      - {protocol: tcp, port: 443, cidr: 0.0.0.0/0, description: HTTPS out}
  unmanaged:
    kind: ec2.security_group
    vpc: vpc
    name: default-egress
    description: Egress as AWS sets it
";

/// (protocol, from port, destination) of a group's egress rules, sorted.
async fn egress(id: &str) -> Vec<(String, i32, String)> {
    blocks(security_group(id).await.ip_permissions_egress(), false)
}

fn rule(protocol: &str, port: Option<i32>, cidr: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol(protocol)
        .set_from_port(port)
        .set_to_port(port)
        .ip_ranges(IpRange::builder().cidr_ip(cidr).build())
        .build()
}

#[tokio::test]
async fn egress_rule_drift_is_repaired_where_strata_manages_egress() {
    let s = Stack::new("egdrift", GROUPS);
    s.apply_clean();
    let (managed, unmanaged) = (s.id_of("managed"), s.id_of("unmanaged"));
    let https = vec![("tcp".to_string(), 443, "0.0.0.0/0".to_string())];
    let all = vec![("-1".to_string(), -1, "0.0.0.0/0".to_string())];
    assert_eq!(
        egress(&managed).await,
        https,
        "AWS's default egress was revoked"
    );
    assert_eq!(
        egress(&unmanaged).await,
        all,
        "AWS's default egress was kept"
    );
    let c = ec2().await;

    // An egress rule added outside strata to the managed group is revoked.
    c.authorize_security_group_egress()
        .group_id(&managed)
        .ip_permissions(rule("tcp", Some(80), "0.0.0.0/0"))
        .send()
        .await
        .expect("authorize outside strata");
    drift_put_back(
        &s,
        "managed",
        "ec2.security_group",
        Some("egress_added_outside"),
    );
    assert_eq!(egress(&managed).await, https);

    // The declared rule revoked outside strata is authorized again.
    c.revoke_security_group_egress()
        .group_id(&managed)
        .ip_permissions(rule("tcp", Some(443), "0.0.0.0/0"))
        .send()
        .await
        .expect("revoke outside strata");
    drift_put_back(
        &s,
        "managed",
        "ec2.security_group",
        Some("egress_revoked_outside"),
    );
    assert_eq!(egress(&managed).await, https);

    // The group without `egress` is left as it is: a rule added or the default revoked
    // outside strata is not drift, and apply does not touch it.
    c.authorize_security_group_egress()
        .group_id(&unmanaged)
        .ip_permissions(rule("tcp", Some(25), "192.0.2.0/24"))
        .send()
        .await
        .expect("authorize outside strata");
    c.revoke_security_group_egress()
        .group_id(&unmanaged)
        .ip_permissions(rule("-1", None, "0.0.0.0/0"))
        .send()
        .await
        .expect("revoke outside strata");
    s.apply_clean();
    assert_eq!(
        egress(&unmanaged).await,
        vec![("tcp".to_string(), 25, "192.0.2.0/24".to_string())]
    );

    // `egress: []` takes every egress rule away, in place.
    s.edit(|d| {
        d.replace(
            "    egress:\n      - {protocol: tcp, port: 443, cidr: 0.0.0.0/0, description: HTTPS out}\n",
            "    egress: []\n",
        )
    });
    let out = s.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(
        stdout(&out).contains("~ managed (ec2.security_group)"),
        "{}",
        stdout(&out)
    );
    s.apply_clean();
    assert_eq!(s.id_of("managed"), managed);
    assert!(egress(&managed).await.is_empty());
    destroy_leaves_nothing(&s).await;
}

const GONE: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.71.0.0/24
  web:
    kind: ec2.security_group
    vpc: vpc
    name: deleted-by-hand
    description: Deleted outside strata
";

/// A resource a read has found since its create, then deleted by hand, is gone: the plan
/// proposes to create it again at once, without reading again for what was created moments
/// ago (only a resource no read has found yet may not show yet).
#[tokio::test]
async fn a_resource_seen_then_deleted_by_hand_is_created_again_without_reading_again() {
    let s = Stack::new("gone", GONE);
    s.expect(0, &["apply", "--auto-approve"]);
    // The next apply's read finds what the first made, and records it as seen.
    s.expect(0, &["apply", "--auto-approve"]);
    let lock = s.lockfile();
    assert!(lock["resources"]["web"]["seen_at"].is_string(), "{lock}");
    let group = s.id_of("web");
    ec2()
        .await
        .delete_security_group()
        .group_id(&group)
        .send()
        .await
        .expect("delete the group outside strata");
    let started = std::time::Instant::now();
    let out = s
        .command(&["plan", "--detailed-exitcode"])
        .env("STRATA_PENDING_RECHECK_SECS", "600")
        .output()
        .expect("run strata");
    let err = String::from_utf8_lossy(&out.stderr);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}\n{err}");
    assert!(!err.contains("not all visible yet"), "{err}");
    assert!(
        text.contains(
            "web (ec2.security_group) was deleted outside strata and will be created again"
        ),
        "{text}"
    );
    // Bounded generously: reading again would have taken the ten minutes allowed.
    assert!(started.elapsed() < std::time::Duration::from_secs(300));
    s.apply_clean();
    destroy_leaves_nothing(&s).await;
}
