//! The exact bodies and requests the SDK posts (spec §6.5, §6.6, §8.8), byte for byte as
//! JavaScript's `JSON.stringify` writes them.
//!
//! * [`impressions_body`]: `POST {events}/testImpressions/bulk`, grouped by flag in first-seen
//!   order but with JS object key order (integer-like flag names first, ascending);
//! * [`impression_counts_body`]: `POST {events}/testImpressions/count`;
//! * [`unique_keys_body`]: `POST {telemetry}/v1/keys/ss` (JS object key order of flags);
//! * [`events_body`]: `POST {events}/events/bulk`;
//! * [`listener_body`]: the impression-listener webhook (a JS `Map`: plain first-seen order).
//!
//! The `*_request` functions wrap a body into an [`HttpRequest`] with the JS SDK's headers.
//! [`stringify()`] is `JSON.stringify` for JSON values: JS number formatting
//! ([`crate::js::number_to_string`]: `1e+21`, `0` for `-0`, `1` for `1.0`) and JS key order
//! ([`js_key_order`]). Nothing here panics.

use std::fmt::Write as _;

use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use crate::events::Event;
use crate::http::{HttpRequest, Identity, Method, RequestId, Urls};
use crate::impressions::{FeatureKeys, Impression, ImpressionCount, ImpressionRef, ImpressionsMode};
use crate::js;

/// 2^53: integers up to this magnitude print the same as Rust integers and JS numbers.
pub(crate) const MAX_SAFE_INTEGER: u64 = 1 << 53;

// ----- JSON.stringify building blocks ---------------------------------------------------------

/// Appends `"treatment":…` and, with `config`, `,"config":…` (`null` when none): the fields of
/// one answer in split-evaluator's shapes (get-treatment(s), with config, bulk lines).
pub fn push_treatment_fields(out: &mut String, r: &crate::TreatmentResult<'_>, config: bool) {
    out.push_str("\"treatment\":");
    push_json_string(out, &r.treatment);
    if config {
        out.push_str(",\"config\":");
        match r.config.as_deref() {
            Some(c) => push_json_string(out, c),
            None => out.push_str("null"),
        }
    }
}

/// Appends `s` as a JSON string literal, escaped exactly as `JSON.stringify` does: `"` and `\`
/// backslashed, `\b \f \n \r \t` by name, other characters below U+0020 as `\u00xx` (lowercase
/// hex), everything else (including U+2028, U+2029 and U+007F) as is.
pub fn push_json_string(out: &mut String, s: &str) {
    out.reserve(s.len().saturating_add(2));
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.push_str(s.get(start..i).unwrap_or_default());
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        start = i.saturating_add(1);
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// Appends a JS number as `JSON.stringify` writes it (`null` for NaN and infinities).
pub fn push_js_number(out: &mut String, n: f64) {
    if n.is_finite() {
        out.push_str(&js::number_to_string(n));
    } else {
        out.push_str("null");
    }
}

/// Appends the decimal digits of `n` (faster than `fmt` on the hot paths).
fn push_digits(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Appends an unsigned integer as the JS number it stands for (exact up to 2^53; above, the
/// nearest double, as JS would hold it).
pub fn push_js_u64(out: &mut String, n: u64) {
    if n <= MAX_SAFE_INTEGER {
        push_digits(out, n);
    } else {
        push_js_number(out, n as f64);
    }
}

/// Appends a signed integer as the JS number it stands for (see [`push_js_u64`]).
pub fn push_js_i64(out: &mut String, n: i64) {
    if n.unsigned_abs() <= MAX_SAFE_INTEGER {
        if n < 0 {
            out.push('-');
        }
        push_digits(out, n.unsigned_abs());
    } else {
        push_js_number(out, n as f64);
    }
}

/// The value of `s` if it is a JS array index (a canonical decimal integer in `0..=2^32-2`):
/// such property names come first, in ascending numeric order, when JS enumerates an object.
pub fn array_index(s: &str) -> Option<u32> {
    let bytes = s.as_bytes();
    if bytes.is_empty() || bytes.len() > 10 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes.first() == Some(&b'0') {
        return None;
    }
    let n: u64 = s.parse().ok()?;
    if n <= 4_294_967_294 {
        u32::try_from(n).ok()
    } else {
        None
    }
}

/// The positions `0..names.len()` in JS property order for property names given in insertion
/// order: array indices ([`array_index`]) first, ascending, then the rest in insertion order.
pub fn js_order<'a, I>(names: I) -> Vec<usize>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut indices: Vec<(u32, usize)> = Vec::new();
    let mut rest: Vec<usize> = Vec::new();
    for (pos, name) in names.into_iter().enumerate() {
        match array_index(name) {
            Some(n) => indices.push((n, pos)),
            None => rest.push(pos),
        }
    }
    if indices.is_empty() {
        return rest;
    }
    crate::order::sort(&mut indices);
    let mut out: Vec<usize> = indices.into_iter().map(|(_, p)| p).collect();
    out.extend(rest);
    out
}

/// An object's members in the order JS enumerates them (`Object.keys`, `JSON.stringify`):
/// array-index names first, ascending, then the others in insertion order.
pub fn js_key_order(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    if !map.keys().any(|k| array_index(k).is_some()) {
        return map.iter().collect();
    }
    let entries: Vec<(&String, &Value)> = map.iter().collect();
    js_order(entries.iter().map(|(k, _)| k.as_str())).into_iter().filter_map(|i| entries.get(i).copied()).collect()
}

/// Appends `JSON.stringify(value)`.
pub fn push_json_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => push_js_number(out, n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => push_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => push_json_object(out, map),
    }
}

/// Appends `JSON.stringify(object)` (JS key order).
pub fn push_json_object(out: &mut String, map: &Map<String, Value>) {
    out.push('{');
    for (i, (k, v)) in js_key_order(map).into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, k);
        out.push(':');
        push_json_value(out, v);
    }
    out.push('}');
}

