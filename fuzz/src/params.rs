//! The Worker's request parameter parsing (`worker/src/params.rs`) and the client and manager
//! endpoints behind it (`worker/src/api.rs`), natively: the first byte picks the method and the
//! `Content-Type`, the rest is a URL and a body separated by the first NUL byte.
//!
//! Checks: no panic; the path is never empty, starts with `/` and holds no `?` or `#`; every
//! JSON reply is JSON, and every 400 is `{"error": ...}` with at least one message.

use serde_json::Value;
use split_edge::sdk::{SplitEdge, SplitEdgeConfig};
use split_edge_worker::api::{self, JSON};
use split_edge_worker::params::{self, ApiRequest};

use crate::snapshots;

const CONTENT_TYPES: &[Option<&str>] =
    &[None, Some("application/json"), Some("application/json; charset=utf-8"), Some("text/plain"), Some("")];

/// Builds a request from `data` and answers it.
pub fn run(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else { return };
    let (url, body) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let url = String::from_utf8_lossy(url);
    let path = params::path_of(&url);
    assert!(path.starts_with('/') && !path.contains(['?', '#']), "path {path:?} of {url:?}");
    let _ = params::path_decode(path);
    let query = params::query_pairs(&url);
    assert!(query.len() <= url.matches('&').count() + 1, "more pairs than pieces in {url:?}");
    let post = choice & 1 == 1;
    let req = ApiRequest {
        method: if post { "POST" } else { "GET" }.to_owned(),
        path: path.to_owned(),
        query,
        content_type: CONTENT_TYPES[usize::from(choice >> 1) % CONTENT_TYPES.len()].map(str::to_owned),
        body: if post { body.map(|b| String::from_utf8_lossy(b).into_owned()) } else { None },
        headers: Vec::new(),
    };

    let _ = params::body_error(&req);
    let body = params::body_object(&req);
    let mut errors = Vec::new();
    let _ = params::common(&req, &body, &mut errors);
    let _ = params::key(&req, &mut errors);
    let _ = params::split_name(&req, &mut errors);
    let _ = params::split_names(&req, &mut errors);
    let _ = params::flag_sets(&req, &mut errors);
    let _ = params::all_keys(&req, &mut errors);

    let mut edge = SplitEdge::with_snapshot(SplitEdgeConfig::new("fuzz"), snapshots::demo().clone())
        .unwrap_or_else(|e| panic!("SplitEdge over the demo snapshot: {e:?}"));
    let reply = api::client(&mut edge, 1_700_000_000_000, &req).or_else(|| api::manager(&edge, &req));
    if let Some(reply) = reply {
        if reply.content_type == JSON {
            let value: Value = serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("reply {reply:?}: {e}"));
            if reply.status == 400 {
                let error = value.get("error").unwrap_or_else(|| panic!("a 400 without an error: {reply:?}"));
                assert!(!matches!(error, Value::Array(a) if a.is_empty()), "a 400 without a message: {reply:?}");
            }
        }
        let _ = edge.flush(2);
    }
}
