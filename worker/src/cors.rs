//! The CORS policy of the admin routes that pages read across origins: `GET /admin/snapshot`
//! (the playground page loads a Worker's data with it).
//!
//! Only the origins listed in `SPLIT_EDGE_ADMIN_ORIGINS` (comma-separated exact origins, such as
//! `http://127.0.0.1:8788`) may read it: an answer to a request whose `Origin` is listed carries
//! `Access-Control-Allow-Origin: <that origin>` (never `*`), errors included, and its preflight
//! (`OPTIONS`) answers 204 with the methods (`GET, OPTIONS`) and request headers
//! (`Authorization, Content-Type`) allowed. Any other origin gets no CORS header (the browser
//! then keeps the answer from the page) and its preflight answers 403. Unset, no origin may read
//! it, whichever the authorization mode: with no token configured (open mode) any page could
//! otherwise read every flag and segment member. Every answer of these routes carries
//! `Vary: Origin`. Requests without an `Origin` header (curl, servers) are not affected.

use crate::api::Reply;

/// `SPLIT_EDGE_ADMIN_ORIGINS`: the origins whose pages may read the admin routes of
/// [`ADMIN_PATHS`] (comma-separated, exact: scheme, host and port; no `*`).
pub const VAR_ADMIN_ORIGINS: &str = "SPLIT_EDGE_ADMIN_ORIGINS";

/// The admin routes under this policy.
pub const ADMIN_PATHS: [&str; 1] = [crate::admin::SNAPSHOT_PATH];

/// The methods a listed origin may use (`Access-Control-Allow-Methods`).
pub const ALLOW_METHODS: &str = "GET, OPTIONS";
/// The request headers a listed origin may send (`Access-Control-Allow-Headers`).
pub const ALLOW_HEADERS: &str = "Authorization, Content-Type";
/// The answer headers a listed origin's page may read beside the simple ones.
pub const EXPOSE_HEADERS: &str = "X-Split-Change-Number";
/// How long a browser may cache a preflight's answer, in seconds.
pub const MAX_AGE_SECONDS: &str = "600";

/// Whether `path` is under this policy.
pub fn applies(path: &str) -> bool {
    ADMIN_PATHS.contains(&path)
}

/// Reads `SPLIT_EDGE_ADMIN_ORIGINS`: unset or blank, none.
///
/// # Errors
/// A message naming the variable and the entry at fault: `*`, `null`, an entry that is not
/// `http(s)://host[:port]` (a path or a trailing `/` included).
pub fn parse_origins(value: Option<&str>) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for entry in value.unwrap_or("").split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let problem = if entry == "*" {
            Some("`*` is not allowed: list each origin")
        } else if let Some(host) = entry.strip_prefix("http://").or_else(|| entry.strip_prefix("https://")) {
            if host.is_empty() {
                Some("the host is missing")
            } else if host.contains(['/', '?', '#', ' ', '*']) {
                Some("an origin is scheme://host[:port], with no path, no trailing `/` and no wildcard")
            } else {
                None
            }
        } else {
            Some("an origin starts with http:// or https://")
        };
        if let Some(problem) = problem {
            return Err(format!(
                "{VAR_ADMIN_ORIGINS}: {entry:?} is not an origin ({problem}); e.g. {VAR_ADMIN_ORIGINS}=http://127.0.0.1:8788,https://ops.example.com"
            ));
        }
        if !origins.iter().any(|o| o == entry) {
            origins.push(entry.to_owned());
        }
    }
    Ok(origins)
}

/// The CORS answer to one request of a route under this policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The request's origin when it is listed.
    allowed: Option<String>,
}

impl Policy {
    /// The policy for a request with this `Origin` header, given the listed origins.
    pub fn new(listed: &[String], origin: Option<&str>) -> Policy {
        let allowed = origin.filter(|o| listed.iter().any(|l| l == o)).map(str::to_owned);
        Policy { allowed }
    }

    /// Whether the request's origin may read the answer.
    pub fn allows(&self) -> bool {
        self.allowed.is_some()
    }

    /// The headers every answer carries: `Vary: Origin`, and for a listed origin the CORS
    /// headers naming it.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("vary", "Origin".to_owned())];
        if let Some(origin) = &self.allowed {
            out.push(("access-control-allow-origin", origin.clone()));
            out.push(("access-control-allow-methods", ALLOW_METHODS.to_owned()));
            out.push(("access-control-allow-headers", ALLOW_HEADERS.to_owned()));
            out.push(("access-control-expose-headers", EXPOSE_HEADERS.to_owned()));
            out.push(("access-control-max-age", MAX_AGE_SECONDS.to_owned()));
        }
        out
    }

    /// The answer to a preflight (`OPTIONS`): `None` for a listed origin (204, no body), else a
    /// 403 saying how to allow it.
    pub fn preflight_refusal(&self) -> Option<Reply> {
        if self.allows() {
            return None;
        }
        Some(Reply::error(
            403,
            serde_json::Value::String(format!(
                "this origin may not read the admin routes across origins: list it in {VAR_ADMIN_ORIGINS}"
            )),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_exact_and_listed() {
        let listed =
            parse_origins(Some(" http://127.0.0.1:8788 , https://ops.example.com,,http://127.0.0.1:8788")).unwrap();
        assert_eq!(listed, ["http://127.0.0.1:8788", "https://ops.example.com"]);
        assert_eq!(parse_origins(None).unwrap(), Vec::<String>::new());
        assert_eq!(parse_origins(Some(" ")).unwrap(), Vec::<String>::new());
        for bad in ["*", "null", "127.0.0.1:8788", "http://", "http://a/", "https://a.com/x", "https://*.a.com"] {
            let e = parse_origins(Some(bad)).unwrap_err();
            assert!(e.starts_with(VAR_ADMIN_ORIGINS) && e.contains(bad), "{bad}: {e}");
        }

        let allowed = Policy::new(&listed, Some("https://ops.example.com"));
        assert!(allowed.allows());
        let headers = allowed.headers();
        assert!(headers.contains(&("access-control-allow-origin", "https://ops.example.com".to_owned())));
        assert!(headers.contains(&("vary", "Origin".to_owned())));
        assert!(headers.contains(&("access-control-allow-headers", ALLOW_HEADERS.to_owned())));
        assert_eq!(allowed.preflight_refusal(), None);

        for origin in
            [None, Some("https://ops.example.com.evil.com"), Some("http://ops.example.com"), Some("null"), Some("*")]
        {
            let p = Policy::new(&listed, origin);
            assert!(!p.allows(), "{origin:?}");
            assert_eq!(p.headers(), [("vary", "Origin".to_owned())], "{origin:?}");
            assert_eq!(p.preflight_refusal().map(|r| r.status), Some(403));
        }
        assert!(!Policy::new(&[], Some("http://127.0.0.1:8788")).allows(), "unset: no origin");
        assert!(applies("/admin/snapshot"));
        assert!(!applies("/admin/stats"));
    }
}
