//! `elbv2.listener`: a load balancer's listener (`aws elbv2 create-listener`), and the actions
//! listeners and listener rules share: forward, redirect, fixed response.
//!
//! Its id is its ARN. AWS changes its port, protocol, certificates, policy and default actions
//! in place (`ModifyListener`); a listener of another load balancer is a new listener.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AttrDef, FieldDef, KindInfo, KindSpec, Policy, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "elbv2.listener",
    summary: "A listener of a load balancer: a port, a protocol and its default actions (CreateListener).",
    fields: &[
        FieldDef::replace("load_balancer"),
        FieldDef::in_place("port"),
        FieldDef::in_place("protocol"),
        FieldDef::in_place("certificates").unset_when_omitted(),
        FieldDef::in_place("ssl_policy").kept_when_omitted(),
        FieldDef::in_place("default_actions"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[AttrDef {
        name: "arn",
        doc: "The listener's ARN (also its `id`).",
    }],
    deferred: &[],
    policy: Policy {
        // DescribeListeners takes at most 20 ARNs.
        id_chunk: 20,
        ..Policy::DEFAULT
    },
};

/// The protocol a listener speaks to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ListenerProtocol {
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "HTTPS")]
    Https,
}

/// What a listener or a rule does with a request: exactly one of the three.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Send it to a target group, or share it among weighted target groups.
    Forward(Forward),
    /// Answer with a redirect. AWS's placeholders (`#{host}`, `#{path}`, `#{port}`,
    /// `#{protocol}`, `#{query}`) are written as they are.
    Redirect(Redirect),
    /// Answer with a fixed response.
    FixedResponse(FixedResponse),
}

/// A forward to one target group, or to weighted target groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    /// The target group (an `elbv2.target_group` or an ARN). Give this or `target_groups`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group: Option<Ref>,
    /// Target groups sharing the requests by weight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_groups: Vec<WeightedTargetGroup>,
}

/// One target group of a weighted forward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightedTargetGroup {
    /// The target group (an `elbv2.target_group` or an ARN).
    pub target_group: Ref,
    /// Its share (0 to 999, default 1).
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// A redirect. Each part left out keeps the request's (AWS's placeholders).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    /// `HTTP`, `HTTPS` or `#{protocol}` (the default).
    #[serde(default = "same_protocol")]
    pub protocol: String,
    /// A port (as text, e.g. `"443"`) or `#{port}` (the default).
    #[serde(default = "same_port")]
    pub port: String,
    /// A host or `#{host}` (the default).
    #[serde(default = "same_host")]
    pub host: String,
    /// A path starting with `/`, or `/#{path}` (the default).
    #[serde(default = "same_path")]
    pub path: String,
    /// A query without the `?`, or `#{query}` (the default).
    #[serde(default = "same_query")]
    pub query: String,
    /// `HTTP_301` (permanent) or `HTTP_302` (temporary).
    pub status_code: RedirectCode,
}

fn same_protocol() -> String {
    "#{protocol}".into()
}
fn same_port() -> String {
    "#{port}".into()
}
fn same_host() -> String {
    "#{host}".into()
}
fn same_path() -> String {
    "/#{path}".into()
}
fn same_query() -> String {
    "#{query}".into()
}

/// A redirect's HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RedirectCode {
    #[serde(rename = "HTTP_301")]
    Permanent,
    #[serde(rename = "HTTP_302")]
    Temporary,
}

/// A fixed response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixedResponse {
    /// The HTTP status, `2XX`, `4XX` or `5XX`, as text (e.g. `"404"`).
    pub status_code: Spanned<String>,
    /// `text/plain`, `text/css`, `text/html`, `application/javascript` or `application/json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body (at most 1024 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_body: Option<String>,
}

