//! `ec2.transit_gateway_route_table` on AWS: CreateTransitGatewayRouteTable; associations,
//! propagations and static routes one by one; DeleteTransitGatewayRouteTable after its
//! associations and propagations are removed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType, TransitGatewayRouteTableState};
use futures_util::TryFutureExt;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, UpdateRequest,
};
use strata_engine::value::Attrs;

use super::describe_ids_and_stack;
use super::{
    AwsKind, asked_for, create_once, created, id_filter, live, required, str_list, updated,
};
use crate::Ctx;
use crate::error::aws;
use crate::tags::{self, tag_specification};
use crate::wait::{self, Backoff, Poll};

const TIMEOUT: Duration = Duration::from_secs(600);

pub struct TransitGatewayRouteTable;

async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::TransitGatewayRouteTable>, ProviderError> {
    cx.ec2
        .describe_transit_gateway_route_tables()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeTransitGatewayRouteTables"))
}

fn is_live(t: &aws_sdk_ec2::types::TransitGatewayRouteTable) -> bool {
    !matches!(
        t.state(),
        Some(TransitGatewayRouteTableState::Deleted | TransitGatewayRouteTableState::Deleting)
    )
}

/// Attachments associated with the table (EC2 answers per table).
async fn associations(cx: &Ctx, id: &str) -> Result<Vec<String>, ProviderError> {
    let list: Vec<aws_sdk_ec2::types::TransitGatewayRouteTableAssociation> = cx
        .ec2
        .get_transit_gateway_route_table_associations()
        .transit_gateway_route_table_id(id)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:GetTransitGatewayRouteTableAssociations"))?;
    Ok(list
        .iter()
        .filter(|a| {
            a.state()
                .is_none_or(|s| matches!(s.as_str(), "associated" | "associating"))
        })
        .filter_map(|a| a.transit_gateway_attachment_id().map(str::to_string))
        .collect())
}

/// Attachments propagating into the table (EC2 answers per table).
async fn propagations(cx: &Ctx, id: &str) -> Result<Vec<String>, ProviderError> {
    let list: Vec<aws_sdk_ec2::types::TransitGatewayRouteTablePropagation> = cx
        .ec2
        .get_transit_gateway_route_table_propagations()
        .transit_gateway_route_table_id(id)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:GetTransitGatewayRouteTablePropagations"))?;
    Ok(list
        .iter()
        .filter(|p| {
            p.state()
                .is_none_or(|s| matches!(s.as_str(), "enabled" | "enabling"))
        })
        .filter_map(|p| p.transit_gateway_attachment_id().map(str::to_string))
        .collect())
}

/// Static routes in strata's terms (EC2 answers per table).
async fn static_routes(cx: &Ctx, id: &str) -> Result<Vec<Value>, ProviderError> {
    let out = cx
        .ec2
        .search_transit_gateway_routes()
        .transit_gateway_route_table_id(id)
        .filters(Filter::builder().name("type").values("static").build())
        .send()
        .await
        .map_err(aws("ec2:SearchTransitGatewayRoutes"))?;
    let mut routes: Vec<Value> = out
        .routes()
        .iter()
        .filter(|r| r.state().is_none_or(|s| s.as_str() != "deleted"))
        .filter_map(|r| {
            let dest = r.destination_cidr_block()?;
            Some(if r.state().map(|s| s.as_str()) == Some("blackhole") {
                json!({"destination_cidr_block": dest, "blackhole": true})
            } else {
                match r
                    .transit_gateway_attachments()
                    .first()
                    .and_then(|a| a.transit_gateway_attachment_id())
                {
                    Some(att) => json!({"destination_cidr_block": dest, "attachment": att}),
                    None => json!({"destination_cidr_block": dest}),
                }
            })
        })
        .collect();
    routes.sort_by_key(|r| r.to_string());
    Ok(routes)
}

async fn to_live(
    cx: &Ctx,
    t: &aws_sdk_ec2::types::TransitGatewayRouteTable,
) -> Result<LiveResource, ProviderError> {
    let id = t.transit_gateway_route_table_id().unwrap_or_default();
    Ok(live(
        "ec2.transit_gateway_route_table",
        id,
        t.tags(),
        json!({
            "transit_gateway": t.transit_gateway_id(),
            "associations": associations(cx, id).await?,
            "propagations": propagations(cx, id).await?,
            "routes": static_routes(cx, id).await?,
        }),
    ))
}

