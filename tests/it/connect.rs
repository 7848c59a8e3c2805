//! Connecting VPCs on the emulator: cookbook 1.10 (transit gateway) and 1.11 (peering),
//! built, checked with the SDK, changed in place and by replacement, drift in static routes
//! found, and torn down leaving nothing.

use aws_sdk_ec2::types::Filter;

use crate::support::{
    Stack, VpcElsewhere, destroy_leaves_nothing, ec2, route_table, snapshot, stdout,
};

async fn static_routes(table: &str) -> Vec<(String, String)> {
    let out = ec2()
        .await
        .search_transit_gateway_routes()
        .transit_gateway_route_table_id(table)
        .filters(Filter::builder().name("type").values("static").build())
        .send()
        .await
        .expect("routes");
    let mut v: Vec<(String, String)> = out
        .routes()
        .iter()
        .map(|r| {
            let target = if r.state().map(|s| s.as_str()) == Some("blackhole") {
                "blackhole".to_string()
            } else {
                r.transit_gateway_attachments()
                    .first()
                    .and_then(|a| a.transit_gateway_attachment_id())
                    .unwrap_or_default()
                    .to_string()
            };
            (
                r.destination_cidr_block().unwrap_or_default().to_string(),
                target,
            )
        })
        .collect();
    v.sort();
    v
}

async fn default_route_target(
    table: &str,
    cidr: &str,
) -> (Option<String>, Option<String>, Option<String>) {
    let r = route_table(table)
        .await
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some(cidr))
        .cloned();
    (
        r.as_ref()
            .and_then(|r| r.transit_gateway_id().map(str::to_string)),
        r.as_ref()
            .and_then(|r| r.nat_gateway_id().map(str::to_string)),
        r.as_ref()
            .and_then(|r| r.vpc_peering_connection_id().map(str::to_string)),
    )
}

