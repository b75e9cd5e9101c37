//! Client-side synchronization of segments, as Split's browser SDK does it (spec §1.7): instead
//! of one `segmentChanges` list per segment, one `GET {sdk}/memberships/{urlencoded key}` per
//! bound key, answering the segments and large segments that key is in:
//!
//! ```json
//! {"ms":{"cn":1700000000000,"k":[{"n":"beta_testers"}]},"ls":{"cn":1700000000000,"k":[{"n":"big_accounts"}]}}
//! ```
//!
//! [`ClientSide`] keeps each bound key's last answer and writes the segments into the
//! [`Snapshot`] exactly: segment `S` holds key `K` iff `S` is in `K`'s `ms` list (the union over
//! the bound keys), and a segment the rules reference that no list names is known-empty; `ls`
//! the same for large segments (what `IN_LARGE_SEGMENT` reads). A [`Synchronizer`](super::Synchronizer)
//! configured with [`SyncMode::ClientSide`] fetches every bound key's memberships after
//! `splitChanges`, in place of the `segmentChanges` lists.
//!
//! ```
//! use split_edge::sync::memberships::{ClientSide, Memberships};
//! use split_edge::Snapshot;
//!
//! let mut snapshot = Snapshot::new();
//! let mut members = ClientSide::new(["alice", "bob"]);
//! let alice = Memberships::from_json(r#"{"ms":{"cn":5,"k":[{"n":"beta"}]},"ls":{"cn":5,"k":[]}}"#)?;
//! members.apply("alice", alice, &mut snapshot, true);
//! assert!(snapshot.in_segment("beta", "alice"));
//! assert!(!snapshot.in_segment("beta", "bob"));
//! assert!(members.is_fetched("alice") && !members.is_fetched("bob"));
//! # Ok::<(), split_edge::sync::memberships::MembershipsError>(())
//! ```

use std::fmt;

use serde_json::Value;

use crate::snapshot::{Segment, Snapshot};

/// How a [`Synchronizer`](super::Synchronizer) fetches segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SyncMode {
    /// Server-side SDKs: `segmentChanges` for every segment the rules reference (spec §7.2–7.3).
    #[default]
    ServerSide,
    /// The browser SDK: `memberships` for every bound key (these at the start; more with
    /// [`Synchronizer::add_key`](super::Synchronizer::add_key)). Use a client-side SDK key.
    ClientSide {
        /// The matching keys bound at the start.
        keys: Vec<String>,
    },
}

/// `encodeURIComponent` (ECMAScript): every UTF-8 byte percent-encoded (uppercase hex) except
/// ASCII letters, digits and `-_.!~*'()`.
pub fn encode_uri_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    super::filter::encode_uri_component_into(text, &mut out);
    out
}

/// `{sdk}/memberships/{encodeURIComponent(key)}`, as JS `splitApi.fetchMemberships` builds it
/// (without `?till=`, which only streaming notifications send).
pub fn memberships_url(sdk: &str, key: &str) -> String {
    format!("{sdk}/memberships/{}", encode_uri_component(key))
}

/// The hash the browser SDK stores beside its `localStorage` cache (`<prefix>.hash`) and compares
/// at start: MurmurHash3 x86_32 (seed 0) of `<sdk key>::<filter query>::1.3` in lowercase hex,
/// the filter query being [`FlagFilter::query_string`](super::FlagFilter::query_string), or
/// `null` without a filter (JS formats its `null` query so). A cache under another hash was
/// written for another SDK key, flag filter or spec version.
pub fn storage_hash(sdk_key: &str, filter_query: &str) -> String {
    let query = if filter_query.is_empty() { "null" } else { filter_query };
    let text = format!("{sdk_key}::{query}::1.3");
    format!("{:x}", crate::hash::murmur3_x86_32(text.as_bytes(), 0))
}

/// Why a `memberships` body could not be used; nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipsError {
    /// The body is not JSON.
    NotJson(String),
    /// The body is JSON but not an object.
    NotAnObject,
    /// A field has the wrong type.
    WrongType {
        /// Where (`ms.k[2].n`).
        field: String,
        /// What it should be.
        expected: &'static str,
    },
}

