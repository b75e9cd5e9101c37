//! A compiled definition's source model, kept for the manager views and nothing else.
//!
//! Compiling from JSON keeps the parsed model. A snapshot decoded from its binary form (feature
//! `binary`) carries each definition as JSON text instead and parses it on first use, so that
//! decoding never parses JSON: evaluation does not read definitions.

use std::fmt;
use std::sync::OnceLock;

/// A definition model, parsed or (after a binary decode) JSON text parsed on first use.
#[derive(Clone)]
pub struct Definition<T> {
    parsed: OnceLock<T>,
    /// The JSON text of a decoded definition (`None` when compiled from a parsed model).
    json: Option<Box<str>>,
}

impl<T> Definition<T> {
    /// A definition already parsed.
    pub fn parsed(value: T) -> Definition<T> {
        Definition { parsed: OnceLock::from(value), json: None }
    }

    /// A definition held as JSON text, parsed on first use.
    #[cfg(feature = "binary")]
    pub(crate) fn from_json(json: Box<str>) -> Definition<T> {
        Definition { parsed: OnceLock::new(), json: Some(json) }
    }

    /// The JSON text a decoded definition came as (`None`: compiled from a parsed model).
    #[cfg(feature = "binary")]
    pub(crate) fn json(&self) -> Option<&str> {
        self.json.as_deref()
    }

    /// The parsed model, if it has been parsed.
    #[cfg(feature = "binary")]
    pub(crate) fn get_parsed(&self) -> Option<&T> {
        self.parsed.get()
    }

    /// The model: parsed from the JSON text on first use; `fallback` builds it when the text does
    /// not parse (only bytes not written by this crate's encoder can hold such text).
    pub(crate) fn get_or(&self, fallback: impl FnOnce() -> T) -> &T
    where
        T: serde::de::DeserializeOwned,
    {
        self.parsed.get_or_init(|| match self.json.as_deref().map(serde_json::from_str::<T>) {
            Some(Ok(value)) => value,
            Some(Err(_)) | None => fallback(),
        })
    }
}

impl<T: fmt::Debug> fmt::Debug for Definition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.parsed.get(), &self.json) {
            (Some(value), _) => value.fmt(f),
            (None, Some(json)) => write!(f, "Definition(unparsed JSON, {} bytes)", json.len()),
            (None, None) => f.write_str("Definition(missing)"),
        }
    }
}