/// `JSON.stringify(value)` for a JSON value, byte for byte as JavaScript writes it.
///
/// ```
/// use serde_json::json;
/// assert_eq!(split_edge::wire::stringify(&json!({"b": 1.0, "10": -0.0, "2": 1e21, "a": "é\n"})),
///            r#"{"2":1e+21,"10":0,"b":1,"a":"é\n"}"#);
/// ```
pub fn stringify(value: &Value) -> String {
    let mut out = String::new();
    push_json_value(&mut out, value);
    out
}

/// Groups items by a name in first-seen order; with `js_object_order`, array-index names first
/// (a plain JS object), else plain first-seen order (a JS `Map`).
fn group_by<'a, T>(
    items: &'a [T],
    name: impl Fn(&'a T) -> &'a str,
    js_object_order: bool,
) -> Vec<(&'a str, Vec<&'a T>)> {
    let mut groups: Vec<(&'a str, Vec<&'a T>)> = Vec::new();
    let mut index: FxHashMap<&'a str, usize> = FxHashMap::default();
    for item in items {
        let n = name(item);
        match index.get(n).and_then(|&i| groups.get_mut(i)) {
            Some((_, members)) => members.push(item),
            None => {
                index.insert(n, groups.len());
                groups.push((n, vec![item]));
            }
        }
    }
    if js_object_order && groups.iter().any(|(n, _)| array_index(n).is_some()) {
        let order = js_order(groups.iter().map(|(n, _)| *n));
        let mut slots: Vec<Option<(&'a str, Vec<&'a T>)>> = groups.into_iter().map(Some).collect();
        groups = order.into_iter().filter_map(|i| slots.get_mut(i).and_then(Option::take)).collect();
    }
    groups
}

// ----- bodies ------------------------------------------------------------------------------------

/// The `testImpressions/bulk` body: `[{"f":flag,"i":[{"k","t","m","c","r","b","pt","properties"}]}]`,
/// members whose value is absent omitted, `r` only when `labels_enabled`.
pub fn impressions_body(impressions: &[Impression], labels_enabled: bool) -> String {
    let mut body = ImpressionsBody::new(labels_enabled);
    for imp in impressions {
        body.push(&imp.as_ref(), imp.pt);
    }
    body.finish()
}

/// A `testImpressions/bulk` body built incrementally: each impression is serialized once, when
/// pushed, into one buffer that keeps its capacity from batch to batch; [`ImpressionsBody::finish`]
/// joins them grouped by flag in JS object order (`groupBy` over a plain object: integer-like flag
/// names first, then first-seen order).
#[derive(Debug, Clone, Default)]
pub struct ImpressionsBody {
    labels_enabled: bool,
    /// Serialized key impressions, back to back.
    arena: String,
    /// Per flag, in first-seen order: its name and the arena spans of its key impressions.
    groups: Vec<(String, Vec<(usize, usize)>)>,
    index: FxHashMap<String, usize>,
    /// How many impressions it holds.
    count: usize,
    /// The finished body's estimated length.
    body_len: usize,
}

