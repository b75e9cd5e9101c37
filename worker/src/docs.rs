//! `/api-docs`: the OpenAPI 3 document of the Worker's API (`worker/openapi.json`) and a page
//! that renders it. Served without authorization, as split-evaluator serves its Swagger UI. The
//! page is self-contained (no CDN): it fetches the document and lists every operation with its
//! parameters, request body and responses. `tests/worker/docs.test.mjs` calls every operation
//! the document lists, so the document cannot drift from the routes.

use crate::api::{Reply, JSON};

/// The OpenAPI document.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The page rendering it.
const PAGE: &str = include_str!("../js/api-docs.html");

/// The answer to a `/api-docs` path, if `path` is one.
pub fn route(path: &str) -> Option<Reply> {
    match path {
        "/api-docs" | "/api-docs/" => {
            Some(Reply { status: 200, content_type: "text/html; charset=utf-8", body: PAGE.to_owned() })
        }
        "/api-docs/openapi.json" => Some(Reply { status: 200, content_type: JSON, body: OPENAPI.to_owned() }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_with_every_route_family() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("valid JSON");
        assert!(doc["openapi"].as_str().unwrap_or_default().starts_with("3."));
        let paths = doc["paths"].as_object().expect("paths");
        for p in [
            "/client/get-treatment",
            "/client/track",
            "/client/evaluate-bulk",
            "/manager/splits",
            "/admin/stats",
            "/admin/split-changes",
        ] {
            assert!(paths.contains_key(p), "{p}");
        }
        assert_eq!(route("/api-docs").map(|r| r.status), Some(200));
        // The limits the document states are the ones enforced.
        let limits = &doc["info"]["x-limits"];
        let stated = |name: &str| limits[name].as_u64().and_then(|n| usize::try_from(n).ok());
        assert_eq!(stated("pushBodyBytes"), Some(crate::body::PUSH_MAX_BYTES));
        assert_eq!(stated("largeSegmentBodyBytes"), Some(crate::admin::LARGE_PUSH_MAX_BYTES));
        assert_eq!(stated("clientBodyBytes"), Some(crate::body::CLIENT_MAX_BYTES));
        assert_eq!(stated("namesPerRequest"), Some(crate::params::MAX_NAMES_PER_REQUEST));
        let depth = stated("jsonNestingLevels").unwrap_or_default();
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(serde_json::from_str::<serde_json::Value>(&nested(depth)).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&nested(depth + 1)).is_err());
        let description = doc["info"]["description"].as_str().unwrap_or_default();
        assert!(description.contains("16777216") && description.contains("2000 distinct"), "{description}");
        assert_eq!(route("/api-docs/openapi.json").map(|r| r.body.len()), Some(OPENAPI.len()));
        assert!(route("/client/get-treatment").is_none());
    }
}
