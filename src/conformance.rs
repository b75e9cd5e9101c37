//! The conformance corpus format (`../shared/conformance/README.md`): shared by the
//! `conformance` example, the integration tests and other tooling.
//!
//! A request is `{"id", "key", "bucketingKey"?, "flag", "attributes"?}` with every input passed
//! exactly as given; an answer is `{"id", "treatment", "config", "label"}`.

use serde_json::{json, Map, Value};

use crate::client::{Client, EvaluationOptions};
use crate::error::LoadError;
use crate::snapshot::Snapshot;

/// The key a request describes: `key` as given, or `{matchingKey: key, bucketingKey}` when the
/// request has a `bucketingKey`.
pub fn request_key(request: &Map<String, Value>) -> Option<Value> {
    match request.get("bucketingKey") {
        Some(bucketing) => {
            let mut key = Map::new();
            if let Some(k) = request.get("key") {
                key.insert("matchingKey".to_owned(), k.clone());
            }
            key.insert("bucketingKey".to_owned(), bucketing.clone());
            Some(Value::Object(key))
        }
        None => request.get("key").cloned(),
    }
}

/// Answers one request as `getTreatmentWithConfig` would, with the impression label.
pub fn answer(client: &Client<'_>, request: &Map<String, Value>) -> Value {
    let key = request_key(request);
    let result = client.evaluate_json(
        key.as_ref(),
        request.get("flag"),
        request.get("attributes"),
        &EvaluationOptions::default(),
    );
    json!({
        "id": request.get("id").cloned().unwrap_or(Value::Null),
        "treatment": result.treatment,
        "config": result.config,
        "label": result.label,
    })
}

/// Loads a corpus snapshot: a `splitChanges` body and `segmentChanges` bodies (in any order).
///
/// # Errors
/// The first body that does not load, with its position (`segments[i]`) in the message.
pub fn load<S: AsRef<str>>(splits: &str, segments: &[S]) -> Result<Snapshot, (String, LoadError)> {
    let mut snapshot = Snapshot::new();
    snapshot.apply_split_changes_json(splits).map_err(|e| ("splits".to_owned(), e))?;
    for (i, body) in segments.iter().enumerate() {
        snapshot.apply_segment_change_json(body.as_ref()).map_err(|e| (format!("segments[{i}]"), e))?;
    }
    Ok(snapshot)
}
