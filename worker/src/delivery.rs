//! Durable delivery through a Cloudflare Queue (sans-I/O): the messages a producing isolate
//! sends, and what the queue consumer decides for each batch it receives.
//!
//! With the queue bound (`SPLIT_DELIVERY`), an isolate's recorders run in handoff mode: the raw
//! impressions and events of a short window (`SPLIT_EDGE_HANDOFF_WINDOW_MS`) leave the isolate as
//! [`Envelope::Records`] messages. The consumer merges one batch's messages per environment into
//! a fresh recorder ([`Batch::new`]): OPTIMIZED de-duplication, impression counts and unique keys
//! hold across every message of that batch. It posts the recorder's bodies to Split; a batch's
//! messages of one environment are acknowledged only when every post reached an end (a 2xx, or a
//! rejection counted as dropped), retried by the queue (its retries, then the dead-letter queue)
//! when none did, and, when some posts went through and others must be retried, the failed
//! bodies are sent back to the queue byte for byte as [`Envelope::Post`] messages before the
//! batch is acknowledged, so that nothing delivered is posted twice.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use split_edge::http::{Identity, Urls};
use split_edge::recorder::handoff::{Handoff, HandoffError};
use split_edge::recorder::{
    DeliveryReport, DeliveryResult, DropCounts, RecordKind, Recorder, RecorderConfig, SealedBatch,
};

/// The producer binding of the delivery queue.
pub const QUEUE_BINDING: &str = "SPLIT_DELIVERY";
/// `SPLIT_EDGE_HANDOFF_WINDOW_MS`: how long an isolate collects records before sending them to
/// the queue (one message batch per window, not one per request).
pub const VAR_HANDOFF_WINDOW_MS: &str = "SPLIT_EDGE_HANDOFF_WINDOW_MS";
/// The default handoff window, in milliseconds.
pub const DEFAULT_HANDOFF_WINDOW_MS: u64 = 1_000;
/// The longest handoff window accepted (`waitUntil` work must end within 30 s of the response).
pub const MAX_HANDOFF_WINDOW_MS: u64 = 20_000;
/// The most bytes of one message (Cloudflare Queues accept 128 KB).
pub const MESSAGE_BYTES: usize = 100 * 1024;
/// The largest body the consumer's recorders seal, so that a body sent back to the queue fits a
/// message with its envelope.
pub const POST_BYTES: usize = 64 * 1024;
/// The most messages of one `sendBatch` (Cloudflare: 100).
pub const SEND_BATCH_MESSAGES: usize = 100;
/// The most bytes of one `sendBatch` (Cloudflare: 256 KB, per-message overhead included).
pub const SEND_BATCH_BYTES: usize = 200 * 1024;

/// Bytes of a records envelope around its handoff message, for the longest environment id (64).
const ENVELOPE_BYTES: usize = 100;

/// One queue message.
#[derive(Debug, Clone, PartialEq)]
pub enum Envelope {
    /// Raw records of one environment, from a producing isolate.
    Records {
        /// The environment id.
        env: String,
        /// Its impressions and events.
        records: Handoff,
    },
    /// A post body the consumer could not deliver while others of its batch went through.
    Post {
        /// The environment id.
        env: String,
        /// The body, its kind, items and attempts.
        batch: SealedBatch,
    },
}

impl Envelope {
    /// The environment the message belongs to.
    #[must_use]
    pub fn env(&self) -> &str {
        match self {
            Envelope::Records { env, .. } | Envelope::Post { env, .. } => env,
        }
    }

    /// How many impressions, events or posted items it carries.
    #[must_use]
    pub fn items(&self) -> u64 {
        match self {
            Envelope::Records { records, .. } => records.len() as u64,
            Envelope::Post { batch, .. } => batch.items,
        }
    }
}

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageError {
    /// Not text (a message sent with another content type).
    NotText,
    /// Not a delivery message.
    Malformed(String),
    /// Its records are of another handoff version, or unreadable.
    Records(HandoffError),
    /// A post of a kind this build does not know.
    Kind(String),
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::NotText => f.write_str("a delivery message must be text (JSON)"),
            MessageError::Malformed(m) => write!(f, "not a delivery message: {m}"),
            MessageError::Records(e) => e.fmt(f),
            MessageError::Kind(k) => write!(f, "a post of unknown kind {k:?}"),
        }
    }
}

