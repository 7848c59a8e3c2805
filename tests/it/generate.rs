//! `strata generate`: a lab built by hand becomes documents in strata's form that validate;
//! imported, strata manages it with an empty plan, and a destroy removes it all.

use aws_sdk_ec2::types::{DomainType, ResourceType, Tag, TagSpecification};

use crate::support::{
    Stack, ec2_at, every_resource_at, failure, owned_at, snapshot, stderr, stdout,
};

fn named(rt: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .tags(Tag::builder().key("Name").value(name).build())
        .build()
}

/// Recipe 1.4's network as the book's CLI steps build it (chapter 1.1 to 1.4): a VPC, two
/// public and two private subnets, an internet gateway attached, a public route table to it,
/// and per zone an Elastic IP (tagged `Lab=recipe-1.4`), a NAT gateway and a private route table
/// through it; the NAT gateways waited for (`aws ec2 wait nat-gateway-available`). Returns the
/// VPC's id.
async fn build_recipe_1_4(ec2: &aws_sdk_ec2::Client) -> String {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.10.0.0/16")
        .tag_specifications(named(ResourceType::Vpc, "AWSCookbook204"))
        .send()
        .await
        .expect("create-vpc")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("the VPC's id");
    let mut subnets = Vec::new();
    for (name, cidr, zone) in [
        ("public-a", "10.10.0.0/24", "us-east-1a"),
        ("public-b", "10.10.1.0/24", "us-east-1b"),
        ("private-a", "10.10.2.0/24", "us-east-1a"),
        ("private-b", "10.10.3.0/24", "us-east-1b"),
    ] {
        let id = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .tag_specifications(named(ResourceType::Subnet, name))
            .send()
            .await
            .expect("create-subnet")
            .subnet
            .and_then(|s| s.subnet_id)
            .expect("the subnet's id");
        subnets.push(id);
    }
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .expect("create-internet-gateway")
        .internet_gateway
        .and_then(|g| g.internet_gateway_id)
        .expect("the gateway's id");
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .expect("attach-internet-gateway");
    let public = route_table(ec2, &vpc, "public").await;
    ec2.create_route()
        .route_table_id(&public)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .expect("create-route to the internet gateway");
    for subnet in &subnets[..2] {
        associate(ec2, &public, subnet).await;
    }
    for (side, public_subnet, private_subnet) in [
        ("a", &subnets[0], &subnets[2]),
        ("b", &subnets[1], &subnets[3]),
    ] {
        let allocation = ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::ElasticIp)
                    .tags(Tag::builder().key("Lab").value("recipe-1.4").build())
                    .build(),
            )
            .send()
            .await
            .expect("allocate-address")
            .allocation_id
            .expect("the allocation's id");
        let nat = ec2
            .create_nat_gateway()
            .subnet_id(public_subnet)
            .allocation_id(allocation)
            .tag_specifications(named(
                ResourceType::Natgateway,
                &format!("AWSCookbook204-{side}"),
            ))
            .send()
            .await
            .expect("create-nat-gateway")
            .nat_gateway
            .and_then(|n| n.nat_gateway_id)
            .expect("the NAT gateway's id");
        wait_available(ec2, &nat).await;
        let private = route_table(ec2, &vpc, &format!("private-{side}")).await;
        ec2.create_route()
            .route_table_id(&private)
            .destination_cidr_block("0.0.0.0/0")
            .nat_gateway_id(&nat)
            .send()
            .await
            .expect("create-route to the NAT gateway");
        associate(ec2, &private, private_subnet).await;
    }
    vpc
}

async fn route_table(ec2: &aws_sdk_ec2::Client, vpc: &str, name: &str) -> String {
    ec2.create_route_table()
        .vpc_id(vpc)
        .tag_specifications(named(ResourceType::RouteTable, name))
        .send()
        .await
        .expect("create-route-table")
        .route_table
        .and_then(|t| t.route_table_id)
        .expect("the route table's id")
}

async fn associate(ec2: &aws_sdk_ec2::Client, table: &str, subnet: &str) {
    ec2.associate_route_table()
        .route_table_id(table)
        .subnet_id(subnet)
        .send()
        .await
        .expect("associate-route-table");
}

