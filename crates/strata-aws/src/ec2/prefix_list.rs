//! `ec2.prefix_list` on AWS: CreateManagedPrefixList, ModifyManagedPrefixList against the
//! current version, DeleteManagedPrefixList.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::operation::modify_managed_prefix_list::builders::ModifyManagedPrefixListFluentBuilder;
use aws_sdk_ec2::types::{
    AddPrefixListEntry, Filter, PrefixListState, RemovePrefixListEntry, ResourceType,
};
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags::{self, tag_specification};
use super::{
    Already, AwsKind, Refusal, asked_for, created, delete_until_free, id_filter, live, required,
    str_field, unless_already, updated,
};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::wait::{self, Backoff, Goal, Poll};

const TIMEOUT: Duration = Duration::from_secs(600);

pub struct PrefixList;

async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::ManagedPrefixList>, ProviderError> {
    cx.ec2
        .describe_managed_prefix_lists()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size.min(100))
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeManagedPrefixLists"))
}

/// The entries: EC2 returns them only per list (GetManagedPrefixListEntries), so a read costs
/// one call per list besides the batched describe.
async fn entries(cx: &Ctx, id: &str) -> Result<Vec<Value>, ProviderError> {
    let list: Vec<aws_sdk_ec2::types::PrefixListEntry> = cx
        .ec2
        .get_managed_prefix_list_entries()
        .prefix_list_id(id)
        .into_paginator()
        .page_size(cx.page_size.min(100))
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:GetManagedPrefixListEntries"))?;
    let mut out: Vec<Value> = list
        .iter()
        .map(|e| match e.description().filter(|d| !d.is_empty()) {
            Some(d) => json!({"cidr": e.cidr(), "description": d}),
            None => json!({"cidr": e.cidr()}),
        })
        .collect();
    out.sort_by_key(|v| v.to_string());
    Ok(out)
}

fn gone(p: &aws_sdk_ec2::types::ManagedPrefixList) -> bool {
    matches!(
        p.state(),
        Some(PrefixListState::DeleteComplete | PrefixListState::DeleteInProgress)
    )
}

async fn to_live(
    cx: &Ctx,
    p: &aws_sdk_ec2::types::ManagedPrefixList,
) -> Result<LiveResource, ProviderError> {
    to_live_known(cx, p, None).await
}

/// A list as it is; `known` are its entries if they are known for its current version.
async fn to_live_known(
    cx: &Ctx,
    p: &aws_sdk_ec2::types::ManagedPrefixList,
    known: Option<Vec<Value>>,
) -> Result<LiveResource, ProviderError> {
    let id = p.prefix_list_id().unwrap_or_default();
    let entries = match known {
        Some(e) => e,
        None => entries(cx, id).await?,
    };
    let mut attrs = json!({
        "address_family": p.address_family(),
        "max_entries": p.max_entries(),
        "entries": entries,
        "version": p.version(),
        "owner_id": p.owner_id(),
        "arn": p.prefix_list_arn(),
    });
    if let (Some(name), Some(m)) = (p.prefix_list_name(), attrs.as_object_mut()) {
        m.insert("name".into(), json!(name));
    }
    Ok(live("ec2.prefix_list", id, p.tags(), attrs))
}

/// The list unless it is deleted or being deleted.
async fn one(
    cx: &Ctx,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::ManagedPrefixList>, ProviderError> {
    Ok(any_state(cx, id).await?.filter(|p| !gone(p)))
}

/// The list in whatever state it is, deleted included.
async fn any_state(
    cx: &Ctx,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::ManagedPrefixList>, ProviderError> {
    Ok(describe(cx, id_filter("prefix-list-id", &[id.to_string()]))
        .await?
        .into_iter()
        .find(|p| p.prefix_list_id() == Some(id)))
}

fn state(p: &aws_sdk_ec2::types::ManagedPrefixList) -> &str {
    p.state().map_or("unknown", PrefixListState::as_str)
}

/// A create or modify settling: a list deleted meanwhile never settles.
const SETTLED: Goal<'static> = Goal {
    ready: &["create-complete", "modify-complete", "restore-complete"],
    on_the_way: &[
        "create-in-progress",
        "modify-in-progress",
        "restore-in-progress",
    ],
};
/// A delete: right after the call a describe may still show the list as it was.
const GONE: Goal<'static> = Goal {
    ready: &["delete-in-progress", "delete-complete"],
    on_the_way: &[
        "create-complete",
        "modify-complete",
        "restore-complete",
        "create-in-progress",
        "modify-in-progress",
        "restore-in-progress",
    ],
};