impl fmt::Display for MembershipsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MembershipsError::NotJson(e) => write!(f, "the memberships body is not JSON: {e}"),
            MembershipsError::NotAnObject => {
                f.write_str("the memberships body is not a JSON object ({\"ms\": {...}, \"ls\": {...}})")
            }
            MembershipsError::WrongType { field, expected } => {
                write!(f, "the memberships body's `{field}` must be {expected}")
            }
        }
    }
}

impl std::error::Error for MembershipsError {}

/// One list of a `memberships` body (`ms` or `ls`): the segment names and their change number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipList {
    /// `cn`, when the body has one.
    pub change_number: Option<i64>,
    /// The segment names (`k[].n`), sorted, without repeats.
    pub names: Vec<String>,
}

impl MembershipList {
    fn parse(value: Option<&Value>, field: &str) -> Result<MembershipList, MembershipsError> {
        let wrong = |at: String, expected| MembershipsError::WrongType { field: at, expected };
        let object = match value {
            None | Some(Value::Null) => return Ok(MembershipList::default()),
            Some(Value::Object(o)) => o,
            Some(_) => return Err(wrong(field.to_owned(), "an object {\"cn\", \"k\"}")),
        };
        let change_number = match object.get("cn") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| wrong(format!("{field}.cn"), "an integer"))?),
        };
        let mut names = Vec::new();
        match object.get("k") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let name = item
                        .get("n")
                        .and_then(Value::as_str)
                        .ok_or_else(|| wrong(format!("{field}.k[{i}].n"), "a string (a segment name)"))?;
                    names.push(name.to_owned());
                }
            }
            Some(_) => return Err(wrong(format!("{field}.k"), "an array of {\"n\": name}")),
        }
        names.sort_unstable();
        names.dedup();
        Ok(MembershipList { change_number, names })
    }

    /// Whether the list names segment `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).is_ok()
    }

    /// Appends the list in the wire shape: `{"cn":…,"k":[{"n":…}]}`.
    fn write_json(&self, out: &mut String) {
        out.push('{');
        if let Some(cn) = self.change_number {
            out.push_str("\"cn\":");
            out.push_str(&cn.to_string());
            out.push(',');
        }
        out.push_str("\"k\":[");
        for (i, name) in self.names.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"n\":");
            // Serializing a string cannot fail.
            out.push_str(&serde_json::to_string(name).unwrap_or_default());
            out.push('}');
        }
        out.push_str("]}");
    }
}

/// What `memberships/{key}` answered for one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memberships {
    /// `ms`: the standard segments the key is in.
    pub segments: MembershipList,
    /// `ls`: the large segments the key is in.
    pub large_segments: MembershipList,
}

impl Memberships {
    /// Parses a `memberships` body. `ms`, `ls`, `cn` and `k` may be absent or `null` (an empty
    /// list, as JS reads them); present, they must have their types.
    ///
    /// # Errors
    /// [`MembershipsError`] naming the field.
    pub fn from_json(body: &str) -> Result<Memberships, MembershipsError> {
        let body = body.strip_prefix('\u{feff}').unwrap_or(body);
        let value: Value = serde_json::from_str(body).map_err(|e| MembershipsError::NotJson(e.to_string()))?;
        let Value::Object(object) = &value else { return Err(MembershipsError::NotAnObject) };
        Ok(Memberships {
            segments: MembershipList::parse(object.get("ms"), "ms")?,
            large_segments: MembershipList::parse(object.get("ls"), "ls")?,
        })
    }

    /// The body again, in the wire shape (`{"ms":{"cn","k"},"ls":{"cn","k"}}`, names sorted):
    /// what a host stores to restore it later with [`Memberships::from_json`].
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"ms\":");
        self.segments.write_json(&mut out);
        out.push_str(",\"ls\":");
        self.large_segments.write_json(&mut out);
        out.push('}');
        out
    }
}

/// A bound key's state.
#[derive(Debug, Clone, Default)]
struct KeyState {
    memberships: Option<Memberships>,
    /// Whether its memberships came from Split at least once (not only from a cache).
    fetched: bool,
}

/// The bound keys' memberships, and the segments they define in a [`Snapshot`].
#[derive(Debug, Clone, Default)]
pub struct ClientSide {
    /// By key, sorted.
    keys: Vec<(String, KeyState)>,
    /// The segments and large segments last written into the snapshot, sorted.
    written: Vec<String>,
    written_large: Vec<String>,
    generation: u64,
}

