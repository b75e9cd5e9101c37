//! split-evaluator's `/client/*` and `/manager/*` endpoints over a [`SplitEdge`] (sans-I/O):
//! an [`ApiRequest`] in, a [`Reply`] out.

use serde_json::{json, Value};
use split_edge::sdk::SplitEdge;
use split_edge::wire::{push_json_string, push_treatment_fields};
use split_edge::{EvaluationOptions, Evaluations, Key};

use crate::params::{self, ApiRequest, Common};

/// `application/json; charset=utf-8` (Express's `res.send(object)`).
pub const JSON: &str = "application/json; charset=utf-8";
/// `text/html; charset=utf-8` (Express's `res.send(string)`).
pub const TEXT: &str = "text/html; charset=utf-8";

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, value: &Value) -> Reply {
        Reply { status, content_type: JSON, body: value.to_string() }
    }

    /// A JSON answer already serialized.
    pub fn json_text(status: u16, body: String) -> Reply {
        Reply { status, content_type: JSON, body }
    }

    /// A text answer.
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply { status, content_type: TEXT, body: body.into() }
    }

    /// `{"error": <value>}`.
    pub fn error(status: u16, error: Value) -> Reply {
        Reply::json(status, &json!({ "error": error }))
    }

    /// 400 `{"error": [messages]}`.
    pub fn validation(errors: Vec<String>) -> Reply {
        Reply::error(400, Value::Array(errors.into_iter().map(Value::String).collect()))
    }

    /// split-evaluator's answer to an unknown route.
    pub fn not_found() -> Reply {
        Reply::json(200, &json!({"route": "Sorry this page does not exist!"}))
    }
}

/// Which client endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Treatment { config: bool },
    Treatments { config: bool },
    BySets { config: bool },
    All { config: bool },
    Track,
}

fn endpoint(path: &str) -> Option<Endpoint> {
    Some(match path {
        "/client/get-treatment" => Endpoint::Treatment { config: false },
        "/client/get-treatment-with-config" => Endpoint::Treatment { config: true },
        "/client/get-treatments" => Endpoint::Treatments { config: false },
        "/client/get-treatments-with-config" => Endpoint::Treatments { config: true },
        "/client/get-treatments-by-sets" => Endpoint::BySets { config: false },
        "/client/get-treatments-with-config-by-sets" => Endpoint::BySets { config: true },
        "/client/get-all-treatments" => Endpoint::All { config: false },
        "/client/get-all-treatments-with-config" => Endpoint::All { config: true },
        "/client/track" => Endpoint::Track,
        _ => return None,
    })
}

/// Answers a `/client/*` request, or `None` when the path or method is not one of them.
pub fn client(edge: &mut SplitEdge, now_ms: u64, req: &ApiRequest) -> Option<Reply> {
    let endpoint = endpoint(&req.path)?;
    let get = req.method.eq_ignore_ascii_case("GET");
    if !(get || (req.is_post() && endpoint != Endpoint::Track)) {
        return None;
    }
    if let Some(e) = params::body_error(req) {
        return Some(Reply::error(400, e));
    }
    let body = params::body_object(req);
    let mut errors = Vec::new();
    Some(match endpoint {
        Endpoint::Treatment { config } => {
            let key = params::key(req, &mut errors);
            let name = params::split_name(req, &mut errors);
            let common = params::common(req, &body, &mut errors);
            match (key, name) {
                (Some(key), Some(name)) if errors.is_empty() => treatment(edge, now_ms, &key, &name, &common, config),
                _ => Reply::validation(errors),
            }
        }
        Endpoint::Treatments { config } => {
            let key = params::key(req, &mut errors);
            let names = params::split_names(req, &mut errors);
            let common = params::common(req, &body, &mut errors);
            match (key, names) {
                (Some(key), Some(names)) if errors.is_empty() => {
                    let names = Value::Array(names.into_iter().map(Value::String).collect());
                    let opts = options(&common);
                    let results =
                        edge.get_treatments_json(now_ms, Some(&key), Some(&names), common.attributes.as_ref(), &opts);
                    Reply::json_text(200, evaluations(&results, config))
                }
                _ => Reply::validation(errors),
            }
        }
        Endpoint::BySets { config } => {
            let key = params::key(req, &mut errors);
            let sets = params::flag_sets(req, &mut errors);
            let common = params::common(req, &body, &mut errors);
            match (key, sets) {
                (Some(key), Some(sets)) if errors.is_empty() => {
                    let sets = Value::Array(sets.into_iter().map(Value::String).collect());
                    let opts = options(&common);
                    let results = edge.get_treatments_by_flag_sets_json(
                        now_ms,
                        Some(&key),
                        Some(&sets),
                        common.attributes.as_ref(),
                        &opts,
                    );
                    Reply::json_text(200, evaluations(&results, config))
                }
                _ => Reply::validation(errors),
            }
        }
        Endpoint::All { config } => {
            let keys = params::all_keys(req, &mut errors);
            let common = params::common(req, &body, &mut errors);
            match keys {
                Some(keys) if errors.is_empty() => all_treatments(edge, now_ms, keys, &common, config),
                _ => Reply::validation(errors),
            }
        }
        Endpoint::Track => track(edge, now_ms, req),
    })
}

fn options(common: &Common) -> EvaluationOptions {
    EvaluationOptions { impressions_disabled: common.impressions_disabled, properties: common.properties.clone() }
}

