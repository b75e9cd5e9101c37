//! OpenFeature's Remote Evaluation Protocol (OFREP) over the environment's data (sans-I/O):
//! `POST /ofrep/v1/evaluate/flags/{key}` (one flag, what server providers call) and
//! `POST /ofrep/v1/evaluate/flags` (every flag, what web providers call, with `ETag` /
//! `If-None-Match`).
//!
//! Mapping (stated in the README):
//! - the request's `context.targetingKey` is the matching key, `context.bucketingKey` the
//!   bucketing key, every other member of `context` a Split attribute;
//! - `variant` is the treatment; `value` is the treatment too, unless the request's
//!   [`VALUE_HEADER`] asks otherwise: `typed` gives `on`/`true` → `true`, `off`/`false` →
//!   `false`, a numeric treatment → that number, any other treatment → itself; `config` gives
//!   the treatment's config parsed (`null` when it has none);
//! - `reason`: `DISABLED` for a killed flag; `SPLIT` when the matched condition divides traffic
//!   between treatments; `TARGETING_MATCH` when it gives one treatment; `DEFAULT` when no
//!   condition matched, the key is outside the traffic allocation, the prerequisites are not
//!   met, or the single-treatment condition is Split's default rule; `ERROR` for a configured
//!   fallback treatment. `metadata` carries the exact Split `label`, the `changeNumber` and, when
//!   the treatment has one, its `config` (a string);
//! - a flag that does not exist is `FLAG_NOT_FOUND` (404); an evaluation that answers `control`
//!   (no data yet, an exception) is `GENERAL` (500, single) or a failed entry (bulk); a body that
//!   is not JSON is `PARSE_ERROR`, a missing `targetingKey` `TARGETING_KEY_MISSING`, a context
//!   Split rejects `INVALID_CONTEXT` (400, with Split's validation message).
//!
//! Impressions are recorded as for `get-treatment` (bulk: one per flag, as `get-treatments`).

use serde_json::{json, Map, Value};
use split_edge::compiled::Rules;
use split_edge::sdk::SplitEdge;
use split_edge::{labels, CallTarget, EvaluationOptions, Evaluations, TreatmentResult};

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

/// What `value` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueMode {
    /// The treatment.
    Treatment,
    /// Booleans and numbers read from the treatment, else the treatment.
    Typed,
    /// The treatment's config, parsed.
    Config,
}

impl ValueMode {
    fn parse(header: Option<&str>) -> Result<ValueMode, String> {
        match header.map(str::trim) {
            None | Some("" | "treatment") => Ok(ValueMode::Treatment),
            Some("typed") => Ok(ValueMode::Typed),
            Some("config") => Ok(ValueMode::Config),
            Some(other) => Err(format!("the X-Split-Value header must be treatment, typed or config, not {other:?}")),
        }
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

fn error(status: u16, key: Option<&str>, code: &str, details: impl Into<String>) -> Answer {
    let mut body = json!({"errorCode": code, "errorDetails": details.into()});
    if let (Some(k), Some(map)) = (key, body.as_object_mut()) {
        map.insert("key".to_owned(), Value::String(k.to_owned()));
    }
    Answer { reply: Reply::json(status, &body), etag: None }
}

/// The evaluation inputs read from a request body: the key (a string, number or
/// `{matchingKey, bucketingKey}`) and the attributes.
struct Context {
    key: Value,
    attributes: Value,
    /// The context as sent, for the `ETag`.
    raw: String,
}

fn context(req: &ApiRequest, key: Option<&str>) -> Result<Context, Answer> {
    let body = req.body.as_deref().unwrap_or_default();
    if body.len() > params::BODY_LIMIT {
        return Err(error(400, key, "PARSE_ERROR", format!("the body is over {} bytes", params::BODY_LIMIT)));
    }
    let parsed: Value = if body.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(body).map_err(|e| error(400, key, "PARSE_ERROR", format!("the body is not JSON: {e}")))?
    };
    let Value::Object(mut request) = parsed else {
        return Err(error(400, key, "PARSE_ERROR", "the body must be a JSON object {\"context\": {...}}"));
    };
    let mut context = match request.remove("context") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c,
        Some(_) => return Err(error(400, key, "INVALID_CONTEXT", "context must be an object")),
    };
    let raw = Value::Object(context.clone()).to_string();
    let Some(targeting) = context.remove("targetingKey").filter(|v| !v.is_null()) else {
        return Err(error(400, key, "TARGETING_KEY_MISSING", "context.targetingKey is required (the Split key)"));
    };
    let key_value = match context.remove("bucketingKey") {
        None | Some(Value::Null) => targeting,
        Some(b) => json!({"matchingKey": targeting, "bucketingKey": b}),
    };
    Ok(Context { key: key_value, attributes: Value::Object(context), raw })
}