impl Action {
    /// The target groups it names, with the field each is in.
    pub fn target_groups(&self) -> Vec<&Ref> {
        match self {
            Action::Forward(f) => f
                .target_group
                .iter()
                .chain(f.target_groups.iter().map(|w| &w.target_group))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Checks the actions of a listener or rule: at least one; a forward names exactly one of
/// `target_group` and `target_groups`; a fixed response's status is a 2XX, 4XX or 5XX code.
pub(crate) fn check_actions(
    actions: &[Action],
    at: crate::source::Span,
    diags: &mut Diagnostics,
) {
    if actions.is_empty() {
        diags.push(
            Diagnostic::error("strata::missing_field", "at least one action is needed")
                .at(at, "no action")
                .help("add `- forward: {target_group: NAME}`, a `redirect` or a `fixed_response`"),
        );
    }
    for a in actions {
        match a {
            Action::Forward(f) if f.target_group.is_some() != f.target_groups.is_empty() => {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_action",
                        "a forward names `target_group` or `target_groups`, exactly one of them",
                    )
                    .at(at, "in these actions")
                    .help("`forward: {target_group: web}`, or `forward: {target_groups: [{target_group: blue, weight: 90}, {target_group: green, weight: 10}]}`"),
                );
            }
            Action::FixedResponse(r) => {
                let code = &r.status_code.value;
                let valid = code.len() == 3
                    && code.chars().all(|c| c.is_ascii_digit())
                    && matches!(code.as_bytes()[0], b'2' | b'4' | b'5');
                if !valid {
                    diags.push(
                        Diagnostic::error(
                            "strata::invalid_value",
                            format!("`{code}` is not a status a fixed response can answer"),
                        )
                        .at(r.status_code.span, "not 2XX, 4XX or 5XX")
                        .help("give a code such as \"200\", \"404\" or \"503\""),
                    );
                }
            }
            _ => {}
        }
    }
}

/// The references in actions, as typed references of `field`.
pub(crate) fn action_refs<'a>(field: &'static str, actions: &'a [Action]) -> Vec<TypedRef<'a>> {
    actions
        .iter()
        .flat_map(Action::target_groups)
        .map(|t| TypedRef::hard(field, t, &["elbv2.target_group"]))
        .collect()
}

/// A listener.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListenerSpec {
    /// Its load balancer (an `elbv2.load_balancer`). Changing it replaces the listener.
    pub load_balancer: Ref,
    /// The port it listens on (1 to 65535); one listener per port and load balancer.
    pub port: Spanned<u32>,
    /// `HTTP` or `HTTPS`.
    pub protocol: ListenerProtocol,
    /// For `HTTPS`: its certificates (`iam.server_certificate`s or certificate ARNs), the first
    /// the default; the others are served by name (SNI, `AddListenerCertificates`). Extra
    /// certificates added outside strata to a listener it made with one are not seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<Ref>,
    /// For `HTTPS`: the security policy (AWS's default when left out, e.g.
    /// `ELBSecurityPolicy-TLS13-1-2-2021-06`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_policy: Option<String>,
    /// What it does with requests no rule takes.
    pub default_actions: Vec<Action>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for ListenerSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v = vec![TypedRef::hard(
            "load_balancer",
            &self.load_balancer,
            &["elbv2.load_balancer"],
        )];
        v.extend(
            self.certificates
                .iter()
                .map(|c| TypedRef::hard("certificates", c, &["iam.server_certificate"])),
        );
        v.extend(action_refs("default_actions", &self.default_actions));
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        let listeners: Vec<_> = stack.of_kind::<ListenerSpec>().collect();
        for (i, (r, l)) in listeners.iter().enumerate() {
            check_actions(&l.default_actions, r.name_span, diags);
            let https = l.protocol == ListenerProtocol::Https;
            if https && l.certificates.is_empty() {
                diags.push(
                    Diagnostic::error("strata::missing_field", "an HTTPS listener needs a certificate")
                        .at(l.port.span, "HTTPS without `certificates`")
                        .help("add `certificates: [NAME]` naming an iam.server_certificate, or a certificate ARN"),
                );
            }
            if !https && (!l.certificates.is_empty() || l.ssl_policy.is_some()) {
                diags.push(
                    Diagnostic::error(
                        "strata::conflicting_fields",
                        "only an HTTPS listener has certificates and a security policy",
                    )
                    .at(l.port.span, "an HTTP listener")
                    .help("remove `certificates` and `ssl_policy`, or set `protocol: HTTPS`"),
                );
            }
            if !(1..=65535).contains(&l.port.value) {
                diags.push(
                    Diagnostic::error("strata::invalid_value", format!("port {} is out of range", l.port.value))
                        .at(l.port.span, "out of range")
                        .help("give 1 to 65535"),
                );
            }
            if let Some((_, other)) = listeners[..i].iter().find(|(_, o)| {
                o.load_balancer.name() == l.load_balancer.name() && o.port.value == l.port.value
            }) {
                diags.push(
                    Diagnostic::error(
                        "strata::duplicate_listener",
                        format!(
                            "two listeners of `{}` on port {}",
                            l.load_balancer.name(),
                            l.port.value
                        ),
                    )
                    .at(l.port.span, "second listener")
                    .also(other.port.span, "first listener")
                    .help("a load balancer has one listener per port: give one of them another port"),
                );
            }
        }
    }
}
