//! split-evaluator's request inputs (spec §8.4, §8.5): the query string, and the JSON body of
//! POST requests, validated in parameter order with the core's validators and messages.

use serde_json::{Map, Value};
use split_edge::{js, validate, ValidationError};

/// The largest POST body accepted (body-parser's `300kb`).
pub const BODY_LIMIT: usize = 300 * 1024;

/// An HTTP request as the API sees it.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path (`/client/get-treatment`).
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body (POST).
    pub body: Option<String>,
}

impl ApiRequest {
    /// The first value of a query parameter (repeated parameters are unsupported, as in
    /// split-evaluator; the first wins).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Whether this is a POST.
    pub fn is_post(&self) -> bool {
        self.method.eq_ignore_ascii_case("POST")
    }
}

/// The decoded query pairs of a serialized URL, in order, as `application/x-www-form-urlencoded`
/// reads them (the WHATWG URL parser's `searchParams`): the part after the first `?` up to a `#`,
/// split on `&` (empty pieces skipped) and at the first `=`, `+` read as a space, `%XX` decoded and
/// invalid UTF-8 replaced with U+FFFD. A `%` not followed by two hex digits stays as it is.
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    let Some((_, rest)) = url.split_once('?') else {
        return Vec::new();
    };
    let query = rest.split_once('#').map_or(rest, |(q, _)| q);
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (form_decode(name), form_decode(value))
        })
        .collect()
}

/// The path of a serialized URL (`Request.url`), as workers-rs's `Request::path` gives it: what
/// follows the authority up to the query or fragment (`/` when empty). A serialized URL of a
/// special scheme always has a path starting with `/`, and `?`/`#` inside it are
/// percent-encoded, so no parsing is needed.
pub fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").and_then(|i| url.get(i.saturating_add(3)..)).unwrap_or(url);
    let Some(start) = after_scheme.find('/') else { return "/" };
    let path = after_scheme.get(start..).unwrap_or("/");
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path.get(..end).filter(|p| !p.is_empty()).unwrap_or("/")
}

/// Decodes one `application/x-www-form-urlencoded` name or value.
fn form_decode(text: &str) -> String {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'+' => bytes.push(b' '),
            b'%' => match (tail.first().copied().and_then(hex), tail.get(1).copied().and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    bytes.push(hi << 4 | lo);
                    rest = tail.get(2..).unwrap_or_default();
                }
                _ => bytes.push(b'%'),
            },
            _ => bytes.push(b),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// A body-parser error, answered as `400 {"error": <object>}`.
pub fn body_error(req: &ApiRequest) -> Option<Value> {
    let body = req.body.as_deref()?;
    if !is_json(req) || body.is_empty() {
        return None;
    }
    if body.len() > BODY_LIMIT {
        return Some(serde_json::json!({"expose": true, "statusCode": 413, "status": 413,
            "expected": body.len(), "length": body.len(), "limit": BODY_LIMIT, "type": "entity.too.large"}));
    }
    let strict_start = body.trim_start_matches([' ', '\t', '\n', '\r']).starts_with(['{', '[']);
    if !strict_start || serde_json::from_str::<Value>(body).is_err() {
        return Some(serde_json::json!({"expose": true, "statusCode": 400, "status": 400,
            "body": body, "type": "entity.parse.failed"}));
    }
    None
}

fn is_json(req: &ApiRequest) -> bool {
    req.content_type.as_deref().is_some_and(|c| c.to_ascii_lowercase().contains("json"))
}

/// The parsed JSON body (`{}` when absent, not JSON, or not an object), as body-parser leaves it.
pub fn body_object(req: &ApiRequest) -> Map<String, Value> {
    if !req.is_post() || !is_json(req) {
        return Map::new();
    }
    match req.body.as_deref().map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(m))) => m,
        _ => Map::new(),
    }
}

/// Validated evaluation inputs common to the client endpoints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Common {
    /// Attributes (a plain object) or none.
    pub attributes: Option<Value>,
    /// Impression properties, or none.
    pub properties: Option<Map<String, Value>>,
    /// Whether impressions are disabled for the call.
    pub impressions_disabled: bool,
}

/// Reads attributes, properties and impressions-disabled, pushing an attributes error.
pub fn common(req: &ApiRequest, body: &Map<String, Value>, errors: &mut Vec<String>) -> Common {
    let post = req.is_post();
    let attributes = if post {
        match body.get("attributes") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(Value::Object(m.clone())),
            Some(_) => {
                errors.push(ValidationError::AttributesNotObject.to_string());
                None
            }
        }
    } else {
        match req.param("attributes") {
            None => None,
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(m)) => Some(Value::Object(m)),
                _ => {
                    errors.push(ValidationError::AttributesNotObject.to_string());
                    None
                }
            },
        }
    };
    let properties = if post {
        match body.get("properties") {
            Some(Value::Object(m)) => Some(m.clone()),
            _ => None,
        }
    } else {
        match req.param("properties").map(serde_json::from_str::<Value>) {
            Some(Ok(Value::Object(m))) if m.len() <= 15 => Some(m),
            _ => None,
        }
    };
    let mut impressions_disabled = req.param("impressions-disabled") == Some("true");
    if post {
        if let Some(v) = body.get("impressionsDisabled") {
            impressions_disabled = !v.is_null() && js::to_js_string(v) == "true";
        }
    }
    Common { attributes, properties, impressions_disabled }
}

