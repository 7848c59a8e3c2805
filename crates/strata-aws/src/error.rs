//! AWS errors as provider errors: the action, AWS's code and message, and what to do.

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use strata_engine::provider::{ErrorClass, ProviderError};

use crate::reach::Unreachable;

/// Codes whose class belongs to one service, by service (as the client registry names it,
/// the part of an action before `:`). Checked before [`COMMON`].
const BY_SERVICE: &[(&str, &str, ErrorClass)] = &[
    // EC2: the resource is busy with an earlier change.
    ("ec2", "IncorrectState", ErrorClass::InvalidState),
    ("ec2", "IncorrectInstanceState", ErrorClass::InvalidState),
    ("ec2", "PrefixListVersionMismatch", ErrorClass::StaleVersion),
    // Elastic Load Balancing v2.
    ("elbv2", "ResourceInUse", ErrorClass::DependencyViolation),
    // CloudFront: a distribution is deleted only once disabled and deployed; updates carry the
    // ETag they were read at (If-Match).
    (
        "cloudfront",
        "DistributionNotDisabled",
        ErrorClass::InvalidState,
    ),
    ("cloudfront", "PreconditionFailed", ErrorClass::StaleVersion),
    // An origin access control or identity that a distribution's origin still names.
    (
        "cloudfront",
        "OriginAccessControlInUse",
        ErrorClass::DependencyViolation,
    ),
    (
        "cloudfront",
        "CloudFrontOriginAccessIdentityInUse",
        ErrorClass::DependencyViolation,
    ),
    (
        "cloudfront",
        "InvalidIfMatchVersion",
        ErrorClass::StaleVersion,
    ),
    // S3.
    ("s3", "BucketNotEmpty", ErrorClass::DependencyViolation),
    ("s3", "OperationAborted", ErrorClass::InvalidState),
    ("s3", "SlowDown", ErrorClass::Throttled),
    // RDS: a cluster or instance busy with an earlier change.
    (
        "rds",
        "InvalidDBClusterStateFault",
        ErrorClass::InvalidState,
    ),
    ("rds", "InvalidDBInstanceState", ErrorClass::InvalidState),
    // A subnet group or parameter group a cluster still uses.
    (
        "rds",
        "InvalidDBSubnetGroupStateFault",
        ErrorClass::DependencyViolation,
    ),
    (
        "rds",
        "InvalidDBParameterGroupState",
        ErrorClass::DependencyViolation,
    ),
    (
        "rds",
        "DBSubnetGroupDoesNotCoverEnoughAZs",
        ErrorClass::Invalid,
    ),
    ("rds", "KMSKeyNotAccessibleFault", ErrorClass::AccessDenied),
    (
        "rds",
        "InvalidDBSubnetGroupStateFault",
        ErrorClass::InvalidState,
    ),
    ("rds", "InvalidDBSubnetGroupFault", ErrorClass::Invalid),
    // ECS.
    (
        "ecs",
        "ClusterContainsServicesException",
        ErrorClass::DependencyViolation,
    ),
    (
        "ecs",
        "ClusterContainsTasksException",
        ErrorClass::DependencyViolation,
    ),
    (
        "ecs",
        "ClusterContainsContainerInstancesException",
        ErrorClass::DependencyViolation,
    ),
    ("ecs", "UpdateInProgressException", ErrorClass::InvalidState),
    ("ecs", "ServiceNotActiveException", ErrorClass::NotFound),
    ("ecs", "ClientException", ErrorClass::Invalid),
    ("ecs", "ServerException", ErrorClass::Transient),
    // CloudWatch Logs.
    (
        "logs",
        "OperationAbortedException",
        ErrorClass::InvalidState,
    ),
    (
        "logs",
        "ResourceAlreadyExistsException",
        ErrorClass::Invalid,
    ),
    // IAM.
    ("iam", "DeleteConflict", ErrorClass::DependencyViolation),
    (
        "iam",
        "EntityTemporarilyUnmodifiable",
        ErrorClass::InvalidState,
    ),
    ("iam", "ConcurrentModification", ErrorClass::InvalidState),
    // Resource Groups Tagging API.
    ("tagging", "InternalServiceException", ErrorClass::Transient),
    ("tagging", "InvalidParameterException", ErrorClass::Invalid),
    (
        "tagging",
        "PaginationTokenExpiredException",
        ErrorClass::Transient,
    ),
];

