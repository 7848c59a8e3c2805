//! What every kind of every service shares: the `AwsKind` trait, the registry of kinds over
//! all services (`KINDS`, `find`), and the service-neutral helpers (created/updated results,
//! field getters, repeat-safe calls, create without an idempotency token, waits until visible
//! and until free). Service-specific helpers live in the service's folder (`ec2/mod.rs`).

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use crate::Ctx;
use crate::wait::{self, Backoff, Poll};

use crate::{application_autoscaling, cloudfront, ec2, ecs, elbv2, iam, logs, rds, s3};

/// The AWS side of a kind.
#[async_trait]
pub trait AwsKind: Send + Sync {
    /// The kind's name, as in the documents.
    fn kind(&self) -> &'static str;

    /// How its resources are found by the stack's tag: by the tagging API's one listing per
    /// read, or by its own describe (the default).
    fn discovery(&self) -> crate::discovery::Discovery {
        crate::discovery::Discovery::OwnDescribe
    }

    /// The most ids one read call takes: the kind's policy (`KindInfo.policy.id_chunk`).
    fn id_chunk(&self) -> usize {
        strata_model::kinds::find(self.kind()).map_or(1, |k| k.policy.id_chunk.max(1))
    }

    /// Every resource of this kind with one of `req.ids` or carrying the stack's ownership tag,
    /// in batched calls: one filtered describe for the ids (in chunks the API accepts) and one
    /// for the tag, each paginated; a kind the tagging API's listing covers (`discovery`) adds
    /// the listing's ids to its describe by id instead. `req.records` (what the lockfile recorded of this kind) lets
    /// a kind skip per-resource reads of parts that have not changed.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError>;

    /// Creates the resource, tagged in the create call, and waits until it is usable.
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError>;

    /// Changes the fields in `req.changed` in place.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError>;

    /// Deletes the resource and waits until it is gone; gone already is success.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError>;
}

/// Every kind strata-aws implements.
pub static KINDS: &[&dyn AwsKind] = &[
    &ec2::vpc::Vpc,
    &ec2::subnet::Subnet,
    &ec2::internet_gateway::InternetGateway,
    &ec2::eip::Eip,
    &ec2::nat_gateway::NatGateway,
    &ec2::route_table::RouteTable,
    &ec2::security_group::SecurityGroup,
    &ec2::prefix_list::PrefixList,
    &ec2::vpc_endpoint::VpcEndpoint,
    &ec2::vpc_peering_connection::VpcPeeringConnection,
    &ec2::transit_gateway::TransitGateway,
    &ec2::transit_gateway_vpc_attachment::TransitGatewayVpcAttachment,
    &ec2::transit_gateway_route_table::TransitGatewayRouteTable,
    &elbv2::load_balancer::LoadBalancer,
    &elbv2::target_group::TargetGroup,
    &elbv2::listener::Listener,
    &elbv2::listener_rule::ListenerRule,
    &iam::server_certificate::ServerCertificateKind,
    &iam::role::RoleKind,
    &s3::bucket::Bucket,
    &s3::bucket_policy::BucketPolicy,
    &s3::object::Object,
    &cloudfront::origin_access_control::OriginAccessControl,
    &cloudfront::origin_access_identity::OriginAccessIdentity,
    &cloudfront::distribution::DistributionKind,
    &rds::db_subnet_group::DbSubnetGroupKind,
    &rds::db_cluster_parameter_group::DbClusterParameterGroupKind,
    &rds::db_cluster::DbClusterKind,
    &rds::db_cluster_instance::DbClusterInstanceKind,
    &logs::log_group::LogGroupKind,
    &ecs::cluster::ClusterKind,
    &ecs::task_definition::TaskDefinitionKind,
    &ecs::service::ServiceKind,
    &application_autoscaling::target::TargetKind,
    &application_autoscaling::policy::PolicyKind,
];

pub fn find(kind: &str) -> Option<&'static dyn AwsKind> {
    KINDS.iter().copied().find(|k| k.kind() == kind)
}

