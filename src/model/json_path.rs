//! Where in a JSON text a parse error happened, as a path (`conditions[0].matcherGroup.matchers[1]`).
//!
//! serde_json reports errors by line and column. Rather than deserializing a second time with
//! path tracking (which doubles the deserialization code, and the wasm module with it), the
//! path is recovered by scanning the text up to the error's position: the scanner only tracks
//! objects, keys, arrays and indices, so it is small and never fails.

/// One step of a path.
enum Step {
    /// Inside an object; the key whose value is being read, once known.
    Object(Option<String>),
    /// Inside an array, at this index.
    Array(usize),
}

/// The byte offset just past the character serde_json was reading when it failed.
fn error_offset(json: &str, error: &serde_json::Error) -> usize {
    let (line, column) = (error.line(), error.column());
    let line_start = if line <= 1 {
        0
    } else {
        json.match_indices('\n').nth(line.saturating_sub(2)).map_or(json.len(), |(i, _)| i.saturating_add(1))
    };
    line_start.saturating_add(column).min(json.len())
}

/// The path of the value being read when `error` happened while parsing `json`, in the format
/// of `serde_path_to_error` (`a.b[2].c`; `.` for the top level).
pub fn error_path(json: &str, error: &serde_json::Error) -> String {
    path_at(json, error_offset(json, error))
}

/// The path of the value at byte `offset` of `json`.
pub fn path_at(json: &str, offset: usize) -> String {
    let bytes = json.as_bytes();
    let mut stack: Vec<Step> = Vec::new();
    let mut i = 0usize;
    // After a string inside an object with no key yet, that string is the key.
    let mut pending_key: Option<String> = None;
    while i < offset.min(bytes.len()) {
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'"' => {
                let start = i.saturating_add(1);
                let mut j = start;
                while let Some(&c) = bytes.get(j) {
                    match c {
                        b'\\' => j = j.saturating_add(2),
                        b'"' => break,
                        _ => j = j.saturating_add(1),
                    }
                }
                if let Some(Step::Object(None)) = stack.last() {
                    let raw = json.get(start..j.min(bytes.len())).unwrap_or_default();
                    pending_key = Some(serde_json::from_str(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_owned()));
                }
                i = j.saturating_add(1);
                continue;
            }
            b':' => {
                if let (Some(Step::Object(key)), Some(k)) = (stack.last_mut(), pending_key.take()) {
                    *key = Some(k);
                }
            }
            b'{' => stack.push(Step::Object(None)),
            b'[' => stack.push(Step::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Step::Object(key)) => *key = None,
                Some(Step::Array(n)) => *n = n.saturating_add(1),
                None => {}
            },
            _ => {}
        }
        i = i.saturating_add(1);
    }
    let mut out = String::new();
    for step in &stack {
        match step {
            Step::Object(Some(key)) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Object(None) => {}
            Step::Array(n) => {
                out.push('[');
                out.push_str(&n.to_string());
                out.push(']');
            }
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of<T: serde::de::DeserializeOwned>(json: &str) -> String {
        let err = serde_json::from_str::<T>(json).err().expect("an error");
        error_path(json, &err)
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Matcher {
        negate: bool,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Group {
        matchers: Vec<Matcher>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Flag {
        name: String,
        conditions: Vec<Group>,
    }

    #[test]
    fn paths_name_the_field_at_fault() {
        assert_eq!(path_of::<Flag>(r#"{"name":5,"conditions":[]}"#), "name");
        assert_eq!(
            path_of::<Flag>(
                r#"{"name":"f","conditions":[{"matchers":[]},{"matchers":[{"negate":false},{"negate":"no"}]}]}"#
            ),
            "conditions[1].matchers[1].negate"
        );
        // Missing fields are reported at the object that lacks them.
        assert_eq!(path_of::<Flag>(r#"{"name":"f","conditions":[{"matchers":[{}]}]}"#), "conditions[0].matchers[0]");
        assert_eq!(path_of::<Flag>(r#"{"conditions":[]}"#), ".");
        // Keys with escapes and brackets inside strings do not confuse the scanner.
        assert_eq!(path_of::<Flag>("{\"n\\\"a[me\":\"]{\",\n\"name\":[1]}"), "name");
    }
}
