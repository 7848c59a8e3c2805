//! Options AWS changes in place, on the emulator: a transit gateway's and its VPC attachment's
//! options, and a peering connection's options on each side (the accepter's set from the
//! accepter's region). Each is built, checked with the SDK, changed in place (the plan says
//! so), changed outside strata (drift shown and put back), replaced where a field forces it,
//! and destroyed leaving nothing.

use aws_sdk_ec2::types::{
    DnsSupportValue, ModifyTransitGatewayOptions, PeeringConnectionOptionsRequest,
};

use crate::support::{Stack, VpcElsewhere, changes, destroy_leaves_nothing, ec2, pairs, snapshot};

/// The plan updates `name` for drift (whatever else it does); returns the plan as text.
fn drifted(s: &Stack, name: &str) -> String {
    let plan = s.plan_json(&[]);
    let a = plan["actions"]
        .as_array()
        .and_then(|v| v.iter().find(|a| a["name"] == name))
        .unwrap_or_else(|| panic!("{name} is in the plan: {plan}"));
    assert_eq!(
        (&a["action"], &a["reason"]),
        (&"update".into(), &"drift".into())
    );
    s.plan_text()
}

const TGW: &str = "stack: STACK
region: us-east-1
resources:
  tgw:
    kind: ec2.transit_gateway
    description: hub
    amazon_side_asn: 64600
  vpc:
    kind: ec2.vpc
    cidr_block: 10.61.0.0/24
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.61.0.0/28
    availability_zone: us-east-1a
  attach:
    kind: ec2.transit_gateway_vpc_attachment
    transit_gateway: tgw
    vpc: vpc
    subnets: [a]
";

async fn tgw_options(id: &str) -> (String, aws_sdk_ec2::types::TransitGatewayOptions) {
    let out = ec2()
        .await
        .describe_transit_gateways()
        .transit_gateway_ids(id)
        .send()
        .await
        .expect("describe transit gateway");
    let t = &out.transit_gateways()[0];
    (
        t.description().unwrap_or_default().to_string(),
        t.options().expect("options").clone(),
    )
}

async fn attachment_options(id: &str) -> aws_sdk_ec2::types::TransitGatewayVpcAttachmentOptions {
    ec2()
        .await
        .describe_transit_gateway_vpc_attachments()
        .transit_gateway_attachment_ids(id)
        .send()
        .await
        .expect("describe attachment")
        .transit_gateway_vpc_attachments()[0]
        .options()
        .expect("options")
        .clone()
}

fn on(v: Option<&str>) -> bool {
    v == Some("enable")
}

#[tokio::test]
async fn transit_gateway_and_attachment_options_change_in_place() {
    let s = Stack::new("tgwopts", TGW);
    s.apply_clean();
    let tgw = s.id_of("tgw");
    let att = s.id_of("attach");
    let (description, o) = tgw_options(&tgw).await;
    assert_eq!(description, "hub");
    assert_eq!(o.amazon_side_asn(), Some(64600));
    let flags = |o: &aws_sdk_ec2::types::TransitGatewayOptions| {
        [
            on(o.default_route_table_association().map(|v| v.as_str())),
            on(o.default_route_table_propagation().map(|v| v.as_str())),
            on(o.dns_support().map(|v| v.as_str())),
            on(o.auto_accept_shared_attachments().map(|v| v.as_str())),
        ]
    };
    assert_eq!(flags(&o), [true, true, true, false], "AWS's defaults");
    let a = attachment_options(&att).await;
    let att_flags = |a: &aws_sdk_ec2::types::TransitGatewayVpcAttachmentOptions| {
        [
            on(a.dns_support().map(|v| v.as_str())),
            on(a.ipv6_support().map(|v| v.as_str())),
            on(a.appliance_mode_support().map(|v| v.as_str())),
        ]
    };
    assert_eq!(att_flags(&a), [true, false, false]);

    // Every option but the ASN changes in place: two updates, nothing replaced. (IPv6 support
    // stays off: AWS needs IPv6 blocks on the attachment's subnets for it.)
    s.edit(|d| {
        d.replace(
            "    description: hub\n",
            "    description: hub of the lab\n    default_route_table_association: false\n    default_route_table_propagation: false\n    dns_support: false\n    auto_accept_shared_attachments: true\n",
        )
        .replace(
            "    subnets: [a]\n",
            "    subnets: [a]\n    dns_support: false\n    appliance_mode_support: true\n",
        )
    });
    let plan = s.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        pairs(&[("tgw", "update"), ("attach", "update")])
    );
    let text = s.plan_text();
    assert!(!text.contains("forces replacement"), "{text}");
    snapshot!("options_tgw_update", &text);
    s.apply_clean();
    assert_eq!(s.id_of("tgw"), tgw, "the gateway was kept");
    assert_eq!(s.id_of("attach"), att, "the attachment was kept");
    let (description, o) = tgw_options(&tgw).await;
    assert_eq!(description, "hub of the lab");
    assert_eq!(flags(&o), [false, false, false, true]);
    assert_eq!(
        att_flags(&attachment_options(&att).await),
        [false, false, true]
    );

    // Changed outside strata: drift, shown as such and put back.
    ec2()
        .await
        .modify_transit_gateway()
        .transit_gateway_id(&tgw)
        .options(
            ModifyTransitGatewayOptions::builder()
                .dns_support(DnsSupportValue::Enable)
                .build(),
        )
        .send()
        .await
        .expect("modify outside strata");
    let text = drifted(&s, "tgw");
    assert!(text.contains("was changed outside strata"), "{text}");
    snapshot!("options_tgw_drift", &text);
    s.apply_clean();
    assert_eq!(
        flags(&tgw_options(&tgw).await.1),
        [false, false, false, true]
    );

    // The ASN cannot change in place: the gateway is replaced, and its attachment with it.
    s.edit(|d| d.replace("amazon_side_asn: 64600", "amazon_side_asn: 64601"));
    let plan = s.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        pairs(&[("tgw", "replace"), ("attach", "replace")])
    );
    let text = s.plan_text();
    assert!(
        text.contains("-/+ tgw (ec2.transit_gateway)") && text.contains("# forces replacement"),
        "{text}"
    );
    s.apply_clean();
    let new_tgw = s.id_of("tgw");
    assert_ne!(new_tgw, tgw);
    let (_, o) = tgw_options(&new_tgw).await;
    assert_eq!(o.amazon_side_asn(), Some(64601));
    assert_eq!(
        flags(&o),
        [false, false, false, true],
        "options carried over"
    );
    assert_eq!(
        att_flags(&attachment_options(&s.id_of("attach")).await),
        [false, false, true]
    );
    destroy_leaves_nothing(&s).await;
}