/// How much arena capacity a builder keeps between batches.
const ARENA_KEEP: usize = 1 << 20;

impl ImpressionsBody {
    /// An empty body; `labels_enabled` decides whether `r` is written.
    #[must_use]
    pub fn new(labels_enabled: bool) -> ImpressionsBody {
        ImpressionsBody { labels_enabled, ..ImpressionsBody::default() }
    }

    /// Serializes one impression with previous time `pt` into its flag's group.
    pub fn push(&mut self, imp: &ImpressionRef<'_>, pt: Option<u64>) {
        let group = match self.index.get(imp.feature).copied() {
            Some(g) => g,
            None => {
                let g = self.groups.len();
                self.index.insert(imp.feature.to_owned(), g);
                self.groups.push((imp.feature.to_owned(), Vec::new()));
                // `{"f":"...","i":[]}` and a separating comma.
                self.body_len = self.body_len.saturating_add(imp.feature.len().saturating_add(16));
                g
            }
        };
        let start = self.arena.len();
        push_key_impression(&mut self.arena, imp, pt, self.labels_enabled);
        let end = self.arena.len();
        if let Some((_, spans)) = self.groups.get_mut(group) {
            spans.push((start, end));
        }
        // The item and its separating comma.
        self.body_len = self.body_len.saturating_add(end.saturating_sub(start).saturating_add(1));
        self.count = self.count.saturating_add(1);
    }

    /// How many impressions it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether it holds no impression.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The size of the finished body in bytes (within a few bytes); 0 when empty.
    #[must_use]
    pub fn byte_len(&self) -> usize {
        if self.count == 0 {
            0
        } else {
            self.body_len.saturating_add(2)
        }
    }

    /// The finished body; the builder is left empty, keeping its settings.
    pub fn finish(&mut self) -> String {
        let groups = std::mem::take(&mut self.groups);
        let order: Vec<usize> = if groups.iter().any(|(f, _)| array_index(f).is_some()) {
            js_order(groups.iter().map(|(f, _)| f.as_str()))
        } else {
            (0..groups.len()).collect()
        };
        let mut out = String::with_capacity(self.body_len.saturating_add(2));
        out.push('[');
        for (n, (feature, spans)) in order.into_iter().filter_map(|i| groups.get(i)).enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push_str("{\"f\":");
            push_json_string(&mut out, feature);
            out.push_str(",\"i\":[");
            for (m, (start, end)) in spans.iter().enumerate() {
                if m > 0 {
                    out.push(',');
                }
                out.push_str(self.arena.get(*start..*end).unwrap_or_default());
            }
            out.push_str("]}");
        }
        out.push(']');
        self.arena.clear();
        self.arena.shrink_to(ARENA_KEEP);
        self.index.clear();
        self.count = 0;
        self.body_len = 0;
        out
    }
}

fn push_key_impression(out: &mut String, imp: &ImpressionRef<'_>, pt: Option<u64>, labels_enabled: bool) {
    out.push_str("{\"k\":");
    push_json_string(out, imp.key_name);
    out.push_str(",\"t\":");
    push_json_string(out, imp.treatment);
    out.push_str(",\"m\":");
    push_js_u64(out, imp.time);
    if let Some(c) = imp.change_number {
        out.push_str(",\"c\":");
        push_js_i64(out, c);
    }
    if labels_enabled {
        out.push_str(",\"r\":");
        push_json_string(out, imp.label);
    }
    if let Some(b) = imp.bucketing_key {
        out.push_str(",\"b\":");
        push_json_string(out, b);
    }
    if let Some(pt) = pt {
        out.push_str(",\"pt\":");
        push_js_u64(out, pt);
    }
    if let Some(p) = imp.properties {
        out.push_str(",\"properties\":");
        push_json_string(out, p);
    }
    out.push('}');
}

/// The `testImpressions/count` body: `{"pf":[{"f":flag,"m":hourStartMs,"rc":count}]}`, in the
/// given (insertion) order.
pub fn impression_counts_body(counts: &[ImpressionCount]) -> String {
    let mut out = String::with_capacity(counts.len().saturating_mul(64).saturating_add(9));
    out.push_str("{\"pf\":[");
    for (i, c) in counts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"f\":");
        push_json_string(&mut out, &c.feature);
        out.push_str(",\"m\":");
        push_js_u64(&mut out, c.hour_ms);
        out.push_str(",\"rc\":");
        push_js_u64(&mut out, c.count);
        out.push('}');
    }
    out.push_str("]}");
    out
}