impl std::error::Error for MessageError {}

#[derive(Serialize, Deserialize)]
struct WireEnvelope<'a> {
    env: &'a str,
    #[serde(borrow, skip_serializing_if = "Option::is_none", default)]
    records: Option<&'a RawValue>,
    #[serde(borrow, skip_serializing_if = "Option::is_none", default)]
    post: Option<WirePost<'a>>,
}

#[derive(Serialize, Deserialize)]
struct WirePost<'a> {
    kind: &'a str,
    items: u64,
    attempts: u32,
    #[serde(borrow)]
    body: &'a RawValue,
}

/// The messages that carry `records` of environment `env`, each at most [`MESSAGE_BYTES`]
/// (a record larger than that alone makes a longer message, which the queue refuses).
#[must_use]
pub fn records_messages(env: &str, records: &Handoff) -> Vec<String> {
    let env = serde_json::to_string(env).unwrap_or_default();
    records
        .encode(MESSAGE_BYTES.saturating_sub(ENVELOPE_BYTES))
        .into_iter()
        .map(|m| format!("{{\"env\":{env},\"records\":{m}}}"))
        .collect()
}

/// The message that carries a post body back to the queue. `None` when the body is not JSON
/// (the recorder only builds JSON bodies).
#[must_use]
pub fn post_message(env: &str, batch: &SealedBatch) -> Option<String> {
    let body: &RawValue = serde_json::from_str(&batch.body).ok()?;
    let post = WirePost { kind: batch.kind.as_str(), items: batch.items, attempts: batch.attempts, body };
    serde_json::to_string(&WireEnvelope { env, records: None, post: Some(post) }).ok()
}

/// Reads a message (`None`: its body was not text).
pub fn decode(text: Option<&str>) -> Result<Envelope, MessageError> {
    let text = text.ok_or(MessageError::NotText)?;
    let wire: WireEnvelope<'_> = serde_json::from_str(text).map_err(|e| MessageError::Malformed(e.to_string()))?;
    let env = wire.env.to_owned();
    match (wire.records, wire.post) {
        (Some(records), None) => {
            let records = Handoff::decode(records.get()).map_err(MessageError::Records)?;
            Ok(Envelope::Records { env, records })
        }
        (None, Some(post)) => {
            let kind = RecordKind::from_name(post.kind).ok_or_else(|| MessageError::Kind(post.kind.to_owned()))?;
            let batch =
                SealedBatch { kind, body: post.body.get().to_owned(), items: post.items, attempts: post.attempts };
            Ok(Envelope::Post { env, batch })
        }
        _ => Err(MessageError::Malformed("it must carry exactly one of `records` and `post`".to_owned())),
    }
}

/// Splits messages into `sendBatch` calls within Cloudflare's limits (messages and bytes).
#[must_use]
pub fn send_batches(messages: Vec<String>) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut bytes = 0usize;
    for message in messages {
        let full = out
            .last()
            .is_none_or(|b| b.len() >= SEND_BATCH_MESSAGES || bytes.saturating_add(message.len()) > SEND_BATCH_BYTES);
        if full {
            bytes = 0;
            out.push(Vec::new());
        }
        bytes = bytes.saturating_add(message.len());
        if let Some(last) = out.last_mut() {
            last.push(message);
        }
    }
    out
}

/// The consumer's recorder settings: the environment's, with bodies bounded by [`POST_BYTES`]
/// (so that any body fits a message) and the events' size trigger within it.
#[must_use]
pub fn consumer_config(base: &RecorderConfig) -> RecorderConfig {
    RecorderConfig {
        max_batch_bytes: base.max_batch_bytes.min(POST_BYTES),
        events_queue_bytes: base.events_queue_bytes.min(POST_BYTES),
        ..base.clone()
    }
}

