//! `elbv2.listener_rule` on AWS: CreateRule, ModifyRule, SetRulePriorities, DeleteRule. Rules
//! are read per listener (`DescribeRules`), the listeners being those of the stack's load
//! balancers; a listener's default rule is not a rule of the documents.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{self as t, RulePriorityPair};
use futures_util::TryFutureExt;
use futures_util::future::try_join_all;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::listener::{listeners_of, load_balancer_of, parent_load_balancers};
use super::tags::{self, create_tags};
use super::{
    AwsKind, actions, asked_for, client, client_once, create_once, created, removed, required,
    tags_of, updated, with_tags,
};
use crate::Ctx;
use crate::error::aws;

pub struct ListenerRule;

/// `arn:…:listener-rule/app/NAME/LB/LISTENER/ID` → `arn:…:listener/app/NAME/LB/LISTENER`.
pub fn listener_of(rule_arn: &str) -> Option<String> {
    super::parent_arn(rule_arn, "listener-rule", 5, "listener")
}

/// Every rule of these listeners but their default rules.
pub(crate) async fn rules_of(
    cx: &Ctx,
    listeners: &[String],
) -> Result<Vec<t::Rule>, ProviderError> {
    let c = client(cx);
    let pages = try_join_all(listeners.iter().map(|l| {
        let c = c.clone();
        async move {
            // DescribeRules pages with a marker the SDK has no paginator for.
            let mut out = Vec::new();
            let mut marker: Option<String> = None;
            loop {
                let r = c
                    .describe_rules()
                    .listener_arn(l)
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(aws("elbv2:DescribeRules"));
                let page = match r {
                    Err(e) if e.class == ErrorClass::NotFound => return Ok(Vec::new()),
                    other => other?,
                };
                out.extend(page.rules().iter().cloned());
                marker = page.next_marker().map(str::to_string);
                if marker.is_none() {
                    return Ok::<_, ProviderError>(out);
                }
            }
        }
    }))
    .await?;
    Ok(pages
        .into_iter()
        .flatten()
        .filter(|r| r.is_default() != Some(true))
        .collect())
}

fn to_live(listener: &str, r: &t::Rule, tags: &[(String, String)]) -> LiveResource {
    let arn = r.rule_arn().unwrap_or_default();
    let m = json!({
        "listener": listener,
        "priority": r.priority().and_then(|p| p.parse::<u64>().ok()),
        "conditions": actions::conditions_from_aws(r.conditions()),
        "actions": actions::from_aws(r.actions()),
        "arn": arn,
    });
    super::live("elbv2.listener_rule", arn, tags, m)
}

fn priority(a: &Attrs) -> Option<i32> {
    a.get("priority")
        .and_then(Value::as_i64)
        .and_then(|p| i32::try_from(p).ok())
}

fn pair(arn: &str, priority: i32) -> RulePriorityPair {
    RulePriorityPair::builder()
        .rule_arn(arn)
        .priority(priority)
        .build()
}

/// Gives the rule its priority. When another rule of the listener holds it and carries this
/// stack's tag (two rules swapping priorities, each updated on its own), both move in one
/// call: the other takes this rule's old priority, which this move frees, and its own update
/// then sets what its document says. Two such updates run side by side: whichever moves both
/// first, the other then finds its rule at its priority already, or the holder moved, and
/// looks again.
async fn set_priority(cx: &Ctx, req: &UpdateRequest<'_>, want: i32) -> Result<(), ProviderError> {
    const LOOKS: usize = 3;
    let c = client(cx);
    let first = c
        .set_rule_priorities()
        .rule_priorities(pair(req.id, want))
        .send()
        .await
        .map_err(aws("elbv2:SetRulePriorities"));
    let mut err = match first {
        Ok(_) => return Ok(()),
        Err(e) if e.code.as_deref() == Some("PriorityInUse") => e,
        Err(e) => return Err(e),
    };
    let (Some(listener), Some(old)) = (listener_of(req.id), priority(req.prior)) else {
        return Err(err);
    };
    let want_text = want.to_string();
    for _ in 0..LOOKS {
        let rules = rules_of(cx, std::slice::from_ref(&listener)).await?;
        let at_want = |r: &&t::Rule| r.priority() == Some(want_text.as_str());
        if rules
            .iter()
            .any(|r| at_want(&r) && r.rule_arn() == Some(req.id))
        {
            // The other rule's update moved both.
            return Ok(());
        }
        let holder = rules
            .iter()
            .find(|r| at_want(r) && r.rule_arn() != Some(req.id))
            .and_then(|r| r.rule_arn().map(str::to_string));
        let Some(holder) = holder else {
            return Err(err);
        };
        let ours = tags_of(cx, std::slice::from_ref(&holder))
            .await?
            .get(&holder)
            .is_some_and(|t| asked_for(&holder, t, &[], req.stack));
        if !ours {
            return Err(err.with_help(format!(
                "rule {holder} of the listener, which this stack does not manage, has \
                 priority {want}: give this rule another priority, or move that rule"
            )));
        }
        match c
            .set_rule_priorities()
            .rule_priorities(pair(req.id, want))
            .rule_priorities(pair(&holder, old))
            .send()
            .await
            .map_err(aws("elbv2:SetRulePriorities"))
        {
            Ok(_) => return Ok(()),
            // The other update moved one of the two meanwhile: look again.
            Err(e) if e.code.as_deref() == Some("PriorityInUse") => err = e,
            Err(e) => return Err(e),
        }
    }
    Err(err)
}

