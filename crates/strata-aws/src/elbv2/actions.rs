//! Listener and rule actions and rule conditions: the documents' form (`{"forward":
//! {"target_group": ARN}}`, `{"path_pattern": ["/*"]}`) to and from the SDK's types.

use aws_sdk_elasticloadbalancingv2::types::{
    self as t, ActionTypeEnum, FixedResponseActionConfig, ForwardActionConfig,
    HostHeaderConditionConfig, HttpHeaderConditionConfig, HttpRequestMethodConditionConfig,
    PathPatternConditionConfig, QueryStringConditionConfig, QueryStringKeyValuePair,
    RedirectActionConfig, RedirectActionStatusCodeEnum, RuleCondition, SourceIpConditionConfig,
    TargetGroupTuple,
};
use serde_json::{Map, Value, json};
use strata_engine::provider::{ErrorClass, ProviderError};

fn invalid(what: &str, v: &Value) -> ProviderError {
    ProviderError::new(
        ErrorClass::Invalid,
        format!("{what} is not one strata knows: {v}"),
    )
}

fn text<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The documents' actions (a list) as the SDK's, ordered as listed.
pub fn to_aws(actions: Option<&Value>) -> Result<Vec<t::Action>, ProviderError> {
    let list = actions
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.iter()
        .enumerate()
        .map(|(i, a)| {
            let order = i32::try_from(i + 1).unwrap_or(i32::MAX);
            one_to_aws(a).map(|b| b.order(order).build())
        })
        .collect()
}

fn one_to_aws(a: &Value) -> Result<t::builders::ActionBuilder, ProviderError> {
    let Some((kind, body)) = a.as_object().and_then(|m| m.iter().next()) else {
        return Err(invalid("an action", a));
    };
    let m = body.as_object().cloned().unwrap_or_default();
    Ok(match kind.as_str() {
        "forward" => {
            let b = t::Action::builder().r#type(ActionTypeEnum::Forward);
            match (text(&m, "target_group"), m.get("target_groups")) {
                (Some(arn), _) => b.target_group_arn(arn),
                (None, Some(Value::Array(groups))) => b.forward_config(
                    ForwardActionConfig::builder()
                        .set_target_groups(Some(
                            groups
                                .iter()
                                .filter_map(Value::as_object)
                                .map(|g| {
                                    TargetGroupTuple::builder()
                                        .set_target_group_arn(
                                            text(g, "target_group").map(str::to_string),
                                        )
                                        .weight(
                                            g.get("weight")
                                                .and_then(Value::as_i64)
                                                .and_then(|w| i32::try_from(w).ok())
                                                .unwrap_or(1),
                                        )
                                        .build()
                                })
                                .collect(),
                        ))
                        .build(),
                ),
                _ => return Err(invalid("a forward", a)),
            }
        }
        "redirect" => t::Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .set_protocol(text(&m, "protocol").map(str::to_string))
                    .set_port(text(&m, "port").map(str::to_string))
                    .set_host(text(&m, "host").map(str::to_string))
                    .set_path(text(&m, "path").map(str::to_string))
                    .set_query(text(&m, "query").map(str::to_string))
                    .status_code(RedirectActionStatusCodeEnum::from(
                        text(&m, "status_code").unwrap_or("HTTP_301"),
                    ))
                    .build(),
            ),
        "fixed_response" => t::Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .set_status_code(text(&m, "status_code").map(str::to_string))
                    .set_content_type(text(&m, "content_type").map(str::to_string))
                    .set_message_body(text(&m, "message_body").map(str::to_string))
                    .build(),
            ),
        _ => return Err(invalid("an action", a)),
    })
}

/// AWS's actions in the documents' form, by their order. A forward AWS reports with one target
/// group (it adds a `ForwardConfig` of weight 1 to a plain forward) is a plain forward.
pub fn from_aws(actions: &[t::Action]) -> Value {
    let mut sorted: Vec<&t::Action> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    Value::Array(sorted.into_iter().map(one_from_aws).collect())
}