async fn peering_dns(pcx: &str) -> (bool, bool) {
    let out = ec2()
        .await
        .describe_vpc_peering_connections()
        .vpc_peering_connection_ids(pcx)
        .send()
        .await
        .expect("describe peering");
    let p = &out.vpc_peering_connections()[0];
    let dns = |i: Option<&aws_sdk_ec2::types::VpcPeeringConnectionVpcInfo>| {
        i.and_then(|i| i.peering_options())
            .and_then(|o| o.allow_dns_resolution_from_remote_vpc())
            .unwrap_or(false)
    };
    (dns(p.requester_vpc_info()), dns(p.accepter_vpc_info()))
}

#[tokio::test]
async fn peering_accepter_options_change_in_place_and_drift_is_put_back() {
    // DNS resolution across a peering needs DNS host names and support in both VPCs.
    let s = Stack::new(
        "pcxopts",
        "stack: STACK
region: us-east-1
resources:
  vpc_1:
    kind: ec2.vpc
    cidr_block: 10.62.0.0/24
    enable_dns_hostnames: true
  vpc_2:
    kind: ec2.vpc
    cidr_block: 10.62.1.0/24
    enable_dns_hostnames: true
  peering:
    kind: ec2.vpc_peering_connection
    vpc: vpc_1
    peer_vpc: vpc_2
    accepter_options: {allow_dns_resolution_from_remote_vpc: true}
",
    );
    s.apply_clean();
    let pcx = s.id_of("peering");
    assert_eq!(
        peering_dns(&pcx).await,
        (false, true),
        "the accepter side resolves the requester's names"
    );

    // Both sides change in place.
    s.edit(|d| {
        d.replace(
            "    accepter_options: {allow_dns_resolution_from_remote_vpc: true}\n",
            "    accepter_options: {allow_dns_resolution_from_remote_vpc: false}\n    requester_options: {allow_dns_resolution_from_remote_vpc: true}\n",
        )
    });
    let plan = s.plan_json(&[]);
    assert_eq!(changes(&plan), pairs(&[("peering", "update")]));
    snapshot!("options_peering_update", &s.plan_text());
    s.apply_clean();
    assert_eq!(s.id_of("peering"), pcx);
    assert_eq!(peering_dns(&pcx).await, (true, false));

    // The accepter's option turned on outside strata is drift, and apply turns it off again.
    ec2()
        .await
        .modify_vpc_peering_connection_options()
        .vpc_peering_connection_id(&pcx)
        .accepter_peering_connection_options(
            PeeringConnectionOptionsRequest::builder()
                .allow_dns_resolution_from_remote_vpc(true)
                .build(),
        )
        .send()
        .await
        .expect("modify outside strata");
    let text = drifted(&s, "peering");
    assert!(
        text.contains("accepter_options") && text.contains("changed outside strata"),
        "{text}"
    );
    s.apply_clean();
    assert_eq!(peering_dns(&pcx).await, (true, false));
    destroy_leaves_nothing(&s).await;
}

#[tokio::test]
async fn peering_accepter_options_in_another_region_are_set_there() {
    let west = VpcElsewhere::create("us-west-2", "10.63.0.0/24").await;
    let peer = &west.id;
    let s = Stack::new(
        "pcxregion",
        &format!(
            "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.63.1.0/24
    enable_dns_hostnames: true
  peering:
    kind: ec2.vpc_peering_connection
    vpc: vpc
    peer_vpc: {peer}
    peer_region: us-west-2
    accepter_options: {{allow_dns_resolution_from_remote_vpc: true}}
"
        ),
    );
    s.apply_clean();
    let pcx = s.id_of("peering");
    assert_eq!(peering_dns(&pcx).await, (false, true));
    assert_eq!(
        west.peering(&pcx)
            .await
            .accepter_vpc_info()
            .and_then(|i| i.peering_options())
            .and_then(|o| o.allow_dns_resolution_from_remote_vpc()),
        Some(true),
        "seen from the accepter's region"
    );
    s.edit(|d| d.replace("remote_vpc: true", "remote_vpc: false"));
    assert_eq!(changes(&s.plan_json(&[])), pairs(&[("peering", "update")]));
    s.apply_clean();
    assert_eq!(peering_dns(&pcx).await, (false, false));
    destroy_leaves_nothing(&s).await;
    west.delete().await;
}
