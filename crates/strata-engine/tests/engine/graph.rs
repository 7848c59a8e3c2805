//! `strata graph`: a box per VPC and per service, edges implied by others dropped, each edge
//! labelled with the fields that make it.

use std::path::Path;

use strata_engine::desired::Desired;
use strata_engine::graph::{dependency_graph, drawing, reduced_edges, to_dot, to_mermaid};
use strata_model::VarInputs;

use crate::fake::desired;

const SMALL: &str = r#"
stack: small
resources:
  vpc: {kind: ec2.vpc, cidr_block: 10.0.0.0/16}
  igw: {kind: ec2.internet_gateway, vpc: vpc}
  public: {kind: ec2.subnet, vpc: vpc, cidr_block: 10.0.0.0/24, availability_zone: us-east-1a}
  ip: {kind: ec2.eip}
  nat: {kind: ec2.nat_gateway, subnet: public, eip: ip}
  routes:
    kind: ec2.route_table
    vpc: vpc
    subnets: [public]
    routes: [{destination_cidr_block: 0.0.0.0/0, nat_gateway: nat}]
  logs: {kind: logs.log_group, name: app}
"#;

#[test]
fn the_graph_is_grouped_reduced_and_labelled() {
    let d = desired(SMALL);
    let drawn = drawing(&d);
    let groups: Vec<&str> = drawn.groups.iter().map(|(g, _)| g.as_str()).collect();
    assert_eq!(groups, vec!["VPC vpc", "ec2", "logs"]);
    // The Elastic IP is in no VPC (only ordered after the internet gateway); the NAT
    // gateway is in the VPC through its subnet. The route table's edges to the VPC and to
    // the subnet are dropped: its route's NAT gateway reaches both.
    insta::assert_snapshot!("small_dot", to_dot(&d));
    insta::assert_snapshot!("small_mermaid", to_mermaid(&d));
}

/// Recipe 1.10's graph loses the edges other paths imply, and keeps every dependency
/// reachable.
#[test]
fn reduction_drops_implied_edges_of_recipe_1_10() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/cookbook-1.10-transit-gateway/stack.yaml");
    let loaded = strata_model::load::load(&path, &VarInputs::default()).expect("recipe 1.10");
    let d = Desired::from_stack(&loaded.stack, "us-east-1");
    let (g, idx) = dependency_graph(&d);
    let reduced = reduced_edges(&d);
    assert!(
        reduced.len() < g.edge_count(),
        "{} edges reduced to {}",
        g.edge_count(),
        reduced.len()
    );
    // Every dependency is still reachable in the reduced graph.
    let mut r = petgraph::graph::DiGraph::<(), ()>::new();
    let nodes: Vec<_> = (0..g.node_count()).map(|_| r.add_node(())).collect();
    for (a, b) in &reduced {
        r.add_edge(nodes[idx[a].index()], nodes[idx[b].index()], ());
    }
    for e in g.edge_indices() {
        let (a, b) = g.edge_endpoints(e).expect("edge");
        assert!(
            petgraph::algo::has_path_connecting(&r, nodes[a.index()], nodes[b.index()], None),
            "{} still reaches {}",
            g[a],
            g[b]
        );
    }
    insta::assert_snapshot!(
        "recipe_1_10_edges",
        format!(
            "{} edges, {} after reduction",
            g.edge_count(),
            reduced.len()
        )
    );
}