/// Waits until a create or modify settles, and returns the list's version.
async fn settle(cx: &Ctx, id: &str, progress: &Progress) -> Result<i64, ProviderError> {
    wait::until(
        "the prefix list to settle",
        cx.timeout(TIMEOUT),
        Backoff::default(),
        progress,
        || async {
            let Some(p) = any_state(cx, id).await? else {
                return Ok(Poll::Missing);
            };
            if let Some(
                s @ (PrefixListState::CreateFailed
                | PrefixListState::ModifyFailed
                | PrefixListState::RestoreFailed),
            ) = p.state()
            {
                return Err(ProviderError::new(
                    ErrorClass::Invalid,
                    format!(
                        "prefix list {id} is {}: {}",
                        s.as_str(),
                        p.state_message().unwrap_or("AWS gave no reason")
                    ),
                ));
            }
            Ok(SETTLED.poll(state(&p), p.version().unwrap_or(1)))
        },
    )
    .await
}

/// What a list holds once a change is made: what a repeated change is checked against.
#[derive(Default)]
struct Expect<'a> {
    entries: Option<BTreeMap<String, Option<String>>>,
    max_entries: Option<i32>,
    name: Option<&'a str>,
}

impl Expect<'_> {
    async fn holds(&self, cx: &Ctx, id: &str) -> Result<bool, ProviderError> {
        let Some(p) = any_state(cx, id).await? else {
            return Ok(false);
        };
        if self.max_entries.is_some_and(|m| p.max_entries() != Some(m))
            || self.name.is_some_and(|n| p.prefix_list_name() != Some(n))
        {
            return Ok(false);
        }
        Ok(match &self.entries {
            Some(want) => &entry_map(&entries_attrs(entries(cx, id).await?)) == want,
            None => true,
        })
    }
}

fn entries_attrs(entries: Vec<Value>) -> Attrs {
    let mut a = Attrs::new();
    a.insert("entries".into(), Value::Array(entries));
    a
}

/// Sends one change and waits for it to settle; returns the new version. A repeat of a change
/// that acted (its answer lost) is refused, `PrefixListVersionMismatch` (the version moved on)
/// or `IncorrectState` (the change is still being made): it is done if the list now holds what
/// `expect` says. A list changed by someone else does not, and the refusal stands.
async fn modify(
    cx: &Ctx,
    id: &str,
    progress: &Progress,
    call: ModifyManagedPrefixListFluentBuilder,
    expect: &Expect<'_>,
) -> Result<i64, ProviderError> {
    let sent = call
        .send()
        .await
        .map_err(aws("ec2:ModifyManagedPrefixList"));
    unless_already(
        sent,
        Refusal::Codes(&["PrefixListVersionMismatch", "IncorrectState"]),
        async || {
            settle(cx, id, progress).await?;
            Ok(if expect.holds(cx, id).await? {
                Already::Done
            } else {
                Already::Not
            })
        },
    )
    .await?;
    settle(cx, id, progress).await
}

