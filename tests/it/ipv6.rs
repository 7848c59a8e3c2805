//! IPv6 on the emulator: routes to IPv6 destinations (`::/0` through the internet gateway) and
//! security-group rules with IPv6 sources and destinations, in a VPC with an Amazon-provided
//! IPv6 block. strata has no field for the block itself: the test associates it with the SDK,
//! as a user does in the console, and strata must live with what AWS then adds (a `local`
//! IPv6 route in every table, a `::/0` egress rule in every new group). Built, checked with the
//! SDK, re-planned empty (also for blocks written in another spelling than AWS's), changed in
//! place, repaired after changes outside strata, destroyed.

use std::time::Duration;

use aws_sdk_ec2::types::{IpPermission, Ipv6Range, VpcCidrBlockStateCode};

use crate::support::{
    Stack, blocks, changes, destroy_leaves_nothing, ec2, reasons, route_table, security_group,
    snapshot,
};

const NETWORK: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.71.0.0/24
  igw:
    kind: ec2.internet_gateway
    vpc: vpc
";

const DUAL_STACK: &str = "  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.71.0.0/26
    availability_zone: us-east-1a
  routes:
    kind: ec2.route_table
    vpc: vpc
    routes:
      - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}
      - {destination_ipv6_cidr_block: \"::/0\", internet_gateway: igw}
      - {destination_ipv6_cidr_block: \"2001:DB8:0:0::/48\", internet_gateway: igw}
    subnets: [a]
  web:
    kind: ec2.security_group
    vpc: vpc
    name: web6
    description: HTTPS over IPv6
    ingress:
      - {protocol: tcp, port: 443, ipv6_cidr: \"::/0\"}
      - {protocol: icmpv6, ipv6_cidr: \"2001:0DB8::/32\", description: ping from the lab}
    egress:
      - {protocol: tcp, port: 443, ipv6_cidr: \"::/0\"}
  plain:
    kind: ec2.security_group
    vpc: vpc
    name: plain6
    description: Egress as AWS sets it
";

/// The VPC's Amazon-provided IPv6 block, associated with the SDK.
async fn give_ipv6_block(vpc: &str) -> String {
    let c = ec2().await;
    c.associate_vpc_cidr_block()
        .vpc_id(vpc)
        .amazon_provided_ipv6_cidr_block(true)
        .send()
        .await
        .expect("associate an Amazon-provided IPv6 block");
    for _ in 0..600 {
        let out = c
            .describe_vpcs()
            .vpc_ids(vpc)
            .send()
            .await
            .expect("describe vpc");
        let block = out.vpcs()[0]
            .ipv6_cidr_block_association_set()
            .iter()
            .find(|a| {
                a.ipv6_cidr_block_state().and_then(|s| s.state())
                    == Some(&VpcCidrBlockStateCode::Associated)
            })
            .and_then(|a| a.ipv6_cidr_block())
            .map(str::to_string);
        if let Some(b) = block {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the IPv6 block was not associated within a minute");
}

/// (IPv6 destination, target) of the table's routes, sorted.
async fn ipv6_routes(id: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = route_table(id)
        .await
        .routes()
        .iter()
        .filter_map(|r| {
            Some((
                r.destination_ipv6_cidr_block()?.to_string(),
                r.gateway_id().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    v.sort();
    v
}

/// (protocol, from port, IPv6 block) of a group's rules in one direction, sorted; and the
/// IPv4 blocks of that direction.
async fn rules(id: &str, egress: bool) -> (Vec<(String, i32, String)>, Vec<String>) {
    let g = security_group(id).await;
    let perms = if egress {
        g.ip_permissions_egress()
    } else {
        g.ip_permissions()
    };
    let v4 = blocks(perms, false)
        .into_iter()
        .map(|(_, _, b)| b)
        .collect();
    (blocks(perms, true), v4)
}

fn rule(protocol: &str, port: i32, cidr: &str) -> (String, i32, String) {
    (protocol.to_string(), port, cidr.to_string())
}

#[tokio::test]
async fn ipv6_routes_and_rules_in_a_dual_stack_vpc() {
    let s = Stack::new("ipv6", NETWORK);
    s.apply_clean();
    let block = give_ipv6_block(&s.id_of("vpc")).await;
    s.expect(0, &["plan", "--detailed-exitcode"]);

    s.edit(|d| d + DUAL_STACK);
    s.apply_clean();
    let (rt, igw, web, plain) = (
        s.id_of("routes"),
        s.id_of("igw"),
        s.id_of("web"),
        s.id_of("plain"),
    );
    let mut want = vec![
        ("2001:db8::/48".to_string(), igw.clone()),
        ("::/0".to_string(), igw.clone()),
        (block.clone(), "local".to_string()),
    ];
    want.sort();
    assert_eq!(
        ipv6_routes(&rt).await,
        want,
        "the IPv6 routes, beside the local route AWS adds for the VPC's block"
    );
    let mut ingress = vec![
        rule("tcp", 443, "::/0"),
        rule("icmpv6", -1, "2001:db8::/32"),
    ];
    ingress.sort();
    assert_eq!(rules(&web, false).await, (ingress.clone(), vec![]));
    assert_eq!(
        rules(&web, true).await,
        (vec![rule("tcp", 443, "::/0")], vec![]),
        "both of AWS's default egress rules (IPv4 and IPv6) were revoked"
    );
    assert_eq!(
        rules(&plain, true).await,
        (vec![rule("-1", -1, "::/0")], vec!["0.0.0.0/0".to_string()]),
        "a group without `egress` keeps AWS's defaults"
    );

    // In place: one route fewer, one rule more.
    s.edit(|d| {
        d.replace(
            "      - {destination_ipv6_cidr_block: \"2001:DB8:0:0::/48\", internet_gateway: igw}\n",
            "",
        )
        .replace(
            "      - {protocol: tcp, port: 443, ipv6_cidr: \"::/0\"}\n      - {protocol: icmpv6",
            "      - {protocol: tcp, port: 443, ipv6_cidr: \"::/0\"}\n      - {protocol: udp, port: 53, ipv6_cidr: \"2001:db8:53::/48\"}\n      - {protocol: icmpv6",
        )
    });
    let plan = s.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![
            ("routes".to_string(), "update".to_string()),
            ("web".to_string(), "update".to_string())
        ]
    );
    snapshot!("ipv6_update", &s.plan_text());
    s.apply_clean();
    let mut want = vec![
        ("::/0".to_string(), igw.clone()),
        (block.clone(), "local".to_string()),
    ];
    want.sort();
    assert_eq!(ipv6_routes(&rt).await, want);
    ingress.push(rule("udp", 53, "2001:db8:53::/48"));
    ingress.sort();
    assert_eq!(rules(&web, false).await.0, ingress);

    // Outside strata: an IPv6 egress rule added, the IPv6 default route deleted. Both are
    // drift; apply repairs both.
    let c = ec2().await;
    c.authorize_security_group_egress()
        .group_id(&web)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(80)
                .to_port(80)
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .build(),
        )
        .send()
        .await
        .expect("authorize outside strata");
    c.delete_route()
        .route_table_id(&rt)
        .destination_ipv6_cidr_block("::/0")
        .send()
        .await
        .expect("delete outside strata");
    assert_eq!(
        reasons(&s.plan_json(&[])),
        vec![
            ("routes".to_string(), "drift".to_string()),
            ("web".to_string(), "drift".to_string())
        ]
    );
    snapshot!("ipv6_drift", &s.plan_text());
    s.apply_clean();
    assert_eq!(ipv6_routes(&rt).await, want);
    assert_eq!(
        rules(&web, true).await,
        (vec![rule("tcp", 443, "::/0")], vec![])
    );
    destroy_leaves_nothing(&s).await;
}