/// What becomes of one environment's messages of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every post reached an end: acknowledge the messages.
    Ack,
    /// No post reached an end: the queue retries the messages (then dead-letters them).
    Retry,
    /// Some posts went through: send these messages (the failed bodies), then acknowledge; if
    /// sending them fails, retry the messages.
    Requeue(Vec<String>),
}

/// One environment's messages of a batch, merged into one recorder.
#[derive(Debug)]
pub struct Group {
    /// The recorder that de-duplicates, counts and posts for the group.
    pub recorder: Recorder,
    /// The positions of the group's messages in the batch.
    pub messages: Vec<usize>,
    /// Posts that reached an end (delivered, or rejected and counted).
    ended: usize,
}

impl Group {
    /// Reports a post's outcome (the recorder's report of it).
    pub fn report(&mut self, report: &DeliveryReport) {
        if !matches!(report.result, DeliveryResult::Retrying { .. } | DeliveryResult::Unknown) {
            self.ended = self.ended.saturating_add(1);
        }
    }

    /// What to do with the group's messages once every post handed out was reported.
    pub fn verdict(&mut self, env: &str) -> Verdict {
        let unsent = self.recorder.take_unsent();
        if unsent.is_empty() {
            Verdict::Ack
        } else if self.ended == 0 {
            Verdict::Retry
        } else {
            Verdict::Requeue(unsent.iter().filter_map(|b| post_message(env, b)).collect())
        }
    }
}

/// A batch's messages, read and grouped by environment.
#[derive(Debug, Default)]
pub struct Batch {
    /// Per environment id.
    pub groups: BTreeMap<String, Group>,
    /// Messages that could not be read (retried, so that the dead-letter queue keeps them).
    pub malformed: Vec<(usize, MessageError)>,
    /// Messages of environments this Worker does not configure (acknowledged, counted as
    /// dropped): their records, by position.
    pub unknown: Vec<(usize, u64)>,
}

/// How the consumer posts for an environment: its recorder settings, URLs and identity.
pub struct PostSettings {
    /// The environment's recorder settings ([`consumer_config`] is applied to them).
    pub recorder: RecorderConfig,
    /// Split's URLs.
    pub urls: Urls,
    /// The environment's SDK key and SDK version.
    pub identity: Identity,
}

impl Batch {
    /// Reads a batch's message bodies at `now_ms`; `settings` gives an environment's post
    /// settings (`None`: not configured).
    pub fn new<'a>(
        bodies: impl IntoIterator<Item = Option<&'a str>>,
        mut settings: impl FnMut(&str) -> Option<PostSettings>,
        now_ms: u64,
    ) -> Batch {
        let mut batch = Batch::default();
        for (position, body) in bodies.into_iter().enumerate() {
            let envelope = match decode(body) {
                Ok(e) => e,
                Err(e) => {
                    batch.malformed.push((position, e));
                    continue;
                }
            };
            let env = envelope.env().to_owned();
            if !batch.groups.contains_key(&env) {
                let group = settings(&env).and_then(|s| {
                    Recorder::new(consumer_config(&s.recorder), s.urls, s.identity).ok().map(|recorder| Group {
                        recorder,
                        messages: Vec::new(),
                        ended: 0,
                    })
                });
                match group {
                    Some(g) => {
                        batch.groups.insert(env.clone(), g);
                    }
                    None => {
                        batch.unknown.push((position, envelope.items()));
                        continue;
                    }
                }
            }
            if let Some(group) = batch.groups.get_mut(&env) {
                group.messages.push(position);
                match envelope {
                    Envelope::Records { records, .. } => {
                        group.recorder.absorb(records, now_ms);
                    }
                    Envelope::Post { batch, .. } => group.recorder.restore(batch, now_ms),
                }
            }
        }
        batch
    }
}