fn entry_map(attrs: &Attrs) -> BTreeMap<String, Option<String>> {
    attrs
        .get("entries")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    Some((
                        e.get("cidr")?.as_str()?.to_string(),
                        e.get("description")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn max_entries(attrs: &Attrs) -> Option<i32> {
    attrs
        .get("max_entries")
        .and_then(Value::as_i64)
        .and_then(|v| i32::try_from(v).ok())
}

/// The lists with one of `ids` or the stack's tag: a batched describe for each.
async fn lists(
    cx: &Ctx,
    ids: &[String],
    stack: &str,
) -> Result<BTreeMap<String, aws_sdk_ec2::types::ManagedPrefixList>, ProviderError> {
    let mut lists = describe_ids_and_stack(
        cx,
        Scope {
            kind: &PrefixList,
            id_filter: "prefix-list-id",
            ids,
            stack,
        },
        |f| describe(cx, f),
        aws_sdk_ec2::types::ManagedPrefixList::prefix_list_id,
    )
    .await?;
    // Only ours (see `asked_for`).
    lists.retain(|id, p| !gone(p) && asked_for(id, p.tags(), ids, stack));
    Ok(lists)
}

#[async_trait]
impl AwsKind for PrefixList {
    fn kind(&self) -> &'static str {
        "ec2.prefix_list"
    }

    /// Found by the tagging API's listing (AWS's ARN type is `prefix-list`; moto writes `managed-prefix-lists`).
    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ec2:prefix-list", "ec2:managed-prefix-lists"])
    }

    /// A list's entries are read (one call per list) only when its version is not the one the
    /// lockfile recorded them at: a version's entries never change.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let lists = lists(cx, req.ids, req.stack).await?;
        let known = |p: &aws_sdk_ec2::types::ManagedPrefixList| -> Option<Vec<Value>> {
            let id = p.prefix_list_id()?;
            let rec = req.records.iter().find(|r| r.id == id)?;
            let recorded_version = rec.attrs.get("version")?.as_i64()?;
            let entries = rec.attrs.get("entries")?.as_array()?;
            let masked = entries
                .iter()
                .any(|e| e.to_string().contains(strata_engine::secret::MASK));
            (p.version() == Some(recorded_version) && !masked).then(|| entries.clone())
        };
        futures_util::future::try_join_all(lists.values().map(|p| to_live_known(cx, p, known(p))))
            .await
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let mut call = cx
            .ec2
            .create_managed_prefix_list()
            .prefix_list_name(required(a, "name")?)
            .address_family(str_field(a, "address_family").unwrap_or("IPv4"))
            .max_entries(max_entries(a).unwrap_or(1))
            .client_token(req.token)
            .tag_specifications(tag_specification(ResourceType::PrefixList, req));
        for (cidr, description) in entry_map(a) {
            call = call.entries(
                AddPrefixListEntry::builder()
                    .cidr(cidr)
                    .set_description(description)
                    .build(),
            );
        }
        let out = call
            .send()
            .await
            .map_err(aws("ec2:CreateManagedPrefixList"))?;
        let id = out
            .prefix_list()
            .and_then(|p| p.prefix_list_id())
            .ok_or_else(|| {
                ProviderError::new(ErrorClass::Other, "CreateManagedPrefixList returned no id")
            })?
            .to_string();
        progress.created(&id);
        settle(cx, &id, progress).await?;
        let p = one(cx, &id).await?.ok_or_else(|| {
            ProviderError::new(ErrorClass::NotFound, format!("prefix list {id} vanished"))
        })?;
        let mut l = to_live(cx, &p).await?;
        l.attrs.insert("name".into(), json!(str_field(a, "name")));
        Ok(created(l, req))
    }

    /// Each change is made against the version just read, so a concurrent change elsewhere
    /// makes AWS refuse instead of being overwritten. Resizing and entry changes are separate
    /// calls, as AWS requires (grow before adding, shrink after removing).
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        let name = str_field(req.attrs, "name");
        let want_max = max_entries(req.attrs);
        let cur_max = max_entries(req.prior);
        let call = |version: i64| {
            let mut c = cx
                .ec2
                .modify_managed_prefix_list()
                .prefix_list_id(req.id)
                .current_version(version);
            if let Some(n) = name {
                // Always restate the name: some implementations drop it otherwise.
                c = c.prefix_list_name(n);
            }
            c
        };
        let mut version = settle(cx, req.id, progress).await?;
        let grow = changed("max_entries") && want_max > cur_max;
        if grow && let Some(m) = want_max {
            let expect = Expect {
                max_entries: Some(m),
                ..Expect::default()
            };
            version = modify(cx, req.id, progress, call(version).max_entries(m), &expect).await?;
        }
        if changed("entries") || changed("name") {
            let current = entry_map(&entries_attrs(entries(cx, req.id).await?));
            let desired = entry_map(req.attrs);
            // An entry's description cannot be changed in place: it is removed, then added
            // back (two versions; the block is absent between the two calls).
            let remove: Vec<&String> = current
                .iter()
                .filter(|(c, d)| desired.get(*c).is_none_or(|want| want != *d))
                .map(|(c, _)| c)
                .collect();
            let add: Vec<(&String, &Option<String>)> = desired
                .iter()
                .filter(|(c, d)| current.get(*c) != Some(*d))
                .collect();
            let redescribed = add.iter().any(|(c, _)| current.contains_key(*c));
            let mut change = call(version);
            for cidr in &remove {
                change =
                    change.remove_entries(RemovePrefixListEntry::builder().cidr(*cidr).build());
            }
            if redescribed {
                let mut left = current.clone();
                left.retain(|c, _| !remove.contains(&c));
                let expect = Expect {
                    entries: Some(left),
                    ..Expect::default()
                };
                version = modify(cx, req.id, progress, change, &expect).await?;
                change = call(version);
            }
            for (cidr, d) in &add {
                change = change.add_entries(
                    AddPrefixListEntry::builder()
                        .cidr(*cidr)
                        .set_description((*d).clone())
                        .build(),
                );
            }
            if !remove.is_empty() && !redescribed || !add.is_empty() || changed("name") {
                let expect = Expect {
                    entries: Some(desired),
                    name,
                    ..Expect::default()
                };
                version = modify(cx, req.id, progress, change, &expect).await?;
            }
        }
        if changed("max_entries")
            && !grow
            && let Some(m) = want_max
        {
            let expect = Expect {
                max_entries: Some(m),
                ..Expect::default()
            };
            version = modify(cx, req.id, progress, call(version).max_entries(m), &expect).await?;
        }
        if changed("tags") {
            tags::sync_tags(cx, req).await?;
        }
        let mut l = updated(req);
        l.attrs.insert("version".into(), json!(version));
        Ok(l)
    }

    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let id = req.id;
        delete_until_free(
            "the prefix list to be deleted",
            cx.timeout(TIMEOUT),
            progress,
            || async move {
                let sent = cx
                    .ec2
                    .delete_managed_prefix_list()
                    .prefix_list_id(id)
                    .send()
                    .await
                    .map_err(aws("ec2:DeleteManagedPrefixList"));
                match sent {
                    Err(mut e) if e.code.as_deref().is_some_and(|c| c.contains("InUse")) => {
                        e.class = ErrorClass::DependencyViolation;
                        Err(e)
                    }
                    // A repeat of a delete that acted: done if the list is going or gone.
                    sent => {
                        unless_already(sent, Refusal::Codes(&["IncorrectState"]), async || {
                            Ok(match any_state(cx, id).await? {
                                Some(p) if !gone(&p) => Already::Not,
                                _ => Already::Done,
                            })
                        })
                        .await
                    }
                }
            },
            || async {
                Some("security group rules or routes that still name the list".to_string())
            },
        )
        .await?;
        wait::until(
            "the prefix list to be gone",
            cx.timeout(TIMEOUT),
            Backoff::default(),
            progress,
            || async {
                Ok(match any_state(cx, id).await? {
                    None => Poll::Ready(()),
                    Some(p) => GONE.poll(state(&p), ()),
                })
            },
        )
        .await
    }
}