fn treatment(edge: &mut SplitEdge, now_ms: u64, key: &Value, name: &str, common: &Common, config: bool) -> Reply {
    let flag = Value::String(name.to_owned());
    let r = edge.get_treatment_json(now_ms, Some(key), Some(&flag), common.attributes.as_ref(), &options(common));
    let mut out = String::with_capacity(64);
    out.push_str("{\"splitName\":");
    push_json_string(&mut out, name);
    out.push(',');
    push_treatment_fields(&mut out, &r, config);
    out.push('}');
    Reply::json_text(200, out)
}

/// `{"<flag>": {"treatment", "config"?}}` in evaluation order, serialized as `JSON.stringify`
/// writes it (no intermediate `Value`).
fn evaluations(results: &Evaluations<'_>, config: bool) -> String {
    let mut out = String::with_capacity(results.len().saturating_mul(40).saturating_add(2));
    push_evaluations(&mut out, results, config);
    out
}

fn push_evaluations(out: &mut String, results: &Evaluations<'_>, config: bool) {
    out.push('{');
    for (i, (name, r)) in results.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, name);
        // `{"treatment":…}`: the fields' leading comma becomes the object's opening brace.
        let start = out.len();
        out.push(',');
        push_treatment_fields(out, r, config);
        out.replace_range(start..start.saturating_add(1), ":{");
        out.push('}');
    }
    out.push('}');
}

fn all_treatments(edge: &mut SplitEdge, now_ms: u64, keys: params::AllKeys, common: &Common, config: bool) -> Reply {
    let keys: Vec<(Key, String)> = keys
        .into_iter()
        .map(|(m, b, tt)| (b.map_or_else(|| Key::new(m.clone()), |b| Key::with_bucketing(m.clone(), b)), tt))
        .collect();
    let attributes = match &common.attributes {
        Some(Value::Object(m)) => Some(m.clone()),
        _ => None,
    };
    let all = edge.get_all_treatments(now_ms, &keys, attributes.as_ref(), &options(common));
    let mut out = String::from("{");
    for (i, (tt, results)) in all.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, tt);
        out.push(':');
        push_evaluations(&mut out, results, config);
    }
    out.push('}');
    Reply::json_text(200, out)
}

fn track(edge: &mut SplitEdge, now_ms: u64, req: &ApiRequest) -> Reply {
    let s = |name: &str| req.param(name).map(|v| Value::String(v.to_owned()));
    let properties = match req.param("properties").map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(m))) => Some(Value::Object(m)),
        _ => None,
    };
    let key = s("key");
    let tt = s("traffic-type");
    let et = s("event-type");
    let value = s("value");
    match edge.track_json(now_ms, key.as_ref(), tt.as_ref(), et.as_ref(), value.as_ref(), properties.as_ref()) {
        Ok(_) => Reply::text(200, "Successfully queued event"),
        Err(rejected) => Reply::validation(rejected.errors.iter().map(ToString::to_string).collect()),
    }
}

/// Answers a `/manager/*` GET, or `None` when the path is not one of them.
pub fn manager(edge: &SplitEdge, req: &ApiRequest) -> Option<Reply> {
    if !req.method.eq_ignore_ascii_case("GET") {
        return None;
    }
    let manager = edge.manager();
    Some(match req.path.as_str() {
        "/manager/split" => {
            let mut errors = Vec::new();
            match params::split_name(req, &mut errors) {
                None => Reply::validation(errors),
                Some(name) => match manager.split(&name) {
                    Some(view) => Reply::json(200, &serde_json::to_value(view).unwrap_or(Value::Null)),
                    None => Reply::error(404, Value::String(format!("Feature flag \"{name}\" was not found."))),
                },
            }
        }
        "/manager/splits" => Reply::json(200, &json!({ "splits": manager.splits() })),
        "/manager/names" => Reply::json(200, &json!({ "splits": manager.names() })),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::{demo_edge as edge, get};

    #[test]
    fn treatment_shapes() {
        let mut e = edge();
        let name = e.manager().names()[0].clone();
        let r =
            client(&mut e, 1, &get("/client/get-treatment-with-config", &[("key", "alice"), ("split-name", &name)]))
                .unwrap();
        assert_eq!(r.status, 200);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["splitName"], name.as_str());
        assert!(v.get("config").is_some());
        let r = client(&mut e, 1, &get("/client/get-treatment", &[("split-name", " ")])).unwrap();
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body,
            r#"{"error":["you passed a null or undefined key, key must be a non-empty string.","you passed an empty split-name, split-name must be a non-empty string."]}"#
        );
        let r = client(
            &mut e,
            1,
            &get("/client/get-treatments", &[("key", "a"), ("split-names", &format!("{name},nope"))]),
        )
        .unwrap();
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["nope"]["treatment"], "control");
        assert!(v[&name].get("config").is_none());
    }

    #[test]
    fn manager_and_track() {
        let mut e = edge();
        let r = manager(&e, &get("/manager/split", &[("split-name", "missing")])).unwrap();
        assert_eq!((r.status, r.body.as_str()), (404, r#"{"error":"Feature flag \"missing\" was not found."}"#));
        let r = manager(&e, &get("/manager/names", &[])).unwrap();
        assert!(r.body.starts_with(r#"{"splits":["#));
        let r = client(
            &mut e,
            1,
            &get("/client/track", &[("key", "a"), ("traffic-type", "user"), ("event-type", "buy"), ("value", "3")]),
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "Successfully queued event"));
        let r = client(
            &mut e,
            1,
            &get("/client/track", &[("key", "a"), ("traffic-type", "user"), ("event-type", "buy"), ("value", "x")]),
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_str()), (400, r#"{"error":["value must be null or number."]}"#));
    }
}
