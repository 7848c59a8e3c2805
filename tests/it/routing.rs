//! Routes strata had never sent to the emulator: through a private NAT gateway (which, unlike a
//! public one, needs no internet gateway), to a managed
//! prefix list as the destination (next to the route a gateway endpoint adds to the same table,
//! which strata leaves alone), and to a Gateway Load Balancer endpoint. Each is built, checked
//! with the SDK, re-planned empty, changed (in place or by replacement, as the plan says),
//! repaired after a change outside strata where that is the promise, and destroyed.

use aws_sdk_ec2::types::{Route, RouteTable};
use serde_json::json;

use crate::support::{
    Stack, TestBed, changes, destroy_leaves_nothing, ec2, pairs, route_table, snapshot, stderr,
    stdout,
};

fn to_cidr<'a>(t: &'a RouteTable, cidr: &str) -> Option<&'a Route> {
    t.routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some(cidr))
}

fn to_prefix_list<'a>(t: &'a RouteTable, pl: &str) -> Option<&'a Route> {
    t.routes()
        .iter()
        .find(|r| r.destination_prefix_list_id() == Some(pl))
}

const PRIVATE_NAT: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.65.0.0/24
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.65.0.0/26
    availability_zone: us-east-1a
  b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.65.0.64/26
    availability_zone: us-east-1b
  nat:
    kind: ec2.nat_gateway
    subnet: a
    connectivity_type: private
    tags: {Name: to-the-datacenter}
  routes:
    kind: ec2.route_table
    vpc: vpc
    routes:
      - {destination_cidr_block: 192.168.0.0/16, nat_gateway: nat}
    subnets: [b]
outputs:
  nat_ip: ${nat.private_ip}
";

async fn nat(id: &str) -> aws_sdk_ec2::types::NatGateway {
    nat_at(&ec2().await, id).await
}

async fn nat_at(c: &aws_sdk_ec2::Client, id: &str) -> aws_sdk_ec2::types::NatGateway {
    c.describe_nat_gateways()
        .nat_gateway_ids(id)
        .send()
        .await
        .expect("describe NAT gateway")
        .nat_gateways()[0]
        .clone()
}

/// A private NAT gateway needs no Elastic IP and no internet gateway (the VPC has none).
#[tokio::test]
async fn a_private_nat_gateway_routes_without_an_internet_gateway() {
    let s = Stack::new("privnat", PRIVATE_NAT);
    let out = s.expect(0, &["apply", "--auto-approve"]);
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let id = s.id_of("nat");
    let n = nat(&id).await;
    assert_eq!(n.state().map(|x| x.as_str()), Some("available"));
    assert_eq!(n.connectivity_type().map(|x| x.as_str()), Some("private"));
    assert_eq!(n.subnet_id(), Some(s.id_of("a").as_str()));
    let address = &n.nat_gateway_addresses()[0];
    assert_eq!(address.allocation_id(), None, "no Elastic IP");
    assert_eq!(address.public_ip(), None, "no public address");
    let private_ip = address.private_ip().expect("a private address");
    assert!(
        stdout(&out).contains(&format!("nat_ip = \"{private_ip}\"")),
        "the output shows the NAT gateway's private address: {}",
        stdout(&out)
    );
    let t = route_table(&s.id_of("routes")).await;
    assert_eq!(
        to_cidr(&t, "192.168.0.0/16").and_then(|r| r.nat_gateway_id()),
        Some(id.as_str())
    );
    assert_eq!(
        crate::support::tagged(&s.name)
            .await
            .iter()
            .filter(|x| x.starts_with("eip "))
            .count(),
        0,
        "no address was allocated"
    );

    // A tag changes in place; the subnet cannot: the NAT gateway is replaced and the route
    // follows the new one.
    s.edit(|d| d.replace("Name: to-the-datacenter", "Name: to-the-dc"));
    assert_eq!(changes(&s.plan_json(&[])), pairs(&[("nat", "update")]));
    s.apply_clean();
    assert_eq!(s.id_of("nat"), id);
    s.edit(|d| d.replace("    subnet: a\n", "    subnet: b\n"));
    let plan = s.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        pairs(&[("nat", "replace"), ("routes", "update")])
    );
    let text = s.plan_text();
    assert!(
        text.contains("-/+ nat (ec2.nat_gateway)") && text.contains("# forces replacement"),
        "{text}"
    );
    snapshot!("private_nat_replace", &text);
    s.apply_clean();
    let new_id = s.id_of("nat");
    assert_ne!(new_id, id);
    let n = nat(&new_id).await;
    assert_eq!(n.subnet_id(), Some(s.id_of("b").as_str()));
    assert_eq!(n.connectivity_type().map(|x| x.as_str()), Some("private"));
    assert_eq!(
        nat(&id).await.state().map(|x| x.as_str()),
        Some("deleted"),
        "the old one is deleted"
    );
    let t = route_table(&s.id_of("routes")).await;
    assert_eq!(
        to_cidr(&t, "192.168.0.0/16").and_then(|r| r.nat_gateway_id()),
        Some(new_id.as_str())
    );
    destroy_leaves_nothing(&s).await;
}

