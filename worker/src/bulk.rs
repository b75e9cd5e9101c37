//! `POST /client/evaluate-bulk` (sans-I/O): many keys × many flags in one request, answered as
//! NDJSON in chunks by the core's bulk evaluation ([`split_edge::bulk`]).
//!
//! The body is `{"keys": [...], "flags": [...]}` or `{"keys": [...], "flagSets": [...]}`, with
//! optional `withConfig` and `impressions` (see [`split_edge::bulk`]); each line of the answer
//! is `{"key", "treatments"}` (get-treatments' answer for that key) or `{"key", "error"}`. Limits
//! ([`split_edge::bulk::BulkLimits`]'s defaults): 4 MiB of body, 10,000 keys, 1,000 flags or
//! sets, 200,000 evaluations; over them the answer is 413, for malformed input 400, both as
//! `{"error": "<message naming the field or the limit>"}`. The glue reads the body within the
//! byte limit ([`BodyCap`]), plans the request ([`plan`]), then streams [`Chunks`].

use serde_json::Value;
use split_edge::bulk::{self, BulkError, BulkLimits, BulkPlan, Limit};
use split_edge::sdk::SplitEdge;

use crate::api::Reply;

/// The route.
pub const PATH: &str = "/client/evaluate-bulk";

/// The answer's `Content-Type`.
pub const NDJSON: &str = "application/x-ndjson";

/// The limits the route enforces.
pub fn limits() -> BulkLimits {
    BulkLimits::default()
}

/// The JSON answer to a refused request: 413 or 400, `{"error": "<message>"}`.
pub fn error_reply(error: &BulkError) -> Reply {
    Reply::error(error.status(), Value::String(error.to_string()))
}

/// Parses the body and resolves its flags against the environment's data.
///
/// # Errors
/// The 400 or 413 [`Reply`] to send instead.
pub fn plan(edge: &SplitEdge, body: &str, limits: &BulkLimits) -> Result<BulkPlan, Reply> {
    bulk::parse(body, limits).and_then(|r| r.plan(edge.client(), limits)).map_err(|e| error_reply(&e))
}

/// The error line that ends a stream cut short (the keys after it are not answered).
pub fn failure_line(message: &str) -> String {
    let mut line = String::from("{\"error\":");
    split_edge::wire::push_json_string(&mut line, message);
    line.push_str("}\n");
    line
}

/// Reads a body in pieces within a byte limit, so that an oversized body is refused without
/// being held.
#[derive(Debug, Default)]
pub struct BodyCap {
    bytes: Vec<u8>,
    max: usize,
}

impl BodyCap {
    /// Refuses at once a `Content-Length` over `max`.
    ///
    /// # Errors
    /// The 413 when the declared length is over the limit.
    pub fn new(max: usize, content_length: Option<&str>) -> Result<BodyCap, Reply> {
        let declared = content_length.and_then(|l| l.trim().parse::<usize>().ok());
        match declared {
            Some(n) if n > max => Err(too_large(n, max)),
            _ => Ok(BodyCap { bytes: Vec::with_capacity(declared.unwrap_or(0)), max }),
        }
    }

    /// Adds a piece of the body.
    ///
    /// # Errors
    /// The 413 once the body is over the limit.
    pub fn push(&mut self, piece: &[u8]) -> Result<(), Reply> {
        let total = self.bytes.len().saturating_add(piece.len());
        if total > self.max {
            return Err(too_large(total, self.max));
        }
        self.bytes.extend_from_slice(piece);
        Ok(())
    }

    /// The body as text.
    ///
    /// # Errors
    /// The 400 when it is not UTF-8.
    pub fn finish(self) -> Result<String, Reply> {
        String::from_utf8(self.bytes)
            .map_err(|e| Reply::error(400, Value::String(format!("body is not UTF-8 text: {e}"))))
    }
}

fn too_large(actual: usize, max: usize) -> Reply {
    error_reply(&BulkError::TooLarge { limit: Limit::BodyBytes, actual, max })
}

/// The chunks of a planned request's answer: each [`Chunks::next_range`] is evaluated into one
/// piece of the streamed body ([`BulkPlan::chunk_keys`] keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunks {
    next: usize,
    len: usize,
    step: usize,
}