/// `aws ec2 wait nat-gateway-available`: the strict test bed keeps a new NAT gateway pending.
async fn wait_available(ec2: &aws_sdk_ec2::Client, nat: &str) {
    for _ in 0..600 {
        let state = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(nat)
            .send()
            .await
            .ok()
            .and_then(|d| d.nat_gateways?.into_iter().next()?.state);
        if state.as_ref().map(|s| s.as_str()) == Some("available") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("NAT gateway {nat} never became available");
}

/// `generate --vpc VPC --force --import` in `s`: it succeeds and the next plan it prints is
/// empty.
fn import_generated(s: &Stack, vpc: &str, what: &str) {
    let out = s.expect(
        0,
        &[
            "generate", "--vpc", vpc, "--stack", &s.name, "--force", "--import",
        ],
    );
    assert!(
        stdout(&out).contains("No changes"),
        "{what}: {}",
        failure(&out)
    );
}

/// A lab built by hand with the SDK as recipe 1.4's steps build it: `generate --vpc` writes
/// documents (a snapshot) with references by name and AWS's defaults left out, which
/// `validate` accepts; `generate --import` adopts all of it and the next plan changes nothing;
/// `destroy` then removes everything it made, the Elastic IPs too.
#[tokio::test]
async fn a_hand_built_lab_is_generated_imported_planned_empty_and_destroyed() {
    let s = Stack::new("generated", "stack: STACK\nresources: {}\n");
    std::fs::remove_file(s.path().join("stack.yaml")).expect("start with no documents");
    let ec2 = ec2_at(&s.endpoint).await;
    let vpc = build_recipe_1_4(&ec2).await;
    let before = every_resource_at(&s.endpoint).await;
    let lab: Vec<_> = before.iter().filter(|r| r.id == vpc).collect();
    assert_eq!(lab.len(), 1, "the VPC was made");

    let out = s.expect(0, &["generate", "--vpc", &vpc, "--stack", &s.name]);
    assert!(
        stderr(&out).contains("Wrote 13 resource(s)"),
        "{}",
        stderr(&out)
    );
    let documents =
        std::fs::read_to_string(s.path().join("stack.yaml")).expect("the documents are written");
    snapshot!("recipe_1_4_generated", documents.replace(&s.name, "STACK"));
    s.expect(0, &["validate"]);
    // By tag (the tagging API), and by id: what is selected, and what it names (a NAT
    // gateway's subnet, address and VPC).
    let kinds = |out: &std::process::Output| -> Vec<String> {
        stdout(out)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("kind: ").map(str::to_string))
            .collect()
    };
    let by_tag = s.expect(
        0,
        &["generate", "--tag", "Name=AWSCookbook204-a", "-o", "-"],
    );
    assert_eq!(
        kinds(&by_tag),
        ["ec2.vpc", "ec2.subnet", "ec2.eip", "ec2.nat_gateway"],
        "{}",
        failure(&by_tag)
    );
    // Elastic IPs by their own describe's tag filter (the tagging API does not list them
    // everywhere).
    let eips = s.expect(0, &["generate", "--tag", "Lab=recipe-1.4", "-o", "-"]);
    assert_eq!(kinds(&eips), ["ec2.eip", "ec2.eip"], "{}", failure(&eips));
    let by_id = s.expect(0, &["generate", &vpc, "-o", "-"]);
    assert_eq!(kinds(&by_id), ["ec2.vpc"], "{}", failure(&by_id));
    // Written again only with --force.
    let again = s.run(&["generate", "--vpc", &vpc, "--stack", &s.name]);
    assert_eq!(again.status.code(), Some(1), "{}", failure(&again));
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );

    import_generated(&s, &vpc, "recipe 1.4");
    let owned = owned_at(&s.endpoint, &s.name).await;
    assert_eq!(owned.len(), 13, "every resource is the stack's: {owned:?}");
    // `--detailed-exitcode`: 0 is no changes.
    let plan = s.expect(0, &["plan", "--detailed-exitcode"]);
    assert!(stdout(&plan).contains("No changes"), "{}", failure(&plan));

    s.expect(0, &["destroy", "--auto-approve"]);
    assert_eq!(owned_at(&s.endpoint, &s.name).await, vec![]);
    let after = every_resource_at(&s.endpoint).await;
    for o in &owned {
        assert!(
            !after.iter().any(|r| r.id == o.id),
            "{} {} is gone",
            o.kind,
            o.id
        );
    }
}

/// A selection that finds nothing, and an id of a kind strata does not know, are refused
/// saying why.
#[tokio::test]
async fn generate_refuses_what_it_cannot_find() {
    let s = Stack::new("generated", "stack: STACK\nresources: {}\n");
    let out = s.run(&["generate", "--vpc", "vpc-0123456789abcdef0", "-o", "-"]);
    assert_eq!(out.status.code(), Some(1), "{}", failure(&out));
    assert!(
        stderr(&out).contains("there is no VPC `vpc-0123456789abcdef0`"),
        "{}",
        stderr(&out)
    );
    let out = s.run(&["generate", "i-0123456789abcdef0", "-o", "-"]);
    assert_eq!(out.status.code(), Some(1), "{}", failure(&out));
    assert!(
        stderr(&out).contains("not the id of a kind strata knows"),
        "{}",
        stderr(&out)
    );
}

/// Examples applied, then made into labs no tool knows (their ownership tags removed, the
/// lockfile gone): generated from their VPC and imported, the next plan is empty (security
/// groups naming each other and themselves, an endpoint naming route tables, NAT gateways), and
/// the generated stack's destroy removes them.
#[tokio::test]
async fn examples_made_by_hand_come_back_with_an_empty_plan() {
    for example in [
        "cookbook-1.5-security-groups",
        "cookbook-1.9-s3-endpoint",
        "two-tier-network",
    ] {
        let built = Stack::example(example);
        built.expect(0, &["apply", "--auto-approve"]);
        let lock = built.lockfile();
        let records = lock["resources"].as_object().expect("resources");
        let ids: Vec<String> = records
            .values()
            .filter(|r| r["kind"].as_str().is_some_and(|k| k.starts_with("ec2.")))
            .filter_map(|r| r["id"].as_str().map(str::to_string))
            .collect();
        let vpc = built.id_of("vpc");
        let ec2 = ec2_at(&built.endpoint).await;
        ec2.delete_tags()
            .set_resources(Some(ids.clone()))
            .tags(Tag::builder().key("strata:stack").build())
            .tags(Tag::builder().key("strata:name").build())
            .tags(Tag::builder().key("strata:lineage").build())
            .send()
            .await
            .expect("the ownership tags removed");
        assert_eq!(owned_at(&built.endpoint, &built.name).await, vec![]);

        let s = Stack::new("generated", "stack: STACK\nresources: {}\n");
        import_generated(&s, &vpc, example);
        s.expect(0, &["plan", "--detailed-exitcode"]);
        s.expect(0, &["destroy", "--auto-approve"]);
        let after = every_resource_at(&s.endpoint).await;
        let left: Vec<_> = after.iter().filter(|r| ids.contains(&r.id)).collect();
        assert!(left.is_empty(), "{example}: left {left:?}");
    }
}
