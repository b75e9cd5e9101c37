//! HTTP exchanges as plain data: the core decides what to send and interprets what came back;
//! hosts (the Worker, the npm package, tests) carry the requests out.

use std::fmt;

/// Split's API base URLs (spec §6.5), each configurable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    /// SDK API (rollout data): `https://sdk.split.io/api`.
    pub sdk: String,
    /// Events API (impressions, counts, events): `https://events.split.io/api`.
    pub events: String,
    /// Telemetry API (unique keys): `https://telemetry.split.io/api`.
    pub telemetry: String,
}

impl Default for Urls {
    fn default() -> Self {
        Urls {
            sdk: "https://sdk.split.io/api".to_owned(),
            events: "https://events.split.io/api".to_owned(),
            telemetry: "https://telemetry.split.io/api".to_owned(),
        }
    }
}

/// Who is talking to Split: the SDK key and the metadata headers of every request (spec §6.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The server-side SDK key, sent as `Authorization: Bearer <key>`.
    pub sdk_key: String,
    /// `SplitSDKVersion`, e.g. `split-edge-0.1.0` (split-evaluator sends `evaluator-<version>`).
    pub sdk_version: String,
    /// `SplitSDKMachineIP`, when known.
    pub machine_ip: Option<String>,
    /// `SplitSDKMachineName`, when known (characters outside ISO-8859-1 are removed).
    pub machine_name: Option<String>,
}

impl Identity {
    /// An identity with the default version string and no machine headers.
    pub fn new(sdk_key: impl Into<String>) -> Identity {
        Identity {
            sdk_key: sdk_key.into(),
            sdk_version: concat!("split-edge-", env!("CARGO_PKG_VERSION")).to_owned(),
            machine_ip: None,
            machine_name: None,
        }
    }

    /// The headers every request to Split carries, in JS order: `Accept`, `Content-Type`,
    /// `Authorization`, `SplitSDKVersion`, then the machine headers when set.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut h = vec![
            ("Accept".to_owned(), "application/json".to_owned()),
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("Authorization".to_owned(), format!("Bearer {}", self.sdk_key)),
            ("SplitSDKVersion".to_owned(), self.sdk_version.clone()),
        ];
        if let Some(ip) = self.machine_ip.as_ref().filter(|ip| !ip.is_empty()) {
            h.push(("SplitSDKMachineIP".to_owned(), ip.clone()));
        }
        if let Some(name) = self.machine_name.as_ref() {
            let latin1: String = name.chars().filter(|c| u32::from(*c) <= 0xFF).collect();
            if !latin1.is_empty() {
                h.push(("SplitSDKMachineName".to_owned(), latin1));
            }
        }
        h
    }
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Identifies a request the core handed out, so that its outcome can be reported back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A request for the host to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Report the outcome with this id.
    pub id: RequestId,
    /// The method.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body (JSON text), for POSTs.
    pub body: Option<String>,
}

impl HttpRequest {
    /// A header's value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What happened to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpOutcome {
    /// A response arrived (any status).
    Response {
        /// The status code.
        status: u16,
        /// The body as text.
        body: String,
    },
    /// No response: DNS, connection, TLS or timeout failure, with the host's description.
    NetworkError(String),
}

impl HttpOutcome {
    /// A response with a status and body.
    pub fn response(status: u16, body: impl Into<String>) -> HttpOutcome {
        HttpOutcome::Response { status, body: body.into() }
    }

    /// Whether this is a 2xx response.
    pub fn is_success(&self) -> bool {
        matches!(self, HttpOutcome::Response { status, .. } if (200..300).contains(status))
    }

    /// Whether retrying later may succeed: a network error, a 5xx, a 408 or a 429.
    pub fn is_retryable(&self) -> bool {
        match self {
            HttpOutcome::NetworkError(_) => true,
            HttpOutcome::Response { status, .. } => *status >= 500 || *status == 429 || *status == 408,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_js_order_with_latin1_machine_name() {
        let mut id = Identity::new("key123");
        id.sdk_version = "evaluator-2.9.0".into();
        id.machine_ip = Some("10.0.0.1".into());
        id.machine_name = Some("host-ñ-😀".into());
        let h = id.headers();
        let names: Vec<&str> = h.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["Accept", "Content-Type", "Authorization", "SplitSDKVersion", "SplitSDKMachineIP", "SplitSDKMachineName"]
        );
        assert_eq!(h[2].1, "Bearer key123");
        assert_eq!(h[5].1, "host-ñ-");
    }

    #[test]
    fn outcomes_classify() {
        assert!(HttpOutcome::response(200, "").is_success());
        assert!(HttpOutcome::response(503, "").is_retryable());
        assert!(HttpOutcome::response(429, "").is_retryable());
        assert!(!HttpOutcome::response(400, "").is_retryable());
        assert!(HttpOutcome::NetworkError("reset".into()).is_retryable());
    }
}