/// Describes by an id list for APIs where a filter on ids is not available, tolerating ids that
/// no longer exist: such APIs fail the whole call with `NotFound`, so a failing batch is split
/// in halves until the missing ids are isolated (a few extra calls, only when ids vanished).
/// `chunk` is the most ids the API takes in one call.
pub async fn describe_ids_tolerant<T, F, Fut>(
    ids: &[String],
    chunk: usize,
    call: F,
) -> Result<Vec<T>, ProviderError>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let mut out = Vec::new();
    let mut work: Vec<Vec<String>> = ids.chunks(chunk.max(1)).map(<[String]>::to_vec).collect();
    while let Some(batch) = work.pop() {
        if batch.is_empty() {
            continue;
        }
        match call(batch.clone()).await {
            Ok(found) => out.extend(found),
            Err(e) if e.class == ErrorClass::NotFound => {
                if batch.len() > 1 {
                    let (a, b) = batch.split_at(batch.len() / 2);
                    work.push(a.to_vec());
                    work.push(b.to_vec());
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The result of an update: the prior attributes with the changed fields set as desired.
pub fn updated(req: &UpdateRequest<'_>) -> LiveResource {
    let mut attrs = req.prior.clone();
    for f in req.changed {
        match req.attrs.get(f) {
            Some(v) => attrs.insert(f.clone(), v.clone()),
            None => attrs.remove(f),
        };
    }
    updated_with(req, attrs)
}

/// The result of an update with these attributes, carrying the request's ownership tags.
pub fn updated_with(req: &UpdateRequest<'_>, attrs: Attrs) -> LiveResource {
    LiveResource::new(req.kind, req.id, attrs).owned_by(req.owner())
}

/// Builds a live resource from its id, its tags already split into the user's (a JSON object,
/// set as `tags`) and the ownership tags, and its other attributes (a JSON object). Each
/// service's `live` splits its own tag type and calls this.
pub fn live_with_tags(
    kind: &str,
    id: &str,
    (user, own): (serde_json::Value, crate::tags::Ownership),
    mut attrs: serde_json::Value,
) -> LiveResource {
    if let Some(m) = attrs.as_object_mut() {
        m.insert("tags".into(), user);
    }
    live_owned(kind, id, own, attrs)
}

/// Builds a live resource from its id, its ownership (from its tags, or from the marks a kind
/// without tags keeps in a text field: `tags::unmarked`) and its attributes (a JSON object).
pub fn live_owned(
    kind: &str,
    id: &str,
    own: crate::tags::Ownership,
    attrs: serde_json::Value,
) -> LiveResource {
    let mut l = LiveResource::new(kind, id, attrs.as_object().cloned().unwrap_or_default());
    l.stack = own.stack;
    l.name = own.name;
    l.lineage = own.lineage;
    l
}

/// Marks a freshly created resource with its ownership and the desired tags.
pub fn created(mut l: LiveResource, req: &CreateRequest<'_>) -> LiveResource {
    l.attrs.insert(
        "tags".into(),
        serde_json::json!(crate::tags::desired_tags(req.attrs)),
    );
    l.owned_by(req.owner())
}

/// A list of strings from the desired attributes.
pub fn str_list(attrs: &Attrs, field: &str) -> Vec<String> {
    attrs
        .get(field)
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A string field of the desired attributes.
pub fn str_field<'a>(attrs: &'a Attrs, field: &str) -> Option<&'a str> {
    attrs.get(field).and_then(|v| v.as_str())
}

/// A whole-number field of the desired attributes that AWS takes as an `i32` (a port, a
/// retention period); `None` when it is left out or out of range.
pub fn i32_field(attrs: &Attrs, field: &str) -> Option<i32> {
    attrs
        .get(field)
        .and_then(serde_json::Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

/// A boolean field of the desired attributes.
pub fn bool_field(attrs: &Attrs, field: &str) -> Option<bool> {
    attrs.get(field).and_then(serde_json::Value::as_bool)
}

/// EC2's `enable` or `disable` for a boolean field of the desired attributes (`default` when
/// the field is left out), as the transit gateway options take them.
pub fn enable_flag(attrs: &Attrs, field: &str, default: bool) -> &'static str {
    if bool_field(attrs, field).unwrap_or(default) {
        "enable"
    } else {
        "disable"
    }
}

/// A required string field, or an error naming it.
pub fn required<'a>(attrs: &'a Attrs, field: &str) -> Result<&'a str, ProviderError> {
    str_field(attrs, field).ok_or_else(|| {
        ProviderError::new(
            ErrorClass::Invalid,
            format!("`{field}` is missing or not a string"),
        )
    })
}

/// Runs a delete call until it stops failing with `DependencyViolation` or `timeout` passes.
/// `NotFound` counts as deleted. On timeout, `explain` says what still holds the resource.
pub async fn delete_until_free<F, Fut, E, EFut>(
    what: &str,
    timeout: Duration,
    progress: &Progress,
    mut call: F,
    explain: E,
) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ProviderError>>,
    E: FnOnce() -> EFut,
    EFut: Future<Output = Option<String>>,
{
    let last: std::sync::Mutex<Option<ProviderError>> = std::sync::Mutex::new(None);
    let r = wait::until(what, timeout, Backoff::default(), progress, || {
        let fut = call();
        let last = &last;
        async move {
            match fut.await {
                Ok(()) => Ok(Poll::Ready(())),
                Err(e) if e.class == ErrorClass::NotFound => Ok(Poll::Ready(())),
                Err(e) if e.class == ErrorClass::DependencyViolation => {
                    let msg = e.message.clone();
                    if let Ok(mut l) = last.lock() {
                        *l = Some(e);
                    }
                    Ok(Poll::NotYet(format!("still in use: {msg}")))
                }
                Err(e) => Err(e),
            }
        }
    })
    .await;
    let last = last.into_inner().ok().flatten();
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.class == ErrorClass::Timeout => {
            let mut err = last.unwrap_or(e);
            let blockers = explain().await;
            err.help = Some(match blockers {
                Some(b) => format!(
                    "it is still used by: {b}. Remove or detach those, then run strata again"
                ),
                None => {
                    "something outside strata still uses it; remove that, then run strata again"
                        .to_string()
                }
            });
            Err(err)
        }
        Err(e) => Err(e),
    }
}

/// Which refusals of a call may mean "already done".
#[derive(Debug, Clone, Copy)]
pub enum Refusal<'a> {
    /// These AWS error codes (e.g. `RouteAlreadyExists`).
    Codes(&'a [&'a str]),
    /// Any refusal (AWS's code for the case is not documented): what exists decides.
    Any,
}