/// Validates `key` and `bucketing-key`; returns the SDK key (a string, or `{matchingKey,
/// bucketingKey}` when the bucketing key is valid).
pub fn key(req: &ApiRequest, errors: &mut Vec<String>) -> Option<Value> {
    let matching = validated_key(req.param("key"), "key", errors);
    let bucketing = req.param("bucketing-key").and_then(|b| validated_key(Some(b), "bucketing-key", errors));
    let matching = matching?;
    Some(match bucketing {
        Some(b) => serde_json::json!({"matchingKey": matching, "bucketingKey": b}),
        None => Value::String(matching),
    })
}

fn validated_key(value: Option<&str>, field: &str, errors: &mut Vec<String>) -> Option<String> {
    let v = value.map(|s| Value::String(s.to_owned()));
    match validate::key_value(v.as_ref(), field) {
        Ok(k) => Some(k.into_owned()),
        Err(e) => {
            errors.push(e.to_string());
            None
        }
    }
}

/// Validates `split-name`.
pub fn split_name(req: &ApiRequest, errors: &mut Vec<String>) -> Option<String> {
    let v = req.param("split-name").map(|s| Value::String(s.to_owned()));
    match validate::flag_name_json(v.as_ref(), "split-name") {
        Ok(n) => Some(n.to_owned()),
        Err(e) => {
            errors.push(e.to_string());
            None
        }
    }
}

/// Validates `split-names` (comma list; invalid items dropped, duplicates removed).
pub fn split_names(req: &ApiRequest, errors: &mut Vec<String>) -> Option<Vec<String>> {
    let result = match req.param("split-names") {
        None => Err(ValidationError::NullNames("split-names".to_owned())),
        Some(list) => validate::flag_names(&list.split(',').collect::<Vec<_>>(), "split-names"),
    };
    result.map_err(|e| errors.push(e.to_string())).ok()
}

/// Validates `flag-sets` (comma list, trimmed, empty items dropped, duplicates removed; the SDK
/// lowercases and checks them later).
pub fn flag_sets(req: &ApiRequest, errors: &mut Vec<String>) -> Option<Vec<String>> {
    let Some(list) = req.param("flag-sets") else {
        errors.push(ValidationError::NullFlagSets("flag-sets".to_owned()).to_string());
        return None;
    };
    let mut sets: Vec<String> = Vec::new();
    for s in list.split(',').map(js::trim).filter(|s| !s.is_empty()) {
        if !sets.iter().any(|x| x == s) {
            sets.push(s.to_owned());
        }
    }
    if sets.is_empty() {
        errors.push(ValidationError::EmptyFlagSets("flag-sets".to_owned()).to_string());
        return None;
    }
    Some(sets)
}

/// `keys` of get-all-treatments: `(matching key, bucketing key, traffic type)` each.
pub type AllKeys = Vec<(String, Option<String>, String)>;

const KEYS_INSIDE: &str = "keys is array but there are errors inside of it. keys must be an array with at least one \
element that contain a valid matchingKey and trafficType. It can also includes bucketingKey.";

/// Validates `keys` (a JSON array of `{matchingKey, trafficType, bucketingKey?}`).
pub fn all_keys(req: &ApiRequest, errors: &mut Vec<String>) -> Option<AllKeys> {
    let result = parse_all_keys(req.param("keys"));
    result.map_err(|e| errors.push(e.to_owned())).ok()
}