impl ClientSide {
    /// These keys bound, none fetched.
    pub fn new<I, K>(keys: I) -> ClientSide
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        let mut members = ClientSide::default();
        for key in keys {
            members.add_key(key.into());
        }
        members
    }

    /// Binds a key; false when it was bound already.
    pub fn add_key(&mut self, key: String) -> bool {
        match self.find(&key) {
            Ok(_) => false,
            Err(at) => {
                self.keys.insert(at, (key, KeyState::default()));
                true
            }
        }
    }

    /// Unbinds a key and takes it out of the snapshot's segments; false when it was not bound.
    pub fn remove_key(&mut self, key: &str, snapshot: &mut Snapshot) -> bool {
        let Ok(at) = self.find(key) else { return false };
        let (_, state) = self.keys.remove(at);
        if state.memberships.is_some_and(|m| !m.segments.names.is_empty() || !m.large_segments.names.is_empty()) {
            self.generation = self.generation.wrapping_add(1);
        }
        self.write(snapshot);
        true
    }

    /// The bound keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.keys.iter().map(|(k, _)| k.as_str())
    }

    /// Whether `key` is bound.
    pub fn contains(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.keys.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    fn state(&self, key: &str) -> Option<&KeyState> {
        self.find(key).ok().and_then(|at| self.keys.get(at)).map(|(_, s)| s)
    }

    /// A bound key's memberships, when known (fetched or restored).
    pub fn memberships(&self, key: &str) -> Option<&Memberships> {
        self.state(key).and_then(|s| s.memberships.as_ref())
    }

    /// Whether `key`'s memberships came from Split at least once.
    pub fn is_fetched(&self, key: &str) -> bool {
        self.state(key).is_some_and(|s| s.fetched)
    }

    /// A counter that moves whenever some key's memberships changed what the snapshot holds.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Takes `memberships` as `key`'s (binding it if needed) and rewrites the snapshot's
    /// segments; `fetched` says it came from Split (a cached copy is `false`). Returns whether
    /// the key's lists changed.
    pub fn apply(&mut self, key: &str, memberships: Memberships, snapshot: &mut Snapshot, fetched: bool) -> bool {
        self.add_key(key.to_owned());
        let Some((_, state)) = self.find(key).ok().and_then(|at| self.keys.get_mut(at)) else { return false };
        state.fetched |= fetched;
        let changed = state.memberships.as_ref().is_none_or(|old| {
            old.segments.names != memberships.segments.names
                || old.large_segments.names != memberships.large_segments.names
        });
        state.memberships = Some(memberships);
        if changed {
            self.generation = self.generation.wrapping_add(1);
        }
        self.write(snapshot);
        changed
    }

    /// Rewrites the snapshot's segments from the keys' memberships (after new rules arrived, the
    /// segments they reference become known-empty where no list names them). Does nothing until
    /// some key's memberships are known.
    pub fn write(&mut self, snapshot: &mut Snapshot) {
        let known: Vec<(&str, &Memberships)> =
            self.keys.iter().filter_map(|(k, s)| s.memberships.as_ref().map(|m| (k.as_str(), m))).collect();
        if known.is_empty() && self.written.is_empty() && self.written_large.is_empty() {
            return;
        }
        let used = snapshot.all_segments_used();
        let mut standard = used.standard;
        standard.extend(snapshot.referenced_segments());
        let mut large = used.large;
        for (_, m) in &known {
            standard.extend(m.segments.names.iter().cloned());
            large.extend(m.large_segments.names.iter().cloned());
        }
        if known.is_empty() {
            standard.clear();
            large.clear();
        }
        for names in [&mut standard, &mut large] {
            names.sort_unstable();
            names.dedup();
        }
        for name in &standard {
            snapshot.insert_segment(name.clone(), segment_of(&known, name, |m| &m.segments));
        }
        for name in &large {
            snapshot.insert_large_segment(name.clone(), segment_of(&known, name, |m| &m.large_segments));
        }
        let kept = |names: &[String], name: &String| names.binary_search(name).is_ok();
        for gone in self.written.iter().filter(|n| !kept(&standard, n)) {
            snapshot.take_segment(gone);
        }
        for gone in self.written_large.iter().filter(|n| !kept(&large, n)) {
            snapshot.take_large_segment(gone);
        }
        self.written = standard;
        self.written_large = large;
    }
}

