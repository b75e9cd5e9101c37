//! OpenFeature's Remote Evaluation Protocol (OFREP) over the environment's data (sans-I/O):
//! `POST /ofrep/v1/evaluate/flags/{key}` (one flag, what server providers call) and
//! `POST /ofrep/v1/evaluate/flags` (every flag, what web providers call, with `ETag` /
//! `If-None-Match`).
//!
//! The mapping of Split's answers to OpenFeature's (context, variant, value, reason, metadata,
//! error codes) is the core's [`split_edge::openfeature`], shared with the npm package's
//! providers; the value is chosen by the [`VALUE_HEADER`] request header (`treatment`, the
//! default; `typed`; `config`). Here: the routes, the HTTP statuses (`FLAG_NOT_FOUND` 404,
//! `GENERAL` 500, context errors 400) and the bulk route's `ETag`.
//!
//! Impressions are recorded as for `get-treatment` (bulk: one per flag, as `get-treatments`).

use serde_json::{json, Value};
use split_edge::openfeature::{self, Context, ErrorCode, Failure, ValueKind};
use split_edge::sdk::SplitEdge;

use crate::api::{Reply, JSON};
use crate::layout::Manifest;
use crate::params::{self, ApiRequest};

/// The bulk route.
pub const BULK_PATH: &str = "/ofrep/v1/evaluate/flags";
/// The request header choosing what `value` holds: `treatment` (the default), `typed` or
/// `config`.
pub const VALUE_HEADER: &str = "x-split-value";
/// The request header of cache validation on the bulk route.
pub const IF_NONE_MATCH: &str = "if-none-match";

/// The CORS headers of the OFREP routes' answers and preflights: any origin may call them with
/// the environment's `Authorization` (OpenFeature's web provider runs in pages).
pub const CORS_HEADERS: [(&str, &str); 5] = [
    ("access-control-allow-origin", "*"),
    ("access-control-allow-methods", "POST, OPTIONS"),
    ("access-control-allow-headers", "authorization, content-type, if-none-match, x-split-value"),
    ("access-control-expose-headers", "etag, x-split-change-number"),
    ("access-control-max-age", "86400"),
];

/// The value kind the [`VALUE_HEADER`] asks for.
fn value_kind(header: Option<&str>) -> Result<ValueKind, String> {
    match header.map(str::trim) {
        None | Some("" | "treatment") => Ok(ValueKind::Treatment),
        Some("typed") => Ok(ValueKind::Typed),
        Some("config") => Ok(ValueKind::Config),
        Some(other) => Err(format!("the X-Split-Value header must be treatment, typed or config, not {other:?}")),
    }
}

/// An OFREP answer: the reply, and the bulk route's `ETag` (`None`: none).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The reply (304 with an empty body when `If-None-Match` matched).
    pub reply: Reply,
    /// The `ETag` header to send.
    pub etag: Option<String>,
}

/// Which OFREP route `path` is: `Some(Some(key))` for one flag, `Some(None)` for the bulk
/// route, `None` for another path.
pub fn route(path: &str) -> Option<Option<String>> {
    if path == BULK_PATH {
        return Some(None);
    }
    let key = path.strip_prefix(BULK_PATH)?.strip_prefix('/')?;
    Some(Some(params::path_decode(key)))
}

/// The tag of the data an environment serves: its change numbers (flags, rule-based segments,
/// every segment and large segment), which any change moves.
pub fn data_tag(manifest: Option<&Manifest>) -> String {
    let Some(m) = manifest else { return "none".to_owned() };
    let mut tag = format!("{}.{}", m.flags_change_number, m.rule_based_segments_change_number);
    for (name, s) in &m.segments {
        tag.push_str(&format!("|{name}={}", s.change_number));
    }
    for (name, s) in &m.large_segments {
        tag.push_str(&format!("|L{name}={}", s.change_number));
    }
    tag
}

fn error(status: u16, key: Option<&str>, failure: &Failure) -> Answer {
    Answer { reply: Reply::json(status, &failure.to_json(key)), etag: None }
}