fn one_from_aws(a: &t::Action) -> Value {
    match a.r#type() {
        Some(ActionTypeEnum::Forward) => {
            let groups = a
                .forward_config()
                .map(ForwardActionConfig::target_groups)
                .unwrap_or_default();
            match (a.target_group_arn(), groups) {
                (Some(arn), _) => json!({"forward": {"target_group": arn}}),
                (None, [one]) => json!({"forward": {"target_group": one.target_group_arn()}}),
                (None, many) => json!({"forward": {"target_groups": many
                    .iter()
                    .map(|g| json!({"target_group": g.target_group_arn(), "weight": g.weight().unwrap_or(1)}))
                    .collect::<Vec<_>>()}}),
            }
        }
        Some(ActionTypeEnum::Redirect) => {
            let r = a.redirect_config();
            json!({"redirect": {
                "protocol": r.and_then(|r| r.protocol()).unwrap_or("#{protocol}"),
                "port": r.and_then(|r| r.port()).unwrap_or("#{port}"),
                "host": r.and_then(|r| r.host()).unwrap_or("#{host}"),
                "path": r.and_then(|r| r.path()).unwrap_or("/#{path}"),
                "query": r.and_then(|r| r.query()).unwrap_or("#{query}"),
                "status_code": r.and_then(|r| r.status_code()).map(RedirectActionStatusCodeEnum::as_str),
            }})
        }
        Some(ActionTypeEnum::FixedResponse) => {
            let r = a.fixed_response_config();
            let mut m = Map::new();
            m.insert("status_code".into(), json!(r.and_then(|r| r.status_code())));
            if let Some(c) = r.and_then(|r| r.content_type()) {
                m.insert("content_type".into(), json!(c));
            }
            if let Some(b) = r.and_then(|r| r.message_body()) {
                m.insert("message_body".into(), json!(b));
            }
            json!({"fixed_response": m})
        }
        other => json!({"unsupported": other.map(ActionTypeEnum::as_str)}),
    }
}

/// The documents' conditions as the SDK's.
pub fn conditions_to_aws(conditions: Option<&Value>) -> Result<Vec<RuleCondition>, ProviderError> {
    let list = conditions
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|c| {
            let Some((kind, body)) = c.as_object().and_then(|m| m.iter().next()) else {
                return Err(invalid("a condition", c));
            };
            let b = RuleCondition::builder();
            Ok(match kind.as_str() {
                "path_pattern" => b.field("path-pattern").path_pattern_config(
                    PathPatternConditionConfig::builder()
                        .set_values(Some(texts(body)))
                        .build(),
                ),
                "host_header" => b.field("host-header").host_header_config(
                    HostHeaderConditionConfig::builder()
                        .set_values(Some(texts(body)))
                        .build(),
                ),
                "http_request_method" => b.field("http-request-method").http_request_method_config(
                    HttpRequestMethodConditionConfig::builder()
                        .set_values(Some(texts(body)))
                        .build(),
                ),
                "source_ip" => b.field("source-ip").source_ip_config(
                    SourceIpConditionConfig::builder()
                        .set_values(Some(texts(body)))
                        .build(),
                ),
                "http_header" => b.field("http-header").http_header_config(
                    HttpHeaderConditionConfig::builder()
                        .set_http_header_name(
                            body.get("name").and_then(Value::as_str).map(str::to_string),
                        )
                        .set_values(body.get("values").map(texts))
                        .build(),
                ),
                "query_string" => b.field("query-string").query_string_config(
                    QueryStringConditionConfig::builder()
                        .set_values(Some(
                            body.as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_object)
                                .map(|p| {
                                    QueryStringKeyValuePair::builder()
                                        .set_key(text(p, "key").map(str::to_string))
                                        .set_value(text(p, "value").map(str::to_string))
                                        .build()
                                })
                                .collect(),
                        ))
                        .build(),
                ),
                _ => return Err(invalid("a condition", c)),
            }
            .build())
        })
        .collect()
}

/// AWS's conditions in the documents' form (the field's own configuration, else the older
/// `Values` AWS also fills for path patterns and host headers).
pub fn conditions_from_aws(conditions: &[RuleCondition]) -> Value {
    Value::Array(
        conditions
            .iter()
            .map(|c| {
                let legacy = || c.values().to_vec();
                match c.field().unwrap_or_default() {
                    "path-pattern" => json!({"path_pattern": c
                        .path_pattern_config()
                        .map_or_else(legacy, |p| p.values().to_vec())}),
                    "host-header" => json!({"host_header": c
                        .host_header_config()
                        .map_or_else(legacy, |p| p.values().to_vec())}),
                    "http-request-method" => json!({"http_request_method": c
                        .http_request_method_config()
                        .map_or_else(legacy, |p| p.values().to_vec())}),
                    "source-ip" => json!({"source_ip": c
                        .source_ip_config()
                        .map_or_else(legacy, |p| p.values().to_vec())}),
                    "http-header" => {
                        let h = c.http_header_config();
                        json!({"http_header": {
                            "name": h.and_then(HttpHeaderConditionConfig::http_header_name),
                            "values": h.map(|h| h.values().to_vec()).unwrap_or_default(),
                        }})
                    }
                    "query-string" => json!({"query_string": c
                        .query_string_config()
                        .map(|q| q
                            .values()
                            .iter()
                            .map(|p| match p.key() {
                                Some(k) => json!({"key": k, "value": p.value()}),
                                None => json!({"value": p.value()}),
                            })
                            .collect::<Vec<_>>())
                        .unwrap_or_default()}),
                    other => json!({"unsupported": other}),
                }
            })
            .collect(),
    )
}
