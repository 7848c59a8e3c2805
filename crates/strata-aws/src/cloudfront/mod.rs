//! CloudFront: one module per kind, of the same shape as EC2's and S3's. CloudFront is global
//! (one account-wide namespace, reached through us-east-1's endpoint whatever the region), has
//! no batched describe (a listing, then one call per resource), and versions every resource:
//! each update and delete carries the ETag it was read at (`If-Match`), and one made on a stale
//! ETag is refused with `PreconditionFailed` ([`with_etag`] reads again and retries).

pub mod distribution;
pub mod origin_access_control;
pub mod origin_access_identity;
pub mod tags;

use std::future::Future;

pub(crate) use crate::kind::*;

use strata_engine::provider::{ErrorClass, ProviderError};

use crate::Ctx;

/// The service's client (this context's region: CloudFront answers the same in every one).
pub fn client(cx: &Ctx) -> aws_sdk_cloudfront::Client {
    cx.client::<aws_sdk_cloudfront::Client>().retrying
}

/// The same, without the SDK's automatic retries (`kind::create_once`).
pub fn client_once(cx: &Ctx) -> aws_sdk_cloudfront::Client {
    cx.client::<aws_sdk_cloudfront::Client>().once
}

/// How many times a change is read and sent again after `PreconditionFailed` (someone else
/// changed the resource between strata's read and its write).
const ETAG_ATTEMPTS: u32 = 5;

/// A change made with the current ETag: `read` answers the resource's current configuration
/// and its ETag, `write` sends the change made on that configuration with that ETag. When
/// CloudFront refuses it because the resource changed since the read (`PreconditionFailed`),
/// the configuration is read again and the change made on top of the new one: a write never
/// sends back a configuration read before someone else's change.
pub async fn with_etag<C, T, R, RFut, W, WFut>(
    what: &str,
    mut read: R,
    mut write: W,
) -> Result<T, ProviderError>
where
    R: FnMut() -> RFut,
    RFut: Future<Output = Result<(C, String), ProviderError>>,
    W: FnMut(C, String) -> WFut,
    WFut: Future<Output = Result<T, ProviderError>>,
{
    let mut attempt = 1;
    loop {
        let (config, etag) = read().await?;
        match write(config, etag).await {
            Err(e) if e.class == ErrorClass::StaleVersion && attempt < ETAG_ATTEMPTS => {
                attempt += 1;
            }
            Err(mut e) if e.class == ErrorClass::StaleVersion => {
                e.help = Some(format!(
                    "{what} kept changing under strata ({ETAG_ATTEMPTS} reads and writes); \
                     run the same command again once the other change is done"
                ));
                return Err(e);
            }
            other => return other,
        }
    }
}

/// An ETag CloudFront answered, or an error saying it answered none.
pub fn etag(e: Option<&str>, action: &str) -> Result<String, ProviderError> {
    e.map(str::to_string).ok_or_else(|| {
        ProviderError::new(
            ErrorClass::Other,
            format!("CloudFront answered {action} without an ETag"),
        )
    })
}

/// A builder's error (a required part missing) as a provider error.
pub fn built<T>(
    r: Result<T, aws_smithy_types::error::operation::BuildError>,
) -> Result<T, ProviderError> {
    r.map_err(|e| ProviderError::new(ErrorClass::Invalid, e.to_string()))
}
