//! What a host hands from where impressions and events are made to where they are delivered:
//! the raw records of a window, before any de-duplication or counting, as versioned JSON
//! messages of bounded size (a Cloudflare Queue message, for the Worker).
//!
//! The producer collects `(impression, disabled)` pairs and validated events in a [`Handoff`] in
//! place of a [`super::Recorder`], and sends [`Handoff::encode`]'s messages. The consumer decodes
//! each ([`Handoff::decode`]) and records it into its own recorder with [`super::Recorder::absorb`]:
//! the consumer's mode then de-duplicates, counts and tracks unique keys over everything it
//! absorbs, so OPTIMIZED keeps its meaning across producers for as long as one recorder absorbs
//! their messages.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::events::Event;
use crate::impressions::Impression;

/// The message format's version: [`Handoff::decode`] refuses any other.
pub const HANDOFF_VERSION: u64 = 1;

/// The records of one window: impressions with whether their flag had impressions disabled,
/// and events with their JS size estimate (see [`crate::events::TrackedEvent::size`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Handoff {
    /// `(impression, disabled)`, in the order they were recorded.
    pub impressions: Vec<(Impression, bool)>,
    /// `(event, JS size estimate)`, in the order they were tracked.
    pub events: Vec<(Event, usize)>,
}

/// Why a message could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffError {
    /// The message is not a handoff message of any version.
    Malformed(String),
    /// The message is of another version (written by another build).
    Version(u64),
}

impl fmt::Display for HandoffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandoffError::Malformed(m) => write!(f, "not an impressions/events handoff message: {m}"),
            HandoffError::Version(v) => {
                write!(f, "a handoff message of version {v}; this build reads version {HANDOFF_VERSION}")
            }
        }
    }
}

impl std::error::Error for HandoffError {}

/// One impression on the wire (short member names: messages are size-bounded).
#[derive(Serialize, Deserialize)]
struct WireImpression<'a> {
    #[serde(borrow)]
    f: Cow<'a, str>,
    #[serde(borrow)]
    k: Cow<'a, str>,
    #[serde(borrow)]
    t: Cow<'a, str>,
    m: u64,
    #[serde(skip_serializing_if = "Option::is_none", default, borrow)]
    b: Option<Cow<'a, str>>,
    #[serde(borrow)]
    l: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    c: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default, borrow)]
    p: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    d: bool,
}

/// One event on the wire.
#[derive(Serialize, Deserialize)]
struct WireEvent<'a> {
    #[serde(borrow)]
    e: Cow<'a, str>,
    #[serde(borrow)]
    tt: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    v: Option<f64>,
    m: u64,
    #[serde(borrow)]
    k: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    p: Option<Cow<'a, Map<String, Value>>>,
    s: usize,
}

/// A message: its version, impressions and events (read only: [`Handoff::encode`] assembles
/// messages from each record's JSON text).
#[derive(Deserialize)]
struct WireMessage<'a> {
    v: u64,
    #[serde(borrow, default)]
    i: Vec<WireImpression<'a>>,
    #[serde(borrow, default)]
    e: Vec<WireEvent<'a>>,
}

/// Only the version: asked of a message that does not read as this version's, so that another
/// version is told apart from a malformed message.
#[derive(Deserialize)]
struct WireVersion {
    v: u64,
}

/// A message being filled: each record's JSON text, impressions and events apart.
#[derive(Default)]
struct Filling {
    impressions: Vec<String>,
    events: Vec<String>,
    /// The message's length once assembled.
    bytes: usize,
}

impl Filling {
    /// `{"v":1,"i":[],"e":[]}`.
    const EMPTY_BYTES: usize = 21;

    fn is_empty(&self) -> bool {
        self.impressions.is_empty() && self.events.is_empty()
    }

    /// The length with `record` added (its text and, after the first of its list, a comma).
    fn bytes_with(&self, record: &str, event: bool) -> usize {
        let list = if event { &self.events } else { &self.impressions };
        let base = if self.is_empty() { Self::EMPTY_BYTES } else { self.bytes };
        base.saturating_add(record.len()).saturating_add(usize::from(!list.is_empty()))
    }