impl Refusal<'_> {
    /// Whether `e` is such a refusal.
    pub fn matches(self, e: &ProviderError) -> bool {
        match self {
            Refusal::Codes(codes) => e.code.as_deref().is_some_and(|c| codes.contains(&c)),
            Refusal::Any => !matches!(
                e.class,
                ErrorClass::Transient
                    | ErrorClass::Throttled
                    | ErrorClass::AccessDenied
                    | ErrorClass::Cancelled
            ),
        }
    }
}

/// What a read found about the change a refused call asked for.
pub enum Already {
    /// It is in place: an earlier attempt of the call acted, only its answer was lost.
    Done,
    /// It is not: the refusal stands.
    Not,
    /// Something else is in its place; the text says what (the call fails with it).
    Else(String),
}

/// A mutating call that may be a repeat. The SDK sends a call again when its answer is lost
/// (a dropped connection, a timeout, a server error after the work was done), and AWS refuses
/// the repeat of a call that acted: `RouteAlreadyExists`, `Resource.AlreadyAssociated`,
/// `InvalidPermission.Duplicate`, … (docs/emulator.md lists each call's answer). When `sent`
/// is such a refusal, `check` reads what exists: the call is done if that is what it asked for,
/// and fails naming what is there instead if something else is.
pub async fn unless_already<T>(
    sent: Result<T, ProviderError>,
    refusal: Refusal<'_>,
    check: impl AsyncFnOnce() -> Result<Already, ProviderError>,
) -> Result<(), ProviderError> {
    let e = match sent {
        Ok(_) => return Ok(()),
        Err(e) if refusal.matches(&e) => e,
        Err(e) => return Err(e),
    };
    match check().await? {
        Already::Done => Ok(()),
        Already::Not => Err(e),
        Already::Else(what) => Err(ProviderError {
            message: what,
            help: Some(
                "something outside this stack changed it; undo that change (or stop managing it \
                 here), then run strata again"
                    .to_string(),
            ),
            ..e
        }),
    }
}