/// Codes that mean the same in every service.
const COMMON: &[(&str, ErrorClass)] = &[
    ("UnauthorizedOperation", ErrorClass::AccessDenied),
    ("AccessDenied", ErrorClass::AccessDenied),
    ("AccessDeniedException", ErrorClass::AccessDenied),
    ("AuthFailure", ErrorClass::AccessDenied),
    ("Blocked", ErrorClass::AccessDenied),
    ("OptInRequired", ErrorClass::AccessDenied),
    ("DependencyViolation", ErrorClass::DependencyViolation),
    ("InvalidGroup.InUse", ErrorClass::DependencyViolation),
    ("ResourceInUse", ErrorClass::DependencyViolation),
    ("ResourceInUseException", ErrorClass::DependencyViolation),
    ("RequestLimitExceeded", ErrorClass::Throttled),
    ("Throttling", ErrorClass::Throttled),
    ("ThrottlingException", ErrorClass::Throttled),
    ("ThrottledException", ErrorClass::Throttled),
    ("TooManyRequestsException", ErrorClass::Throttled),
    ("RequestThrottled", ErrorClass::Throttled),
    ("RequestThrottledException", ErrorClass::Throttled),
    ("SlowDown", ErrorClass::Throttled),
    ("PriorRequestNotComplete", ErrorClass::Throttled),
    ("PreconditionFailed", ErrorClass::StaleVersion),
    ("InvalidIfMatchVersion", ErrorClass::StaleVersion),
    ("ConcurrentModificationException", ErrorClass::InvalidState),
    ("InternalError", ErrorClass::Transient),
    ("InternalFailure", ErrorClass::Transient),
    ("InternalServerError", ErrorClass::Transient),
    ("ServiceUnavailable", ErrorClass::Transient),
    ("ServiceUnavailableException", ErrorClass::Transient),
    ("Unavailable", ErrorClass::Transient),
    // The request's signature or credentials (help: `auth_help`).
    ("RequestTimeTooSkewed", ErrorClass::AccessDenied),
    ("RequestExpired", ErrorClass::AccessDenied),
    ("ExpiredToken", ErrorClass::AccessDenied),
    ("ExpiredTokenException", ErrorClass::AccessDenied),
    ("TokenRefreshRequired", ErrorClass::AccessDenied),
    ("SignatureDoesNotMatch", ErrorClass::AccessDenied),
    ("InvalidSignatureException", ErrorClass::AccessDenied),
    ("InvalidClientTokenId", ErrorClass::AccessDenied),
    ("UnrecognizedClientException", ErrorClass::AccessDenied),
    ("MissingParameter", ErrorClass::Invalid),
    ("ValidationError", ErrorClass::Invalid),
    ("ValidationException", ErrorClass::Invalid),
];

/// Classifies an AWS error code of any service (a code that one service gives a class of its
/// own classifies as that service says).
pub fn class_of(code: &str) -> ErrorClass {
    class_in(None, code)
}

/// Classifies an AWS error code of `service` (`ec2`, `rds`, …; `None`: any).
pub fn class_in(service: Option<&str>, code: &str) -> ErrorClass {
    let own = BY_SERVICE
        .iter()
        .find(|(s, c, _)| *c == code && service.is_none_or(|want| want == *s));
    if let Some((_, _, class)) = own {
        return *class;
    }
    if let Some((_, class)) = COMMON.iter().find(|(c, _)| *c == code) {
        return *class;
    }
    match code {
        c if c.ends_with(".NotFound")
            || c.ends_with("NotFound")
            || c.ends_with("NotFoundException")
            || c.ends_with("NotFoundFault")
            || c.starts_with("NoSuch") =>
        {
            ErrorClass::NotFound
        }
        c if c.starts_with("Invalid")
            && (c.ends_with("State")
                || c.ends_with("StateFault")
                || c.ends_with("StateException")
                || c.contains("StateTransition")) =>
        {
            ErrorClass::InvalidState
        }
        c if c.starts_with("Invalid")
            || c.ends_with("LimitExceeded")
            || c.ends_with("LimitExceededException")
            || c.ends_with("QuotaExceeded")
            || c.ends_with("QuotaExceededFault") =>
        {
            ErrorClass::Invalid
        }
        _ => ErrorClass::Other,
    }
}

