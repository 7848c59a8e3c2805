//! `ec2.route_table` on AWS: CreateRouteTable; routes with CreateRoute, ReplaceRoute and
//! DeleteRoute; subnet associations with AssociateRouteTable, ReplaceRouteTableAssociation and
//! DisassociateRouteTable; DeleteRouteTable after its associations are gone.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType, RouteOrigin};
use futures_util::future::try_join_all;
use serde_json::{Map, Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags::{self, tag_specification};
use super::{
    Already, AwsKind, Refusal, created, delete_until_free, ec2_arn, id_filter, live, removed,
    required, str_list, unless_already, until_visible, updated,
};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;

const DELETE_TIMEOUT: Duration = Duration::from_secs(600);

pub struct RouteTable;

/// Route fields naming the destination.
const DESTINATIONS: &[&str] = &[
    "destination_cidr_block",
    "destination_ipv6_cidr_block",
    "destination_prefix_list",
];

async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::RouteTable>, ProviderError> {
    cx.ec2
        .describe_route_tables()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeRouteTables"))
}

async fn one(cx: &Ctx, id: &str) -> Result<aws_sdk_ec2::types::RouteTable, ProviderError> {
    describe(cx, id_filter("route-table-id", &[id.to_string()]))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ProviderError::new(ErrorClass::NotFound, format!("route table {id} is gone"))
        })
}

/// A route in strata's terms, or `None` for routes strata does not manage: the `local` route,
/// propagated routes, and the routes gateway endpoints add.
fn route_to_value(r: &aws_sdk_ec2::types::Route) -> Option<Value> {
    if matches!(
        r.origin(),
        Some(RouteOrigin::CreateRouteTable | RouteOrigin::EnableVgwRoutePropagation)
    ) || r.gateway_id() == Some("local")
    {
        return None;
    }
    if r.gateway_id().is_some_and(|g| g.starts_with("vpce-"))
        && r.destination_prefix_list_id().is_some()
    {
        return None;
    }
    let mut m = Map::new();
    if let Some(d) = r.destination_cidr_block() {
        m.insert("destination_cidr_block".into(), json!(d));
    } else if let Some(d) = r.destination_ipv6_cidr_block() {
        m.insert("destination_ipv6_cidr_block".into(), json!(d));
    } else if let Some(d) = r.destination_prefix_list_id() {
        m.insert("destination_prefix_list".into(), json!(d));
    }
    let target = if let Some(g) = r.gateway_id() {
        if g.starts_with("vpce-") {
            ("vpc_endpoint", g)
        } else if g.starts_with("igw-") {
            ("internet_gateway", g)
        } else {
            ("gateway", g)
        }
    } else if let Some(n) = r.nat_gateway_id() {
        ("nat_gateway", n)
    } else if let Some(t) = r.transit_gateway_id() {
        ("transit_gateway", t)
    } else if let Some(p) = r.vpc_peering_connection_id() {
        ("vpc_peering_connection", p)
    } else if let Some(e) = r.egress_only_internet_gateway_id() {
        ("egress_only_internet_gateway", e)
    } else if let Some(i) = r.instance_id() {
        ("instance", i)
    } else if let Some(n) = r.network_interface_id() {
        ("network_interface", n)
    } else {
        ("unknown_target", "")
    };
    m.insert(target.0.into(), json!(target.1));
    Some(Value::Object(m))
}

fn explicit_associations(t: &aws_sdk_ec2::types::RouteTable) -> Vec<(String, String)> {
    t.associations()
        .iter()
        .filter(|a| !a.main().unwrap_or(false))
        .filter(|a| {
            a.association_state()
                .and_then(|s| s.state())
                .is_none_or(|s| matches!(s.as_str(), "associated" | "associating"))
        })
        .filter_map(|a| {
            Some((
                a.subnet_id()?.to_string(),
                a.route_table_association_id()?.to_string(),
            ))
        })
        .collect()
}

