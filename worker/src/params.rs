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
    /// The request headers the routes read (`If-None-Match`, [`crate::ofrep::VALUE_HEADER`]),
    /// names in lower case.
    pub headers: Vec<(String, String)>,
}

impl ApiRequest {
    /// The first value of a query parameter (repeated parameters are unsupported, as in
    /// split-evaluator; the first wins).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A header's value (`name` in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
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
    decode(text, true)
}

/// A path segment percent-decoded (`+` stays `+`; invalid UTF-8 becomes U+FFFD).
pub fn path_decode(text: &str) -> String {
    decode(text, false)
}

fn decode(text: &str, plus_is_space: bool) -> String {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'+' if plus_is_space => bytes.push(b' '),
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
    // split-evaluator hands the body's `attributes` to the query's validator: a string is parsed
    // as JSON there too, so `{"attributes": "{\"plan\":\"pro\"}"}` is accepted on POST.
    let attributes = if post {
        body.get("attributes").cloned()
    } else {
        req.param("attributes").map(|t| Value::String(t.to_owned()))
    };
    let attributes = match attributes.map(attributes_value).transpose() {
        Ok(a) => a.flatten(),
        Err(e) => {
            errors.push(e.to_string());
            None
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

/// split-evaluator's attributes rule: absent or null → none; a string → parsed as JSON, which must
/// give a plain object; an object → itself; anything else is refused.
fn attributes_value(value: Value) -> Result<Option<Value>, ValidationError> {
    let value = match value {
        Value::Null => return Ok(None),
        Value::String(text) => {
            serde_json::from_str::<Value>(&text).map_err(|_| ValidationError::AttributesNotObject)?
        }
        other => other,
    };
    match value {
        Value::Object(_) => Ok(Some(value)),
        _ => Err(ValidationError::AttributesNotObject),
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

/// The most flag names (`split-names`) or flag sets (`flag-sets`) one request may name, after
/// duplicates are removed: 2,000. Above the flag count of real Split environments (a few
/// hundred is large): every flag of an environment fits one request, and
/// `get-all-treatments` serves them without naming them. More is answered 400.
pub const MAX_NAMES_PER_REQUEST: usize = 2_000;

/// The 400 message of a list over [`MAX_NAMES_PER_REQUEST`].
fn too_many(field: &str, count: usize, what: &str) -> String {
    format!("{field} holds {count} distinct {what}, over the limit of {MAX_NAMES_PER_REQUEST} per request.")
}

/// Validates `split-names` (comma list; invalid items dropped, duplicates removed, in linear
/// time; at most [`MAX_NAMES_PER_REQUEST`] names).
pub fn split_names(req: &ApiRequest, errors: &mut Vec<String>) -> Option<Vec<String>> {
    let result = match req.param("split-names") {
        None => Err(ValidationError::NullNames("split-names".to_owned())),
        Some(list) => validate::flag_names(&list.split(',').collect::<Vec<_>>(), "split-names"),
    };
    let names = result.map_err(|e| errors.push(e.to_string())).ok()?;
    if names.len() > MAX_NAMES_PER_REQUEST {
        errors.push(too_many("split-names", names.len(), "names"));
        return None;
    }
    Some(names)
}

/// Validates `flag-sets` (comma list, trimmed, empty items dropped, duplicates removed in
/// linear time; at most [`MAX_NAMES_PER_REQUEST`] sets; the SDK lowercases and checks them later).
pub fn flag_sets(req: &ApiRequest, errors: &mut Vec<String>) -> Option<Vec<String>> {
    let Some(list) = req.param("flag-sets") else {
        errors.push(ValidationError::NullFlagSets("flag-sets".to_owned()).to_string());
        return None;
    };
    let mut sets: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in list.split(',').map(js::trim).filter(|s| !s.is_empty()) {
        if seen.insert(s) {
            sets.push(s.to_owned());
        }
    }
    if sets.is_empty() {
        errors.push(ValidationError::EmptyFlagSets("flag-sets".to_owned()).to_string());
        return None;
    }
    if sets.len() > MAX_NAMES_PER_REQUEST {
        errors.push(too_many("flag-sets", sets.len(), "sets"));
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

/// split-evaluator's keys rule. Its validator reads `key.trafficType` of each element in order,
/// so a `null` element throws (→ "valid format"), while any other non-object element is an error
/// inside the array; `JSON.parse` turns a number out of double range into ±Infinity, which is no
/// valid key or traffic type (→ an error inside) and is harmless in fields it does not read.
fn parse_all_keys(param: Option<&str>) -> Result<AllKeys, &'static str> {
    const FORMAT: &str = "keys must be a valid format.";
    let text = param.ok_or("you passed null or undefined keys, keys must be a non-empty array.")?;
    let parsed = serde_json::from_str::<Value>(text)
        .or_else(|_| serde_json::from_str::<Value>(&out_of_range_numbers_as_true(text).ok_or(())?).map_err(|_| ()));
    let Ok(Value::Array(items)) = parsed else {
        return Err(FORMAT);
    };
    if items.is_empty() {
        return Err("there should be at least one matchingKey-trafficType element.");
    }
    let mut out: AllKeys = Vec::with_capacity(items.len());
    for item in &items {
        if item.is_null() {
            return Err(FORMAT);
        }
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
    let mut traffic_types = std::collections::HashSet::with_capacity(out.len());
    if !out.iter().all(|(_, _, tt)| traffic_types.insert(tt.as_str())) {
        return Err("at least one trafficType is duplicated in keys object.");
    }
    Ok(out)
}

/// `text` with every number literal (outside strings) that overflows a double replaced by
/// `true`: for the keys rule an infinite number and `true` are alike (neither a key, nor a
/// traffic type, nor an object, nor null). `None` when no literal overflows (the text is invalid
/// for another reason).
fn out_of_range_numbers_as_true(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut replaced = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if c == '"' {
            // A string literal, escapes included (an unterminated one runs to the end).
            let mut escaped = false;
            rest.char_indices()
                .skip(1)
                .find(|&(_, ch)| {
                    let end = ch == '"' && !escaped;
                    escaped = ch == '\\' && !escaped;
                    end
                })
                .map_or(rest.len(), |(i, _)| i.saturating_add(1))
        } else if c == '-' || c.is_ascii_digit() {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_digit() || matches!(ch, '-' | '+' | '.' | 'e' | 'E')))
                .unwrap_or(rest.len());
            let literal = rest.get(..len).unwrap_or(rest);
            if literal.parse::<f64>().is_ok_and(f64::is_infinite) {
                out.push_str("true");
                replaced = true;
                rest = rest.get(len..).unwrap_or("");
                continue;
            }
            len
        } else {
            c.len_utf8()
        };
        out.push_str(rest.get(..len).unwrap_or(rest));
        rest = rest.get(len..).unwrap_or("");
    }
    replaced.then_some(out)
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
    fn name_lists_are_bounded_and_deduplicated_in_order() {
        let list = |n: usize| (0..n).map(|i| format!(" f{i}")).collect::<Vec<_>>().join(",");
        let mut errors = Vec::new();
        let at_limit = format!("{},f0,f1", list(MAX_NAMES_PER_REQUEST));
        let names = split_names(&get(&[("split-names", &at_limit)]), &mut errors).unwrap();
        assert_eq!(names.len(), MAX_NAMES_PER_REQUEST, "duplicates do not count");
        assert_eq!((names[0].as_str(), names[1999].as_str()), ("f0", "f1999"), "trimmed, in order");
        assert!(errors.is_empty());
        assert!(split_names(&get(&[("split-names", &list(10_000))]), &mut errors).is_none());
        assert_eq!(errors, ["split-names holds 10000 distinct names, over the limit of 2000 per request."]);
        errors.clear();
        let sets = flag_sets(&get(&[("flag-sets", &format!("b,a,{}", list(MAX_NAMES_PER_REQUEST - 2)))]), &mut errors);
        assert_eq!(sets.map(|s| s.len()), Some(MAX_NAMES_PER_REQUEST));
        assert!(flag_sets(&get(&[("flag-sets", &list(MAX_NAMES_PER_REQUEST + 1))]), &mut errors).is_none());
        assert_eq!(errors, ["flag-sets holds 2001 distinct sets, over the limit of 2000 per request."]);
        errors.clear();
        let sets = flag_sets(&get(&[("flag-sets", " b ,a,b,,a ,c")]), &mut errors).unwrap();
        assert_eq!(sets, ["b", "a", "c"]);
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
    fn all_keys_null_elements_and_infinite_numbers_as_split_evaluator() {
        const FORMAT: Result<AllKeys, &str> = Err("keys must be a valid format.");
        assert_eq!(parse_all_keys(Some("[null]")), FORMAT, "key.trafficType throws on null");
        assert_eq!(parse_all_keys(Some(r#"[{"matchingKey":"m","trafficType":"u"},null]"#)), FORMAT);
        assert_eq!(parse_all_keys(Some(r#"[{"trafficType":"u"},null]"#)), Err(KEYS_INSIDE), "the first error wins");
        assert_eq!(parse_all_keys(Some("[1]")), Err(KEYS_INSIDE));
        assert_eq!(parse_all_keys(Some("[1e400]")), Err(KEYS_INSIDE));
        assert_eq!(parse_all_keys(Some(r#"[{"matchingKey":1e400,"trafficType":"u"}]"#)), Err(KEYS_INSIDE));
        assert_eq!(
            parse_all_keys(Some(r#"[{"matchingKey":"m","trafficType":"u","bucketingKey":-1E+999}]"#)),
            Err(KEYS_INSIDE)
        );
        assert_eq!(
            parse_all_keys(Some(r#"[{"matchingKey":1e300,"trafficType":"u"}]"#)),
            Ok(vec![("1e+300".into(), None, "u".into())])
        );
        assert_eq!(
            parse_all_keys(Some(r#"[{"matchingKey":"1e400 \"x\" 2e999","trafficType":"u","other":1e400}]"#)),
            Ok(vec![("1e400 \"x\" 2e999".into(), None, "u".into())]),
            "numbers in strings are text; an infinite number elsewhere is not read"
        );
        assert_eq!(parse_all_keys(Some("1e400")), FORMAT);
        assert_eq!(parse_all_keys(Some("[1e400")), FORMAT);
        assert_eq!(parse_all_keys(Some("[\"1e400")), FORMAT);
        assert_eq!(
            out_of_range_numbers_as_true("[1e400, \"a\\\"1e999\", -2e400]").as_deref(),
            Some("[true, \"a\\\"1e999\", true]")
        );
        assert_eq!(out_of_range_numbers_as_true("[1,"), None);
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
        let mut e = Vec::new();
        for (attributes, ok) in [
            (r#""{\"a\":1}""#, true),
            (r#""[1]""#, false),
            (r#""nope""#, false),
            ("null", true),
            ("[1]", false),
            ("3", false),
        ] {
            let as_string = ApiRequest { body: Some(format!(r#"{{"attributes":{attributes}}}"#)), ..post.clone() };
            let c = common(&as_string, &body_object(&as_string), &mut e);
            assert_eq!(e.is_empty(), ok, "{attributes}");
            assert_eq!(c.attributes.is_some(), ok && attributes != "null", "{attributes}");
            e.clear();
        }
        let as_string = ApiRequest { body: Some(r#"{"attributes":"{\"a\":1}"}"#.into()), ..post.clone() };
        let c = common(&as_string, &body_object(&as_string), &mut e);
        assert_eq!(c.attributes, Some(serde_json::json!({"a": 1})), "a JSON string of an object is parsed");
        let bad = ApiRequest { body: Some("{nope".into()), ..post };
        assert_eq!(body_error(&bad).unwrap()["type"], "entity.parse.failed");
    }
}
