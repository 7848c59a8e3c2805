//! One module per resource kind, all with the same shape. Adding a kind: write its module
//! (copy `subnet.rs`), add it to `KINDS`, and add its spec in `strata-model`'s `kinds`.

pub mod subnet;
pub mod vpc;

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, UpdateRequest,
};
use strata_engine::value::Attrs;

use crate::Ctx;
use crate::wait::{self, Backoff, Poll};

/// The AWS side of a kind.
#[async_trait]
pub trait AwsKind: Send + Sync {
    /// The kind's name, as in the documents.
    fn kind(&self) -> &'static str;

    /// Every resource of this kind with one of `ids` or carrying the stack's ownership tag, in
    /// batched calls: one filtered describe for the ids (in chunks the API accepts) and one for
    /// the tag, each paginated.
    async fn read(
        &self,
        cx: &Ctx,
        ids: &[String],
        stack: &str,
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
pub static KINDS: &[&dyn AwsKind] = &[&vpc::Vpc, &subnet::Subnet];

pub fn find(kind: &str) -> Option<&'static dyn AwsKind> {
    KINDS.iter().copied().find(|k| k.kind() == kind)
}

/// The chunk size for id filters (EC2 accepts up to 200 values per filter).
pub const ID_CHUNK: usize = 200;

/// A string field of the desired attributes.
pub fn str_field<'a>(attrs: &'a Attrs, field: &str) -> Option<&'a str> {
    attrs.get(field).and_then(|v| v.as_str())
}

/// A boolean field of the desired attributes.
pub fn bool_field(attrs: &Attrs, field: &str) -> Option<bool> {
    attrs.get(field).and_then(serde_json::Value::as_bool)
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

/// Lists the network interfaces matching a filter, for "what blocks this delete" messages.
pub async fn describe_blocking_interfaces(cx: &Ctx, filter: &str, value: &str) -> Option<String> {
    let out = cx
        .ec2
        .describe_network_interfaces()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name(filter)
                .values(value)
                .build(),
        )
        .send()
        .await
        .ok()?;
    let list: Vec<String> = out
        .network_interfaces()
        .iter()
        .map(|n| {
            format!(
                "{} ({}{})",
                n.network_interface_id().unwrap_or("?"),
                n.description()
                    .filter(|d| !d.is_empty())
                    .unwrap_or("no description"),
                n.requester_id()
                    .map(|r| format!(", requested by {r}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    (!list.is_empty()).then(|| format!("network interfaces {}", list.join(", ")))
}