/// For the repeat of a modify call that acted: done if every field the update changes (but its
/// tags, which another call sets) is as asked, `same` comparing one field with what exists.
pub fn modified_already(req: &UpdateRequest<'_>, same: impl Fn(&str) -> bool) -> Already {
    if req.changed.iter().filter(|f| *f != "tags").all(|f| same(f)) {
        Already::Done
    } else {
        Already::Not
    }
}

/// The identifiers a read of `kind` describes: the lockfile's and the stack's from the tagging
/// API's listing; `None` when there is no listing (a context without one): then every
/// resource of the kind is described and kept by its tags.
pub async fn ids_to_read(
    cx: &Ctx,
    kind: &dyn AwsKind,
    ids: &[String],
    stack: &str,
) -> Result<Option<Vec<String>>, ProviderError> {
    let tagged = crate::discovery::tagged_ids(cx, kind.discovery(), stack).await?;
    Ok(tagged.map(|t| {
        let mut all: Vec<String> = ids.iter().cloned().chain(t).collect();
        all.sort();
        all.dedup();
        all
    }))
}

/// Reads a kind whose API describes one name a call, or all: each name [`ids_to_read`] gives
/// (`one`; `None` when there is none), or without a listing every resource (`all`); then each
/// one's per-resource read (`live`: its tags, its settings), where one deleted in between is
/// gone ([`gone_between`]); kept when the lockfile records it or it carries the stack's tag.
pub async fn read_by_name<T, O, OF, A, AF, L, LF>(
    cx: &Ctx,
    kind: &dyn AwsKind,
    req: &ReadRequest<'_>,
    one: O,
    all: A,
    live: L,
) -> Result<Vec<LiveResource>, ProviderError>
where
    O: Fn(String) -> OF,
    OF: Future<Output = Result<Option<T>, ProviderError>>,
    A: FnOnce() -> AF,
    AF: Future<Output = Result<Vec<T>, ProviderError>>,
    L: Fn(T) -> LF,
    LF: Future<Output = Result<LiveResource, ProviderError>>,
{
    let found: Vec<T> = match ids_to_read(cx, kind, req.ids, req.stack).await? {
        Some(names) => futures_util::future::try_join_all(names.into_iter().map(one))
            .await?
            .into_iter()
            .flatten()
            .collect(),
        None => all().await?,
    };
    let read = futures_util::future::try_join_all(found.into_iter().map(|t| {
        let read = live(t);
        async { gone_between(read.await) }
    }))
    .await?;
    Ok(read
        .into_iter()
        .flatten()
        .filter(|l| req.wants(l))
        .collect())
}

/// The name (or identifier) a create gives: the `name` field's value, or one made from the
/// `prefix` field's and the create's journaled token, so that a repeat after a crash makes the
/// same name.
pub fn name_or_prefix(
    req: &CreateRequest<'_>,
    name: &str,
    prefix: &str,
) -> Result<String, ProviderError> {
    match str_field(req.attrs, prefix) {
        Some(p) => Ok(strata_model::kinds::name_with_suffix(p, req.token)),
        None => required(req.attrs, name).map(str::to_string),
    }
}

/// The result of a call that removes something (a route, an association): `NotFound`, nothing
/// left to remove, is done.
pub fn removed<T>(sent: Result<T, ProviderError>) -> Result<(), ProviderError> {
    match sent {
        Err(e) if e.class == ErrorClass::NotFound => Ok(()),
        other => other.map(|_| ()),
    }
}