    fn push(&mut self, record: String, event: bool) {
        self.bytes = self.bytes_with(&record, event);
        if event {
            self.events.push(record);
        } else {
            self.impressions.push(record);
        }
    }

    fn assemble(self) -> String {
        format!("{{\"v\":{HANDOFF_VERSION},\"i\":[{}],\"e\":[{}]}}", self.impressions.join(","), self.events.join(","))
    }
}

impl Handoff {
    /// Whether nothing was collected.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.impressions.is_empty() && self.events.is_empty()
    }

    /// How many records were collected (impressions and events).
    #[must_use]
    pub fn len(&self) -> usize {
        self.impressions.len().saturating_add(self.events.len())
    }

    /// Collects the impressions of one call.
    pub fn record_impressions(&mut self, batch: impl IntoIterator<Item = (Impression, bool)>) {
        self.impressions.extend(batch);
    }

    /// Collects one validated event with its JS size estimate.
    pub fn record_event(&mut self, event: Event, size: usize) {
        self.events.push((event, size));
    }

    /// Takes everything collected, leaving the handoff empty.
    pub fn take(&mut self) -> Handoff {
        std::mem::take(self)
    }

    /// The messages that carry everything collected, in order, each at most `max_bytes` long
    /// (a record larger than that alone goes in a message of its own, which the host may refuse
    /// and count as dropped). Empty when nothing was collected.
    #[must_use]
    pub fn encode(&self, max_bytes: usize) -> Vec<String> {
        let impressions =
            self.impressions.iter().map(|(imp, disabled)| (to_json(&wire_impression(imp, *disabled)), false));
        let events = self.events.iter().map(|(event, size)| (to_json(&wire_event(event, *size)), true));
        let mut out = Vec::new();
        let mut current = Filling::default();
        for (record, event) in impressions.chain(events) {
            if !current.is_empty() && current.bytes_with(&record, event) > max_bytes {
                out.push(std::mem::take(&mut current).assemble());
            }
            current.push(record, event);
        }
        if !current.is_empty() {
            out.push(current.assemble());
        }
        out
    }

    /// Reads a message written by [`Handoff::encode`].
    ///
    /// # Errors
    /// [`HandoffError::Version`] for a message of another version, [`HandoffError::Malformed`]
    /// for anything else that is not such a message.
    pub fn decode(message: &str) -> Result<Handoff, HandoffError> {
        let wire: WireMessage<'_> = match serde_json::from_str(message) {
            Ok(wire) => wire,
            Err(e) => {
                return Err(match serde_json::from_str::<WireVersion>(message) {
                    Ok(WireVersion { v }) if v != HANDOFF_VERSION => HandoffError::Version(v),
                    _ => HandoffError::Malformed(e.to_string()),
                })
            }
        };
        if wire.v != HANDOFF_VERSION {
            return Err(HandoffError::Version(wire.v));
        }
        let impressions = wire
            .i
            .into_iter()
            .map(|w| {
                let imp = Impression {
                    feature: w.f.into_owned(),
                    key_name: w.k.into_owned(),
                    treatment: w.t.into_owned(),
                    time: w.m,
                    bucketing_key: w.b.map(Cow::into_owned),
                    label: w.l.into_owned(),
                    change_number: w.c,
                    pt: None,
                    properties: w.p.map(Cow::into_owned),
                };
                (imp, w.d)
            })
            .collect();
        let events = wire
            .e
            .into_iter()
            .map(|w| {
                let event = Event {
                    event_type_id: w.e.into_owned(),
                    traffic_type_name: w.tt.into_owned(),
                    value: w.v,
                    timestamp: w.m,
                    key: w.k.into_owned(),
                    properties: w.p.map(Cow::into_owned),
                };
                (event, w.s)
            })
            .collect();
        Ok(Handoff { impressions, events })
    }
}

fn wire_impression(imp: &Impression, disabled: bool) -> WireImpression<'_> {
    WireImpression {
        f: Cow::Borrowed(&imp.feature),
        k: Cow::Borrowed(&imp.key_name),
        t: Cow::Borrowed(&imp.treatment),
        m: imp.time,
        b: imp.bucketing_key.as_deref().map(Cow::Borrowed),
        l: Cow::Borrowed(&imp.label),
        c: imp.change_number,
        p: imp.properties.as_deref().map(Cow::Borrowed),
        d: disabled,
    }
}

