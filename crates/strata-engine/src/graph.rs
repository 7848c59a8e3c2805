//! The dependency graph of the desired resources, and its DOT and Mermaid forms.

use std::collections::HashMap;
use std::fmt::Write;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::desired::Desired;

/// A node per resource; an edge from each resource to what it depends on.
pub fn dependency_graph(desired: &Desired) -> (DiGraph<String, ()>, HashMap<String, NodeIndex>) {
    let mut g = DiGraph::new();
    let mut idx = HashMap::new();
    for name in desired.resources.keys() {
        idx.insert(name.clone(), g.add_node(name.clone()));
    }
    for (name, r) in &desired.resources {
        for d in &r.deps {
            if let (Some(&a), Some(&b)) = (idx.get(name), idx.get(d)) {
                g.add_edge(a, b, ());
            }
        }
    }
    (g, idx)
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz DOT: `strata graph | dot -Tsvg > graph.svg`.
pub fn to_dot(desired: &Desired) -> String {
    let (g, _) = dependency_graph(desired);
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", quote(&desired.stack));
    let _ = writeln!(out, "  rankdir = \"BT\";");
    let _ = writeln!(out, "  node [shape = box];");
    for n in g.node_indices() {
        let name = &g[n];
        let kind = desired.resources.get(name).map_or("", |r| r.kind.name);
        let _ = writeln!(
            out,
            "  \"{}\" [label = \"{}\\n{}\"];",
            quote(name),
            quote(name),
            kind
        );
    }
    let mut edges: Vec<(&String, &String)> = g
        .edge_indices()
        .filter_map(|e| g.edge_endpoints(e))
        .map(|(a, b)| (&g[a], &g[b]))
        .collect();
    edges.sort();
    for (a, b) in edges {
        let _ = writeln!(out, "  \"{}\" -> \"{}\";", quote(a), quote(b));
    }
    out.push_str("}\n");
    out
}

/// Mermaid, for Markdown: arrows point from a resource to what it depends on.
pub fn to_mermaid(desired: &Desired) -> String {
    let (g, _) = dependency_graph(desired);
    let mut out = String::from("flowchart BT\n");
    // Node ids are positions (names may hold characters Mermaid ids cannot).
    for n in g.node_indices() {
        let name = &g[n];
        let kind = desired.resources.get(name).map_or("", |r| r.kind.name);
        let _ = writeln!(out, "  n{}[\"{}<br/>{}\"]", n.index(), name, kind);
    }
    let mut edges: Vec<(usize, usize)> = g
        .edge_indices()
        .filter_map(|e| g.edge_endpoints(e))
        .map(|(a, b)| (a.index(), b.index()))
        .collect();
    edges.sort();
    for (a, b) in edges {
        let _ = writeln!(out, "  n{a} --> n{b}");
    }
    out
}
