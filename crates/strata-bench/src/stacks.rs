//! Generated stacks: "cells" of a VPC with an internet gateway, four subnets, a route table
//! (a default route, four associations) and two security groups whose rules name each other:
//! nine resources of six kinds, as in a real network.

use std::fmt::Write;

/// Resources per cell.
pub const CELL: usize = 9;

/// Resources of each kind in one cell (they add up to [`CELL`]).
pub const PER_CELL: &[(&str, usize)] = &[
    ("ec2.vpc", 1),
    ("ec2.internet_gateway", 1),
    ("ec2.subnet", 4),
    ("ec2.route_table", 1),
    ("ec2.security_group", 2),
];

/// A stack of about `resources` resources (whole cells, at least one).
pub fn stack(name: &str, resources: usize) -> String {
    let cells = resources.div_ceil(CELL).max(1);
    let mut out =
        format!("stack: {name}\nregion: us-east-1\ndefault_tags: {{Bench: \"yes\"}}\nresources:\n");
    for c in 0..cells {
        // A /20 per cell: 4,096 of them fit in 10.0.0.0/8.
        let (a, b) = (c / 16, (c % 16) * 16);
        let _ = write!(
            out,
            r#"  vpc{c}:
    kind: ec2.vpc
    cidr_block: 10.{a}.{b}.0/20
    tags: {{Name: cell-{c}}}
  igw{c}:
    kind: ec2.internet_gateway
    vpc: vpc{c}
"#
        );
        for s in 0..4 {
            let _ = write!(
                out,
                "  sub{c}_{s}:\n    kind: ec2.subnet\n    vpc: vpc{c}\n    cidr_block: 10.{a}.{}.0/24\n    availability_zone: us-east-1{}\n",
                b + s,
                ["a", "b", "c", "d"][s]
            );
        }
        let _ = write!(
            out,
            r#"  rt{c}:
    kind: ec2.route_table
    vpc: vpc{c}
    routes:
      - {{destination_cidr_block: 0.0.0.0/0, internet_gateway: igw{c}}}
    subnets: [sub{c}_0, sub{c}_1, sub{c}_2, sub{c}_3]
  web{c}:
    kind: ec2.security_group
    vpc: vpc{c}
    name: web-{c}
    description: Web tier of cell {c}
    ingress:
      - {{protocol: tcp, port: 443, cidr: 0.0.0.0/0, description: HTTPS}}
      - {{protocol: tcp, port: 8443, security_group: app{c}, description: callbacks}}
  app{c}:
    kind: ec2.security_group
    vpc: vpc{c}
    name: app-{c}
    description: App tier of cell {c}
    ingress:
      - {{protocol: tcp, port: 8080, security_group: web{c}, description: from the web tier}}
"#
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use strata_model::load::{VarInputs, load_sources};
    use strata_model::source::SourceFile;

    #[test]
    fn generated_stacks_are_valid() {
        for n in [1, 100, 1000] {
            let text = super::stack("bench", n);
            let loaded = load_sources(
                vec![SourceFile::new("stack.yaml", text)],
                &VarInputs::default(),
            );
            let stack = loaded
                .map(|l| l.stack)
                .map_err(|e| format!("{:?}", e.diagnostics));
            let stack = stack.unwrap_or_else(|e| panic!("{n}: {e}"));
            assert_eq!(stack.resources.len(), n.div_ceil(super::CELL) * super::CELL);
            for (kind, per_cell) in super::PER_CELL {
                let count = stack
                    .resources
                    .values()
                    .filter(|r| r.kind.name == *kind)
                    .count();
                assert_eq!(count, per_cell * n.div_ceil(super::CELL), "{kind}");
            }
        }
    }
}