/// Answers an OFREP request (`None`: not an OFREP route or not a POST).
pub fn answer(edge: &mut SplitEdge, now_ms: u64, req: &ApiRequest, data: &str) -> Option<Answer> {
    let flag = route(&req.path)?;
    if !req.is_post() {
        return None;
    }
    let key = flag.as_deref();
    let mode = match ValueMode::parse(req.header(VALUE_HEADER)) {
        Ok(m) => m,
        Err(e) => return Some(error(400, key, "INVALID_CONTEXT", e)),
    };
    let ctx = match context(req, key) {
        Ok(c) => c,
        Err(a) => return Some(a),
    };
    // The key and attributes are validated as Split validates them (a valid name stands in for
    // the flag: a flag that does not exist is FLAG_NOT_FOUND, not a bad context).
    let probe = Value::String("-".to_owned());
    let invalid =
        edge.client().validation_errors_json(CallTarget::Flag, Some(&ctx.key), Some(&probe), Some(&ctx.attributes));
    if !invalid.is_empty() {
        let details: Vec<String> = invalid.iter().map(ToString::to_string).collect();
        return Some(error(400, key, "INVALID_CONTEXT", details.join(" ")));
    }
    let options = EvaluationOptions::default();
    Some(match flag.as_deref() {
        Some(name) if split_edge::js::trim(name).is_empty() => {
            error(404, key, "FLAG_NOT_FOUND", "the flag key in the path is empty")
        }
        Some(name) => {
            let flag_value = Value::String(name.to_owned());
            let result = edge
                .get_treatment_json(now_ms, Some(&ctx.key), Some(&flag_value), Some(&ctx.attributes), &options)
                .into_owned();
            let evaluated = entry(edge, name, &result, mode);
            let status = match evaluated.get("errorCode").and_then(Value::as_str) {
                None => 200,
                Some("FLAG_NOT_FOUND") => 404,
                Some(_) => 500,
            };
            Answer { reply: Reply::json(status, &evaluated), etag: None }
        }
        None => {
            let etag = format!("\"{:016x}\"", fnv(&[data, &ctx.raw, mode.name()]));
            if req.header(IF_NONE_MATCH).is_some_and(|h| h.split(',').any(|t| t.trim() == etag)) {
                let reply = Reply { status: 304, content_type: JSON, body: String::new() };
                return Some(Answer { reply, etag: Some(etag) });
            }
            let names = Value::Array(edge.snapshot().flag_names().iter().cloned().map(Value::String).collect());
            let results: Vec<(String, TreatmentResult<'static>)> =
                owned(&edge.get_treatments_json(now_ms, Some(&ctx.key), Some(&names), Some(&ctx.attributes), &options));
            let flags: Vec<Value> = results.iter().map(|(n, r)| entry(edge, n, r, mode)).collect();
            Answer { reply: Reply::json(200, &json!({ "flags": flags })), etag: Some(etag) }
        }
    })
}

fn owned(results: &Evaluations<'_>) -> Vec<(String, TreatmentResult<'static>)> {
    results.iter().map(|(n, r)| (n.to_string(), r.clone().into_owned())).collect()
}

impl ValueMode {
    fn name(self) -> &'static str {
        match self {
            ValueMode::Treatment => "treatment",
            ValueMode::Typed => "typed",
            ValueMode::Config => "config",
        }
    }
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

/// One flag's OFREP entry: an evaluation success, or a failure (`errorCode`).
fn entry(edge: &SplitEdge, name: &str, r: &TreatmentResult<'_>, mode: ValueMode) -> Value {
    let label = r.label.as_deref().unwrap_or_default();
    if r.treatment == labels::CONTROL {
        let (code, details) = if label == labels::DEFINITION_NOT_FOUND {
            ("FLAG_NOT_FOUND", format!("no feature flag named {name:?}"))
        } else {
            ("GENERAL", format!("the evaluation answered control ({label})"))
        };
        return json!({"key": name, "errorCode": code, "errorDetails": details});
    }
    let value = match mode {
        ValueMode::Treatment => Value::String(r.treatment.to_string()),
        ValueMode::Typed => typed(&r.treatment),
        ValueMode::Config => match r.config.as_deref().map(serde_json::from_str::<Value>) {
            None => Value::Null,
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                return json!({"key": name, "errorCode": "GENERAL",
                    "errorDetails": format!("the config of treatment {:?} is not JSON: {e}", r.treatment)})
            }
        },
    };
    let mut metadata = Map::new();
    metadata.insert("label".to_owned(), Value::String(label.to_owned()));
    if let Some(cn) = r.change_number {
        metadata.insert("changeNumber".to_owned(), json!(cn));
    }
    if let Some(config) = r.config.as_deref() {
        metadata.insert("config".to_owned(), Value::String(config.to_owned()));
    }
    json!({"key": name, "value": value, "variant": r.treatment, "reason": reason(edge, name, r), "metadata": metadata})
}

