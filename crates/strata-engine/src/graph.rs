//! The dependency graph of the desired resources, and its DOT and Mermaid forms: grouped by
//! VPC (and the other resources by service), edges implied by others dropped (transitive
//! reduction), each edge labelled with the fields that make it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

use petgraph::algo::tred::{dag_to_toposorted_adjacency_list, dag_transitive_reduction_closure};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::IntoNeighbors;
use serde_json::Value;

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

/// One edge of the drawn graph: `from` depends on `to` through `fields`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// The fields of `from` naming `to` (empty: an ordering AWS requires that no field states,
    /// such as a NAT gateway after its VPC's internet gateway).
    pub fields: Vec<String>,
}

/// The graph as drawn: its groups (by VPC, then by service) and its edges, reduced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawing {
    /// Group label → resource names (sorted); groups sorted, VPCs first.
    pub groups: Vec<(String, Vec<String>)>,
    pub edges: Vec<Edge>,
}

/// The edges of the transitive reduction: an edge a → c is dropped when a path a → b → c
/// says the same. A graph with a cycle (the documents refuse them) is kept whole.
pub fn reduced_edges(desired: &Desired) -> Vec<(String, String)> {
    let (g, _) = dependency_graph(desired);
    let all = || -> Vec<(String, String)> {
        g.edge_indices()
            .filter_map(|e| g.edge_endpoints(e))
            .map(|(a, b)| (g[a].clone(), g[b].clone()))
            .collect()
    };
    let Ok(order) = petgraph::algo::toposort(&g, None) else {
        return all();
    };
    let (list, _) = dag_to_toposorted_adjacency_list::<_, u32>(&g, &order);
    let (reduction, _) = dag_transitive_reduction_closure(&list);
    // The list's nodes are positions in `order`; its edges keep the graph's direction.
    let mut out = Vec::new();
    for (i, &from) in order.iter().enumerate() {
        for j in reduction.neighbors(i as u32) {
            out.push((g[from].clone(), g[order[j as usize]].clone()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The top-level fields of each resource that name each other resource.
fn fields_naming(desired: &Desired) -> BTreeMap<(String, String), BTreeSet<String>> {
    fn refs(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::String(s) => out.extend(
                strata_model::expr::attr_refs(s)
                    .into_iter()
                    .map(|(r, _)| r.to_string()),
            ),
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            Value::Object(m) => m.values().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (name, r) in &desired.resources {
        for (field, v) in &r.attrs {
            let mut named = BTreeSet::new();
            refs(v, &mut named);
            for to in named {
                out.entry((name.clone(), to))
                    .or_default()
                    .insert(field.clone());
            }
        }
    }
    out
}

/// The VPC a resource belongs to: itself for a VPC, else the one VPC among the nearest
/// resources its fields name that reach any (a subnet's VPC; a NAT gateway's, through its
/// subnet). A resource whose nearest VPCs are two (a peering connection) belongs to none, and
/// so does one only ordered after a VPC's resource (an Elastic IP after the internet gateway).
fn vpc_of(desired: &Desired, named: &BTreeMap<&str, BTreeSet<&str>>, name: &str) -> Option<String> {
    let is_vpc = |n: &str| {
        desired
            .resources
            .get(n)
            .is_some_and(|r| r.kind.name == "ec2.vpc")
    };
    if is_vpc(name) {
        return Some(name.to_string());
    }
    let mut level: BTreeSet<&str> = BTreeSet::from([name]);
    let mut visited: BTreeSet<&str> = level.clone();
    while !level.is_empty() {
        let next: BTreeSet<&str> = level
            .iter()
            .filter_map(|n| named.get(n))
            .flatten()
            .copied()
            .filter(|d| desired.resources.contains_key(*d) && visited.insert(d))
            .collect();
        let vpcs: Vec<&str> = next.iter().copied().filter(|n| is_vpc(n)).collect();
        match vpcs.as_slice() {
            [] => level = next,
            [one] => return Some(one.to_string()),
            _ => return None,
        }
    }
    None
}

/// Groups and reduced, labelled edges.
pub fn drawing(desired: &Desired) -> Drawing {
    let fields = fields_naming(desired);
    let mut named: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (from, to) in fields.keys() {
        named.entry(from.as_str()).or_default().insert(to.as_str());
    }
    let mut vpcs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut services: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, r) in &desired.resources {
        match vpc_of(desired, &named, name) {
            Some(v) => vpcs.entry(v).or_default().push(name.clone()),
            None => {
                let service = r.kind.name.split('.').next().unwrap_or(r.kind.name);
                services
                    .entry(service.to_string())
                    .or_default()
                    .push(name.clone());
            }
        }
    }
    let groups = vpcs
        .into_iter()
        .map(|(v, names)| (format!("VPC {v}"), names))
        .chain(services)
        .collect();
    let edges = reduced_edges(desired)
        .into_iter()
        .map(|(from, to)| {
            let fields = fields
                .get(&(from.clone(), to.clone()))
                .map(|f| f.iter().cloned().collect())
                .unwrap_or_default();
            Edge { from, to, fields }
        })
        .collect();
    Drawing { groups, edges }
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn label(e: &Edge) -> String {
    if e.fields.is_empty() {
        "(order)".to_string()
    } else {
        e.fields.join(", ")
    }
}

/// Graphviz DOT: `strata graph | dot -Tsvg > graph.svg` (or `strata graph --format svg`).
/// Dependencies on the left, what is built on them to the right; a box per VPC and per
/// service.
pub fn to_dot(desired: &Desired) -> String {
    let d = drawing(desired);
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", quote(&desired.stack));
    let _ = writeln!(out, "  rankdir = \"RL\";");
    let _ = writeln!(out, "  newrank = true;");
    let _ = writeln!(out, "  ranksep = 0.6;");
    let _ = writeln!(out, "  nodesep = 0.25;");
    let _ = writeln!(
        out,
        "  node [shape = box, style = \"rounded\", fontname = \"Helvetica\", fontsize = 11];"
    );
    let _ = writeln!(
        out,
        "  edge [fontname = \"Helvetica\", fontsize = 9, color = \"#555555\"];"
    );
    for (i, (group, names)) in d.groups.iter().enumerate() {
        let _ = writeln!(out, "  subgraph \"cluster_{i}\" {{");
        let _ = writeln!(out, "    label = \"{}\";", quote(group));
        let _ = writeln!(out, "    style = \"rounded\";");
        let _ = writeln!(out, "    color = \"#999999\";");
        for name in names {
            let kind = desired.resources.get(name).map_or("", |r| r.kind.name);
            let _ = writeln!(
                out,
                "    \"{}\" [label = \"{}\\n{}\"];",
                quote(name),
                quote(name),
                kind
            );
        }
        let _ = writeln!(out, "  }}");
    }
    for e in &d.edges {
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [label = \"{}\"];",
            quote(&e.from),
            quote(&e.to),
            quote(&label(e))
        );
    }
    out.push_str("}\n");
    out
}

/// Mermaid, for Markdown: arrows point from a resource to what it depends on, labelled with
/// the fields; a subgraph per VPC and per service.
pub fn to_mermaid(desired: &Desired) -> String {
    let d = drawing(desired);
    // Node ids are positions (names may hold characters Mermaid ids cannot).
    let ids: HashMap<&str, usize> = desired
        .resources
        .keys()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let text = |s: &str| s.replace('"', "#quot;");
    let mut out = String::from("flowchart RL\n");
    for (i, (group, names)) in d.groups.iter().enumerate() {
        let _ = writeln!(out, "  subgraph g{i}[\"{}\"]", text(group));
        for name in names {
            let kind = desired.resources.get(name).map_or("", |r| r.kind.name);
            let _ = writeln!(
                out,
                "    n{}[\"{}<br/>{}\"]",
                ids[name.as_str()],
                text(name),
                kind
            );
        }
        let _ = writeln!(out, "  end");
    }
    for e in &d.edges {
        let _ = writeln!(
            out,
            "  n{} -->|\"{}\"| n{}",
            ids[e.from.as_str()],
            text(&label(e)),
            ids[e.to.as_str()]
        );
    }
    out
}
