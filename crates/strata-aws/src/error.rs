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
    R: std::fmt::Debug + HasStatus,
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
        SdkError::DispatchFailure(_) => (
            ErrorClass::Transient,
            None,
            format!("could not reach the AWS endpoint: {}", causes(&err)),
        ),
        _ => (ErrorClass::Other, None, causes(&err)),
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

/// An error and its causes, each as it displays itself (`DisplayErrorContext` would add the
/// SDK's `Debug` form, which no user should read).
fn causes(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.join(": ")
}

/// Shorthand: `.map_err(aws("ec2:CreateVpc"))`.
pub fn aws<E, R>(action: &'static str) -> impl Fn(SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus,
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
