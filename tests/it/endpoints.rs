//! Interface VPC endpoints on the emulator: subnets (one network interface each), security
//! groups and private DNS, set at create, changed in place, changed outside strata (drift
//! shown and put back), replaced when the service changes, and destroyed with their network
//! interfaces.

use std::collections::BTreeSet;

use crate::support::{Stack, changes, destroy_leaves_nothing, ec2, snapshot};

const INTERFACE: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.68.0.0/24
    enable_dns_hostnames: true
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.68.0.0/26
    availability_zone: us-east-1a
  b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.68.0.64/26
    availability_zone: us-east-1b
  https:
    kind: ec2.security_group
    vpc: vpc
    name: endpoint-https
    description: HTTPS from the VPC to its endpoints
    ingress:
      - {protocol: tcp, port: 443, cidr: 10.68.0.0/24}
  admin:
    kind: ec2.security_group
    vpc: vpc
    name: endpoint-admin
    description: HTTPS from the admin subnet
    ingress:
      - {protocol: tcp, port: 443, cidr: 10.68.0.0/26}
  ssm:
    kind: ec2.vpc_endpoint
    vpc: vpc
    service: ssm
    type: interface
    subnets: [a]
    security_groups: [https]
    private_dns_enabled: true
";

/// What the emulator holds for an endpoint: (service, type, subnets, groups, private DNS,
/// state, network interfaces).
struct Endpoint {
    service: String,
    kind: String,
    subnets: BTreeSet<String>,
    groups: BTreeSet<String>,
    private_dns: Option<bool>,
    state: String,
    interfaces: Vec<String>,
}

async fn endpoint(id: &str) -> Endpoint {
    let out = ec2()
        .await
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await
        .expect("describe endpoint");
    let e = &out.vpc_endpoints()[0];
    Endpoint {
        service: e.service_name().unwrap_or_default().to_string(),
        kind: e
            .vpc_endpoint_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        subnets: e.subnet_ids().iter().cloned().collect(),
        groups: e
            .groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
        private_dns: e.private_dns_enabled(),
        state: e
            .state()
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default(),
        interfaces: e.network_interface_ids().to_vec(),
    }
}

/// The endpoint's network interfaces as (subnet, groups), sorted by subnet; each is checked
/// to be the endpoint's (requester-managed).
async fn interfaces(ids: &[String]) -> Vec<(String, BTreeSet<String>)> {
    let out = ec2()
        .await
        .describe_network_interfaces()
        .set_network_interface_ids(Some(ids.to_vec()))
        .send()
        .await
        .expect("describe the endpoint's interfaces");
    let mut v: Vec<(String, BTreeSet<String>)> = out
        .network_interfaces()
        .iter()
        .map(|n| {
            assert_eq!(
                n.requester_managed(),
                Some(true),
                "an endpoint's interface is AWS's"
            );
            (
                n.subnet_id().unwrap_or_default().to_string(),
                n.groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect(),
            )
        })
        .collect();
    v.sort();
    v
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn interface_endpoint_subnets_groups_and_private_dns() {
    let s = Stack::new("vpce", INTERFACE);
    s.apply_clean();
    let id = s.id_of("ssm");
    let (a, b) = (s.id_of("a"), s.id_of("b"));
    let (https, admin) = (s.id_of("https"), s.id_of("admin"));
    let e = endpoint(&id).await;
    assert_eq!(e.service, "com.amazonaws.us-east-1.ssm");
    assert_eq!(e.kind.to_ascii_lowercase(), "interface");
    assert_eq!(e.state, "available");
    assert_eq!(e.subnets, set(&[&a]));
    assert_eq!(e.groups, set(&[&https]));
    assert_eq!(e.private_dns, Some(true));
    assert_eq!(
        interfaces(&e.interfaces).await,
        vec![(a.clone(), set(&[&https]))],
        "one interface in its subnet, in its security group"
    );
    let first_interfaces = e.interfaces.clone();

    // Another zone, another group, no private DNS: one update in place.
    s.edit(|d| {
        d.replace("    subnets: [a]\n", "    subnets: [a, b]\n")
            .replace(
                "    security_groups: [https]\n",
                "    security_groups: [admin]\n",
            )
            .replace("private_dns_enabled: true", "private_dns_enabled: false")
    });
    let plan = s.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![("ssm".to_string(), "update".to_string())]
    );
    let text = s.plan_text();
    assert!(!text.contains("forces replacement"), "{text}");
    snapshot!("interface_endpoint_update", &text);
    s.apply_clean();
    assert_eq!(s.id_of("ssm"), id, "the endpoint was kept");
    let e = endpoint(&id).await;
    assert_eq!(e.subnets, set(&[&a, &b]));
    assert_eq!(e.groups, set(&[&admin]));
    assert_eq!(e.private_dns, Some(false));
    let mut want = vec![(a.clone(), set(&[&admin])), (b.clone(), set(&[&admin]))];
    want.sort();
    assert_eq!(interfaces(&e.interfaces).await, want);

    // A subnet removed outside strata: drift, shown, and apply adds it back.
    ec2()
        .await
        .modify_vpc_endpoint()
        .vpc_endpoint_id(&id)
        .remove_subnet_ids(&b)
        .send()
        .await
        .expect("modify outside strata");
    let plan = s.plan_json(&[]);
    let action = plan["actions"]
        .as_array()
        .and_then(|v| v.iter().find(|a| a["name"] == "ssm"))
        .expect("ssm");
    assert_eq!(
        (action["action"].as_str(), action["reason"].as_str()),
        (Some("update"), Some("drift"))
    );
    let text = s.plan_text();
    assert!(text.contains("was changed outside strata"), "{text}");
    snapshot!("interface_endpoint_drift", &text);
    s.apply_clean();
    let e = endpoint(&id).await;
    assert_eq!(e.subnets, set(&[&a, &b]));
    assert_eq!(interfaces(&e.interfaces).await.len(), 2);

    // Another service: the endpoint is replaced.
    s.edit(|d| d.replace("service: ssm", "service: ssmmessages"));
    let plan = s.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![("ssm".to_string(), "replace".to_string())]
    );
    let text = s.plan_text();
    assert!(
        text.contains("-/+ ssm (ec2.vpc_endpoint)") && text.contains("# forces replacement"),
        "{text}"
    );
    s.apply_clean();
    let new_id = s.id_of("ssm");
    assert_ne!(new_id, id);
    let e = endpoint(&new_id).await;
    assert_eq!(e.service, "com.amazonaws.us-east-1.ssmmessages");
    assert_eq!(e.subnets, set(&[&a, &b]));
    let old = ec2()
        .await
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(&id)
        .send()
        .await
        .expect("the old endpoint");
    assert_eq!(
        old.vpc_endpoints()[0]
            .state()
            .map(|s| s.as_str().to_ascii_lowercase()),
        Some("deleted".to_string())
    );

    let mut all_interfaces = first_interfaces;
    all_interfaces.extend(e.interfaces.iter().cloned());
    destroy_leaves_nothing(&s).await;
    let left: Vec<String> = ec2()
        .await
        .describe_network_interfaces()
        .send()
        .await
        .expect("interfaces")
        .network_interfaces()
        .iter()
        .filter_map(|n| n.network_interface_id().map(str::to_string))
        .filter(|n| all_interfaces.contains(n))
        .collect();
    assert!(
        left.is_empty(),
        "the endpoints' interfaces are gone: {left:?}"
    );
}