/// On AWS a public NAT gateway in a VPC without an internet gateway fails (the test bed's
/// refusals reproduce it), and strata says why; the same gateway made private works there.
#[tokio::test]
async fn a_public_nat_gateway_without_an_internet_gateway_fails_and_says_why() {
    let tb = TestBed::start(json!({"refusals": true}));
    let public = PRIVATE_NAT
        .replace("    connectivity_type: private\n", "    eip: ip\n")
        .replace(
            "  routes:\n    kind: ec2.route_table\n",
            "  ip:\n    kind: ec2.eip\n  routes:\n    kind: ec2.route_table\n",
        );
    let s = tb.stack("pubnat", &public);
    let out = s.expect(1, &["apply", "--auto-approve"]);
    let err = stderr(&out);
    assert!(
        err.contains("has no Internet gateway attached") && err.contains("help"),
        "AWS's reason, and what to check: {err}"
    );
    let c = crate::support::ec2_at(tb.url()).await;
    let failed: Vec<String> = c
        .describe_nat_gateways()
        .send()
        .await
        .expect("NAT gateways")
        .nat_gateways()
        .iter()
        .filter(|n| {
            crate::support::tag(n.tags(), "strata:stack") == Some(s.name.as_str())
                && n.state().map(|x| x.as_str()) == Some("failed")
        })
        .filter_map(|n| n.nat_gateway_id().map(str::to_string))
        .collect();
    assert_eq!(failed.len(), 1, "the gateway AWS failed");

    // Made private (a replace-only field), the NAT gateway is created and routes.
    s.write(PRIVATE_NAT);
    s.apply_clean();
    assert_eq!(
        nat_at(&c, &s.id_of("nat"))
            .await
            .state()
            .map(|x| x.as_str()),
        Some("available")
    );
    // AWS removes a failed NAT gateway by itself after a while; here it is deleted.
    for id in failed {
        c.delete_nat_gateway()
            .nat_gateway_id(id)
            .send()
            .await
            .expect("delete the failed gateway");
    }
    destroy_leaves_nothing(&s).await;
}

const PREFIX_ROUTES: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.66.0.0/24
  igw:
    kind: ec2.internet_gateway
    vpc: vpc
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.66.0.0/26
    availability_zone: us-east-1a
  partners:
    kind: ec2.prefix_list
    name: partners
    max_entries: 5
    entries:
      - {cidr: 203.0.113.0/24, description: partner one}
  routes:
    kind: ec2.route_table
    vpc: vpc
    routes:
      - {destination_prefix_list: partners, internet_gateway: igw}
    subnets: [a]
  s3:
    kind: ec2.vpc_endpoint
    vpc: vpc
    service: s3
    route_tables: [routes]
";