/// One kind's delivery figures of the consumer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindTotals {
    /// Items posted with a 2xx.
    pub sent: u64,
    /// Items dropped, by reason.
    pub dropped: DropCounts,
}

/// What an isolate's queue consumer did since the isolate started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerStats {
    /// Batches received.
    pub batches: u64,
    /// Messages acknowledged.
    pub acked: u64,
    /// Messages handed back to the queue for a retry (no post of theirs went through).
    pub retried: u64,
    /// Messages that could not be read (retried, then dead-lettered).
    pub malformed: u64,
    /// Failed post bodies sent back to the queue while others of their batch went through.
    pub requeued: u64,
    /// Records of environments this Worker does not configure (dropped).
    pub unknown_environment: u64,
    /// Per kind (`impressions`, `events`, ...), over acknowledged messages.
    pub kinds: BTreeMap<&'static str, KindTotals>,
}

impl ConsumerStats {
    /// Adds what a settled group (acknowledged, or requeued and acknowledged) delivered and
    /// dropped.
    pub fn settle(&mut self, group: &Group, requeued: usize) {
        self.acked = self.acked.saturating_add(group.messages.len() as u64);
        self.requeued = self.requeued.saturating_add(requeued as u64);
        let stats = group.recorder.stats();
        for kind in RecordKind::ALL {
            let k = stats.kind(kind);
            let totals = self.kinds.entry(kind.as_str()).or_default();
            totals.sent = totals.sent.saturating_add(k.sent);
            totals.dropped.add(&k.dropped);
        }
    }
}

/// What an isolate's producer side did since the isolate started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProducerStats {
    /// Messages sent to the queue.
    pub messages: u64,
    /// Records (impressions and events) in them.
    pub records: u64,
    /// Failed `sendBatch` calls (their records are kept for the next window, within the bound).
    pub send_failures: u64,
}

/// `/admin/stats`' `delivery` member: which mode runs and, in queue mode, both sides' figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryStats {
    /// `queue` (impressions and events go through the queue) or `in-isolate` (each isolate posts).
    pub mode: &'static str,
    /// The producer side (queue mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer: Option<ProducerStats>,
    /// The consumer side (queue mode; this isolate's `queue` runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer: Option<ConsumerStats>,
}

impl DeliveryStats {
    /// The figures of a mode: `queue` when the queue is bound.
    #[must_use]
    pub fn new(queue: bool) -> DeliveryStats {
        if queue {
            DeliveryStats {
                mode: "queue",
                producer: Some(ProducerStats::default()),
                consumer: Some(ConsumerStats::default()),
            }
        } else {
            DeliveryStats { mode: "in-isolate", producer: None, consumer: None }
        }
    }
}

