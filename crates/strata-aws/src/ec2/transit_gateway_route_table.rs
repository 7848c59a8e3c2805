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
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags::{self, tag_specification};
use super::{
    Already, AwsKind, Refusal, asked_for, create_once, created, id_filter, live, removed, required,
    str_list, unless_already, updated,
};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::error::aws;
use crate::wait::{self, Backoff, Goal, Poll};

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

/// Creating: a table deleted meanwhile never gets there.
const TABLE_AVAILABLE: Goal<'static> = Goal {
    ready: &["available"],
    on_the_way: &["pending"],
};
/// Deleting: right after the call a describe may still show the table as it was.
const TABLE_DELETED: Goal<'static> = Goal {
    ready: &["deleted"],
    on_the_way: &["deleting", "available", "pending"],
};

fn state(t: &aws_sdk_ec2::types::TransitGatewayRouteTable) -> String {
    t.state()
        .map_or("unknown", TransitGatewayRouteTableState::as_str)
        .to_string()
}

async fn one(
    cx: &Ctx,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::TransitGatewayRouteTable>, ProviderError> {
    Ok(describe(
        cx,
        id_filter("transit-gateway-route-table-id", &[id.to_string()]),
    )
    .await?
    .into_iter()
    .find(|t| t.transit_gateway_route_table_id() == Some(id)))
}

pub(crate) fn is_live(t: &aws_sdk_ec2::types::TransitGatewayRouteTable) -> bool {
    !matches!(
        t.state(),
        Some(TransitGatewayRouteTableState::Deleted | TransitGatewayRouteTableState::Deleting)
    )
}

/// The table's associations, in whatever state (EC2 answers per table).
async fn association_list(
    cx: &Ctx,
    id: &str,
) -> Result<Vec<aws_sdk_ec2::types::TransitGatewayRouteTableAssociation>, ProviderError> {
    cx.ec2
        .get_transit_gateway_route_table_associations()
        .transit_gateway_route_table_id(id)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:GetTransitGatewayRouteTableAssociations"))
}

/// Attachments associated with the table.
async fn associations(cx: &Ctx, id: &str) -> Result<Vec<String>, ProviderError> {
    Ok(association_list(cx, id)
        .await?
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
        let sent = cx
            .ec2
            .create_transit_gateway_route()
            .transit_gateway_route_table_id(table)
            .destination_cidr_block(dest)
            .set_transit_gateway_attachment_id(att.map(str::to_string))
            .blackhole(blackhole)
            .send()
            .await
            .map_err(aws("ec2:CreateTransitGatewayRoute"));
        // A repeat of a create that acted: done if the route has this target; a route to
        // another target is replaced (the destination is the route's key).
        unless_already(sent, Refusal::Codes(&["RouteAlreadyExists"]), async || {
            let now = static_routes(cx, table)
                .await?
                .into_iter()
                .find(|c| c.get("destination_cidr_block").and_then(Value::as_str) == Some(dest));
            match now {
                Some(c) if &c == r => Ok(Already::Done),
                Some(_) => Box::pin(put_route(cx, table, r, true))
                    .await
                    .map(|()| Already::Done),
                None => Ok(Already::Not),
            }
        })
        .await
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
        removed(
            cx.ec2
                .delete_transit_gateway_route()
                .transit_gateway_route_table_id(table)
                .destination_cidr_block(dest)
                .send()
                .await
                .map_err(aws("ec2:DeleteTransitGatewayRoute")),
        )?;
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

/// Each attachment's association with the table, in whatever state.
async fn association_states(cx: &Ctx, id: &str) -> Result<BTreeMap<String, String>, ProviderError> {
    Ok(association_list(cx, id)
        .await?
        .iter()
        .filter_map(|a| {
            Some((
                a.transit_gateway_attachment_id()?.to_string(),
                a.state().map_or("associated", |s| s.as_str()).to_string(),
            ))
        })
        .collect())
}

/// An association being made: an attachment disassociated meanwhile never gets there.
const ASSOCIATED: Goal<'static> = Goal {
    ready: &["associated"],
    on_the_way: &["associating"],
};
/// An association being removed: right after the call it may still show as it was.
const DISASSOCIATED: Goal<'static> = Goal {
    ready: &["disassociated"],
    on_the_way: &["disassociating", "associated", "associating"],
};

/// The route table an attachment is associated with, if any.
async fn table_of(cx: &Ctx, attachment: &str) -> Result<Option<String>, ProviderError> {
    let out = cx
        .ec2
        .describe_transit_gateway_attachments()
        .transit_gateway_attachment_ids(attachment)
        .send()
        .await
        .map_err(aws("ec2:DescribeTransitGatewayAttachments"))?;
    Ok(out
        .transit_gateway_attachments()
        .iter()
        .find(|a| a.transit_gateway_attachment_id() == Some(attachment))
        .and_then(|a| a.association())
        .filter(|a| a.state().is_none_or(|s| s.as_str() != "disassociated"))
        .and_then(|a| a.transit_gateway_route_table_id())
        .map(str::to_string))
}

/// Associates `att` with `table`. A repeat of an associate that acted is refused with
/// `Resource.AlreadyAssociated`: done if the attachment is this table's. An attachment has one
/// route table: one associated with another table is an error naming it.
async fn associate(cx: &Ctx, table: &str, att: &str) -> Result<(), ProviderError> {
    let sent = cx
        .ec2
        .associate_transit_gateway_route_table()
        .transit_gateway_route_table_id(table)
        .transit_gateway_attachment_id(att)
        .send()
        .await
        .map_err(aws("ec2:AssociateTransitGatewayRouteTable"));
    unless_already(
        sent,
        Refusal::Codes(&["Resource.AlreadyAssociated"]),
        async || {
            if association_states(cx, table)
                .await?
                .get(att)
                .is_some_and(|s| matches!(s.as_str(), "associated" | "associating"))
            {
                return Ok(Already::Done);
            }
            Ok(match table_of(cx, att).await? {
                Some(other) if other != table => Already::Else(format!(
                    "attachment {att} is associated with route table {other}, and an \
                     attachment has one route table"
                )),
                _ => Already::Not,
            })
        },
    )
    .await
}

async fn sync_associations(
    cx: &Ctx,
    table: &str,
    desired: &[String],
    progress: &Progress,
) -> Result<(), ProviderError> {
    let current: BTreeSet<String> = associations(cx, table).await?.into_iter().collect();
    for att in current.iter().filter(|a| !desired.contains(a)) {
        removed(
            cx.ec2
                .disassociate_transit_gateway_route_table()
                .transit_gateway_route_table_id(table)
                .transit_gateway_attachment_id(att)
                .send()
                .await
                .map_err(aws("ec2:DisassociateTransitGatewayRouteTable")),
        )?;
    }
    for att in desired.iter().filter(|a| !current.contains(*a)) {
        associate(cx, table, att).await?;
    }
    // Associating and disassociating take a moment: wait until the table shows the result.
    // An attachment disassociated by someone else meanwhile ends the wait.
    let current = &current;
    wait::until(
        "the route table's associations to settle",
        cx.timeout(TIMEOUT),
        Backoff::default(),
        progress,
        || async {
            let now = association_states(cx, table).await?;
            let mut waiting = Vec::new();
            for (att, state) in &now {
                // Ours to add, ours to remove; others are not this change's to wait for.
                let goal = if desired.contains(att) {
                    ASSOCIATED
                } else if current.contains(att) {
                    DISASSOCIATED
                } else {
                    continue;
                };
                match goal.poll(state, ()) {
                    Poll::Ready(()) | Poll::Missing => {}
                    Poll::NotYet(s) => waiting.push(format!("{att} {s}")),
                    Poll::Never(s) => return Ok(Poll::Never(format!("{att} {s}"))),
                }
            }
            waiting.extend(
                desired
                    .iter()
                    .filter(|a| !now.contains_key(*a))
                    .map(|a| format!("{a} not listed yet")),
            );
            Ok(if waiting.is_empty() {
                Poll::Ready(())
            } else {
                Poll::NotYet(waiting.join(", "))
            })
        },
    )
    .await
}

async fn sync_propagations(cx: &Ctx, table: &str, desired: &[String]) -> Result<(), ProviderError> {
    let current: BTreeSet<String> = propagations(cx, table).await?.into_iter().collect();
    for att in current.iter().filter(|a| !desired.contains(a)) {
        removed(
            cx.ec2
                .disable_transit_gateway_route_table_propagation()
                .transit_gateway_route_table_id(table)
                .transit_gateway_attachment_id(att)
                .send()
                .await
                .map_err(aws("ec2:DisableTransitGatewayRouteTablePropagation")),
        )?;
    }
    for att in desired.iter().filter(|a| !current.contains(*a)) {
        let sent = cx
            .ec2
            .enable_transit_gateway_route_table_propagation()
            .transit_gateway_route_table_id(table)
            .transit_gateway_attachment_id(att)
            .send()
            .await
            .map_err(aws("ec2:EnableTransitGatewayRouteTablePropagation"));
        // A repeat of an enable that acted: done if the attachment propagates here.
        unless_already(
            sent,
            Refusal::Codes(&["TransitGatewayRouteTablePropagation.Duplicate"]),
            async || {
                Ok(if propagations(cx, table).await?.contains(att) {
                    Already::Done
                } else {
                    Already::Not
                })
            },
        )
        .await?;
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
            Ok(match (gone, one(cx, id).await?) {
                (true, None) => Poll::Ready(()),
                (true, Some(t)) => TABLE_DELETED.poll(&state(&t), ()),
                (false, Some(t)) => TABLE_AVAILABLE.poll(&state(&t), ()),
                (false, None) => Poll::Missing,
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
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let (ids, stack) = (req.ids, req.stack);
        let mut tables = describe_ids_and_stack(
            cx,
            Scope {
                kind: self,
                id_filter: "transit-gateway-route-table-id",
                ids,
                stack,
            },
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
        progress.created(&id);
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
        if one(cx, id).await?.is_none_or(|t| !is_live(&t)) {
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
            Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
            // A repeat of a delete that acted: done if the table is going or gone.
            sent => {
                unless_already(sent, Refusal::Codes(&["IncorrectState"]), async || {
                    Ok(match one(cx, id).await? {
                        Some(t) if is_live(&t) => Already::Not,
                        _ => Already::Done,
                    })
                })
                .await?;
            }
        }
        wait_table(cx, id, true, progress).await
    }
}