#[tokio::test]
async fn cookbook_1_10_transit_gateway() {
    let s = Stack::example("cookbook-1.10-transit-gateway");
    s.apply_clean();
    let c = ec2().await;
    let tgw = s.id_of("tgw");
    let g = c
        .describe_transit_gateways()
        .transit_gateway_ids(&tgw)
        .send()
        .await
        .expect("tgw");
    let g = &g.transit_gateways()[0];
    assert_eq!(g.state().map(|x| x.as_str()), Some("available"));
    assert_eq!(g.options().and_then(|o| o.amazon_side_asn()), Some(65010));
    for n in 1..=3 {
        let att = s.id_of(&format!("attach_{n}"));
        let a = c
            .describe_transit_gateway_vpc_attachments()
            .transit_gateway_attachment_ids(&att)
            .send()
            .await
            .expect("attachment");
        let a = &a.transit_gateway_vpc_attachments()[0];
        assert_eq!(a.state().map(|x| x.as_str()), Some("available"));
        assert_eq!(a.vpc_id(), Some(s.id_of(&format!("vpc_{n}")).as_str()));
        assert_eq!(a.subnet_ids().len(), 2);
    }
    let hub = s.id_of("hub");
    let assoc = c
        .get_transit_gateway_route_table_associations()
        .transit_gateway_route_table_id(&hub)
        .send()
        .await
        .expect("assoc");
    assert_eq!(assoc.associations().len(), 3);
    let props = c
        .get_transit_gateway_route_table_propagations()
        .transit_gateway_route_table_id(&hub)
        .send()
        .await
        .expect("props");
    assert_eq!(props.transit_gateway_route_table_propagations().len(), 3);
    assert_eq!(
        static_routes(&hub).await,
        vec![("0.0.0.0/0".to_string(), s.id_of("attach_2"))]
    );
    assert_eq!(
        default_route_target(&s.id_of("vpc_1_routes_a"), "0.0.0.0/0")
            .await
            .0,
        Some(tgw.clone())
    );
    assert_eq!(
        default_route_target(&s.id_of("vpc_2_private_routes_b"), "10.10.0.0/24")
            .await
            .0,
        Some(tgw.clone())
    );
    assert_eq!(
        default_route_target(&s.id_of("vpc_2_attach_routes_a"), "0.0.0.0/0")
            .await
            .1,
        Some(s.id_of("vpc_2_nat_a"))
    );

    // Drift: a static route added outside strata is found, and apply removes it.
    c.create_transit_gateway_route()
        .transit_gateway_route_table_id(&hub)
        .destination_cidr_block("172.16.0.0/12")
        .transit_gateway_attachment_id(s.id_of("attach_1"))
        .send()
        .await
        .expect("route outside strata");
    let text = s.plan_text();
    assert!(
        text.contains("hub (ec2.transit_gateway_route_table)")
            && text.contains("changed outside strata"),
        "{text}"
    );
    snapshot!("cookbook_1_10_drift", &text);
    s.apply_clean();
    assert_eq!(static_routes(&hub).await.len(), 1);

    // In place: VPC 1 attaches through one zone, VPC 3 no longer propagates, a blackhole route.
    let att1 = s.id_of("attach_1");
    s.edit(|d| {
        d.replace("subnets: [vpc_1_attach_a, vpc_1_attach_b]", "subnets: [vpc_1_attach_a]")
            .replace("propagations: [attach_1, attach_2, attach_3]", "propagations: [attach_1, attach_2]")
            .replace(
                "      - {destination_cidr_block: 0.0.0.0/0, attachment: attach_2}\n",
                "      - {destination_cidr_block: 0.0.0.0/0, attachment: attach_2}\n      - {destination_cidr_block: 192.168.0.0/16, blackhole: true}\n",
            )
    });
    snapshot!("cookbook_1_10_update", &s.plan_text());
    s.apply_clean();
    assert_eq!(s.id_of("attach_1"), att1);
    let a = c
        .describe_transit_gateway_vpc_attachments()
        .transit_gateway_attachment_ids(&att1)
        .send()
        .await
        .expect("att");
    assert_eq!(
        a.transit_gateway_vpc_attachments()[0].subnet_ids(),
        [s.id_of("vpc_1_attach_a")]
    );
    let props = c
        .get_transit_gateway_route_table_propagations()
        .transit_gateway_route_table_id(&hub)
        .send()
        .await
        .expect("props");
    assert_eq!(props.transit_gateway_route_table_propagations().len(), 2);
    assert!(
        static_routes(&hub)
            .await
            .contains(&("192.168.0.0/16".to_string(), "blackhole".to_string()))
    );

    // Replacement: the third attachment moves to a fourth VPC (the book's challenge).
    let old_att3 = s.id_of("attach_3");
    s.edit(|d| {
        d.replace(
            "  attach_3:\n    kind: ec2.transit_gateway_vpc_attachment\n    transit_gateway: tgw\n    vpc: vpc_3\n    subnets: [vpc_3_attach_a, vpc_3_attach_b]\n",
            "  attach_3:\n    kind: ec2.transit_gateway_vpc_attachment\n    transit_gateway: tgw\n    vpc: vpc_4\n    subnets: [vpc_4_attach_a]\n  vpc_4:\n    kind: ec2.vpc\n    cidr_block: 10.10.1.0/26\n  vpc_4_attach_a:\n    kind: ec2.subnet\n    vpc: vpc_4\n    cidr_block: 10.10.1.0/28\n    availability_zone: us-east-1a\n",
        )
    });
    snapshot!("cookbook_1_10_replace", &s.plan_text());
    s.apply_clean();
    assert_ne!(s.id_of("attach_3"), old_att3);
    let gone = c
        .describe_transit_gateway_vpc_attachments()
        .transit_gateway_attachment_ids(&old_att3)
        .send()
        .await
        .expect("att");
    assert!(
        gone.transit_gateway_vpc_attachments()
            .iter()
            .all(|a| a.state().map(|x| x.as_str()) == Some("deleted"))
    );
    destroy_leaves_nothing(&s).await;
}