/// Reads `SPLIT_EDGE_HANDOFF_WINDOW_MS` (unset: the default).
pub fn handoff_window_ms(value: Option<&str>) -> Result<u64, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(DEFAULT_HANDOFF_WINDOW_MS),
        Some(v) => match v.parse::<u64>() {
            Ok(ms) if ms <= MAX_HANDOFF_WINDOW_MS => Ok(ms),
            _ => Err(format!(
                "{VAR_HANDOFF_WINDOW_MS} must be a whole number of milliseconds from 0 to {MAX_HANDOFF_WINDOW_MS}, not {v:?}"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use split_edge::events::Event;
    use split_edge::http::HttpOutcome;
    use split_edge::impressions::{Impression, ImpressionsMode};

    const T0: u64 = 1_699_999_200_000;

    fn imp(flag: &str, key: &str) -> Impression {
        Impression {
            feature: flag.into(),
            key_name: key.into(),
            treatment: "on".into(),
            time: T0,
            label: "default rule".into(),
            change_number: Some(7),
            ..Impression::default()
        }
    }

    fn event(key: &str) -> Event {
        Event {
            event_type_id: "checkout".into(),
            traffic_type_name: "user".into(),
            value: Some(1.5),
            timestamp: T0,
            key: key.into(),
            properties: None,
        }
    }

    fn records(keys: &[&str]) -> Handoff {
        Handoff {
            impressions: keys.iter().map(|k| (imp("f", k), false)).collect(),
            events: keys.iter().map(|k| (event(k), 100)).collect(),
        }
    }

    fn settings(mode: ImpressionsMode) -> impl FnMut(&str) -> Option<PostSettings> {
        move |env| {
            (env == "prod" || env == "dev").then(|| PostSettings {
                recorder: RecorderConfig { impressions_mode: mode, ..RecorderConfig::default() },
                urls: Urls::default(),
                identity: Identity::new(format!("key-{env}")),
            })
        }
    }

    #[test]
    fn messages_round_trip_and_stay_within_the_limit() {
        let many: Vec<String> = (0..3_000).map(|i| format!("user-{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let h = records(&refs);
        let messages = records_messages("prod", &h);
        assert!(messages.len() > 1);
        assert!(messages.iter().all(|m| m.len() <= MESSAGE_BYTES), "every message fits the queue");
        let mut back = Handoff::default();
        for m in &messages {
            match decode(Some(m)).unwrap() {
                Envelope::Records { env, records } => {
                    assert_eq!(env, "prod");
                    back.impressions.extend(records.impressions);
                    back.events.extend(records.events);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(back, h);

        let batch = SealedBatch { kind: RecordKind::Events, body: r#"[{"a": 1}]"#.into(), items: 1, attempts: 2 };
        let m = post_message("dev", &batch).unwrap();
        assert_eq!(decode(Some(&m)).unwrap(), Envelope::Post { env: "dev".into(), batch });
    }

    #[test]
    fn unreadable_messages_say_why() {
        assert_eq!(decode(None), Err(MessageError::NotText));
        assert!(matches!(decode(Some("[1]")), Err(MessageError::Malformed(_))));
        assert!(matches!(decode(Some(r#"{"env":"a"}"#)), Err(MessageError::Malformed(_))));
        assert!(matches!(
            decode(Some(r#"{"env":"a","records":{"v":9,"i":[]}}"#)),
            Err(MessageError::Records(HandoffError::Version(9)))
        ));
        let post = r#"{"env":"a","post":{"kind":"pigeons","items":1,"attempts":0,"body":[]}}"#;
        assert_eq!(decode(Some(post)), Err(MessageError::Kind("pigeons".into())));
    }

    #[test]
    fn send_batches_respect_both_limits() {
        let small: Vec<String> = (0..250).map(|i| i.to_string()).collect();
        let sizes: Vec<usize> = send_batches(small).iter().map(Vec::len).collect();
        assert_eq!(sizes, [100, 100, 50]);
        let big: Vec<String> = (0..5).map(|_| "x".repeat(90 * 1024)).collect();
        let sizes: Vec<usize> = send_batches(big).iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2, 1]);
        assert!(send_batches(Vec::new()).is_empty());
    }

    /// OPTIMIZED across messages of two producers: one impression per (flag, key) is posted and
    /// the repeats are counted, once the batch holds both messages.
    #[test]
    fn a_batch_deduplicates_across_its_messages() {
        let a = records_messages("prod", &records(&["u1", "u2"]));
        let b = records_messages("prod", &records(&["u1", "u3"]));
        let bodies: Vec<&str> = a.iter().chain(&b).map(String::as_str).collect();
        let mut batch = Batch::new(bodies.into_iter().map(Some), settings(ImpressionsMode::Optimized), T0);
        assert!(batch.malformed.is_empty() && batch.unknown.is_empty());
        let group = batch.groups.get_mut("prod").unwrap();
        assert_eq!(group.messages, [0, 1]);
        let posts = group.recorder.flush(T0);
        let urls: Vec<&str> = posts.iter().map(|p| p.url.rsplit('/').next().unwrap_or("")).collect();
        assert_eq!(urls, ["bulk", "bulk", "count"]);
        let impressions: serde_json::Value = serde_json::from_str(posts[0].body.as_deref().unwrap()).unwrap();
        assert_eq!(impressions[0]["i"].as_array().unwrap().len(), 3, "u1 once, u2, u3");
        assert!(posts[0].headers.iter().any(|(n, v)| n == "Authorization" && v == "Bearer key-prod"));
        let counts: serde_json::Value = serde_json::from_str(posts[2].body.as_deref().unwrap()).unwrap();
        assert_eq!(counts["pf"][0]["rc"], 1, "the repeat of u1 counted, as OPTIMIZED counts what it does not send");
    }

    #[test]
    fn verdicts_ack_retry_or_requeue_only_what_failed() {
        let m = records_messages("prod", &records(&["u1"]));
        let new = || Batch::new(m.iter().map(|s| Some(s.as_str())), settings(ImpressionsMode::Debug), T0);

        let mut all_ok = new();
        let g = all_ok.groups.get_mut("prod").unwrap();
        for p in g.recorder.flush(T0) {
            let r = g.recorder.on_outcome(p.id, HttpOutcome::response(200, ""), T0);
            g.report(&r);
        }
        assert_eq!(g.verdict("prod"), Verdict::Ack);

        let mut down = new();
        let g = down.groups.get_mut("prod").unwrap();
        for p in g.recorder.flush(T0) {
            let r = g.recorder.on_outcome(p.id, HttpOutcome::NetworkError("reset".into()), T0);
            g.report(&r);
        }
        assert_eq!(g.verdict("prod"), Verdict::Retry);

        let mut half = new();
        let g = half.groups.get_mut("prod").unwrap();
        let posts = g.recorder.flush(T0);
        let events_body = posts[1].body.clone().unwrap();
        let r = g.recorder.on_outcome(posts[0].id, HttpOutcome::response(200, ""), T0);
        g.report(&r);
        let r = g.recorder.on_outcome(posts[1].id, HttpOutcome::response(503, ""), T0);
        g.report(&r);
        let Verdict::Requeue(messages) = g.verdict("prod") else { panic!("a requeue") };
        assert_eq!(messages.len(), 1);
        let mut stats = ConsumerStats::default();
        stats.settle(g, messages.len());
        assert_eq!(
            (stats.acked, stats.requeued, stats.kinds["impressions"].sent, stats.kinds["events"].sent),
            (1, 1, 1, 0)
        );

        // The requeued body comes back in a later batch and is posted as it was.
        let mut later = Batch::new([Some(messages[0].as_str())], settings(ImpressionsMode::Debug), T0 + 5);
        let g = later.groups.get_mut("prod").unwrap();
        let posts = g.recorder.flush(T0 + 5);
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].body.as_deref(), Some(events_body.as_str()));
        assert!(posts[0].url.ends_with("/events/bulk"));
    }

    #[test]
    fn unknown_environments_and_bad_messages_are_set_apart() {
        let prod = records_messages("prod", &records(&["u1"]));
        let gone = records_messages("gone", &records(&["u1", "u2"]));
        let bodies = [Some(prod[0].as_str()), Some("nope"), None, Some(gone[0].as_str())];
        let batch = Batch::new(bodies, settings(ImpressionsMode::Debug), T0);
        assert_eq!(batch.groups.len(), 1);
        assert_eq!(batch.malformed.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(batch.unknown, [(3, 4)]);
    }

    #[test]
    fn consumer_bodies_fit_a_message() {
        let c = consumer_config(&RecorderConfig::default());
        assert_eq!((c.max_batch_bytes, c.events_queue_bytes), (POST_BYTES, POST_BYTES));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn the_window_setting_is_checked() {
        assert_eq!(handoff_window_ms(None), Ok(DEFAULT_HANDOFF_WINDOW_MS));
        assert_eq!(handoff_window_ms(Some(" 250 ")), Ok(250));
        assert!(handoff_window_ms(Some("60000")).unwrap_err().contains(VAR_HANDOFF_WINDOW_MS));
        assert!(handoff_window_ms(Some("soon")).is_err());
    }
}
