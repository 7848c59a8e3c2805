//! Failures to reach an endpoint, named by host: a layer of the HTTP client (like the budget)
//! that sees each request's address and turns the connector's errors that no retry can fix (a
//! name that does not resolve, a refused connection, a TLS failure) into an [`Unreachable`]
//! the SDK does not retry, so that such a run fails at once instead of after the SDK's retry
//! budget. Every other connector error (a timeout, a connection lost mid-call) passes as it
//! was, retried as before.

use std::fmt;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// Why an endpoint could not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The host name does not resolve (DNS).
    Dns,
    /// Nothing listens at the address (the connection was refused).
    Refused,
    /// The TLS handshake failed (a certificate, or a server that does not speak TLS).
    Tls,
}

/// An endpoint that could not be reached, and why; its `Display` is for users.
#[derive(Debug)]
pub struct Unreachable {
    pub why: Why,
    pub host: String,
    pub port: u16,
    /// The connector's own words, for `-v` (its chain, each part by `Display`).
    pub detail: String,
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (host, port) = (&self.host, self.port);
        match self.why {
            Why::Dns => write!(f, "the host name `{host}` does not resolve (DNS)"),
            Why::Refused => write!(f, "the connection to {host}:{port} was refused"),
            Why::Tls => write!(f, "the TLS handshake with {host}:{port} failed"),
        }
    }
}

impl std::error::Error for Unreachable {}

impl Unreachable {
    /// The AWS region in an AWS endpoint's host name (`ec2.eu-west-1.amazonaws.com`).
    pub fn region(&self) -> Option<&str> {
        let labels: Vec<&str> = self.host.split('.').collect();
        let aws = self.host.ends_with(".amazonaws.com") || self.host.ends_with(".amazonaws.com.cn");
        let at = labels.iter().position(|l| *l == "amazonaws")?;
        (aws && at >= 2).then(|| labels[at - 1])
    }

    /// What to do about it.
    pub fn help(&self) -> String {
        match (self.why, self.region()) {
            (Why::Dns, Some(region)) => format!(
                "check that `{region}` is an AWS region you use (--region, the documents' \
                 `region:`, AWS_REGION or the profile's `region`), and that this machine can \
                 resolve names (DNS, or a proxy in HTTPS_PROXY)"
            ),
            (Why::Dns, None) => "check the endpoint's host name (--endpoint-url or \
                 AWS_ENDPOINT_URL) and that this machine can resolve names"
                .to_string(),
            (Why::Refused, _) => "nothing listens there: check the endpoint (--endpoint-url, \
                 AWS_ENDPOINT_URL, or STRATA_LOCAL_ENDPOINT with --local) and that the service \
                 or emulator is running"
                .to_string(),
            (Why::Tls, _) => "check that the endpoint speaks HTTPS (an emulator on plain HTTP \
                 needs an http:// URL) and that its certificate is valid for the host name"
                .to_string(),
        }
    }
}

/// The host and port a request goes to.
fn address(uri: &str) -> (String, u16) {
    let (scheme, rest) = uri.split_once("://").unwrap_or(("https", uri));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let default = if scheme == "http" { 80 } else { 443 };
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => (v6, None),
        },
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let port = port.and_then(|p| p.parse().ok()).unwrap_or(default);
    (host.to_string(), port)
}

/// Why a connector error happened, when a retry cannot fix it.
fn classify(err: &ConnectorError) -> Option<Why> {
    if err.is_timeout() || err.is_user() {
        return None;
    }
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut text = String::new();
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return Some(Why::Refused);
        }
        text.push_str(&e.to_string().to_lowercase());
        text.push('\n');
        next = e.source();
    }
    if text.contains("dns error") || text.contains("failed to lookup address") {
        Some(Why::Dns)
    } else if text.contains("connection refused") {
        Some(Why::Refused)
    } else if text.contains("invalid peer certificate")
        || text.contains("corrupt message")
        || text.contains("tls handshake")
        || text.contains("certificate")
    {
        Some(Why::Tls)
    } else {
        None
    }
}

/// The HTTP client that names the endpoint it could not reach.
#[derive(Debug, Clone)]
pub struct Reach {
    inner: SharedHttpClient,
}

impl Reach {
    pub fn new(inner: SharedHttpClient) -> Reach {
        Reach { inner }
    }
}

impl HttpClient for Reach {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(ReachConnector {
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct ReachConnector {
    inner: SharedHttpConnector,
}

impl HttpConnector for ReachConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (host, port) = address(request.uri());
        let call = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            call.await.map_err(|err| match classify(&err) {
                Some(why) => ConnectorError::other(
                    Box::new(Unreachable {
                        why,
                        host,
                        port,
                        detail: crate::error::chain_text(&err),
                    }),
                    None,
                ),
                None => err,
            })
        })
    }
}