#[tokio::test]
async fn cookbook_1_11_vpc_peering() {
    let s = Stack::example("cookbook-1.11-vpc-peering");
    s.apply_clean();
    let c = ec2().await;
    let pcx = s.id_of("peering");
    let p = c
        .describe_vpc_peering_connections()
        .vpc_peering_connection_ids(&pcx)
        .send()
        .await
        .expect("pcx");
    let p = &p.vpc_peering_connections()[0];
    assert_eq!(
        p.status().and_then(|x| x.code()).map(|x| x.as_str()),
        Some("active")
    );
    assert_eq!(
        p.requester_vpc_info().and_then(|i| i.vpc_id()),
        Some(s.id_of("vpc_1").as_str())
    );
    assert_eq!(
        p.accepter_vpc_info().and_then(|i| i.vpc_id()),
        Some(s.id_of("vpc_2").as_str())
    );
    assert_eq!(
        default_route_target(&s.id_of("routes_1"), "10.20.0.0/23")
            .await
            .2,
        Some(pcx.clone())
    );
    assert_eq!(
        default_route_target(&s.id_of("routes_2"), "10.10.0.0/23")
            .await
            .2,
        Some(pcx.clone())
    );

    // In place: DNS resolution from the peer, on the requester side.
    s.edit(|d| d.replace("    peer_vpc: vpc_2\n", "    peer_vpc: vpc_2\n    requester_options: {allow_dns_resolution_from_remote_vpc: true}\n"));
    snapshot!("cookbook_1_11_update", &s.plan_text());
    s.apply_clean();
    assert_eq!(s.id_of("peering"), pcx);
    let p = c
        .describe_vpc_peering_connections()
        .vpc_peering_connection_ids(&pcx)
        .send()
        .await
        .expect("pcx");
    let dns = p.vpc_peering_connections()[0]
        .requester_vpc_info()
        .and_then(|i| i.peering_options())
        .and_then(|o| o.allow_dns_resolution_from_remote_vpc());
    assert_eq!(dns, Some(true));

    // Replacement: VPC 1 peers with a third VPC instead; routes follow.
    s.edit(|d| {
        d.replace("    peer_vpc: vpc_2\n", "    peer_vpc: vpc_3\n")
            .replace("      - {destination_cidr_block: 10.20.0.0/23, vpc_peering_connection: peering}", "      - {destination_cidr_block: 10.30.0.0/23, vpc_peering_connection: peering}")
            .replace("    routes:\n      - {destination_cidr_block: 10.10.0.0/23, vpc_peering_connection: peering}\n    subnets: [subnet_2]", "    subnets: [subnet_2]")
            .replace("  subnet_1:\n", "  vpc_3:\n    kind: ec2.vpc\n    cidr_block: 10.30.0.0/23\n  subnet_1:\n")
    });
    snapshot!("cookbook_1_11_replace", &s.plan_text());
    s.apply_clean();
    let new_pcx = s.id_of("peering");
    assert_ne!(new_pcx, pcx);
    assert_eq!(
        default_route_target(&s.id_of("routes_1"), "10.30.0.0/23")
            .await
            .2,
        Some(new_pcx)
    );
    destroy_leaves_nothing(&s).await;
}

#[tokio::test]
async fn peering_with_a_vpc_in_another_region_is_accepted_there() {
    let west = VpcElsewhere::create("us-west-2", "10.77.0.0/16").await;
    let peer = &west.id;
    let s = Stack::new(
        "xregion",
        &format!(
            "stack: STACK\nregion: us-east-1\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.76.0.0/16\n  peering:\n    kind: ec2.vpc_peering_connection\n    vpc: vpc\n    peer_vpc: {peer}\n    peer_region: us-west-2\n"
        ),
    );
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(stdout(&out).contains("peering (ec2.vpc_peering_connection) will be created"));
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let pcx = s.id_of("peering");
    assert_eq!(
        west.peering(&pcx)
            .await
            .status()
            .and_then(|x| x.code())
            .map(|x| x.as_str()),
        Some("active"),
        "accepted in the accepter's region"
    );
    destroy_leaves_nothing(&s).await;
    west.delete().await;
}