/// What an error of `class` says when AWS gave no message of its own.
fn message_for(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::NotFound => "the resource does not exist",
        ErrorClass::DependencyViolation => "something else still uses the resource",
        ErrorClass::Throttled => "AWS throttled the request",
        ErrorClass::StaleVersion => "the resource changed since it was read",
        ErrorClass::InvalidState => "the resource is busy with an earlier change",
        ErrorClass::Invalid => "AWS refused the request as invalid",
        ErrorClass::AccessDenied => "access denied",
        _ => "AWS gave no message",
    }
}

/// What to do about an error in the request's signature or credentials, which no retry fixes:
/// a clock that is off, session credentials that expired, an access key AWS does not know.
fn auth_help(code: &str, message: &str) -> Option<&'static str> {
    const SKEW: &str = "this computer's clock is more than a few minutes off from AWS's, and \
                        AWS refuses requests signed at the wrong time; set the clock right (turn \
                        on time synchronisation, e.g. `timedatectl set-ntp true`), then run the \
                        same command again";
    const EXPIRED: &str = "the session credentials in use have expired; get new ones (`aws sso \
                           login --profile NAME` for an SSO profile, or a new session token in \
                           AWS_SESSION_TOKEN), then run the same command again";
    let lower = message.to_lowercase();
    let skewed = lower.contains("signature expired")
        || lower.contains("not yet current")
        || lower.contains("too skewed")
        || lower.contains("time is too large");
    match code {
        "RequestTimeTooSkewed" => Some(SKEW),
        "SignatureDoesNotMatch" | "InvalidSignatureException" | "AuthFailure" if skewed => {
            Some(SKEW)
        }
        "ExpiredToken" | "ExpiredTokenException" | "TokenRefreshRequired" => Some(EXPIRED),
        "RequestExpired" => Some(
            "AWS found the request's signature expired: either the session credentials in use \
             have expired (get new ones: `aws sso login --profile NAME` for an SSO profile, or a \
             new session token in AWS_SESSION_TOKEN), or this computer's clock is more than a \
             few minutes off (set it right, e.g. `timedatectl set-ntp true`); then run the same \
             command again",
        ),
        "SignatureDoesNotMatch" | "InvalidSignatureException" => Some(
            "AWS computed another signature for the request: the secret access key does not \
             belong to the access key id in use; check the credentials (AWS_SECRET_ACCESS_KEY \
             or the profile's aws_secret_access_key)",
        ),
        "InvalidClientTokenId" | "UnrecognizedClientException" | "AuthFailure" => Some(
            "AWS does not know the access key in use (deleted, deactivated, or of another \
             partition); check which credentials are in use with `aws sts \
             get-caller-identity` and renew them",
        ),
        _ => None,
    }
}

fn help_for(class: ErrorClass, code: &str, message: &str, action: &str) -> Option<String> {
    if let Some(help) = auth_help(code, message) {
        return Some(help.to_string());
    }
    match class {
        ErrorClass::AccessDenied => Some(format!(
            "the credentials in use may not call {action}; check the IAM policy and any service \
             control policy (an explicit deny wins over every allow)"
        )),
        ErrorClass::Transient => Some(
            "AWS kept refusing after the SDK's retries; run the same command again".to_string(),
        ),
        ErrorClass::Throttled => Some(
            "AWS kept throttling after the SDK's retries; run the same command again, with a \
             lower --parallelism or STRATA_AWS_REQUEST_RATE if it persists"
                .to_string(),
        ),
        _ if code == "PrefixListVersionMismatch" => Some(
            "the prefix list changed while strata was changing it (someone else is editing it); \
             run `strata plan` to see its current entries, then apply again"
                .to_string(),
        ),
        ErrorClass::StaleVersion => Some(
            "the resource changed since strata read it (someone else is editing it); run \
             `strata plan` to see it as it is now, then apply again"
                .to_string(),
        ),
        ErrorClass::InvalidState => Some(
            "the resource is still busy with an earlier change; run the same command again \
             once it has settled"
                .to_string(),
        ),
        ErrorClass::NotFound => Some(
            "it was deleted, or never existed, outside strata; run `strata plan` to see what \
             strata would do now"
                .to_string(),
        ),
        _ if code.ends_with("LimitExceeded")
            || code.ends_with("LimitExceededException")
            || code.contains("QuotaExceeded") =>
        {
            Some(
                "an account quota is reached; raise it in Service Quotas or delete unused resources"
                    .to_string(),
            )
        }
        _ => None,
    }
}

