//! Answers in the JS SDK's shapes, as JSON text (parsed once by `JSON.parse` on the JS side):
//! written by hand for the evaluation methods, serialized for the rest.

use serde::Serialize;
use serde_json::{json, Value};
use split_edge::explain::{ConditionTrace, Explanation};
use split_edge::http::HttpRequest;
use split_edge::impressions::Impression;
use split_edge::wire::push_json_string;
use split_edge::TreatmentResult;

fn push_answer(out: &mut String, r: &TreatmentResult<'_>, with_config: bool) {
    if with_config {
        out.push_str("{\"treatment\":");
        push_json_string(out, &r.treatment);
        out.push_str(",\"config\":");
        match r.config.as_deref() {
            Some(c) => push_json_string(out, c),
            None => out.push_str("null"),
        }
        out.push('}');
    } else {
        push_json_string(out, &r.treatment);
    }
}

/// One flag's answer: `"on"`, or `{"treatment":"on","config":null}` with config.
pub fn single(r: &TreatmentResult<'_>, with_config: bool) -> String {
    let mut out = String::with_capacity(48);
    push_answer(&mut out, r, with_config);
    out
}

/// Several flags' answers as an object keyed by flag name, in evaluation order.
pub fn many(results: &[(String, TreatmentResult<'_>)], with_config: bool) -> String {
    let mut out = String::with_capacity(results.len().saturating_mul(48).saturating_add(2));
    out.push('{');
    for (i, (name, r)) in results.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, name);
        out.push(':');
        push_answer(&mut out, r, with_config);
    }
    out.push('}');
    out
}

/// An explanation as the package's `Explanation` type.
pub fn explanation(e: &Explanation<'_>, flag: &str) -> Value {
    let r = &e.result;
    json!({
        "flag": flag,
        "treatment": r.treatment,
        "label": r.label,
        "config": r.config,
        "changeNumber": r.change_number,
        "conditionIndex": r.decision.condition,
        "trafficBucket": r.decision.traffic_bucket,
        "partitionBucket": r.decision.partition_bucket,
        "conditions": e.conditions.iter().map(condition).collect::<Vec<_>>(),
    })
}

fn condition(c: &ConditionTrace) -> Value {
    json!({
        "index": c.index,
        "label": c.label,
        "rollout": c.rollout,
        "matched": c.matched,
        "matchers": c.matchers.iter().map(|m| json!({
            "matcherType": m.matcher_type,
            "attribute": m.attribute,
            "negate": m.negate,
            "matched": m.matched,
        })).collect::<Vec<_>>(),
    })
}

/// An impression as the JS SDK's `ImpressionDTO` (optional fields omitted when absent).
pub fn impression(i: &Impression) -> Value {
    let mut v = json!({
        "feature": i.feature,
        "keyName": i.key_name,
        "treatment": i.treatment,
        "time": i.time,
        "label": i.label,
        "changeNumber": i.change_number,
    });
    if let Some(map) = v.as_object_mut() {
        if let Some(b) = &i.bucketing_key {
            map.insert("bucketingKey".into(), json!(b));
        }
        if let Some(pt) = i.pt {
            map.insert("pt".into(), json!(pt));
        }
        if let Some(p) = &i.properties {
            map.insert("properties".into(), json!(p));
        }
    }
    v
}

/// A request for the host to send with `fetch`.
#[derive(Debug, Serialize)]
pub struct Request<'a> {
    /// Report its outcome with this id.
    pub id: u64,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The full URL.
    pub url: &'a str,
    /// Headers in order.
    pub headers: &'a [(String, String)],
    /// The body, for POSTs.
    pub body: Option<&'a str>,
}

/// A core request as a [`Request`].
pub fn request(r: &HttpRequest) -> Request<'_> {
    Request { id: r.id.0, method: r.method.as_str(), url: &r.url, headers: &r.headers, body: r.body.as_deref() }
}
