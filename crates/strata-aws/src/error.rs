//! AWS errors as provider errors: the action, AWS's code and message, and what to do.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use strata_engine::provider::{ErrorClass, ProviderError};

/// Classifies an AWS error code.
pub fn class_of(code: &str) -> ErrorClass {
    match code {
        "UnauthorizedOperation"
        | "AccessDenied"
        | "AccessDeniedException"
        | "AuthFailure"
        | "Blocked"
        | "OptInRequired" => ErrorClass::AccessDenied,
        "DependencyViolation" | "InvalidGroup.InUse" | "ResourceInUse" => {
            ErrorClass::DependencyViolation
        }
        "RequestLimitExceeded"
        | "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "InternalError"
        | "InternalFailure"
        | "ServiceUnavailable"
        | "Unavailable" => ErrorClass::Transient,
        c if c.ends_with(".NotFound")
            || c.ends_with("NotFound")
            || c.ends_with("NotFoundException") =>
        {
            ErrorClass::NotFound
        }
        c if c.starts_with("Invalid")
            || c.ends_with("LimitExceeded")
            || c == "MissingParameter" =>
        {
            ErrorClass::Invalid
        }
        _ => ErrorClass::Other,
    }
}

fn help_for(class: ErrorClass, code: &str, action: &str) -> Option<String> {
    match class {
        ErrorClass::AccessDenied => Some(format!(
            "the credentials in use may not call {action}; check the IAM policy and any service \
             control policy (an explicit deny wins over every allow)"
        )),
        ErrorClass::Transient => Some(
            "AWS kept refusing after the SDK's retries; run the same command again".to_string(),
        ),
        _ if code == "PrefixListVersionMismatch" => Some(
            "the prefix list changed while strata was changing it (someone else is editing it); \
             run `strata plan` to see its current entries, then apply again"
                .to_string(),
        ),
        _ if code.ends_with("LimitExceeded") => Some(
            "an account quota is reached; raise it in Service Quotas or delete unused resources"
                .to_string(),
        ),
        _ => None,
    }
}

/// Converts an SDK error for `action` (e.g. `ec2:CreateVpc`).
pub fn from_sdk<E, R>(action: &str, err: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus + Send + Sync + 'static,
{
    let (class, code, message) = match &err {
        SdkError::ServiceError(se) => match se.err().code() {
            Some(code) => {
                let message = se
                    .err()
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| "AWS gave no message".to_string());
                (class_of(code), Some(code.to_string()), message)
            }
            None => {
                let status = se.raw().status_code();
                (
                    if status >= 500 {
                        ErrorClass::Transient
                    } else {
                        ErrorClass::Other
                    },
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
        SdkError::DispatchFailure(_) if credentials_failed(&err) => {
            return ProviderError {
                class: ErrorClass::AccessDenied,
                code: None,
                message: format!("no AWS credentials could be loaded: {}", chain_text(&err)),
                action: Some(action.to_string()),
                help: Some(
                    "strata uses the AWS SDK's credential chain: pass --profile (or set \
                     AWS_PROFILE), set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run \
                     `aws sso login`; for the local emulator, pass --local"
                        .to_string(),
                ),
            };
        }
        SdkError::DispatchFailure(_) => (
            ErrorClass::Transient,
            None,
            format!("could not reach the AWS endpoint: {}", chain_text(&err)),
        ),
        _ => (ErrorClass::Other, None, chain_text(&err)),
    };
    let help = help_for(class, code.as_deref().unwrap_or_default(), action);
    ProviderError {
        class,
        code,
        message,
        action: Some(action.to_string()),
        help,
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

/// Whether a dispatch failure came from loading credentials (the SDK says so in its chain).
fn credentials_failed(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.to_string().contains("loading credentials") {
            return true;
        }
        next = e.source();
    }
    false
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