/// Converts an SDK error for `action` (e.g. `ec2:CreateVpc`).
pub fn from_sdk<E, R>(action: &str, err: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus + Send + Sync + 'static,
{
    let service = action.split_once(':').map(|(s, _)| s);
    let (class, code, message) = match &err {
        SdkError::ServiceError(se) => match se.err().code() {
            Some(code) => {
                let class = class_in(service, code);
                let message = se
                    .err()
                    .message()
                    .map_or_else(|| message_for(class).to_string(), str::to_string);
                (class, Some(code.to_string()), message)
            }
            None => {
                let status = se.raw().status_code();
                (
                    class_of_status(status),
                    None,
                    format!("the endpoint answered HTTP {status} without an AWS error"),
                )
            }
        },
        SdkError::TimeoutError(_) => (
            ErrorClass::Transient,
            None,
            "the request timed out".to_string(),
        ),
        SdkError::DispatchFailure(_) => {
            if let Some(c) = source_of::<CredentialsError>(&err) {
                return ProviderError {
                    action: Some(action.to_string()),
                    ..crate::credentials::explain(c, None)
                };
            }
            if let Some(u) = source_of::<Unreachable>(&err) {
                return ProviderError {
                    class: ErrorClass::Other,
                    code: None,
                    message: format!("could not reach AWS: {u}"),
                    action: Some(action.to_string()),
                    help: Some(u.help()),
                    detail: Some(u.detail.as_str().into()),
                };
            }
            return ProviderError {
                class: ErrorClass::Transient,
                code: None,
                message: format!("could not reach the AWS endpoint: {}", chain_text(&err)),
                action: Some(action.to_string()),
                help: Some(
                    "the connection kept failing after the SDK's retries; check the network \
                     (and HTTPS_PROXY), then run the same command again"
                        .to_string(),
                ),
                detail: Some(chain_text(&err).into()),
            };
        }
        _ => (ErrorClass::Other, None, chain_text(&err)),
    };
    let help = help_for(class, code.as_deref().unwrap_or_default(), &message, action);
    ProviderError {
        class,
        code,
        message,
        action: Some(action.to_string()),
        help,
        detail: Some(chain_text(&err).into()),
    }
}

/// The first error of type `T` in `err`'s chain of sources.
fn source_of<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t);
        }
        next = e.source();
    }
    None
}

/// The class of an HTTP status that came without an AWS error code (REST APIs answer some
/// errors, a HEAD request's among them, with no body).
fn class_of_status(status: u16) -> ErrorClass {
    match status {
        403 => ErrorClass::AccessDenied,
        404 => ErrorClass::NotFound,
        412 => ErrorClass::StaleVersion,
        429 => ErrorClass::Throttled,
        500.. => ErrorClass::Transient,
        _ => ErrorClass::Other,
    }
}

/// An error and its sources, each by its `Display` (never `Debug`: SDK types' debug forms are
/// not for users), repeated parts left out.
pub fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Shorthand: `.map_err(aws("ec2:CreateVpc"))`.
pub fn aws<E, R>(action: &'static str) -> impl Fn(SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus + Send + Sync + 'static,
{
    move |e| from_sdk(action, e)
}

/// Responses that carry an HTTP status.
pub trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::client::orchestrator::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}
