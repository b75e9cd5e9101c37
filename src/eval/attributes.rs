//! The attributes an evaluation reads: a JSON object ([`Attributes`]), or entries a host decoded
//! itself with their string values borrowed from its own buffer (the npm package's fast path
//! reads them out of wasm memory), so that no object is built per call.

use serde_json::Value;

use super::sanitize::Raw;
use super::Attributes;

/// One attribute value of [`AttributeView::Entries`].
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue<'a> {
    /// A string, borrowed: matchers see it exactly as a [`Value::String`] of it.
    Str(&'a str),
    /// Any other JSON value.
    Json(Value),
}

/// One named attribute of [`AttributeView::Entries`].
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeEntry<'a> {
    /// The attribute's name.
    pub name: &'a str,
    /// Its value.
    pub value: AttributeValue<'a>,
}

/// Where matchers look attributes up.
#[derive(Debug, Clone, Copy)]
pub enum AttributeView<'a> {
    /// A JSON object.
    Map(&'a Attributes),
    /// Named values in any order; when a name repeats, the last one counts (as when a JSON
    /// object with a repeated member is parsed).
    Entries(&'a [AttributeEntry<'a>]),
}

impl<'a> AttributeView<'a> {
    /// The value of attribute `name`, if present.
    pub(crate) fn get(self, name: &str) -> Option<Raw<'a>> {
        match self {
            AttributeView::Map(map) => map.get(name).map(Raw::Value),
            AttributeView::Entries(entries) => {
                entries.iter().rev().find(|e| crate::js::same_name(e.name, name)).map(|e| match &e.value {
                    AttributeValue::Str(s) => Raw::Str(s),
                    AttributeValue::Json(v) => Raw::Value(v),
                })
            }
        }
    }
}

impl<'a> From<&'a Attributes> for AttributeView<'a> {
    fn from(map: &'a Attributes) -> AttributeView<'a> {
        AttributeView::Map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::sanitize;
    use serde_json::json;

    #[test]
    fn entries_answer_as_the_object_they_stand_for() {
        let entries = [
            AttributeEntry { name: "plan", value: AttributeValue::Str("free") },
            AttributeEntry { name: "n", value: AttributeValue::Json(json!(12)) },
            AttributeEntry { name: "plan", value: AttributeValue::Str("pro") },
        ];
        let map = json!({"plan": "pro", "n": 12});
        let map = map.as_object().unwrap();
        for name in ["plan", "n", "missing"] {
            let a = AttributeView::Entries(&entries).get(name);
            let b = AttributeView::Map(map).get(name);
            assert_eq!(a.and_then(sanitize::string), b.and_then(sanitize::string), "{name}");
            assert_eq!(a.and_then(sanitize::number), b.and_then(sanitize::number), "{name}");
            assert_eq!(a.and_then(sanitize::boolean), b.and_then(sanitize::boolean), "{name}");
        }
    }
}