/// The server-side `v1/keys/ss` body: `{"keys":[{"f":flag,"ks":[keys]}]}`, flags in JS object key
/// order (array-index names first), keys in insertion order.
pub fn unique_keys_body(keys: &[FeatureKeys]) -> String {
    let mut out = String::with_capacity(keys.iter().map(|f| f.keys.len()).sum::<usize>().saturating_mul(24));
    out.push_str("{\"keys\":[");
    let order = js_order(keys.iter().map(|f| f.feature.as_str()));
    for (i, f) in order.into_iter().filter_map(|i| keys.get(i)).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"f\":");
        push_json_string(&mut out, &f.feature);
        out.push_str(",\"ks\":[");
        for (n, k) in f.keys.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            push_json_string(&mut out, k);
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

/// The `events/bulk` body:
/// `[{"eventTypeId","trafficTypeName","value","timestamp","key","properties"}]`, `value` and
/// `properties` `null` when absent.
pub fn events_body(events: &[Event]) -> String {
    let mut out = String::with_capacity(events.len().saturating_mul(160).saturating_add(2));
    out.push('[');
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"eventTypeId\":");
        push_json_string(&mut out, &e.event_type_id);
        out.push_str(",\"trafficTypeName\":");
        push_json_string(&mut out, &e.traffic_type_name);
        out.push_str(",\"value\":");
        match e.value {
            Some(v) => push_js_number(&mut out, v),
            None => out.push_str("null"),
        }
        out.push_str(",\"timestamp\":");
        push_js_u64(&mut out, e.timestamp);
        out.push_str(",\"key\":");
        push_json_string(&mut out, &e.key);
        out.push_str(",\"properties\":");
        match &e.properties {
            Some(p) => push_json_object(&mut out, p),
            None => out.push_str("null"),
        }
        out.push('}');
    }
    out.push(']');
    out
}

