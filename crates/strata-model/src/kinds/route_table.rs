//! `ec2.route_table`: a route table, its routes and its subnet associations
//! (`aws ec2 create-route-table`, `create-route`, `associate-route-table`).
//!
//! Associations are written on the table (`subnets:`), never on the subnet: a subnet may be
//! listed by one table only. Subnets no table lists use the VPC's main route table, which
//! strata does not manage (see docs/documents.md).

use ipnet::Ipv6Net;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::subnet::SubnetSpec;
use super::transit_gateway::TransitGatewaySpec;
use super::transit_gateway_vpc_attachment::TransitGatewayVpcAttachmentSpec;
use super::vpc_endpoint::{EndpointType, VpcEndpointSpec};
use super::{canon_field, canonical_cidr, each, Policy, AttrDef, FieldDef, KindInfo, KindSpec, TypedRef, canonical_ipv6, names_vpc};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ipv4Cidr, Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ec2.route_table",
    summary: "A route table of a VPC, with its routes and the subnets it serves (CreateRouteTable).",
    fields: &[
        FieldDef::replace("vpc"),
        FieldDef::in_place("routes").set(),
        FieldDef::in_place("subnets").set(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The route table's ARN.",
        },
        AttrDef {
            name: "owner_id",
            doc: "The AWS account that owns it.",
        },
    ],
    deferred: &[],
    policy: Policy {
        compare: &[("routes", canon_routes)],
        ..Policy::DEFAULT
    },
};

/// Routes in AWS's form: destinations as AWS writes them back.
fn canon_routes(v: &serde_json::Value) -> serde_json::Value {
    each(v, |r| {
        let serde_json::Value::Object(m) = r else {
            return r.clone();
        };
        let mut m = m.clone();
        canon_field(&mut m, "destination_cidr_block", canonical_cidr);
        canon_field(&mut m, "destination_ipv6_cidr_block", canonical_cidr);
        serde_json::Value::Object(m)
    })
}

/// One route: one destination and one target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// An IPv4 destination, e.g. `0.0.0.0/0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_cidr_block: Option<Spanned<Ipv4Cidr>>,
    /// An IPv6 destination, e.g. `::/0`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "canonical_destination"
    )]
    pub destination_ipv6_cidr_block: Option<Spanned<String>>,
    /// A managed prefix list as the destination: an `ec2.prefix_list`, or an AWS id (pl-…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_prefix_list: Option<Ref>,
    /// Target: an `ec2.internet_gateway`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_gateway: Option<Ref>,
    /// Target: an `ec2.nat_gateway`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateway: Option<Ref>,
    /// Target: an `ec2.vpc_peering_connection`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connection: Option<Ref>,
    /// Target: an `ec2.transit_gateway`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit_gateway: Option<Ref>,
    /// Target: a Gateway Load Balancer endpoint, by its id (vpce-…). The endpoints
    /// `ec2.vpc_endpoint` makes (gateway, interface) are not route targets: a gateway endpoint
    /// adds its own routes to its `route_tables`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_endpoint: Option<Ref>,
}

/// An IPv6 destination as AWS writes it back (see [`canonical_ipv6`]).
fn canonical_destination<S: serde::Serializer>(
    block: &Option<Spanned<String>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match block {
        Some(b) => s.serialize_str(&canonical_ipv6(&b.value)),
        None => s.serialize_none(),
    }
}