/// The request body's context, and the context as sent (for the `ETag`).
fn context(req: &ApiRequest) -> Result<(Context, String), Failure> {
    let body = req.body.as_deref().unwrap_or_default();
    if body.len() > params::BODY_LIMIT {
        return Err(Failure::new(ErrorCode::ParseError, format!("the body is over {} bytes", params::BODY_LIMIT)));
    }
    let parsed: Value = if body.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(body)
            .map_err(|e| Failure::new(ErrorCode::ParseError, format!("the body is not JSON: {e}")))?
    };
    let Value::Object(mut request) = parsed else {
        return Err(Failure::new(ErrorCode::ParseError, "the body must be a JSON object {\"context\": {...}}"));
    };
    let context = request.remove("context").unwrap_or(Value::Null);
    let raw = if context.is_null() { "{}".to_owned() } else { context.to_string() };
    Ok((Context::from_json(context)?, raw))
}

/// Answers an OFREP request (`None`: not an OFREP route or not a POST).
pub fn answer(edge: &mut SplitEdge, now_ms: u64, req: &ApiRequest, data: &str) -> Option<Answer> {
    let flag = route(&req.path)?;
    if !req.is_post() {
        return None;
    }
    let key = flag.as_deref();
    let kind = match value_kind(req.header(VALUE_HEADER)) {
        Ok(k) => k,
        Err(e) => return Some(error(400, key, &Failure::new(ErrorCode::InvalidContext, e))),
    };
    let (ctx, raw) = match context(req).and_then(|(c, raw)| c.validate(edge).map(|()| (c, raw))) {
        Ok(c) => c,
        Err(f) => return Some(error(400, key, &f)),
    };
    Some(match key {
        Some(name) => {
            let result = openfeature::resolve(edge, now_ms, name, &ctx, kind);
            let status = match &result {
                Ok(_) => 200,
                Err(f) if f.code == ErrorCode::FlagNotFound => 404,
                Err(_) => 500,
            };
            Answer { reply: Reply::json(status, &openfeature::to_json(name, &result)), etag: None }
        }
        None => {
            let etag = format!("\"{:016x}\"", fnv(&[data, &raw, kind.name()]));
            if req.header(IF_NONE_MATCH).is_some_and(|h| h.split(',').any(|t| t.trim() == etag)) {
                let reply = Reply { status: 304, content_type: JSON, body: String::new() };
                return Some(Answer { reply, etag: Some(etag) });
            }
            let flags: Vec<Value> = openfeature::resolve_all(edge, now_ms, &ctx, kind)
                .iter()
                .map(|(name, result)| openfeature::to_json(name, result))
                .collect();
            Answer { reply: Reply::json(200, &json!({ "flags": flags })), etag: Some(etag) }
        }
    })
}