/// A per-resource read made after a listing showed the resource: `None` when it went in
/// between (`NotFound`: deleted meanwhile, by another run or by a call of a killed one still
/// landing), as if the listing had not shown it.
pub fn gone_between<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// What a create call that takes no idempotency token came back with.
pub enum Sent<T> {
    /// AWS's answer.
    Answer(T),
    /// The answer was lost, but the resource was found by its ownership tags.
    Found(LiveResource),
}

impl<T> Sent<T> {
    pub fn answer(self) -> Option<T> {
        match self {
            Sent::Answer(t) => Some(t),
            Sent::Found(_) => None,
        }
    }
}

/// Attempts of a create call without an idempotency token.
const CREATE_ATTEMPTS: u32 = 6;

/// Sends a create call that takes no idempotency token (CreateVpc, CreateSubnet, …) so that a
/// lost answer never leaves a second copy behind. The call goes through `cx.ec2_once`, which the
/// SDK does not retry. Throttling is retried after a backoff. A server error, a timeout or a
/// dropped connection leaves unknown whether AWS acted, so the resource is first looked for by
/// its ownership tags (set in the call itself, the lockfile's lineage among them) for a few seconds, and the call is sent again
/// only if it is not there. Returns the id and, unless the resource was found that way, the
/// answer.
pub async fn create_once<T, F, Fut>(
    cx: &Ctx,
    kind: &dyn AwsKind,
    req: &CreateRequest<'_>,
    mut call: F,
    id_of: impl Fn(&T) -> Option<String>,
) -> Result<(String, Sent<T>), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut delay = Duration::from_millis(300);
    let mut attempt = 1;
    loop {
        let err = match call().await {
            Ok(t) => {
                let id = id_of(&t).ok_or_else(|| {
                    ProviderError::new(
                        ErrorClass::Other,
                        format!("the create call for {} returned no id", req.name),
                    )
                })?;
                return Ok((id, Sent::Answer(t)));
            }
            Err(e) if matches!(e.class, ErrorClass::Transient | ErrorClass::Throttled) => e,
            Err(e) => return Err(e),
        };
        // Throttling: AWS refused the call without acting on it.
        if err.class != ErrorClass::Throttled {
            // On AWS a new resource can take a moment to show in describes.
            let deadline = std::time::Instant::now() + cx.create_lookup;
            // The kind's own describe by tag: the tagging API's listing may lag seconds behind
            // the create, and the read's listing was made before it.
            let own = cx.without_listing();
            loop {
                // Only a copy this very lockfile's run made: same name and lineage.
                let by_tag = ReadRequest {
                    kind: req.kind,
                    ids: &[],
                    stack: req.stack,
                    records: &[],
                    names: None,
                };
                let found = kind.read(&own, &by_tag).await?.into_iter().find(|l| {
                    l.name.as_deref() == Some(req.name)
                        && l.lineage.as_deref() == Some(req.lineage)
                        && Some(l.id.as_str()) != req.replacing
                });
                if let Some(l) = found {
                    return Ok((l.id.clone(), Sent::Found(l)));
                }
                if std::time::Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        if attempt >= CREATE_ATTEMPTS {
            let mut e = err;
            e.help = Some(format!(
                "AWS kept failing after {CREATE_ATTEMPTS} attempts; run the same command again \
                 (a copy created by a lost call is found by its tags and adopted)"
            ));
            return Err(e);
        }
        attempt += 1;
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// How long a resource just created may take to show in describes.
const VISIBLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Waits until a resource just created shows in describes: on AWS a describe right after the
/// create may not find it yet (eventual consistency). `find` answers `None` while it is not
/// found; a `NotFound` error counts as not found too.
pub async fn until_visible<T, F, Fut>(
    what: &str,
    cx: &Ctx,
    progress: &Progress,
    mut find: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    wait::until(
        &format!("{what} to be visible"),
        cx.timeout(VISIBLE_TIMEOUT),
        Backoff::default(),
        progress,
        || {
            let f = find();
            async move {
                Ok(match f.await {
                    Ok(Some(t)) => Poll::Ready(t),
                    Ok(None) => Poll::Missing,
                    Err(e) if e.class == ErrorClass::NotFound => Poll::Missing,
                    Err(e) => return Err(e),
                })
            }
        },
    )
    .await
}