fn parse_all_keys(param: Option<&str>) -> Result<AllKeys, &'static str> {
    let text = param.ok_or("you passed null or undefined keys, keys must be a non-empty array.")?;
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
        return Err("keys must be a valid format.");
    };
    if items.is_empty() {
        return Err("there should be at least one matchingKey-trafficType element.");
    }
    let mut out: AllKeys = Vec::with_capacity(items.len());
    for item in &items {
        let matching = validate::key_value(item.get("matchingKey"), "matchingKey").map_err(|_| KEYS_INSIDE)?;
        let traffic_type = match item.get("trafficType") {
            Some(Value::String(t)) if !js::trim(t).is_empty() => {
                let t = js::trim(t);
                if t.bytes().any(|b| b.is_ascii_uppercase()) {
                    t.to_lowercase()
                } else {
                    t.to_owned()
                }
            }
            _ => return Err(KEYS_INSIDE),
        };
        let bucketing = match item.as_object().and_then(|o| o.get("bucketingKey")) {
            None => None,
            Some(b) => Some(validate::key_value(Some(b), "bucketingKey").map_err(|_| KEYS_INSIDE)?.into_owned()),
        };
        out.push((matching.into_owned(), bucketing, traffic_type));
    }
    for (i, (_, _, tt)) in out.iter().enumerate() {
        if out.iter().take(i).any(|(_, _, other)| other == tt) {
            return Err("at least one trafficType is duplicated in keys object.");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(query: &[(&str, &str)]) -> ApiRequest {
        ApiRequest {
            method: "GET".into(),
            path: "/".into(),
            query: query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn path_of_a_serialized_url() {
        assert_eq!(path_of("http://localhost/client/get-treatment?key=a&x=/b"), "/client/get-treatment");
        assert_eq!(path_of("https://h.example:8787/admin/ping#frag"), "/admin/ping");
        assert_eq!(path_of("http://localhost"), "/");
        assert_eq!(path_of("http://localhost/"), "/");
        assert_eq!(path_of("http://localhost?x=1"), "/");
        assert_eq!(path_of("http://localhost/a%3Fb?c"), "/a%3Fb");
    }

    #[test]
    fn query_pairs_decode_as_url_search_params() {
        let pairs = |url: &str| query_pairs(url);
        let owned = |v: &[(&str, &str)]| v.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
        assert_eq!(pairs("https://h/client/get-treatment"), owned(&[]));
        assert_eq!(pairs("https://h/p?"), owned(&[]));
        assert_eq!(
            pairs("https://h/p?key=a+b&split-name=f%C3%A9&&x&y=1=2#frag?no=1"),
            owned(&[("key", "a b"), ("split-name", "fé"), ("x", ""), ("y", "1=2")])
        );
        assert_eq!(pairs("http://h/?a=%zz%4&b=%2B%26&%FF=1"), owned(&[("a", "%zz%4"), ("b", "+&"), ("\u{fffd}", "1")]));
        assert_eq!(pairs("http://h/?attributes=%7B%22p%22%3A1%7D"), owned(&[("attributes", r#"{"p":1}"#)]));
    }

    #[test]
    fn keys_and_names() {
        let mut e = Vec::new();
        assert_eq!(key(&get(&[("key", " k ")]), &mut e), Some(Value::String("k".into())));
        assert_eq!(key(&get(&[("key", "k"), ("bucketing-key", "b")]), &mut e).unwrap()["bucketingKey"], "b");
        assert!(e.is_empty());
        assert_eq!(key(&get(&[("bucketing-key", "")]), &mut e), None);
        assert_eq!(
            e,
            [
                "you passed a null or undefined key, key must be a non-empty string.",
                "you passed an empty string, bucketing-key must be a non-empty string."
            ]
        );
        let mut e = Vec::new();
        assert_eq!(split_names(&get(&[("split-names", "a, ,a,b")]), &mut e), Some(vec!["a".into(), "b".into()]));
        assert_eq!(split_names(&get(&[("split-names", ",")]), &mut e), None);
        assert_eq!(flag_sets(&get(&[("flag-sets", " s1 ,,s1")]), &mut e), Some(vec!["s1".into()]));
        assert_eq!(flag_sets(&get(&[]), &mut e), None);
        assert_eq!(
            e,
            [
                "split-names must be a non-empty array.",
                "you passed a null or undefined flag-sets, flag-sets must be a non-empty array."
            ]
        );
    }

    #[test]
    fn all_keys_rules() {
        assert_eq!(
            parse_all_keys(Some(r#"[{"matchingKey":"m","trafficType":" User "}]"#)),
            Ok(vec![("m".into(), None, "user".into())])
        );
        assert_eq!(parse_all_keys(Some("[]")), Err("there should be at least one matchingKey-trafficType element."));
        assert_eq!(parse_all_keys(Some("{}")), Err("keys must be a valid format."));
        assert_eq!(
            parse_all_keys(Some(r#"[{"matchingKey":"m","trafficType":"u","bucketingKey":null}]"#)),
            Err(KEYS_INSIDE)
        );
        assert_eq!(
            parse_all_keys(Some(r#"[{"matchingKey":"m","trafficType":"u"},{"matchingKey":"n","trafficType":"U"}]"#)),
            Err("at least one trafficType is duplicated in keys object.")
        );
    }

    #[test]
    fn common_inputs() {
        let mut e = Vec::new();
        let c = common(
            &get(&[("attributes", "[1]"), ("properties", "{\"a\":1}"), ("impressions-disabled", "true")]),
            &Map::new(),
            &mut e,
        );
        assert_eq!(e, ["attributes must be a plain object."]);
        assert!(c.properties.is_some() && c.impressions_disabled);
        let post = ApiRequest {
            method: "POST".into(),
            content_type: Some("application/json".into()),
            body: Some(r#"{"attributes":{"a":1},"impressionsDisabled":"true"}"#.into()),
            query: vec![("attributes".into(), "bad".into())],
            ..Default::default()
        };
        let mut e = Vec::new();
        let c = common(&post, &body_object(&post), &mut e);
        assert!(e.is_empty() && c.attributes.is_some() && c.impressions_disabled);
        let bad = ApiRequest { body: Some("{nope".into()), ..post };
        assert_eq!(body_error(&bad).unwrap()["type"], "entity.parse.failed");
    }
}