/// The impression-listener webhook body (split-evaluator, §8.8):
/// `{"impressions":[{"testName":flag,"keyImpressions":[{"keyName","treatment","time","changeNumber","label"}]}]}`,
/// grouped by flag in first-seen order (a JS `Map`), `changeNumber` omitted when absent.
pub fn listener_body(impressions: &[Impression]) -> String {
    let mut out = String::with_capacity(impressions.len().saturating_mul(128).saturating_add(18));
    out.push_str("{\"impressions\":[");
    for (g, (feature, members)) in group_by(impressions, |i| i.feature.as_str(), false).into_iter().enumerate() {
        if g > 0 {
            out.push(',');
        }
        out.push_str("{\"testName\":");
        push_json_string(&mut out, feature);
        out.push_str(",\"keyImpressions\":[");
        for (n, imp) in members.into_iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push_str("{\"keyName\":");
            push_json_string(&mut out, &imp.key_name);
            out.push_str(",\"treatment\":");
            push_json_string(&mut out, &imp.treatment);
            out.push_str(",\"time\":");
            push_js_u64(&mut out, imp.time);
            if let Some(c) = imp.change_number {
                out.push_str(",\"changeNumber\":");
                push_js_i64(&mut out, c);
            }
            out.push_str(",\"label\":");
            push_json_string(&mut out, &imp.label);
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

// ----- requests ----------------------------------------------------------------------------------

fn post(id: RequestId, url: String, headers: Vec<(String, String)>, body: String) -> HttpRequest {
    HttpRequest { id, method: Method::Post, url, headers, body: Some(body) }
}

/// `POST {events}/testImpressions/bulk` with the common headers plus `SplitSDKImpressionsMode`
/// (last, as JS adds it).
pub fn impressions_request(
    id: RequestId,
    urls: &Urls,
    identity: &Identity,
    mode: ImpressionsMode,
    body: String,
) -> HttpRequest {
    let mut headers = identity.headers();
    headers.push(("SplitSDKImpressionsMode".to_owned(), mode.as_str().to_owned()));
    post(id, format!("{}/testImpressions/bulk", urls.events), headers, body)
}

/// `POST {events}/testImpressions/count` with the common headers.
pub fn impression_counts_request(id: RequestId, urls: &Urls, identity: &Identity, body: String) -> HttpRequest {
    post(id, format!("{}/testImpressions/count", urls.events), identity.headers(), body)
}

/// `POST {telemetry}/v1/keys/ss` with the common headers.
pub fn unique_keys_request(id: RequestId, urls: &Urls, identity: &Identity, body: String) -> HttpRequest {
    post(id, format!("{}/v1/keys/ss", urls.telemetry), identity.headers(), body)
}

/// `POST {events}/events/bulk` with the common headers.
pub fn events_request(id: RequestId, urls: &Urls, identity: &Identity, body: String) -> HttpRequest {
    post(id, format!("{}/events/bulk", urls.events), identity.headers(), body)
}

/// `POST <url>` of the impression-listener webhook, with only `Content-Type: application/json`
/// (no Split credentials go to a third party).
pub fn listener_request(id: RequestId, url: &str, body: String) -> HttpRequest {
    post(id, url.to_owned(), vec![("Content-Type".to_owned(), "application/json".to_owned())], body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn imp(feature: &str, key: &str) -> Impression {
        Impression {
            feature: feature.into(),
            key_name: key.into(),
            treatment: "on".into(),
            time: 1_700_000_000_000,
            bucketing_key: None,
            label: "default rule".into(),
            change_number: Some(123),
            pt: None,
            properties: None,
        }
    }

    #[test]
    fn strings_escape_as_json_stringify() {
        let mut s = String::new();
        push_json_string(&mut s, "a\"b\\c\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}\u{2028}é😀/");
        assert_eq!(s, "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\u{2028}é😀/\"");
    }

    #[test]
    fn numbers_as_js() {
        assert_eq!(
            stringify(&json!([1.0, -0.0, 1e21, 0.1, 1e-7, 123456789012345678u64, -5])),
            "[1,0,1e+21,0.1,1e-7,123456789012345680,-5]"
        );
        let mut s = String::new();
        push_js_u64(&mut s, 9_007_199_254_740_993);
        s.push(' ');
        push_js_i64(&mut s, i64::MIN);
        for n in [0i64, 7, -7, 10, 1_700_000_000_000, -(1 << 53), 1 << 53] {
            s.push(' ');
            push_js_i64(&mut s, n);
        }
        s.push(' ');
        push_js_u64(&mut s, 1 << 53);
        assert_eq!(
            s,
            "9007199254740992 -9223372036854776000 0 7 -7 10 1700000000000 -9007199254740992 9007199254740992 9007199254740992"
        );
    }

    #[test]
    fn array_indices() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("4294967294"), Some(4_294_967_294));
        for s in ["", "01", "-1", "4294967295", "1.0", " 1", "1e3", "99999999999"] {
            assert_eq!(array_index(s), None, "{s}");
        }
        let m = json!({"b": 1, "10": 2, "a": 3, "2": 4, "01": 5});
        let keys: Vec<&str> = js_key_order(m.as_object().unwrap()).into_iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["2", "10", "b", "a", "01"]);
    }

    #[test]
    fn impressions_grouped_integer_like_first() {
        let mut a = imp("zeta", "k1");
        a.bucketing_key = Some("b1".into());
        a.pt = Some(5);
        a.properties = Some("{\"x\":1}".into());
        let mut b = imp("123", "k2");
        b.change_number = None;
        let c = imp("zeta", "k3");
        let body = impressions_body(&[a.clone(), b.clone(), c.clone()], true);
        assert_eq!(
            body,
            concat!(
                r#"[{"f":"123","i":[{"k":"k2","t":"on","m":1700000000000,"r":"default rule"}]},"#,
                r#"{"f":"zeta","i":[{"k":"k1","t":"on","m":1700000000000,"c":123,"r":"default rule","b":"b1","pt":5,"properties":"{\"x\":1}"},"#,
                r#"{"k":"k3","t":"on","m":1700000000000,"c":123,"r":"default rule"}]}]"#
            )
        );
        let no_labels = impressions_body(&[c], false);
        assert_eq!(no_labels, r#"[{"f":"zeta","i":[{"k":"k3","t":"on","m":1700000000000,"c":123}]}]"#);
        // The listener keeps a Map's first-seen order.
        assert_eq!(
            listener_body(&[a, b]),
            concat!(
                r#"{"impressions":[{"testName":"zeta","keyImpressions":[{"keyName":"k1","treatment":"on","time":1700000000000,"changeNumber":123,"label":"default rule"}]},"#,
                r#"{"testName":"123","keyImpressions":[{"keyName":"k2","treatment":"on","time":1700000000000,"label":"default rule"}]}]}"#
            )
        );
        assert_eq!(impressions_body(&[], true), "[]");
        assert_eq!(listener_body(&[]), "{\"impressions\":[]}");
    }
}
