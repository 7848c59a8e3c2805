//! The credentials, resolved once before the first call, and what went wrong when they cannot
//! be: a profile that is not defined (named, with the files looked in), an SSO login to
//! renew (`aws sso login --profile NAME`), a `credential_process` that failed (its standard
//! error), or no credentials at all. The profile files and `AWS_PROFILE` are read as the SDK
//! reads them (its own loader and view of the environment).

use std::path::PathBuf;

use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_types::os_shim_internal::{Env, Fs};
use strata_engine::provider::{ErrorClass, ProviderError};

use crate::error::chain_text;

/// The shared config and credentials files the SDK reads.
#[derive(Debug, Clone)]
pub struct ProfileFiles {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl ProfileFiles {
    /// `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and
    /// `~/.aws/credentials`.
    pub fn in_use() -> ProfileFiles {
        let env = Env::real();
        let home = env
            .get("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from("~"));
        let file = |var: &str, name: &str| {
            env.get(var)
                .map(PathBuf::from)
                .unwrap_or_else(|_| home.join(".aws").join(name))
        };
        ProfileFiles {
            config: file("AWS_CONFIG_FILE", "config"),
            credentials: file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        }
    }
}

/// The profile named by `--profile` (`arg`) or `AWS_PROFILE`, and which of them named it.
fn named_profile(arg: Option<&str>) -> Option<(String, &'static str)> {
    if let Some(p) = arg {
        return Some((p.to_string(), "--profile"));
    }
    Env::real()
        .get("AWS_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())
        .map(|p| (p, "AWS_PROFILE"))
}

/// The profile in use: the one named, else `default`.
fn profile_in_use(arg: Option<&str>) -> String {
    named_profile(arg).map_or_else(|| "default".to_string(), |(p, _)| p)
}

/// Checks that a profile named by `--profile` or `AWS_PROFILE` is defined in the profile
/// files (the SDK would otherwise go on to the next source of credentials, and end with
/// "no credentials" after trying the instance metadata service).
pub async fn check_profile(arg: Option<&str>) -> Result<(), ProviderError> {
    let Some((name, by)) = named_profile(arg) else {
        return Ok(());
    };
    let files = ProfileFiles::in_use();
    let set = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &Default::default(),
        Some(name.clone().into()),
    )
    .await
    .map_err(|e| {
        ProviderError::new(
            ErrorClass::Invalid,
            format!("the AWS profile files could not be read: {e}"),
        )
        .with_help(format!(
            "fix {} or {} (the AWS CLI's `aws configure list` reads them too)",
            files.config.display(),
            files.credentials.display()
        ))
    })?;
    if set.get_profile(&name).is_some() {
        return Ok(());
    }
    let mut known: Vec<&str> = set.profiles().collect();
    known.sort_unstable();
    let defined = if known.is_empty() {
        "no profile is defined there".to_string()
    } else {
        format!("the profiles defined there: {}", known.join(", "))
    };
    Err(ProviderError::new(
        ErrorClass::Invalid,
        format!("the AWS profile `{name}` (from {by}) is not defined"),
    )
    .with_help(format!(
        "strata looked in {} (`[profile {name}]`) and {} (`[{name}]`); {defined}. Give the \
         name of a profile there, or create it with `aws configure --profile {name}` (or \
         `aws configure sso --profile {name}`)",
        files.config.display(),
        files.credentials.display()
    )))
}

/// Resolves the credentials once, so that a run that has none fails before its first call,
/// saying why.
pub async fn check_credentials(
    sdk: &aws_config::SdkConfig,
    profile: Option<&str>,
) -> Result<(), ProviderError> {
    let Some(provider) = sdk.credentials_provider() else {
        return Err(no_credentials(profile, None));
    };
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(e) => Err(explain(&e, profile)),
    }
}

/// What a failure of the credential chain means, and what to do.
pub fn explain(err: &CredentialsError, profile: Option<&str>) -> ProviderError {
    let chain = chain_text(err);
    let lower = chain.to_lowercase();
    let name = profile_in_use(profile);
    let mut e = if lower.contains("sso") {
        ProviderError::new(
            ErrorClass::AccessDenied,
            format!("the SSO login of the AWS profile `{name}` has expired, or was never made"),
        )
        .with_help(format!(
            "run `aws sso login --profile {name}`, then the same command again"
        ))
    } else if let Some(at) = chain.find("external process") {
        let stderr = chain
            .split_once("Stderr:")
            .map(|(_, s)| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let code = chain[at..]
            .split_once("exited with code ")
            .map(|(_, c)| c.split(". Stderr").next().unwrap_or(c).trim().to_string());
        let what = match (&code, &stderr) {
            (Some(c), Some(s)) => format!("{c}; it said: {s}"),
            (Some(c), None) => format!("{c}, and said nothing on its standard error"),
            _ => chain.clone(),
        };
        ProviderError::new(
            ErrorClass::AccessDenied,
            format!("the `credential_process` of the AWS profile `{name}` failed: {what}"),
        )
        .with_help(format!(
            "run the profile's `credential_process` (in {}) by hand to see what it needs, fix \
             it, then run the same command again",
            ProfileFiles::in_use().config.display()
        ))
    } else if matches!(err, CredentialsError::CredentialsNotLoaded(_)) || lower.contains("imds") {
        // The instance metadata service is the chain's last source: when it has none (or is
        // not there, or refuses), no source had any.
        no_credentials(profile, Some(&chain))
    } else if matches!(err, CredentialsError::ProviderTimedOut(_)) {
        ProviderError::new(
            ErrorClass::Timeout,
            "loading the AWS credentials timed out".to_string(),
        )
        .with_help(
            "the source of the credentials (an SSO portal, STS, the instance metadata service) \
             did not answer in time; check the network, then run the same command again",
        )
    } else {
        ProviderError::new(
            ErrorClass::AccessDenied,
            format!("the AWS credentials could not be loaded: {chain}"),
        )
        .with_help(format!(
            "check the AWS profile `{name}` in {} and {}",
            ProfileFiles::in_use().config.display(),
            ProfileFiles::in_use().credentials.display()
        ))
    };
    e.detail = Some(chain.into());
    e
}

/// No source of the credential chain had any.
fn no_credentials(profile: Option<&str>, chain: Option<&str>) -> ProviderError {
    let files = ProfileFiles::in_use();
    let name = profile_in_use(profile);
    let mut e = ProviderError::new(ErrorClass::AccessDenied, "no AWS credentials were found")
        .with_help(format!(
            "strata uses the AWS SDK's credential chain: set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, or give a profile of {} or {} with --profile (or \
             AWS_PROFILE; in use: `{name}`), e.g. after `aws configure` or `aws sso login`; for \
             the local emulator, pass --local",
            files.config.display(),
            files.credentials.display()
        ));
    e.detail = chain.map(Into::into);
    e
}