impl Route {
    /// `(field, reference, kinds)` for the target that is set.
    fn targets(&self) -> Vec<(&'static str, &Ref, &'static [&'static str])> {
        let mut v = Vec::new();
        if let Some(r) = &self.internet_gateway {
            v.push(("internet_gateway", r, &["ec2.internet_gateway"][..]));
        }
        if let Some(r) = &self.nat_gateway {
            v.push(("nat_gateway", r, &["ec2.nat_gateway"][..]));
        }
        if let Some(r) = &self.vpc_peering_connection {
            v.push(("vpc_peering_connection", r, &["ec2.vpc_peering_connection"][..]));
        }
        if let Some(r) = &self.transit_gateway {
            v.push(("transit_gateway", r, &["ec2.transit_gateway"][..]));
        }
        if let Some(r) = &self.vpc_endpoint {
            v.push(("vpc_endpoint", r, &["ec2.vpc_endpoint"][..]));
        }
        v
    }

    /// The destination as text and its place.
    fn destination(&self) -> Vec<(String, crate::source::Span)> {
        let mut v = Vec::new();
        if let Some(c) = &self.destination_cidr_block {
            v.push((c.value.to_string(), c.span));
        }
        if let Some(c) = &self.destination_ipv6_cidr_block {
            v.push((canonical_ipv6(&c.value), c.span));
        }
        if let Some(p) = &self.destination_prefix_list {
            v.push((format!("prefix list {}", p.name()), p.0.span));
        }
        v
    }
}

/// A route table.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteTableSpec {
    /// The VPC. Changing it replaces the table.
    pub vpc: Ref,
    /// Routes, besides the VPC's `local` route (which AWS adds and strata leaves alone). Routes
    /// added outside strata are drift and are removed by apply; routes that gateway VPC
    /// endpoints add are the endpoints' and are left alone.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// The subnets this table serves (`ec2.subnet` names). A subnet may be listed by one table
    /// only; moving it between tables replaces its association in one call.
    #[serde(default)]
    pub subnets: Vec<Ref>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for RouteTableSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v = vec![TypedRef::hard("vpc", &self.vpc, &["ec2.vpc"])];
        for r in &self.routes {
            if let Some(p) = &r.destination_prefix_list {
                v.push(TypedRef::hard("destination_prefix_list", p, &["ec2.prefix_list"]));
            }
            for (field, target, kinds) in r.targets() {
                v.push(TypedRef::hard(field, target, kinds));
            }
        }
        for s in &self.subnets {
            v.push(TypedRef::hard("subnets", s, &["ec2.subnet"]));
        }
        v
    }

    /// A route to a transit gateway comes after the gateway's attachment in the table's VPC
    /// (AWS needs it `available`) and goes before it.
    fn implicit(stack: &Stack) -> Vec<(String, String, crate::source::Span)> {
        let mut out = Vec::new();
        for (r, table) in stack.of_kind::<RouteTableSpec>() {
            for route in &table.routes {
                let Some(tgw) = &route.transit_gateway else { continue };
                if stack.spec::<TransitGatewaySpec>(tgw.name()).is_none() {
                    continue;
                }
                for (a, att) in stack.of_kind::<TransitGatewayVpcAttachmentSpec>() {
                    if att.transit_gateway.name() == tgw.name() && att.vpc.name() == table.vpc.name() {
                        out.push((r.name.clone(), a.name.clone(), tgw.0.span));
                    }
                }
            }
        }
        out
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        let tables: Vec<_> = stack.of_kind::<RouteTableSpec>().collect();
        for (ti, (r, table)) in tables.iter().enumerate() {
            let mut seen: Vec<(String, crate::source::Span)> = Vec::new();
            for route in &table.routes {
                let dests = route.destination();
                let targets = route.targets();
                let at = dests
                    .first()
                    .map(|d| d.1)
                    .or_else(|| targets.first().map(|t| t.1.0.span))
                    .unwrap_or(r.name_span);
                if dests.len() != 1 {
                    diags.push(
                        Diagnostic::error(
                            "strata::invalid_route",
                            format!("a route needs exactly one destination; this one has {}", dests.len()),
                        )
                        .at(at, "in this route")
                        .help("give one of destination_cidr_block, destination_ipv6_cidr_block, destination_prefix_list"),
                    );
                }
                if targets.len() != 1 {
                    diags.push(
                        Diagnostic::error(
                            "strata::invalid_route",
                            format!("a route needs exactly one target; this one has {}", targets.len()),
                        )
                        .at(at, "in this route")
                        .help("give one of internet_gateway, nat_gateway, vpc_peering_connection, transit_gateway, vpc_endpoint"),
                    );
                }
                if let Some(ep) = &route.vpc_endpoint
                    && let Some(spec) = stack.spec::<VpcEndpointSpec>(ep.name())
                {
                    let what = match spec.endpoint_type {
                        EndpointType::Gateway => "a gateway endpoint",
                        EndpointType::Interface => "an interface endpoint",
                    };
                    diags.push(
                        Diagnostic::error(
                            "strata::invalid_route",
                            format!("`{}` is {what}: a route can go only to a Gateway Load Balancer endpoint", ep.name()),
                        )
                        .at(ep.0.span, "not a Gateway Load Balancer endpoint")
                        .help("a gateway endpoint adds its own routes: list this table under its `route_tables`; name a Gateway Load Balancer endpoint by its id (vpce-…)"),
                    );
                }
                if let Some(c) = &route.destination_ipv6_cidr_block
                    && c.value.parse::<Ipv6Net>().is_err()
                {
                    diags.push(
                        Diagnostic::error(
                            "strata::invalid_cidr",
                            format!("`{}` is not an IPv6 CIDR block", c.value),
                        )
                        .at(c.span, "not an IPv6 block")
                        .help("write it as address/prefix, e.g. ::/0 or 2600:1f18::/56"),
                    );
                }
                for (d, span) in dests {
                    if let Some((_, first)) = seen.iter().find(|(x, _)| *x == d) {
                        diags.push(
                            Diagnostic::error(
                                "strata::duplicate_route",
                                format!("two routes to {d} in one table"),
                            )
                            .at(span, "second route")
                            .also(*first, "first route")
                            .help("a table has one route per destination; remove one"),
                        );
                    } else {
                        seen.push((d, span));
                    }
                }
            }
            for s in &table.subnets {
                if let Some(subnet) = stack.spec::<SubnetSpec>(s.name())
                    && subnet.vpc.name() != table.vpc.name()
                    && names_vpc(stack, &subnet.vpc)
                    && names_vpc(stack, &table.vpc)
                {
                    diags.push(
                        Diagnostic::error(
                            "strata::wrong_vpc",
                            format!(
                                "subnet `{}` is in VPC `{}`, but this table is in `{}`",
                                s.name(),
                                subnet.vpc.name(),
                                table.vpc.name()
                            ),
                        )
                        .at(s.0.span, "other VPC")
                        .help("a table can serve only subnets of its own VPC"),
                    );
                }
                let earlier = tables[..ti]
                    .iter()
                    .flat_map(|(_, t)| t.subnets.iter())
                    .chain(table.subnets.iter().take_while(|x| !std::ptr::eq(*x, s)))
                    .find(|x| x.name() == s.name());
                if let Some(first) = earlier {
                    diags.push(
                        Diagnostic::error(
                            "strata::duplicate_association",
                            format!("subnet `{}` is associated with two route tables", s.name()),
                        )
                        .at(s.0.span, "associated again here")
                        .also(first.0.span, "first associated here")
                        .help("a subnet has exactly one route table; list it under one table's `subnets`"),
                    );
                }
            }
        }
    }
}