/// Segment `name` as the known memberships define it: the keys whose list names it, at the
/// highest change number of the lists (`-1` when none has one).
fn segment_of(known: &[(&str, &Memberships)], name: &str, list: fn(&Memberships) -> &MembershipList) -> Segment {
    let mut segment = Segment { keys: Default::default(), change_number: -1 };
    for (key, m) in known {
        let l = list(m);
        if let Some(cn) = l.change_number {
            segment.change_number = segment.change_number.max(cn);
        }
        if l.contains(name) {
            segment.keys.insert((*key).to_owned());
        }
    }
    segment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags_using(segment: &str, large: &str) -> String {
        let matcher = |kind: &str, data: &str, name: &str| {
            format!(
                r#"{{"matcherGroup":{{"combiner":"AND","matchers":[{{"matcherType":"{kind}","negate":false,
                "{data}":{{"{}":"{name}"}}}}]}},"partitions":[{{"treatment":"on","size":100}}]}}"#,
                if kind == "IN_SEGMENT" { "segmentName" } else { "largeSegmentName" }
            )
        };
        format!(
            r#"{{"ff":{{"d":[{{"name":"f","status":"ACTIVE","seed":1,"defaultTreatment":"off","conditions":[{},{}]}}],"s":-1,"t":1}}}}"#,
            matcher("IN_SEGMENT", "userDefinedSegmentMatcherData", segment),
            matcher("IN_LARGE_SEGMENT", "userDefinedLargeSegmentMatcherData", large)
        )
    }

    #[test]
    fn uri_components_are_encoded_as_js_does() {
        assert_eq!(encode_uri_component("alice"), "alice");
        assert_eq!(encode_uri_component("a b/c%d?e&f=g"), "a%20b%2Fc%25d%3Fe%26f%3Dg");
        assert_eq!(encode_uri_component("-_.!~*'()"), "-_.!~*'()");
        assert_eq!(encode_uri_component("ñ€😀"), "%C3%B1%E2%82%AC%F0%9F%98%80");
        assert_eq!(
            memberships_url("https://sdk.split.io/api", "u@x.io"),
            "https://sdk.split.io/api/memberships/u%40x.io"
        );
    }

    #[test]
    fn bodies_parse_leniently_where_js_does_and_strictly_elsewhere() {
        let m =
            Memberships::from_json(r#"{"ms":{"cn":7,"k":[{"n":"b"},{"n":"a"}]},"ls":{"k":[{"n":"big"}]}}"#).unwrap();
        assert_eq!(m.segments.change_number, Some(7));
        assert_eq!(m.segments.names.iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(m.large_segments.change_number, None);
        assert_eq!(Memberships::from_json(r#"{}"#).unwrap(), Memberships::default());
        assert_eq!(Memberships::from_json(r#"{"ms":null,"ls":{"cn":null,"k":null}}"#).unwrap(), Memberships::default());
        assert!(matches!(Memberships::from_json("<html>"), Err(MembershipsError::NotJson(_))));
        assert_eq!(Memberships::from_json("[]"), Err(MembershipsError::NotAnObject));
        let wrong = |field: &str| match Memberships::from_json(field) {
            Err(MembershipsError::WrongType { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(wrong(r#"{"ms":5}"#), "ms");
        assert_eq!(wrong(r#"{"ms":{"k":{}}}"#), "ms.k");
        assert_eq!(wrong(r#"{"ls":{"k":[{"n":"a"},{"x":1}]}}"#), "ls.k[1].n");
        assert_eq!(wrong(r#"{"ms":{"cn":"5"}}"#), "ms.cn");
        let e = Memberships::from_json(r#"{"ms":{"k":[null]}}"#).unwrap_err();
        assert_eq!(e.to_string(), "the memberships body's `ms.k[0].n` must be a string (a segment name)");
    }

    #[test]
    fn to_json_round_trips() {
        let m = Memberships::from_json(r#"{"ms":{"cn":7,"k":[{"n":"b"},{"n":"a"}]},"ls":{"k":[]}}"#).unwrap();
        assert_eq!(m.to_json(), r#"{"ms":{"cn":7,"k":[{"n":"a"},{"n":"b"}]},"ls":{"k":[]}}"#);
        assert_eq!(Memberships::from_json(&m.to_json()).unwrap(), m);
    }

    #[test]
    fn segments_are_the_union_over_keys_and_referenced_ones_are_known_empty() {
        let mut snapshot = Snapshot::new();
        snapshot.apply_split_changes_json(&flags_using("seg", "big")).unwrap();
        let mut members = ClientSide::new(["alice", "bob"]);
        let body = |ms: &str, ls: &str| {
            Memberships::from_json(&format!(r#"{{"ms":{{"cn":3,"k":[{ms}]}},"ls":{{"cn":4,"k":[{ls}]}}}}"#)).unwrap()
        };
        assert!(members.apply("alice", body(r#"{"n":"seg"},{"n":"other"}"#, r#"{"n":"big"}"#), &mut snapshot, true));
        assert!(members.apply("bob", body(r#"{"n":"other"}"#, ""), &mut snapshot, true));
        assert!(snapshot.in_segment("seg", "alice") && !snapshot.in_segment("seg", "bob"));
        assert!(snapshot.in_segment("other", "alice") && snapshot.in_segment("other", "bob"));
        assert!(snapshot.in_large_segment("big", "alice") && !snapshot.in_large_segment("big", "bob"));
        assert_eq!(snapshot.segment("seg").map(|s| s.change_number), Some(3));
        assert_eq!(snapshot.large_segment("big").map(|s| s.change_number), Some(4));

        // Alice leaves both; the referenced segments stay, known-empty; `other` stays for bob.
        let generation = members.generation();
        assert!(members.apply("alice", body(r#"{"n":"other"}"#, ""), &mut snapshot, true));
        assert!(members.generation() != generation);
        assert!(snapshot.segment("seg").is_some_and(|s| s.keys.is_empty()));
        assert!(snapshot.large_segment("big").is_some_and(|s| s.keys.is_empty()));
        // The same lists again change nothing.
        let generation = members.generation();
        assert!(!members.apply("alice", body(r#"{"n":"other"}"#, ""), &mut snapshot, true));
        assert_eq!(members.generation(), generation);

        // Removing keys: `other` is no longer named by anyone and not referenced: taken out.
        assert!(members.remove_key("bob", &mut snapshot));
        assert!(!members.remove_key("bob", &mut snapshot));
        assert!(snapshot.in_segment("other", "alice"));
        assert!(members.remove_key("alice", &mut snapshot));
        assert!(snapshot.segment("other").is_none() && snapshot.segment("seg").is_none());
    }

    #[test]
    fn fetched_only_from_split_and_keys_bind_once() {
        let mut snapshot = Snapshot::new();
        let mut members = ClientSide::new(["alice"]);
        assert!(!members.add_key("alice".into()));
        assert!(members.add_key("bob".into()));
        assert_eq!(members.keys().collect::<Vec<_>>(), ["alice", "bob"]);
        members.apply("alice", Memberships::default(), &mut snapshot, false);
        assert!(!members.is_fetched("alice") && members.memberships("alice").is_some());
        members.apply("alice", Memberships::default(), &mut snapshot, true);
        assert!(members.is_fetched("alice"));
        assert!(members.memberships("bob").is_none() && !members.is_fetched("bob"));
    }

    #[cfg(feature = "sync")]
    mod client_side_sync {
        use super::flags_using;
        use crate::http::{HttpOutcome, HttpRequest, Identity};
        use crate::sync::{Resource, Step, SyncConfig, SyncError, SyncMode, Synchronizer};
        use crate::Snapshot;

        const NOW: u64 = 1_000_000;

        fn client_side(keys: &[&str]) -> Synchronizer {
            let mut config = SyncConfig::new(Identity::new("client-key"));
            config.mode = SyncMode::ClientSide { keys: keys.iter().map(|k| (*k).to_owned()).collect() };
            Synchronizer::new(config)
        }

        fn ok(body: &str) -> HttpOutcome {
            HttpOutcome::response(200, body)
        }

        /// Answers flags from `flags_using("seg", "big")` and memberships from `members(key)`.
        fn server<'a>(
            members: impl Fn(&str) -> HttpOutcome + 'a,
            log: &'a mut Vec<HttpRequest>,
        ) -> impl FnMut(&HttpRequest) -> HttpOutcome + 'a {
            let flags = flags_using("seg", "big");
            move |r| {
                log.push(r.clone());
                if r.url.contains("/splitChanges?") {
                    let since = if r.url.contains("since=-1") { -1 } else { 1 };
                    ok(&flags.replace(r#""s":-1"#, &format!(r#""s":{since}"#)))
                } else {
                    let key = r.url.rsplit('/').next().unwrap_or_default();
                    members(key)
                }
            }
        }

        #[test]
        fn a_run_fetches_memberships_per_key_instead_of_segment_changes() {
            let mut s = client_side(&["alice", "b ob/1"]);
            let mut snapshot = Snapshot::new();
            let mut log = Vec::new();
            let members = |key: &str| match key {
                "alice" => ok(r#"{"ms":{"cn":9,"k":[{"n":"seg"}]},"ls":{"cn":9,"k":[{"n":"big"}]}}"#),
                _ => ok(r#"{"ms":{"cn":9,"k":[]},"ls":{"cn":9,"k":[]}}"#),
            };
            let report = s.run_to_completion(&mut snapshot, NOW, server(members, &mut log)).unwrap();
            let urls: Vec<&str> = log.iter().map(|r| r.url.as_str()).collect();
            assert_eq!(
                urls,
                [
                    "https://sdk.split.io/api/splitChanges?s=1.3&since=-1&rbSince=-1",
                    "https://sdk.split.io/api/splitChanges?s=1.3&since=1&rbSince=-1",
                    "https://sdk.split.io/api/memberships/alice",
                    "https://sdk.split.io/api/memberships/b%20ob%2F1",
                ]
            );
            assert!(log
                .iter()
                .all(|r| r.headers.iter().any(|(n, v)| n == "Authorization" && v == "Bearer client-key")));
            assert_eq!(
                (report.memberships_requests, report.memberships_applied, report.segment_changes_requests),
                (2, 2, 0)
            );
            assert_eq!(s.status().requests.memberships, 2);
            assert!(snapshot.in_segment("seg", "alice") && !snapshot.in_segment("seg", "b ob/1"));
            assert!(snapshot.in_large_segment("big", "alice") && !snapshot.in_large_segment("big", "b ob/1"));
            let members = s.client_side().unwrap();
            assert!(members.is_fetched("alice") && members.is_fetched("b ob/1"));
            assert_eq!(s.registered_segments().count(), 0, "no segmentChanges registration client-side");
        }

        #[test]
        fn keys_added_later_are_fetched_once_and_at_the_right_time() {
            let mut s = client_side(&["alice"]);
            let mut snapshot = Snapshot::new();
            let members = r#"{"ms":{"k":[{"n":"seg"}]}}"#;
            // No run going: a run of that key's memberships alone.
            let requests = s.add_key("bob", NOW).unwrap();
            assert_eq!(requests.len(), 1);
            assert_eq!(requests[0].url, "https://sdk.split.io/api/memberships/bob");
            assert!(s.add_key("bob", NOW).unwrap().is_empty(), "bound already");
            assert!(matches!(s.start(&snapshot, NOW), Err(SyncError::RunInProgress { .. })));
            let step = s.on_response(&mut snapshot, requests[0].id, ok(members), NOW);
            assert!(
                matches!(step, Step::Done(ref r) if r.memberships_requests == 1 && r.split_changes_requests == 0),
                "{step:?}"
            );
            assert!(snapshot.in_segment("seg", "bob") && s.client_side().unwrap().is_fetched("bob"));

            // During the flags part: nothing now, fetched with the others after splitChanges.
            let first = s.start(&snapshot, NOW).unwrap();
            assert!(s.add_key("carol", NOW).unwrap().is_empty());
            let Step::Send(next) =
                s.on_response(&mut snapshot, first[0].id, ok(r#"{"ff":{"d":[],"s":-1,"t":-1}}"#), NOW)
            else {
                panic!()
            };
            let urls: Vec<&str> = next.iter().map(|r| r.url.as_str()).collect();
            assert_eq!(urls.len(), 3);
            assert!(urls.iter().any(|u| u.ends_with("/memberships/carol")));
            // During the memberships part: fetched at once, in the same run.
            let late = s.add_key("dave", NOW).unwrap();
            assert_eq!(late.len(), 1);
            let mut step = Step::Ignored;
            for r in next.iter().chain(late.iter()) {
                step = s.on_response(&mut snapshot, r.id, ok(members), NOW);
            }
            assert!(matches!(step, Step::Done(ref r) if r.memberships_requests == 4), "{step:?}");
            assert!(["alice", "bob", "carol", "dave"].iter().all(|k| snapshot.in_segment("seg", k)));

            // An unbound key leaves the segments; a response for it afterwards binds nothing.
            let requests = s.add_key("erin", NOW).unwrap();
            assert!(s.remove_key("dave", &mut snapshot) && !snapshot.in_segment("seg", "dave"));
            assert!(s.remove_key("erin", &mut snapshot));
            s.on_response(&mut snapshot, requests[0].id, ok(members), NOW);
            assert!(!snapshot.in_segment("seg", "erin") && !s.client_side().unwrap().contains("erin"));
        }

        #[test]
        fn failures_keep_what_was_applied_and_are_typed() {
            let mut s = client_side(&["alice", "bob"]);
            let mut snapshot = Snapshot::new();
            let good = r#"{"ms":{"k":[{"n":"seg"}]},"ls":{"k":[{"n":"big"}]}}"#;
            let mut log = Vec::new();
            s.run_to_completion(&mut snapshot, NOW, server(|_| ok(good), &mut log)).unwrap();

            // A malformed body for bob: the run fails, alice's new lists apply, bob's old ones stay.
            let mut log = Vec::new();
            let members = |key: &str| if key == "bob" { ok(r#"{"ms":{"k":"seg"}}"#) } else { ok("{}") };
            let error = s.run_to_completion(&mut snapshot, NOW, server(members, &mut log)).unwrap_err();
            let SyncError::MalformedMemberships { key, .. } = &error else { panic!("{error:?}") };
            assert_eq!(key, "bob");
            assert!(!error.is_fatal());
            assert_eq!(error.resource(), Some(Resource::Memberships("bob".into())));
            assert!(error.to_string().contains("`ms.k` must be an array"), "{error}");
            assert!(!snapshot.in_segment("seg", "alice") && snapshot.in_segment("seg", "bob"));
            assert!(snapshot.in_large_segment("big", "bob"));

            // A 500 is retried by the next run; a 401 or 403 rejects the key.
            let mut log = Vec::new();
            let error = s
                .run_to_completion(&mut snapshot, NOW, server(|_| HttpOutcome::response(500, ""), &mut log))
                .unwrap_err();
            assert_eq!(error, SyncError::Status { resource: Resource::Memberships("alice".into()), status: 500 });
            for status in [401, 403] {
                let mut log = Vec::new();
                let error = s
                    .run_to_completion(&mut snapshot, NOW, server(|_| HttpOutcome::response(status, ""), &mut log))
                    .unwrap_err();
                assert!(error.is_fatal(), "{error:?}");
                assert!(error.to_string().contains("client-side SDK key"), "{error}");
            }
            assert!(snapshot.in_segment("seg", "bob"), "kept through failed runs");
        }

        #[test]
        fn restored_memberships_evaluate_but_do_not_count_as_fetched() {
            let mut s = client_side(&["alice"]);
            let mut snapshot = Snapshot::new();
            let cached = super::Memberships::from_json(r#"{"ms":{"cn":3,"k":[{"n":"seg"}]}}"#).unwrap();
            s.restore_memberships("alice", cached, &mut snapshot).unwrap();
            assert!(snapshot.in_segment("seg", "alice"));
            assert!(!s.client_side().unwrap().is_fetched("alice"));

            let mut server_side = Synchronizer::new(SyncConfig::new(Identity::new("k")));
            assert_eq!(server_side.add_key("alice", NOW), Err(SyncError::NotClientSide));
            let err = server_side.restore_memberships("a", super::Memberships::default(), &mut snapshot);
            assert_eq!(err, Err(SyncError::NotClientSide));
            assert!(server_side.client_side().is_none());
        }
    }

    #[test]
    fn the_storage_hash_is_the_browser_sdks() {
        // What javascript-commons 2.12.1's `getStorageHash` answers for these settings.
        assert_eq!(storage_hash("key", ""), "19962f14");
        assert_eq!(storage_hash("SDK-ñ", "&sets=a,b"), "68da636c");
    }
}