fn routes(attrs: &Attrs) -> Vec<Value> {
    attrs
        .get("routes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

async fn put_route(cx: &Ctx, table: &str, r: &Value, replace: bool) -> Result<(), ProviderError> {
    let dest = r
        .get("destination_cidr_block")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let att = r.get("attachment").and_then(Value::as_str);
    let blackhole = r.get("blackhole").and_then(Value::as_bool).unwrap_or(false);
    if replace {
        cx.ec2
            .replace_transit_gateway_route()
            .transit_gateway_route_table_id(table)
            .destination_cidr_block(dest)
            .set_transit_gateway_attachment_id(att.map(str::to_string))
            .blackhole(blackhole)
            .send()
            .await
            .map(|_| ())
            .map_err(aws("ec2:ReplaceTransitGatewayRoute"))
    } else {
        cx.ec2
            .create_transit_gateway_route()
            .transit_gateway_route_table_id(table)
            .destination_cidr_block(dest)
            .set_transit_gateway_attachment_id(att.map(str::to_string))
            .blackhole(blackhole)
            .send()
            .await
            .map(|_| ())
            .map_err(aws("ec2:CreateTransitGatewayRoute"))
    }
}

async fn sync_routes(cx: &Ctx, table: &str, desired: &[Value]) -> Result<(), ProviderError> {
    let key = |r: &Value| {
        r.get("destination_cidr_block")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let current: BTreeMap<String, Value> = static_routes(cx, table)
        .await?
        .into_iter()
        .map(|r| (key(&r), r))
        .collect();
    let wanted: BTreeMap<String, &Value> = desired.iter().map(|r| (key(r), r)).collect();
    for dest in current.keys().filter(|d| !wanted.contains_key(*d)) {
        match cx
            .ec2
            .delete_transit_gateway_route()
            .transit_gateway_route_table_id(table)
            .destination_cidr_block(dest)
            .send()
            .await
            .map_err(aws("ec2:DeleteTransitGatewayRoute"))
        {
            Err(e) if e.class != ErrorClass::NotFound => return Err(e),
            _ => {}
        }
    }
    for (dest, r) in &wanted {
        match current.get(dest) {
            Some(c) if c == *r => {}
            Some(_) => put_route(cx, table, r, true).await?,
            None => put_route(cx, table, r, false).await?,
        }
    }
    Ok(())
}

async fn sync_associations(
    cx: &Ctx,
    table: &str,
    desired: &[String],
    progress: &Progress,
) -> Result<(), ProviderError> {
    let current: BTreeSet<String> = associations(cx, table).await?.into_iter().collect();
    for att in current.iter().filter(|a| !desired.contains(a)) {
        match cx
            .ec2
            .disassociate_transit_gateway_route_table()
            .transit_gateway_route_table_id(table)
            .transit_gateway_attachment_id(att)
            .send()
            .await
            .map_err(aws("ec2:DisassociateTransitGatewayRouteTable"))
        {
            Err(e) if e.class != ErrorClass::NotFound => return Err(e),
            _ => {}
        }
    }
    for att in desired.iter().filter(|a| !current.contains(*a)) {
        cx.ec2
            .associate_transit_gateway_route_table()
            .transit_gateway_route_table_id(table)
            .transit_gateway_attachment_id(att)
            .send()
            .await
            .map_err(aws("ec2:AssociateTransitGatewayRouteTable"))?;
    }
    // Associating and disassociating take a moment: wait until the table shows the result.
    let want: BTreeSet<String> = desired.iter().cloned().collect();
    wait::until(
        "the route table's associations to settle",
        cx.timeout(TIMEOUT),
        Backoff::default(),
        progress,
        || async {
            let now: BTreeSet<String> = associations(cx, table).await?.into_iter().collect();
            Ok(if now == want {
                Poll::Ready(())
            } else {
                Poll::NotYet(format!("{} of {} associated", now.len(), want.len()))
            })
        },
    )
    .await
}

async fn sync_propagations(cx: &Ctx, table: &str, desired: &[String]) -> Result<(), ProviderError> {
    let current: BTreeSet<String> = propagations(cx, table).await?.into_iter().collect();
    for att in current.iter().filter(|a| !desired.contains(a)) {
        match cx
            .ec2
            .disable_transit_gateway_route_table_propagation()
            .transit_gateway_route_table_id(table)
            .transit_gateway_attachment_id(att)
            .send()
            .await
            .map_err(aws("ec2:DisableTransitGatewayRouteTablePropagation"))
        {
            Err(e) if e.class != ErrorClass::NotFound => return Err(e),
            _ => {}
        }
    }
    for att in desired.iter().filter(|a| !current.contains(*a)) {
        cx.ec2
            .enable_transit_gateway_route_table_propagation()
            .transit_gateway_route_table_id(table)
            .transit_gateway_attachment_id(att)
            .send()
            .await
            .map_err(aws("ec2:EnableTransitGatewayRouteTablePropagation"))?;
    }
    Ok(())
}

async fn wait_table(
    cx: &Ctx,
    id: &str,
    gone: bool,
    progress: &Progress,
) -> Result<(), ProviderError> {
    let what = if gone {
        "the route table to be deleted"
    } else {
        "the route table to be available"
    };
    wait::until(
        what,
        cx.timeout(TIMEOUT),
        Backoff::default(),
        progress,
        || async {
            let t = describe(
                cx,
                id_filter("transit-gateway-route-table-id", &[id.to_string()]),
            )
            .await?
            .into_iter()
            .next();
            Ok(match (gone, t) {
                (true, None) => Poll::Ready(()),
                (true, Some(t)) if t.state() == Some(&TransitGatewayRouteTableState::Deleted) => {
                    Poll::Ready(())
                }
                (false, Some(t))
                    if t.state() == Some(&TransitGatewayRouteTableState::Available) =>
                {
                    Poll::Ready(())
                }
                (_, Some(t)) => {
                    Poll::NotYet(t.state().map_or("unknown", |s| s.as_str()).to_string())
                }
                (false, None) => Poll::NotYet("not visible yet".to_string()),
            })
        },
    )
    .await
}

#[async_trait]
impl AwsKind for TransitGatewayRouteTable {
    fn kind(&self) -> &'static str {
        "ec2.transit_gateway_route_table"
    }

    async fn read(
        &self,
        cx: &Ctx,
        ids: &[String],
        stack: &str,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let mut tables = describe_ids_and_stack(
            "transit-gateway-route-table-id",
            ids,
            stack,
            |f| describe(cx, f),
            aws_sdk_ec2::types::TransitGatewayRouteTable::transit_gateway_route_table_id,
        )
        .await?;
        tables.retain(|_, t| is_live(t));
        // Only ours, before the per-table reads below (some implementations ignore the filters
        // and answer every table of the account).
        tables.retain(|id, t| asked_for(id, t.tags(), ids, stack));
        futures_util::future::try_join_all(tables.values().map(|t| to_live(cx, t))).await
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let tgw = required(a, "transit_gateway")?;
        let (id, _) = create_once(
            cx,
            self,
            req,
            || {
                cx.ec2_once
                    .create_transit_gateway_route_table()
                    .transit_gateway_id(tgw)
                    .tag_specifications(tag_specification(
                        ResourceType::TransitGatewayRouteTable,
                        req,
                    ))
                    .send()
                    .map_err(aws("ec2:CreateTransitGatewayRouteTable"))
            },
            |out| {
                out.transit_gateway_route_table()
                    .and_then(|t| t.transit_gateway_route_table_id())
                    .map(str::to_string)
            },
        )
        .await?;
        wait_table(cx, &id, false, progress).await?;
        sync_associations(cx, &id, &str_list(a, "associations"), progress).await?;
        sync_propagations(cx, &id, &str_list(a, "propagations")).await?;
        sync_routes(cx, &id, &routes(a)).await?;
        let l = live(
            "ec2.transit_gateway_route_table",
            &id,
            &[],
            json!({
                "transit_gateway": a.get("transit_gateway"),
                "associations": str_list(a, "associations"),
                "propagations": str_list(a, "propagations"),
                "routes": routes(a),
            }),
        );
        Ok(created(l, req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        for f in req.changed {
            match f.as_str() {
                "tags" => tags::sync_tags(cx, req).await?,
                "associations" => {
                    sync_associations(cx, req.id, &str_list(req.attrs, f), progress).await?
                }
                "propagations" => sync_propagations(cx, req.id, &str_list(req.attrs, f)).await?,
                "routes" => sync_routes(cx, req.id, &routes(req.attrs)).await?,
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("ec2.transit_gateway_route_table cannot change `{other}` in place"),
                    ));
                }
            }
        }
        Ok(updated(req))
    }

    /// Associations and propagations go first (AWS refuses to delete a table that has them);
    /// its routes go with it.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let id = req.id;
        if describe(
            cx,
            id_filter("transit-gateway-route-table-id", &[id.to_string()]),
        )
        .await?
        .into_iter()
        .all(|t| !is_live(&t))
        {
            return Ok(());
        }
        sync_associations(cx, id, &[], progress).await?;
        sync_propagations(cx, id, &[]).await?;
        match cx
            .ec2
            .delete_transit_gateway_route_table()
            .transit_gateway_route_table_id(id)
            .send()
            .await
            .map_err(aws("ec2:DeleteTransitGatewayRouteTable"))
        {
            Ok(_) => {}
            Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        wait_table(cx, id, true, progress).await
    }
}
