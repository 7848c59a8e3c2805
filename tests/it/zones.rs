//! A subnet placed by availability zone ID (`use1-az4`: the same zone in every account) on the
//! emulator: created in that zone, its zone name readable by other resources, re-planned
//! empty, replaced when the ID changes (with the route table following the new subnet), and
//! destroyed.

use crate::support::{Stack, changes, destroy_leaves_nothing, ec2, stdout};

async fn zone_of(subnet: &str) -> (String, String) {
    let out = ec2()
        .await
        .describe_subnets()
        .subnet_ids(subnet)
        .send()
        .await
        .expect("describe subnet");
    let s = &out.subnets()[0];
    (
        s.availability_zone_id().unwrap_or_default().to_string(),
        s.availability_zone().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn a_subnet_by_availability_zone_id() {
    let s = Stack::new(
        "azid",
        "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.78.0.0/24
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.78.0.0/26
    availability_zone_id: use1-az4
  routes:
    kind: ec2.route_table
    vpc: vpc
    subnets: [a]
    tags: {Zone: \"${a.availability_zone}\"}
outputs:
  zone: ${a.availability_zone}
",
    );
    let out = s.expect(0, &["apply", "--auto-approve"]);
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let a = s.id_of("a");
    let (id, name) = zone_of(&a).await;
    assert_eq!(id, "use1-az4");
    assert!(name.starts_with("us-east-1"), "{name}");
    assert!(
        stdout(&out).contains(&format!("zone = \"{name}\"")),
        "the zone's name is readable as ${{a.availability_zone}}: {}",
        stdout(&out)
    );

    // Another zone ID: the subnet is replaced; the table follows the new subnet and its tag
    // the new zone's name.
    s.edit(|d| {
        d.replace(
            "availability_zone_id: use1-az4",
            "availability_zone_id: use1-az6",
        )
    });
    let plan = s.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![
            ("a".to_string(), "replace".to_string()),
            ("routes".to_string(), "update".to_string())
        ]
    );
    let text = s.plan_text();
    assert!(
        text.contains("-/+ a (ec2.subnet)")
            && text.contains(
                "availability_zone_id = \"use1-az4\" -> \"use1-az6\" # forces replacement"
            ),
        "{text}"
    );
    s.apply_clean();
    let b = s.id_of("a");
    assert_ne!(b, a);
    let (id, name) = zone_of(&b).await;
    assert_eq!(id, "use1-az6");
    let t = ec2()
        .await
        .describe_route_tables()
        .route_table_ids(s.id_of("routes"))
        .send()
        .await
        .expect("route table");
    let t = &t.route_tables()[0];
    assert_eq!(
        t.associations()
            .iter()
            .filter_map(|x| x.subnet_id())
            .collect::<Vec<_>>(),
        vec![b.as_str()]
    );
    assert_eq!(crate::support::tag(t.tags(), "Zone"), Some(name.as_str()));
    destroy_leaves_nothing(&s).await;
}