/// `on`/`true` → true, `off`/`false` → false, a JSON number → it, else the treatment.
fn typed(treatment: &str) -> Value {
    match treatment {
        "on" | "true" => Value::Bool(true),
        "off" | "false" => Value::Bool(false),
        t => match serde_json::from_str::<Value>(t) {
            Ok(n @ Value::Number(_)) => n,
            _ => Value::String(t.to_owned()),
        },
    }
}

/// The OpenFeature reason of a non-control answer (see the module docs).
fn reason(edge: &SplitEdge, name: &str, r: &TreatmentResult<'_>) -> &'static str {
    let label = r.label.as_deref().unwrap_or_default();
    if label == labels::KILLED {
        return "DISABLED";
    }
    if label.starts_with(labels::FALLBACK_PREFIX) {
        return "ERROR";
    }
    if label == labels::NOT_IN_SPLIT || label == labels::PREREQUISITES_NOT_MET {
        return "DEFAULT";
    }
    let Some(index) = r.decision.condition else { return "DEFAULT" };
    let splits = edge.snapshot().flag(name).is_some_and(|f| match &f.rules {
        Rules::Conditions(c) => c.get(index).and_then(|c| c.partitions.as_ref()).is_some_and(|p| p.divides()),
        _ => false,
    });
    match (splits, label == labels::DEFAULT_RULE) {
        (true, _) => "SPLIT",
        (false, true) => "DEFAULT",
        (false, false) => "TARGETING_MATCH",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use split_edge::sdk::SplitEdgeConfig;

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
    fn typed_values_and_data_tags() {
        assert_eq!(typed("on"), Value::Bool(true));
        assert_eq!(typed("false"), Value::Bool(false));
        assert_eq!(typed("12.5"), json!(12.5));
        assert_eq!(typed("-3"), json!(-3));
        assert_eq!(typed("v1"), json!("v1"));
        assert_eq!(typed("1e400"), json!("1e400"));
        assert_eq!(route("/ofrep/v1/evaluate/flags/a%20b+c"), Some(Some("a b+c".to_owned())));
        assert_eq!(route(BULK_PATH), Some(None));
        assert_eq!(route("/ofrep/v1/evaluate/flagsx"), None);
        assert_eq!(data_tag(None), "none");
    }
}