impl Chunks {
    /// The chunks of `plan`.
    pub fn new(plan: &BulkPlan) -> Chunks {
        Chunks { next: 0, len: plan.len(), step: plan.chunk_keys() }
    }

    /// Ends the answer early: no more chunks.
    pub fn stop(&mut self) {
        self.next = self.len;
    }

    /// The keys of the next chunk, `None` when every key was answered.
    pub fn next_range(&mut self) -> Option<std::ops::Range<usize>> {
        if self.next >= self.len {
            return None;
        }
        let start = self.next;
        self.next = start.saturating_add(self.step).min(self.len);
        Some(start..self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api;
    use crate::test_support::{demo_edge, get};
    use serde_json::json;

    /// The whole answer, chunk by chunk as the glue streams it.
    fn answer(edge: &mut SplitEdge, body: &str) -> Vec<Value> {
        let plan = plan(edge, body, &limits()).unwrap();
        let mut chunks = Chunks::new(&plan);
        let mut out = String::new();
        let mut pieces = 0;
        while let Some(range) = chunks.next_range() {
            plan.evaluate_range(edge, 1, range, &mut out);
            pieces += 1;
        }
        assert_eq!(pieces, plan.len().div_ceil(plan.chunk_keys()));
        out.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    #[test]
    fn lines_are_the_get_treatments_answers() {
        let names = demo_edge().manager().names().join(",");
        let keys: Vec<String> = (0..600).map(|i| format!("user-{i}")).collect();
        for (route, config) in [("/client/get-treatments", false), ("/client/get-treatments-with-config", true)] {
            let body = json!({"keys": keys, "flags": names.split(',').collect::<Vec<_>>(), "withConfig": config});
            let lines = answer(&mut demo_edge(), &body.to_string());
            assert_eq!(lines.len(), 600);
            let mut single = demo_edge();
            for (line, key) in lines.iter().zip(&keys) {
                let reply = api::client(&mut single, 1, &get(route, &[("key", key), ("split-names", &names)])).unwrap();
                assert_eq!(line["key"], key.as_str());
                assert_eq!(serde_json::to_string(&line["treatments"]).unwrap(), reply.body, "{key}");
            }
        }
        let body = json!({"keys": ["alice"], "flagSets": ["checkout", "Backend"]}).to_string();
        let line = &answer(&mut demo_edge(), &body)[0];
        let reply = api::client(
            &mut demo_edge(),
            1,
            &get("/client/get-treatments-by-sets", &[("key", "alice"), ("flag-sets", "checkout,Backend")]),
        )
        .unwrap();
        assert_eq!(serde_json::to_string(&line["treatments"]).unwrap(), reply.body);
    }

    #[test]
    fn refusals_are_400_and_413_with_a_message() {
        let edge = demo_edge();
        let refused = |body: &str| plan(&edge, body, &limits()).unwrap_err();
        let r = refused(r#"{"keys":[{"key":"a","attributes":1}],"flags":["f"]}"#);
        assert_eq!((r.status, r.body.as_str()), (400, r#"{"error":"keys[0].attributes must be an object"}"#));
        let keys: Vec<String> = (0..10_001).map(|i| i.to_string()).collect();
        let r = refused(&json!({"keys": keys, "flags": ["f"]}).to_string());
        assert_eq!(r.status, 413);
        assert_eq!(r.body, r#"{"error":"keys holds 10001 entries, over the limit of 10000 keys per request"}"#);
        assert!(matches!(BodyCap::new(10, Some("11")), Err(Reply { status: 413, .. })));
        let mut cap = BodyCap::new(10, None).unwrap();
        cap.push(b"{\"keys\"").unwrap();
        let r = cap.push(b":[1,2,3]}").unwrap_err();
        assert_eq!(r.body, r#"{"error":"the request body is over the limit of 10 bytes (it holds at least 16)"}"#);
        let mut cap = BodyCap::new(10, Some("x")).unwrap();
        cap.push(&[0xff]).unwrap();
        assert_eq!(cap.finish().unwrap_err().status, 400);
        assert_eq!(failure_line("KV \"x\""), "{\"error\":\"KV \\\"x\\\"\"}\n");
    }
}