fn wire_event(event: &Event, size: usize) -> WireEvent<'_> {
    WireEvent {
        e: Cow::Borrowed(&event.event_type_id),
        tt: Cow::Borrowed(&event.traffic_type_name),
        v: event.value,
        m: event.timestamp,
        k: Cow::Borrowed(&event.key),
        p: event.properties.as_ref().map(Cow::Borrowed),
        s: size,
    }
}

fn to_json(record: &impl Serialize) -> String {
    // Strings, integers, floats and JSON values: serializing into a String cannot fail.
    serde_json::to_string(record).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpOutcome, Identity, Urls};
    use crate::impressions::ImpressionsMode;
    use crate::recorder::{Recorder, RecorderConfig};

    fn imp(i: u64) -> Impression {
        Impression {
            feature: format!("flag_{i}"),
            key_name: format!("user \"{i}\" ü"),
            treatment: "on".into(),
            time: 1_000 + i,
            bucketing_key: (i % 2 == 0).then(|| format!("b{i}")),
            label: "default rule".into(),
            change_number: (i % 3 != 0).then_some(7),
            pt: Some(5),
            properties: (i == 4).then(|| r#"{"a":1}"#.to_owned()),
        }
    }

    fn event(i: u64) -> Event {
        let mut props = Map::new();
        props.insert("z".into(), Value::from(1));
        props.insert("a".into(), Value::from("x"));
        Event {
            event_type_id: "checkout".into(),
            traffic_type_name: "user".into(),
            value: (i % 2 == 0).then_some(12.5),
            timestamp: 2_000 + i,
            key: format!("k{i}"),
            properties: (i % 3 == 0).then_some(props),
        }
    }

    fn sample(n: u64) -> Handoff {
        let mut h = Handoff::default();
        h.record_impressions((0..n).map(|i| (imp(i), i % 5 == 0)));
        for i in 0..n {
            h.record_event(event(i), 100 + i as usize);
        }
        h
    }

    #[test]
    fn messages_round_trip_in_order_without_pt() {
        let h = sample(40);
        let messages = h.encode(usize::MAX);
        assert_eq!(messages.len(), 1);
        let back = Handoff::decode(&messages[0]).unwrap();
        assert_eq!(back.events, h.events, "events, properties in their order");
        let expected: Vec<(Impression, bool)> =
            h.impressions.iter().map(|(i, d)| (Impression { pt: None, ..i.clone() }, *d)).collect();
        assert_eq!(back.impressions, expected, "the consumer's observer sets pt");
    }

    #[test]
    fn messages_stay_within_the_bound_and_lose_nothing() {
        let h = sample(300);
        for max in [300, 1_000, 4_096, 128 * 1024] {
            let messages = h.encode(max);
            let mut all = Handoff::default();
            for m in &messages {
                assert!(m.len() <= max, "{} bytes over {max}", m.len());
                let part = Handoff::decode(m).unwrap();
                all.impressions.extend(part.impressions);
                all.events.extend(part.events);
            }
            assert_eq!(all.len(), h.len(), "max {max}");
            assert_eq!(all.events, h.events);
        }
        assert!(Handoff::default().encode(1_000).is_empty());
    }

    #[test]
    fn a_record_over_the_bound_travels_alone() {
        let mut h = Handoff::default();
        h.record_impressions([
            (imp(1), false),
            (Impression { key_name: "x".repeat(500), ..imp(2) }, false),
            (imp(3), false),
        ]);
        let messages = h.encode(200);
        assert_eq!(messages.len(), 3);
        assert!(messages[1].len() > 200);
        assert_eq!(Handoff::decode(&messages[1]).unwrap().impressions[0].0.key_name.len(), 500);
    }

    #[test]
    fn other_versions_and_garbage_are_told_apart() {
        assert_eq!(Handoff::decode(r#"{"v":2,"i":[]}"#), Err(HandoffError::Version(2)));
        assert!(matches!(Handoff::decode("nope"), Err(HandoffError::Malformed(_))));
        assert!(matches!(Handoff::decode(r#"{"v":1,"i":[{"f":1}]}"#), Err(HandoffError::Malformed(_))));
        assert!(matches!(Handoff::decode(r#"{"i":[]}"#), Err(HandoffError::Malformed(_))));
        assert_eq!(Handoff::decode(r#"{"v":1}"#), Ok(Handoff::default()));
        let e = Handoff::decode(r#"{"v":9}"#).unwrap_err().to_string();
        assert!(e.contains("version 9") && e.contains("version 1"), "{e}");
    }

    /// An impression of `feature` for `key` at `time`.
    fn seen(feature: &str, key: &str, time: u64) -> Impression {
        Impression {
            feature: feature.into(),
            key_name: key.into(),
            treatment: "on".into(),
            time,
            label: "default rule".into(),
            change_number: Some(7),
            ..Impression::default()
        }
    }

    /// Two producers' messages absorbed by one OPTIMIZED recorder: a repeat across producers is
    /// de-duplicated and counted once, as if one recorder had seen both.
    #[test]
    fn optimized_deduplicates_across_producers() {
        let config = RecorderConfig { impressions_mode: ImpressionsMode::Optimized, ..RecorderConfig::default() };
        let mut rec = Recorder::new(config, Urls::default(), Identity::new("k")).unwrap();
        let mut a = Handoff::default();
        a.record_impressions([(seen("f", "alice", 1_000), false), (seen("g", "bob", 1_001), true)]);
        let mut b = Handoff::default();
        b.record_impressions([(seen("f", "alice", 1_500), false), (seen("f", "carol", 1_600), false)]);
        for h in [a, b] {
            for m in h.encode(1_000) {
                assert_eq!(rec.absorb(Handoff::decode(&m).unwrap(), 2_000), 0);
            }
        }
        let mut impressions = 0;
        for req in rec.flush(3_000) {
            let report = rec.on_outcome(req.id, HttpOutcome::response(200, ""), 3_001);
            if req.url.ends_with("/testImpressions/bulk") {
                impressions += report.items;
            }
        }
        assert_eq!(impressions, 2, "alice once (the repeat from the other producer de-duplicated), carol");
        let stats = rec.stats();
        assert_eq!(stats.impressions.sent, 2);
    }

    #[test]
    fn handoff_mode_keeps_raw_records_posts_nothing_and_bounds_what_it_keeps() {
        let config = RecorderConfig { max_retained_bytes: 2_000, max_batch_bytes: 1_000, ..RecorderConfig::default() };
        let mut rec = Recorder::new(config, Urls::default(), Identity::new("k")).unwrap();
        rec.set_handoff(true);
        assert!(rec.is_handoff());
        rec.record_impressions(
            vec![(seen("f", "a", 5), false), (seen("f", "a", 5), false), (seen("f", "b", 5), true)],
            10,
        );
        let event = Event {
            event_type_id: "e".into(),
            traffic_type_name: "user".into(),
            timestamp: 9,
            key: "a".into(),
            ..Event::default()
        };
        assert!(rec.record_event(event.clone(), 40, 10));
        assert!(rec.flush(20).is_empty(), "nothing is posted from a handoff recorder");
        let h = rec.take_handoff();
        assert_eq!(h.impressions.len(), 3, "repeats kept: the consumer de-duplicates");
        assert_eq!(h.impressions[2], (seen("f", "b", 5), true));
        assert_eq!(h.events, vec![(event, 40)]);
        assert!(rec.take_handoff().is_empty());
        for i in 0..100 {
            rec.record_impressions(vec![(seen("f", &format!("k{i}"), 5), false)], 30);
        }
        let kept = rec.take_handoff().impressions.len();
        assert!(kept > 0 && kept < 100, "{kept}");
        assert_eq!(rec.stats().impressions.dropped.bounds_exceeded, 100 - kept as u64);
        rec.set_handoff(false);
        rec.record_impressions(vec![(seen("f", "z", 5), false)], 40);
        assert!(rec.take_handoff().is_empty());
        let posts = rec.flush(50);
        assert_eq!(posts.len(), 1, "off again: the impression is posted as usual");
        assert!(posts[0].url.ends_with("/testImpressions/bulk"));
    }
}
