//! `ec2.transit_gateway_route_table`: a transit gateway route table with its associations,
//! propagations and static routes (`aws ec2 create-transit-gateway-route-table`,
//! `associate-transit-gateway-route-table`, `enable-transit-gateway-route-table-propagation`,
//! `create-transit-gateway-route`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::transit_gateway::TransitGatewaySpec;
use super::transit_gateway_vpc_attachment::TransitGatewayVpcAttachmentSpec;
use super::{Policy, FieldDef, KindInfo, KindSpec, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::Span;
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ipv4Cidr, Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ec2.transit_gateway_route_table",
    summary: "A transit gateway route table: which attachments use it, which propagate into it, and static routes.",
    fields: &[
        FieldDef::replace("transit_gateway"),
        FieldDef::in_place("associations").set(),
        FieldDef::in_place("propagations").set(),
        FieldDef::in_place("routes").set(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[],
    deferred: &[],
    policy: Policy::DEFAULT,
};

/// A static route: to an attachment, or a blackhole.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TgwRoute {
    /// The destination, e.g. `0.0.0.0/0`.
    pub destination_cidr_block: Spanned<Ipv4Cidr>,
    /// The attachment traffic goes to (an `ec2.transit_gateway_vpc_attachment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Ref>,
    /// Drop the traffic instead.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blackhole: bool,
}

/// A transit gateway route table. Routes added or removed outside strata are drift.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitGatewayRouteTableSpec {
    /// The transit gateway. Changing it replaces the table.
    pub transit_gateway: Ref,
    /// Attachments that route by this table (an attachment uses one table; turn off the
    /// gateway's `default_route_table_association` to use your own).
    #[serde(default)]
    pub associations: Vec<Ref>,
    /// Attachments whose VPC routes are propagated into this table.
    #[serde(default)]
    pub propagations: Vec<Ref>,
    /// Static routes.
    #[serde(default)]
    pub routes: Vec<TgwRoute>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

const ATTACHMENTS: &[&str] = &["ec2.transit_gateway_vpc_attachment"];

impl KindSpec for TransitGatewayRouteTableSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v = vec![TypedRef::hard("transit_gateway", &self.transit_gateway, &["ec2.transit_gateway"])];
        v.extend(self.associations.iter().map(|a| TypedRef::hard("associations", a, ATTACHMENTS)));
        v.extend(self.propagations.iter().map(|a| TypedRef::hard("propagations", a, ATTACHMENTS)));
        v.extend(
            self.routes
                .iter()
                .filter_map(|r| r.attachment.as_ref())
                .map(|a| TypedRef::hard("routes", a, ATTACHMENTS)),
        );
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        let tables: Vec<_> = stack.of_kind::<TransitGatewayRouteTableSpec>().collect();
        for (ti, (_, t)) in tables.iter().enumerate() {
            let tgw = stack.spec::<TransitGatewaySpec>(t.transit_gateway.name());
            if let (Some(g), Some(first)) = (tgw, t.associations.first())
                && g.default_route_table_association
            {
                diags.push(
                    Diagnostic::error(
                        "strata::conflicting_settings",
                        format!(
                            "transit gateway `{}` associates attachments with its default route table",
                            t.transit_gateway.name()
                        ),
                    )
                    .at(first.0.span, "an attachment can be associated with one table only")
                    .help("set `default_route_table_association: false` on the transit gateway"),
                );
            }
            for a in t.associations.iter().chain(&t.propagations).chain(t.routes.iter().filter_map(|x| x.attachment.as_ref())) {
                if let Some(att) = stack.spec::<TransitGatewayVpcAttachmentSpec>(a.name())
                    && att.transit_gateway.name() != t.transit_gateway.name()
                {
                    diags.push(
                        Diagnostic::error(
                            "strata::wrong_gateway",
                            format!("attachment `{}` belongs to another transit gateway", a.name()),
                        )
                        .at(a.0.span, "not on this table's gateway")
                        .help("use attachments of the table's own transit gateway"),
                    );
                }
            }
            for a in &t.associations {
                let earlier = tables[..ti]
                    .iter()
                    .flat_map(|(_, o)| o.associations.iter())
                    .find(|x| x.name() == a.name());
                if let Some(first) = earlier {
                    diags.push(
                        Diagnostic::error(
                            "strata::duplicate_association",
                            format!("attachment `{}` is associated with two route tables", a.name()),
                        )
                        .at(a.0.span, "associated again here")
                        .also(first.0.span, "first associated here")
                        .help("an attachment routes by one table; propagate it into others instead"),
                    );
                }
            }
            let mut seen: Vec<(Ipv4Cidr, Span)> = Vec::new();
            for route in &t.routes {
                let problem = match (&route.attachment, route.blackhole) {
                    (Some(_), true) => Some((
                        "a static route has an attachment or `blackhole: true`, not both",
                        "remove `blackhole: true` to route to the attachment, or the attachment to drop the traffic",
                    )),
                    (None, false) => Some((
                        "a static route needs an attachment or `blackhole: true`; this one has neither",
                        "write `attachment: NAME` to route the traffic, or `blackhole: true` to drop it",
                    )),
                    _ => None,
                };
                if let Some((message, help)) = problem {
                    diags.push(
                        Diagnostic::error("strata::invalid_route", message)
                            .at(route.destination_cidr_block.span, "in this route")
                            .help(help),
                    );
                }
                if let Some((_, first)) = seen.iter().find(|(c, _)| *c == route.destination_cidr_block.value) {
                    diags.push(
                        Diagnostic::error("strata::duplicate_route", format!("two routes to {}", route.destination_cidr_block.value))
                            .at(route.destination_cidr_block.span, "second route")
                            .also(*first, "first route")
                            .help("one route per destination"),
                    );
                } else {
                    seen.push((route.destination_cidr_block.value, route.destination_cidr_block.span));
                }
            }
        }
    }
}