/// A route whose destination is a prefix list, in a table a gateway endpoint also routes in:
/// the endpoint's route (to the service's AWS-managed prefix list) is the endpoint's, left
/// alone by plans and updates of the table.
#[tokio::test]
async fn routes_to_prefix_lists_live_beside_gateway_endpoint_routes() {
    let s = Stack::new("plroutes", PREFIX_ROUTES);
    s.apply_clean();
    let (pl, igw, rt, vpce) = (
        s.id_of("partners"),
        s.id_of("igw"),
        s.id_of("routes"),
        s.id_of("s3"),
    );
    let service_list = ec2()
        .await
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(&vpce)
        .send()
        .await
        .expect("endpoint");
    let t = route_table(&rt).await;
    assert_eq!(
        to_prefix_list(&t, &pl).and_then(|r| r.gateway_id()),
        Some(igw.as_str()),
        "the prefix list route: {:?}",
        t.routes()
    );
    let endpoint_route = t
        .routes()
        .iter()
        .find(|r| r.gateway_id() == Some(vpce.as_str()))
        .unwrap_or_else(|| panic!("the endpoint's route: {:?}", t.routes()))
        .clone();
    let s3_list = endpoint_route
        .destination_prefix_list_id()
        .expect("the endpoint routes to the service's prefix list")
        .to_string();
    assert_ne!(s3_list, pl);
    assert_eq!(
        service_list.vpc_endpoints()[0].route_table_ids(),
        [rt.as_str()]
    );

    // The prefix list's entries change in place; the route to it stays as it is.
    s.edit(|d| {
        d.replace(
            "      - {cidr: 203.0.113.0/24, description: partner one}\n",
            "      - {cidr: 203.0.113.0/24, description: partner one}\n      - {cidr: 198.51.100.0/24, description: partner two}\n",
        )
    });
    assert_eq!(changes(&s.plan_json(&[])), pairs(&[("partners", "update")]));
    s.apply_clean();
    assert_eq!(s.id_of("partners"), pl);

    // The table's routes change: a default route is added beside the prefix list's. The
    // endpoint's route is not strata's: the update keeps it.
    s.edit(|d| {
        d.replace(
            "      - {destination_prefix_list: partners, internet_gateway: igw}\n",
            "      - {destination_prefix_list: partners, internet_gateway: igw}\n      - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}\n",
        )
    });
    assert_eq!(changes(&s.plan_json(&[])), pairs(&[("routes", "update")]));
    snapshot!("prefix_list_routes_update", &s.plan_text());
    s.apply_clean();
    let t = route_table(&rt).await;
    assert!(to_prefix_list(&t, &pl).is_some());
    assert_eq!(
        to_cidr(&t, "0.0.0.0/0").and_then(|r| r.gateway_id()),
        Some(igw.as_str())
    );
    assert_eq!(
        to_prefix_list(&t, &s3_list).and_then(|r| r.gateway_id()),
        Some(vpce.as_str()),
        "the endpoint's route survived the table's update"
    );

    // The route to the prefix list deleted outside strata: drift, and apply puts it back.
    ec2()
        .await
        .delete_route()
        .route_table_id(&rt)
        .destination_prefix_list_id(&pl)
        .send()
        .await
        .expect("delete outside strata");
    let text = s.plan_text();
    assert!(
        text.contains("routes (ec2.route_table)") && text.contains("changed outside strata"),
        "{text}"
    );
    s.apply_clean();
    assert_eq!(
        to_prefix_list(&route_table(&rt).await, &pl).and_then(|r| r.gateway_id()),
        Some(igw.as_str())
    );

    // The endpoint leaves the table: its route goes, strata's routes stay.
    s.edit(|d| d.replace("    route_tables: [routes]\n", "    route_tables: []\n"));
    assert_eq!(changes(&s.plan_json(&[])), pairs(&[("s3", "update")]));
    s.apply_clean();
    let t = route_table(&rt).await;
    assert!(to_prefix_list(&t, &s3_list).is_none(), "{:?}", t.routes());
    assert!(to_prefix_list(&t, &pl).is_some() && to_cidr(&t, "0.0.0.0/0").is_some());
    destroy_leaves_nothing(&s).await;
}