#[async_trait]
impl AwsKind for ListenerRule {
    fn kind(&self) -> &'static str {
        "elbv2.listener_rule"
    }

    /// `DescribeRules` per listener of the stack's load balancers, concurrently, and
    /// `DescribeTags` (20 ARNs a call).
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let mut listeners: Vec<String> = req.ids.iter().filter_map(|id| listener_of(id)).collect();
        let parents = parent_load_balancers(
            cx,
            listeners.iter().filter_map(|l| load_balancer_of(l)),
            req.stack,
        )
        .await?;
        listeners.extend(
            listeners_of(cx, &parents)
                .await?
                .iter()
                .filter_map(|l| l.listener_arn().map(str::to_string)),
        );
        listeners.sort();
        listeners.dedup();
        let rules = rules_of(cx, &listeners).await?;
        Ok(with_tags(cx, req, &rules, t::Rule::rule_arn)
            .await?
            .into_iter()
            .filter_map(|(r, arn, tags)| Some(to_live(&listener_of(&arn)?, r, &tags)))
            .collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let listener = required(a, "listener")?;
        let conditions = actions::conditions_to_aws(a.get("conditions"))?;
        let rule_actions = actions::to_aws(a.get("actions"))?;
        let (arn, sent) = create_once(
            cx,
            self,
            req,
            || {
                client_once(cx)
                    .create_rule()
                    .listener_arn(listener)
                    .set_priority(priority(a))
                    .set_conditions(Some(conditions.clone()))
                    .set_actions(Some(rule_actions.clone()))
                    .set_tags(Some(create_tags(req)))
                    .send()
                    .map_err(aws("elbv2:CreateRule"))
            },
            |out| {
                out.rules()
                    .first()
                    .and_then(|r| r.rule_arn())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&arn);
        let rule = match sent.answer().and_then(|o| o.rules().first().cloned()) {
            Some(r) => r,
            None => {
                super::until_visible("the rule", cx, progress, || async {
                    let all = rules_of(cx, &[listener.to_string()]).await?;
                    Ok(all.into_iter().find(|r| r.rule_arn() == Some(arn.as_str())))
                })
                .await?
            }
        };
        Ok(created(to_live(listener, &rule, &[]), req))
    }

    /// Conditions and actions in one `ModifyRule`; the priority with `SetRulePriorities`.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let mut call = client(cx).modify_rule().rule_arn(req.id);
        let mut modify = false;
        for f in req.changed {
            match f.as_str() {
                "conditions" => {
                    call =
                        call.set_conditions(Some(actions::conditions_to_aws(a.get("conditions"))?));
                    modify = true;
                }
                "actions" => {
                    call = call.set_actions(Some(actions::to_aws(a.get("actions"))?));
                    modify = true;
                }
                "priority" => {
                    let want = priority(a).ok_or_else(|| {
                        ProviderError::new(ErrorClass::Invalid, "`priority` is missing")
                    })?;
                    set_priority(cx, req, want).await?;
                }
                "tags" => tags::sync_tags(cx, req).await?,
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("elbv2.listener_rule cannot change `{other}` in place"),
                    ));
                }
            }
        }
        if modify {
            call.send().await.map_err(aws("elbv2:ModifyRule"))?;
        }
        Ok(updated(req))
    }

    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        _: &Progress,
    ) -> Result<(), ProviderError> {
        removed(
            client(cx)
                .delete_rule()
                .rule_arn(req.id)
                .send()
                .await
                .map_err(aws("elbv2:DeleteRule")),
        )
    }
}
