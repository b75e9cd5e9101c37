//! The URLs of Split's SDK API, built exactly as JS `splitApi.ts` builds them (spec §7.1, §7.3).

use std::fmt;

/// The flag spec version asked of `splitChanges` (`s=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum SpecVersion {
    /// Spec 1.3: `{"ff": ..., "rbs": ...}` bodies and `rbSince`.
    #[default]
    V1_3,
    /// Spec 1.2: legacy `{"splits", "since", "till"}` bodies, no rule-based segments. Used only
    /// after a Split Proxy rejected 1.3.
    V1_2,
}

impl SpecVersion {
    /// `1.3` or `1.2`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_3 => "1.3",
            SpecVersion::V1_2 => "1.2",
        }
    }
}

impl fmt::Display for SpecVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{sdk}/splitChanges?s=<spec>&since=<since>[&rbSince=<rb_since>]<filter_query>`.
///
/// `rbSince` is sent only with spec 1.3 and only when non-zero (JS appends it when truthy: `0` is
/// omitted, `-1` sent). `filter_query` is [`FlagFilter::query_string`](super::FlagFilter::query_string).
pub fn split_changes_url(sdk: &str, spec: SpecVersion, since: i64, rb_since: i64, filter_query: &str) -> String {
    let mut url = format!("{sdk}/splitChanges?s={spec}&since={since}");
    if spec == SpecVersion::V1_3 && rb_since != 0 {
        url.push_str("&rbSince=");
        url.push_str(&rb_since.to_string());
    }
    url.push_str(filter_query);
    url
}

/// `{sdk}/segmentChanges/<name>?since=<since>`, the name not URL-encoded (as JS).
pub fn segment_changes_url(sdk: &str, name: &str, since: i64) -> String {
    format!("{sdk}/segmentChanges/{name}?since={since}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_changes_query_in_js_order() {
        let sdk = "https://sdk.split.io/api";
        assert_eq!(
            split_changes_url(sdk, SpecVersion::V1_3, -1, -1, ""),
            "https://sdk.split.io/api/splitChanges?s=1.3&since=-1&rbSince=-1"
        );
        assert_eq!(
            split_changes_url(sdk, SpecVersion::V1_3, 5, 0, "&sets=a,b"),
            "https://sdk.split.io/api/splitChanges?s=1.3&since=5&sets=a,b"
        );
        assert_eq!(
            split_changes_url(sdk, SpecVersion::V1_3, 5, 7, "&names=x&prefixes=y"),
            "https://sdk.split.io/api/splitChanges?s=1.3&since=5&rbSince=7&names=x&prefixes=y"
        );
        assert_eq!(
            split_changes_url(sdk, SpecVersion::V1_2, 5, 7, ""),
            "https://sdk.split.io/api/splitChanges?s=1.2&since=5"
        );
    }

    #[test]
    fn segment_names_are_not_encoded() {
        assert_eq!(
            segment_changes_url("https://sdk.split.io/api", "a b/c", -1),
            "https://sdk.split.io/api/segmentChanges/a b/c?since=-1"
        );
    }
}