/// A route names a Gateway Load Balancer endpoint (made outside the stack: strata makes
/// gateway and interface endpoints). A gateway or interface endpoint of the stack cannot be a
/// route's target, and validation says so before any call.
#[tokio::test]
async fn a_route_to_a_gateway_load_balancer_endpoint() {
    let s = Stack::new(
        "gwlbroute",
        "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.67.0.0/24
  igw:
    kind: ec2.internet_gateway
    vpc: vpc
  inspection:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.67.0.0/26
    availability_zone: us-east-1a
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.67.0.64/26
    availability_zone: us-east-1a
  routes:
    kind: ec2.route_table
    vpc: vpc
    routes:
      - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}
    subnets: [a]
",
    );
    s.apply_clean();
    let c = ec2().await;
    let gwlb = c
        .create_vpc_endpoint()
        .vpc_id(s.id_of("vpc"))
        .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::GatewayLoadBalancer)
        .service_name("com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0")
        .subnet_ids(s.id_of("inspection"))
        .send()
        .await
        .expect("a Gateway Load Balancer endpoint");
    let gwlb = gwlb
        .vpc_endpoint()
        .and_then(|e| e.vpc_endpoint_id())
        .expect("id")
        .to_string();

    // The subnet's traffic goes through the appliances: the route's target changes in place.
    s.edit(|d| {
        d.replace(
            "{destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}",
            &format!("{{destination_cidr_block: 0.0.0.0/0, vpc_endpoint: {gwlb}}}"),
        )
    });
    assert_eq!(changes(&s.plan_json(&[])), pairs(&[("routes", "update")]));
    s.apply_clean();
    let rt = s.id_of("routes");
    assert_eq!(
        to_cidr(&route_table(&rt).await, "0.0.0.0/0").and_then(|r| r.gateway_id()),
        Some(gwlb.as_str())
    );

    // Sent back to the internet gateway outside strata: drift, and apply restores the
    // endpoint as the target.
    c.replace_route()
        .route_table_id(&rt)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(s.id_of("igw"))
        .send()
        .await
        .expect("replace outside strata");
    let text = s.plan_text();
    assert!(text.contains("changed outside strata"), "{text}");
    s.apply_clean();
    assert_eq!(
        to_cidr(&route_table(&rt).await, "0.0.0.0/0").and_then(|r| r.gateway_id()),
        Some(gwlb.as_str())
    );

    // A gateway endpoint of the stack as a route's target is refused by validation.
    let docs = std::fs::read_to_string(s.path().join("stack.yaml")).expect("read");
    s.edit(|d| {
        d.replace(&format!("vpc_endpoint: {gwlb}"), "vpc_endpoint: s3")
            + "  s3:\n    kind: ec2.vpc_endpoint\n    vpc: vpc\n    service: s3\n"
    });
    let out = s.expect(1, &["validate"]);
    let err = stderr(&out);
    assert!(
        err.contains("Gateway Load Balancer") && err.contains("stack.yaml:"),
        "{err}"
    );
    s.write(&docs.replace(&s.name, "STACK"));

    // The route goes before the stack does; the endpoint is removed by whoever made it.
    s.edit(|d| {
        d.replace(
            &format!("{{destination_cidr_block: 0.0.0.0/0, vpc_endpoint: {gwlb}}}"),
            "{destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}",
        )
    });
    s.apply_clean();
    c.delete_vpc_endpoints()
        .vpc_endpoint_ids(&gwlb)
        .send()
        .await
        .expect("delete the endpoint");
    for _ in 0..600 {
        let left = c
            .describe_vpc_endpoints()
            .vpc_endpoint_ids(&gwlb)
            .send()
            .await
            .map(|o| o.vpc_endpoints().to_vec())
            .unwrap_or_default();
        if left
            .iter()
            .all(|e| e.state().map(|x| x.as_str()) == Some("deleted"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    destroy_leaves_nothing(&s).await;
}