/// FNV-1a over the parts, each followed by a 0 byte.
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use split_edge::sdk::SplitEdgeConfig;
    use split_edge::EvaluationOptions;

    use crate::test_support::demo_edge as edge;

    fn post(path: &str, body: &str, headers: &[(&str, &str)]) -> ApiRequest {
        ApiRequest {
            method: "POST".into(),
            path: path.into(),
            body: Some(body.into()),
            headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            ..Default::default()
        }
    }

    fn ask(e: &mut SplitEdge, path: &str, body: &str, headers: &[(&str, &str)]) -> (u16, Value, Option<String>) {
        let a = answer(e, 1, &post(path, body, headers), "tag").expect("an OFREP route");
        (a.reply.status, serde_json::from_str(&a.reply.body).unwrap_or(Value::Null), a.etag)
    }

    #[test]
    fn single_flags_map_treatment_label_and_config() {
        let mut e = edge();
        let (status, v, etag) = ask(
            &mut e,
            "/ofrep/v1/evaluate/flags/account_dashboard",
            r#"{"context":{"targetingKey":"alice","features":["reports"]}}"#,
            &[],
        );
        assert_eq!(status, 200);
        assert_eq!(etag, None);
        assert_eq!(v["value"], "v2");
        assert_eq!(v["variant"], "v2");
        assert_eq!(v["reason"], "TARGETING_MATCH");
        assert_eq!(v["metadata"]["label"], "uses analytics");
        let (_, v, _) =
            ask(&mut e, "/ofrep/v1/evaluate/flags/account_dashboard", r#"{"context":{"targetingKey":"alice"}}"#, &[]);
        assert_eq!(
            (v["value"].as_str(), v["reason"].as_str()),
            (Some("v1"), Some("DEFAULT")),
            "Split's single-treatment default rule"
        );
        let (_, v, _) =
            ask(&mut e, "/ofrep/v1/evaluate/flags/checkout_upsell", r#"{"context":{"targetingKey":"alice"}}"#, &[]);
        assert_eq!(v["reason"], "SPLIT", "a 70/30 default rule divides traffic");
        let (_, v, _) =
            ask(&mut e, "/ofrep/v1/evaluate/flags/legacy_banner", r#"{"context":{"targetingKey":"alice"}}"#, &[]);
        assert_eq!((v["reason"].as_str(), v["metadata"]["label"].as_str()), (Some("DISABLED"), Some("killed")));
        // The same answer as get-treatment-with-config, the config also in the metadata.
        let expected = e
            .client()
            .evaluate(&split_edge::Key::new("bob"), "new_checkout", None, &EvaluationOptions::default())
            .into_owned();
        let (_, v, _) =
            ask(&mut e, "/ofrep/v1/evaluate/flags/new_checkout", r#"{"context":{"targetingKey":"bob"}}"#, &[]);
        assert_eq!(v["value"], expected.treatment.as_ref());
        assert_eq!(v["metadata"]["config"].as_str(), expected.config.as_deref());
        let (_, v, _) = ask(
            &mut e,
            "/ofrep/v1/evaluate/flags/new_checkout",
            r#"{"context":{"targetingKey":"bob"}}"#,
            &[(VALUE_HEADER, "config")],
        );
        assert_eq!(v["value"], serde_json::from_str::<Value>(expected.config.as_deref().unwrap()).unwrap());
        let (_, v, _) = ask(
            &mut e,
            "/ofrep/v1/evaluate/flags/new_checkout",
            r#"{"context":{"targetingKey":"bob"}}"#,
            &[(VALUE_HEADER, "typed")],
        );
        assert_eq!(v["value"], Value::Bool(expected.treatment == "on"));
        // A bucketing key changes the bucket, not the matching key.
        let bucketed = e
            .client()
            .evaluate(
                &split_edge::Key::with_bucketing("bob", "b7"),
                "checkout_upsell",
                None,
                &EvaluationOptions::default(),
            )
            .into_owned();
        let (_, v, _) = ask(
            &mut e,
            "/ofrep/v1/evaluate/flags/checkout_upsell",
            r#"{"context":{"targetingKey":"bob","bucketingKey":"b7"}}"#,
            &[],
        );
        assert_eq!(v["value"], bucketed.treatment.as_ref());
        assert_eq!(
            e.recorder_stats().impressions.queued,
            6,
            "recorded as get-treatment (OPTIMIZED: bob × new_checkout once)"
        );
    }

    #[test]
    fn errors_have_ofrep_codes() {
        let mut e = edge();
        let code = |e: &mut SplitEdge, path: &str, body: &str, headers: &[(&str, &str)]| {
            let (status, v, _) = ask(e, path, body, headers);
            (status, v["errorCode"].as_str().unwrap_or_default().to_owned())
        };
        let one = "/ofrep/v1/evaluate/flags/new_checkout";
        assert_eq!(
            code(&mut e, "/ofrep/v1/evaluate/flags/nope", r#"{"context":{"targetingKey":"a"}}"#, &[]),
            (404, "FLAG_NOT_FOUND".into())
        );
        assert_eq!(
            code(&mut e, "/ofrep/v1/evaluate/flags/%20", r#"{"context":{"targetingKey":"a"}}"#, &[]),
            (404, "FLAG_NOT_FOUND".into())
        );
        assert_eq!(code(&mut e, one, "{nope", &[]), (400, "PARSE_ERROR".into()));
        assert_eq!(code(&mut e, one, "[]", &[]), (400, "PARSE_ERROR".into()));
        assert_eq!(code(&mut e, one, r#"{"context":{}}"#, &[]), (400, "TARGETING_KEY_MISSING".into()));
        assert_eq!(code(&mut e, one, "", &[]), (400, "TARGETING_KEY_MISSING".into()));
        assert_eq!(code(&mut e, one, r#"{"context":7}"#, &[]), (400, "INVALID_CONTEXT".into()));
        assert_eq!(code(&mut e, one, r#"{"context":{"targetingKey":"   "}}"#, &[]), (400, "INVALID_CONTEXT".into()));
        assert_eq!(code(&mut e, one, r#"{"context":{"targetingKey":true}}"#, &[]), (400, "INVALID_CONTEXT".into()));
        assert_eq!(
            code(&mut e, one, r#"{"context":{"targetingKey":"a"}}"#, &[(VALUE_HEADER, "bool")]),
            (400, "INVALID_CONTEXT".into())
        );
        assert_eq!(code(&mut e, BULK_PATH, r#"{"context":{}}"#, &[]), (400, "TARGETING_KEY_MISSING".into()));
        // No data loaded: control, a GENERAL error.
        let mut empty = SplitEdge::new(SplitEdgeConfig::new("k")).unwrap();
        assert_eq!(code(&mut empty, one, r#"{"context":{"targetingKey":"a"}}"#, &[]), (500, "GENERAL".into()));
        assert_eq!(e.recorder_stats().impressions.queued, 0, "nothing evaluated, nothing recorded");
        assert!(answer(&mut e, 1, &ApiRequest { method: "GET".into(), ..post(one, "", &[]) }, "t").is_none());
        assert!(answer(&mut e, 1, &post("/client/get-treatment", "", &[]), "t").is_none());
    }

    #[test]
    fn bulk_evaluates_every_flag_with_an_etag() {
        let mut e = edge();
        let ctx = r#"{"context":{"targetingKey":"alice","features":["reports"]}}"#;
        let (status, v, etag) = ask(&mut e, BULK_PATH, ctx, &[]);
        assert_eq!(status, 200);
        let flags = v["flags"].as_array().unwrap();
        assert_eq!(flags.len(), e.snapshot().flag_count());
        let dash = flags.iter().find(|f| f["key"] == "account_dashboard").unwrap();
        assert_eq!((dash["value"].as_str(), dash["reason"].as_str()), (Some("v2"), Some("TARGETING_MATCH")));
        let etag = etag.unwrap();
        // Same data, same context: 304. Another context or value mode or data: a new tag.
        let a = answer(&mut e, 1, &post(BULK_PATH, ctx, &[(IF_NONE_MATCH, &format!("\"x\", {etag}"))]), "tag").unwrap();
        assert_eq!((a.reply.status, a.reply.body.as_str()), (304, ""));
        let other = |e: &mut SplitEdge, body: &str, headers: &[(&str, &str)], data: &str| {
            answer(e, 1, &post(BULK_PATH, body, headers), data).unwrap().etag.unwrap()
        };
        assert_ne!(other(&mut e, r#"{"context":{"targetingKey":"bob"}}"#, &[], "tag"), etag);
        assert_ne!(other(&mut e, ctx, &[(VALUE_HEADER, "typed")], "tag"), etag);
        assert_ne!(other(&mut e, ctx, &[], "tag2"), etag);
        assert_eq!(other(&mut e, ctx, &[], "tag"), etag);
    }

    #[test]
    fn value_headers_routes_and_data_tags() {
        assert_eq!(value_kind(Some(" typed ")), Ok(ValueKind::Typed));
        assert_eq!(value_kind(None), Ok(ValueKind::Treatment));
        assert!(value_kind(Some("bool")).is_err());
        assert_eq!(route("/ofrep/v1/evaluate/flags/a%20b+c"), Some(Some("a b+c".to_owned())));
        assert_eq!(route(BULK_PATH), Some(None));
        assert_eq!(route("/ofrep/v1/evaluate/flagsx"), None);
        assert_eq!(data_tag(None), "none");
    }
}