fn to_live(cx: &Ctx, t: &aws_sdk_ec2::types::RouteTable) -> LiveResource {
    let id = t.route_table_id().unwrap_or_default();
    let owner = t.owner_id().unwrap_or_default();
    let routes: Vec<Value> = t.routes().iter().filter_map(route_to_value).collect();
    let subnets: Vec<String> = explicit_associations(t)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    live(
        "ec2.route_table",
        id,
        t.tags(),
        json!({
            "vpc": t.vpc_id(),
            "routes": routes,
            "subnets": subnets,
            "owner_id": owner,
            "arn": ec2_arn(cx, owner, "route-table", id),
        }),
    )
}

fn destination_of(route: &Value) -> Option<(&'static str, String)> {
    DESTINATIONS.iter().find_map(|d| {
        route
            .get(*d)
            .and_then(Value::as_str)
            .map(|v| (*d, v.to_string()))
    })
}

fn routes(attrs: &Attrs) -> Vec<Value> {
    attrs
        .get("routes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Creates or replaces one route (`replace` uses ReplaceRoute).
async fn put_route(
    cx: &Ctx,
    table: &str,
    route: &Value,
    replace: bool,
) -> Result<(), ProviderError> {
    let s = |k: &str| route.get(k).and_then(Value::as_str).map(str::to_string);
    macro_rules! build {
        ($call:expr) => {{
            let mut c = $call.route_table_id(table);
            if let Some(d) = s("destination_cidr_block") {
                c = c.destination_cidr_block(d);
            }
            if let Some(d) = s("destination_ipv6_cidr_block") {
                c = c.destination_ipv6_cidr_block(d);
            }
            if let Some(d) = s("destination_prefix_list") {
                c = c.destination_prefix_list_id(d);
            }
            if let Some(t) = s("internet_gateway") {
                c = c.gateway_id(t);
            }
            // A Gateway Load Balancer endpoint is a target of its own (AWS reads it back as
            // the route's gateway).
            if let Some(t) = s("vpc_endpoint") {
                c = c.vpc_endpoint_id(t);
            }
            if let Some(t) = s("nat_gateway") {
                c = c.nat_gateway_id(t);
            }
            if let Some(t) = s("transit_gateway") {
                c = c.transit_gateway_id(t);
            }
            if let Some(t) = s("vpc_peering_connection") {
                c = c.vpc_peering_connection_id(t);
            }
            c
        }};
    }
    if replace {
        return build!(cx.ec2.replace_route())
            .send()
            .await
            .map(|_| ())
            .map_err(aws("ec2:ReplaceRoute"));
    }
    let sent = build!(cx.ec2.create_route())
        .send()
        .await
        .map_err(aws("ec2:CreateRoute"));
    // A repeat of a create that acted: done if the route has this target; a route to another
    // target is replaced (the destination is the route's key).
    unless_already(sent, Refusal::Codes(&["RouteAlreadyExists"]), async || {
        let key = destination_of(route);
        // A table created a moment ago may not show yet.
        let now = until_visible("the route table", cx, &Progress::none(), || async {
            one(cx, table).await.map(Some)
        })
        .await?;
        let now = now
            .routes()
            .iter()
            .filter_map(route_to_value)
            .find(|r| destination_of(r) == key);
        match now {
            Some(r) if &r == route => Ok(Already::Done),
            Some(_) => Box::pin(put_route(cx, table, route, true))
                .await
                .map(|()| Already::Done),
            None => Ok(Already::Not),
        }
    })
    .await
}

async fn delete_route(cx: &Ctx, table: &str, route: &Value) -> Result<(), ProviderError> {
    let Some((field, value)) = destination_of(route) else {
        return Ok(());
    };
    let mut c = cx.ec2.delete_route().route_table_id(table);
    c = match field {
        "destination_cidr_block" => c.destination_cidr_block(value),
        "destination_ipv6_cidr_block" => c.destination_ipv6_cidr_block(value),
        _ => c.destination_prefix_list_id(value),
    };
    removed(c.send().await.map_err(aws("ec2:DeleteRoute")))
}

/// Makes the table's routes equal to `desired`, route by route, keyed by destination.
async fn sync_routes(cx: &Ctx, table: &str, desired: &[Value]) -> Result<(), ProviderError> {
    let current: BTreeMap<(&str, String), Value> = one(cx, table)
        .await?
        .routes()
        .iter()
        .filter_map(route_to_value)
        .filter_map(|r| destination_of(&r).map(|d| (d, r)))
        .collect();
    let wanted: BTreeMap<(&str, String), &Value> = desired
        .iter()
        .filter_map(|r| destination_of(r).map(|d| (d, r)))
        .collect();
    // Each destination is one route: the calls for different destinations are independent, so
    // they run concurrently (removals first, in case the table is at its route limit).
    try_join_all(
        current
            .iter()
            .filter(|(key, _)| !wanted.contains_key(*key))
            .map(|(_, route)| delete_route(cx, table, route)),
    )
    .await?;
    try_join_all(
        wanted
            .iter()
            .filter_map(|(key, route)| match current.get(key) {
                Some(c) if c == *route => None,
                Some(_) => Some(put_route(cx, table, route, true)),
                None => Some(put_route(cx, table, route, false)),
            }),
    )
    .await?;
    Ok(())
}

/// Makes `table`'s explicit subnet associations `desired`. `current` is the table as just
/// described, if the caller has it. The subnets' other tables are found in one describe, and the
/// association calls, each for another subnet, run concurrently.
async fn sync_subnets(
    cx: &Ctx,
    table: &str,
    desired: &[String],
    current: Option<aws_sdk_ec2::types::RouteTable>,
) -> Result<(), ProviderError> {
    let current = match current {
        Some(t) => explicit_associations(&t),
        None => explicit_associations(&one(cx, table).await?),
    };
    try_join_all(
        current
            .iter()
            .filter(|(subnet, _)| !desired.contains(subnet))
            .map(|(_, assoc)| disassociate(cx, assoc)),
    )
    .await?;
    let missing: Vec<String> = desired
        .iter()
        .filter(|s| !current.iter().any(|(c, _)| c == *s))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let elsewhere = associations_of(cx, &missing).await?;
    try_join_all(
        missing
            .iter()
            .map(|subnet| associate(cx, table, subnet, elsewhere.get(subnet).map(|(_, a)| a))),
    )
    .await?;
    Ok(())
}

/// The explicit associations these subnets have with any table: subnet → (table, association
/// id).
async fn associations_of(
    cx: &Ctx,
    subnets: &[String],
) -> Result<BTreeMap<String, (String, String)>, ProviderError> {
    let pages = try_join_all(
        subnets
            .chunks(RouteTable.id_chunk())
            .map(|chunk| describe(cx, id_filter("association.subnet-id", chunk))),
    )
    .await?;
    Ok(pages
        .iter()
        .flatten()
        .flat_map(|t| {
            let table = t.route_table_id().unwrap_or_default();
            explicit_associations(t)
                .into_iter()
                .map(move |(s, assoc)| (s, (table.to_string(), assoc)))
        })
        .filter(|(s, _)| subnets.contains(s))
        .collect())
}

async fn disassociate(cx: &Ctx, assoc: &str) -> Result<(), ProviderError> {
    removed(
        cx.ec2
            .disassociate_route_table()
            .association_id(assoc)
            .send()
            .await
            .map_err(aws("ec2:DisassociateRouteTable")),
    )
}

/// Moves the subnet association `assoc` to `table`.
async fn move_association(cx: &Ctx, assoc: &str, table: &str) -> Result<(), ProviderError> {
    cx.ec2
        .replace_route_table_association()
        .association_id(assoc)
        .route_table_id(table)
        .send()
        .await
        .map(|_| ())
        .map_err(aws("ec2:ReplaceRouteTableAssociation"))
}

/// Associates `subnet` with `table`: moves its association from another table if it has one.
async fn associate(
    cx: &Ctx,
    table: &str,
    subnet: &str,
    elsewhere: Option<&String>,
) -> Result<(), ProviderError> {
    // Another table's update may be disassociating this subnet at the same moment: if its
    // association is gone when we replace it, associate instead.
    let moved = match elsewhere {
        Some(assoc) => match move_association(cx, assoc, table).await {
            Ok(()) => true,
            Err(e) if e.class == ErrorClass::NotFound => false,
            Err(e) => return Err(e),
        },
        None => false,
    };
    if moved {
        return Ok(());
    }
    let sent = cx
        .ec2
        .associate_route_table()
        .route_table_id(table)
        .subnet_id(subnet)
        .send()
        .await
        .map_err(aws("ec2:AssociateRouteTable"));
    // A repeat of an associate that acted (or a move that acted, see above): done if the subnet
    // is this table's; a subnet that is another table's is moved here, as the documents say.
    unless_already(
        sent,
        Refusal::Codes(&["Resource.AlreadyAssociated"]),
        async || match associations_of(cx, &[subnet.to_string()])
            .await?
            .remove(subnet)
        {
            Some((t, _)) if t == table => Ok(Already::Done),
            Some((_, assoc)) => move_association(cx, &assoc, table)
                .await
                .map(|()| Already::Done),
            None => Ok(Already::Not),
        },
    )
    .await
}

#[async_trait]
impl AwsKind for RouteTable {
    fn kind(&self) -> &'static str {
        "ec2.route_table"
    }

    /// Found by the tagging API's listing.
    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ec2:route-table"])
    }

    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let (ids, stack) = (req.ids, req.stack);
        let found = describe_ids_and_stack(
            cx,
            Scope {
                kind: self,
                id_filter: "route-table-id",
                ids,
                stack,
            },
            |f| describe(cx, f),
            aws_sdk_ec2::types::RouteTable::route_table_id,
        )
        .await?;
        Ok(found.values().map(|t| to_live(cx, t)).collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let out = cx
            .ec2
            .create_route_table()
            .vpc_id(required(a, "vpc")?)
            .client_token(req.token)
            .tag_specifications(tag_specification(ResourceType::RouteTable, req))
            .send()
            .await
            .map_err(aws("ec2:CreateRouteTable"))?;
        let t = out.route_table().ok_or_else(|| {
            ProviderError::new(ErrorClass::Other, "CreateRouteTable returned no table")
        })?;
        let id = t.route_table_id().unwrap_or_default().to_string();
        progress.created(&id);
        let subnets = str_list(a, "subnets");
        // Routes and associations are independent calls: they run concurrently. A new table has
        // no associations of its own; its subnets' current tables are looked up while waiting
        // for the new table to be visible (AssociateRouteTable needs that).
        let routes = routes(a);
        let put_routes = try_join_all(routes.iter().map(|r| put_route(cx, &id, r, false)));
        let associate_subnets =
            async {
                if subnets.is_empty() {
                    return Ok(());
                }
                let (visible, elsewhere) = futures_util::future::join(
                    until_visible("the route table", cx, progress, || async {
                        one(cx, &id).await.map(Some)
                    }),
                    associations_of(cx, &subnets),
                )
                .await;
                visible?;
                let elsewhere = elsewhere?;
                try_join_all(subnets.iter().map(|subnet| {
                    associate(cx, &id, subnet, elsewhere.get(subnet).map(|(_, a)| a))
                }))
                .await
                .map(|_| ())
            };
        let (put, assoc) = futures_util::future::join(put_routes, associate_subnets).await;
        put?;
        assoc?;
        let mut l = to_live(cx, t);
        l.attrs.insert("routes".into(), json!(routes));
        l.attrs.insert("subnets".into(), json!(subnets));
        Ok(created(l, req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        for f in req.changed {
            match f.as_str() {
                "tags" => tags::sync_tags(cx, req).await?,
                "routes" => sync_routes(cx, req.id, &routes(req.attrs)).await?,
                "subnets" => {
                    sync_subnets(cx, req.id, &str_list(req.attrs, "subnets"), None).await?
                }
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("ec2.route_table cannot change `{other}` in place"),
                    ));
                }
            }
        }
        Ok(updated(req))
    }

    /// Disassociates its subnets, then deletes it (its routes go with it).
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let id = req.id;
        match one(cx, id).await {
            Ok(t) => sync_subnets(cx, id, &[], Some(t)).await?,
            Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        delete_until_free(
            "the route table to be deleted",
            cx.timeout(DELETE_TIMEOUT),
            progress,
            || async move {
                cx.ec2
                    .delete_route_table()
                    .route_table_id(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws("ec2:DeleteRouteTable"))
            },
            || async { None },
        )
        .await
    }
}
