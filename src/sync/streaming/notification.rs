//! Split's streaming notifications: the JSON of an SSE `message` (or `error`) event read into a
//! [`Notification`], and inline definitions (`d`, with compression `c`) decoded to JSON text
//! (spec §1.8, javascript-commons `SSEHandler/NotificationParser.ts`, `parseUtils.ts`).

use std::fmt;
use std::io::Read as _;

use base64::Engine as _;
use serde::Deserialize;

use super::sse::SseEvent;

/// The largest inline definition decompressed (a flag or rule-based segment is a few KB).
pub const MAX_INLINE_BYTES: usize = 4 << 20;

/// A streaming-control instruction (`CONTROL` notifications).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// `STREAMING_PAUSED`: keep the connection, poll meanwhile.
    Paused,
    /// `STREAMING_RESUMED`: streaming serves again.
    Resumed,
    /// `STREAMING_DISABLED`: close the connection and poll from now on.
    Disabled,
    /// `STREAMING_RESET`: reconnect at once with a new token (streaming is not reported down).
    Reset,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// `SPLIT_UPDATE`: flags changed to `change_number`; `definition` is the changed flag's JSON
    /// when sent inline (valid when the stored change number is `previous`).
    SplitUpdate {
        /// The new flags change number.
        change_number: i64,
        /// `pcn`: the change number the inline definition applies on.
        previous: Option<i64>,
        /// The flag's JSON, decoded (`None`: not inline, or not decodable: fetch instead).
        definition: Option<String>,
    },
    /// `RB_SEGMENT_UPDATE`: rule-based segments changed (fields as [`Notification::SplitUpdate`]).
    RuleBasedSegmentUpdate {
        /// The new rule-based segments change number.
        change_number: i64,
        /// `pcn`.
        previous: Option<i64>,
        /// The rule-based segment's JSON, decoded.
        definition: Option<String>,
    },
    /// `SPLIT_KILL`: a flag was killed.
    SplitKill {
        /// The change number of the kill.
        change_number: i64,
        /// The flag.
        split_name: String,
        /// Its new default treatment.
        default_treatment: String,
    },
    /// `SEGMENT_UPDATE`: a segment changed.
    SegmentUpdate {
        /// The segment's new change number.
        change_number: i64,
        /// The segment.
        segment_name: String,
    },
    /// `LARGE_SEGMENT_UPDATE`, or `LS_DEFINITION_UPDATE` (Go's server-side SDK): large segments
    /// changed; their definitions are fetched again.
    LargeSegmentUpdate {
        /// The change number.
        change_number: i64,
        /// The large segments named.
        names: Vec<String>,
    },
    /// `CONTROL` on a control channel.
    Control {
        /// The channel (`control_pri`, `control_sec`).
        channel: String,
        /// The message's timestamp (ms).
        timestamp: i64,
        /// The instruction.
        control: Control,
    },
    /// An occupancy message (`[meta]occupancy`): how many publishers a control channel has.
    Occupancy {
        /// The channel, without the `[?occupancy=metrics.publishers]` prefix.
        channel: String,
        /// The message's timestamp (ms).
        timestamp: i64,
        /// `metrics.publishers`.
        publishers: u64,
    },
    /// An `error` event from the streaming service (Ably's error payload).
    Error {
        /// Ably's error code (e.g. 40142, token expired).
        code: Option<i64>,
        /// The HTTP-like status.
        status_code: Option<i64>,
        /// Its message.
        message: String,
    },
}

/// Why an event was not a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationError {
    /// Not the JSON of a notification (the parser's message).
    Malformed(String),
    /// A notification of a type this build does not handle (ignored, as JS ignores it).
    UnknownType(String),
}

impl fmt::Display for NotificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotificationError::Malformed(m) => write!(f, "not a streaming notification: {m}"),
            NotificationError::UnknownType(t) => write!(f, "a streaming notification of unknown type {t:?}"),
        }
    }
}

impl std::error::Error for NotificationError {}

#[derive(Deserialize)]
struct Outer {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    timestamp: i64,
    data: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inner {
    #[serde(rename = "type")]
    kind: Option<String>,
    change_number: Option<i64>,
    pcn: Option<i64>,
    c: Option<u8>,
    d: Option<String>,
    split_name: Option<String>,
    default_treatment: Option<String>,
    segment_name: Option<String>,
    control_type: Option<String>,
    large_segments: Option<Vec<LargeSegment>>,
    /// `LS_DEFINITION_UPDATE`'s definitions (Go's server-side SDK).
    ls: Option<Vec<LargeSegment>>,
    metrics: Option<Metrics>,
}

#[derive(Deserialize)]
struct LargeSegment {
    n: String,
}

#[derive(Deserialize)]
struct Metrics {
    publishers: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorPayload {
    code: Option<i64>,
    status_code: Option<i64>,
    #[serde(default)]
    message: String,
}

/// The `[?occupancy=metrics.publishers]` prefix of control channels.
pub const OCCUPANCY_PREFIX: &str = "[?occupancy=metrics.publishers]";

impl Notification {
    /// Reads an SSE event: `error` events as [`Notification::Error`] (an unparseable payload
    /// gives no code), others as Split's message JSON.
    pub fn from_event(event: &SseEvent) -> Result<Notification, NotificationError> {
        if event.event == "error" {
            let payload: ErrorPayload = serde_json::from_str(&event.data).unwrap_or(ErrorPayload {
                code: None,
                status_code: None,
                message: event.data.clone(),
            });
            return Ok(Notification::Error {
                code: payload.code,
                status_code: payload.status_code,
                message: payload.message,
            });
        }
        let outer: Outer =
            serde_json::from_str(&event.data).map_err(|e| NotificationError::Malformed(e.to_string()))?;
        let inner: Inner =
            serde_json::from_str(&outer.data).map_err(|e| NotificationError::Malformed(format!("data: {e}")))?;
        let channel = outer.channel.strip_prefix(OCCUPANCY_PREFIX).unwrap_or(&outer.channel).to_owned();
        if outer.name.as_deref() == Some("[meta]occupancy") {
            let publishers = inner.metrics.map(|m| m.publishers).ok_or_else(|| {
                NotificationError::Malformed("an occupancy message without metrics.publishers".to_owned())
            })?;
            return Ok(Notification::Occupancy { channel, timestamp: outer.timestamp, publishers });
        }
        let kind = inner.kind.clone().unwrap_or_default();
        let change_number = || {
            inner.change_number.ok_or_else(|| NotificationError::Malformed(format!("{kind} without a changeNumber")))
        };
        let text = |v: &Option<String>, field: &str| {
            v.clone().ok_or_else(|| NotificationError::Malformed(format!("{kind} without {field}")))
        };
        Ok(match kind.as_str() {
            "SPLIT_UPDATE" => Notification::SplitUpdate {
                change_number: change_number()?,
                previous: inner.pcn,
                definition: inline_definition(inner.c, inner.d.as_deref()),
            },
            "RB_SEGMENT_UPDATE" => Notification::RuleBasedSegmentUpdate {
                change_number: change_number()?,
                previous: inner.pcn,
                definition: inline_definition(inner.c, inner.d.as_deref()),
            },
            "SPLIT_KILL" => Notification::SplitKill {
                change_number: change_number()?,
                split_name: text(&inner.split_name, "splitName")?,
                default_treatment: text(&inner.default_treatment, "defaultTreatment")?,
            },
            "SEGMENT_UPDATE" => Notification::SegmentUpdate {
                change_number: change_number()?,
                segment_name: text(&inner.segment_name, "segmentName")?,
            },
            "LARGE_SEGMENT_UPDATE" | "LS_DEFINITION_UPDATE" => Notification::LargeSegmentUpdate {
                change_number: change_number()?,
                names: inner.large_segments.or(inner.ls).unwrap_or_default().into_iter().map(|l| l.n).collect(),
            },
            "CONTROL" => {
                let control = match inner.control_type.as_deref() {
                    Some("STREAMING_PAUSED") => Control::Paused,
                    Some("STREAMING_RESUMED") => Control::Resumed,
                    Some("STREAMING_DISABLED") => Control::Disabled,
                    Some("STREAMING_RESET") => Control::Reset,
                    other => return Err(NotificationError::UnknownType(format!("CONTROL {}", other.unwrap_or("")))),
                };
                Notification::Control { channel, timestamp: outer.timestamp, control }
            }
            _ => return Err(NotificationError::UnknownType(kind)),
        })
    }
}

/// Decodes an inline definition: base64 `d`, then per `c` none (0), gzip (1) or zlib (2). `None`
/// when absent or not decodable as UTF-8 text within [`MAX_INLINE_BYTES`] (the change is then
/// fetched, as JS does when decoding fails).
#[must_use]
pub fn inline_definition(compression: Option<u8>, data: Option<&str>) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(data?.trim()).ok()?;
    let raw = match compression.unwrap_or(0) {
        0 => bytes,
        1 => gunzip(&bytes)?,
        2 => miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&bytes, MAX_INLINE_BYTES).ok()?,
        _ => return None,
    };
    if raw.len() > MAX_INLINE_BYTES {
        return None;
    }
    String::from_utf8(raw).ok()
}

/// A gzip member (RFC 1952): its header skipped, the deflate data inflated.
fn gunzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut r = bytes;
    let mut header = [0u8; 10];
    r.read_exact(&mut header).ok()?;
    let [0x1f, 0x8b, 8, flags, ..] = header else { return None };
    if flags & 0x04 != 0 {
        let mut len = [0u8; 2];
        r.read_exact(&mut len).ok()?;
        r = r.get(usize::from(u16::from_le_bytes(len))..)?;
    }
    for bit in [0x08, 0x10] {
        if flags & bit != 0 {
            let end = r.iter().position(|&b| b == 0)?;
            r = r.get(end.checked_add(1)?..)?;
        }
    }
    if flags & 0x02 != 0 {
        r = r.get(2..)?;
    }
    miniz_oxide::inflate::decompress_to_vec_with_limit(r, MAX_INLINE_BYTES).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(channel: &str, data: &str, name: Option<&str>) -> SseEvent {
        let mut outer = serde_json::json!({
            "id": "abc", "clientId": "x", "timestamp": 1_700_000_000_000i64, "encoding": "json",
            "channel": channel, "data": data,
        });
        if let Some(n) = name {
            outer["name"] = n.into();
        }
        SseEvent { event: "message".into(), data: outer.to_string(), id: None }
    }

    const FLAG: &str = r#"{"name":"f","changeNumber":5}"#;

    #[test]
    fn updates_kills_segments_and_large_segments() {
        let ch = "MTIz_NDU2_splits";
        let n = |data: &str| Notification::from_event(&message(ch, data, None)).unwrap();
        assert_eq!(
            n(r#"{"type":"SPLIT_UPDATE","changeNumber":5}"#),
            Notification::SplitUpdate { change_number: 5, previous: None, definition: None }
        );
        let d = base64::engine::general_purpose::STANDARD.encode(FLAG);
        assert_eq!(
            n(&format!(r#"{{"type":"SPLIT_UPDATE","changeNumber":5,"pcn":4,"c":0,"d":"{d}"}}"#)),
            Notification::SplitUpdate { change_number: 5, previous: Some(4), definition: Some(FLAG.into()) }
        );
        assert_eq!(
            n(&format!(r#"{{"type":"RB_SEGMENT_UPDATE","changeNumber":9,"pcn":8,"c":0,"d":"{d}"}}"#)),
            Notification::RuleBasedSegmentUpdate { change_number: 9, previous: Some(8), definition: Some(FLAG.into()) }
        );
        assert_eq!(
            n(r#"{"type":"SPLIT_KILL","changeNumber":6,"splitName":"f","defaultTreatment":"off"}"#),
            Notification::SplitKill { change_number: 6, split_name: "f".into(), default_treatment: "off".into() }
        );
        assert_eq!(
            n(r#"{"type":"SEGMENT_UPDATE","changeNumber":7,"segmentName":"beta"}"#),
            Notification::SegmentUpdate { change_number: 7, segment_name: "beta".into() }
        );
        assert_eq!(
            n(r#"{"type":"LARGE_SEGMENT_UPDATE","changeNumber":8,"largeSegments":[{"n":"big","t":0}]}"#),
            Notification::LargeSegmentUpdate { change_number: 8, names: vec!["big".into()] }
        );
        assert_eq!(
            n(r#"{"type":"LS_DEFINITION_UPDATE","changeNumber":9,"ls":[{"n":"big","t":"LS_EMPTY","cn":9}]}"#),
            Notification::LargeSegmentUpdate { change_number: 9, names: vec!["big".into()] }
        );
    }

    #[test]
    fn control_occupancy_and_errors() {
        let pri = "[?occupancy=metrics.publishers]control_pri";
        let occupancy =
            Notification::from_event(&message(pri, r#"{"metrics":{"publishers":0}}"#, Some("[meta]occupancy")));
        assert_eq!(
            occupancy,
            Ok(Notification::Occupancy { channel: "control_pri".into(), timestamp: 1_700_000_000_000, publishers: 0 })
        );
        let control =
            Notification::from_event(&message(pri, r#"{"type":"CONTROL","controlType":"STREAMING_DISABLED"}"#, None));
        assert!(matches!(control, Ok(Notification::Control { control: Control::Disabled, .. })));
        let error = SseEvent {
            event: "error".into(),
            data: r#"{"message":"Token expired","code":40142,"statusCode":401}"#.into(),
            id: None,
        };
        assert_eq!(
            Notification::from_event(&error),
            Ok(Notification::Error { code: Some(40142), status_code: Some(401), message: "Token expired".into() })
        );
        let bare = SseEvent { event: "error".into(), data: "gone".into(), id: None };
        assert!(matches!(Notification::from_event(&bare), Ok(Notification::Error { code: None, .. })));
        let unknown = Notification::from_event(&message("c", r#"{"type":"MEMBERSHIPS_MS_UPDATE"}"#, None));
        assert_eq!(unknown, Err(NotificationError::UnknownType("MEMBERSHIPS_MS_UPDATE".into())));
        assert!(matches!(
            Notification::from_event(&SseEvent { event: "message".into(), data: "{".into(), id: None }),
            Err(NotificationError::Malformed(_))
        ));
        assert!(matches!(
            Notification::from_event(&message("c", r#"{"type":"SPLIT_KILL","changeNumber":1}"#, None)),
            Err(NotificationError::Malformed(m)) if m.contains("splitName")
        ));
    }

    #[test]
    fn inline_definitions_in_each_compression() {
        // `{"name":"f","changeNumber":5}` gzip-compressed (with a file name) and zlib-compressed.
        let gzip = "H4sICAAAAAAC/2YuanNvbgCrVspLzE1VslJKU9JRSs5IzEtP9SvNTUotUrIyrQUAwEAz4h0AAAA=";
        let zlib = "eJyrVspLzE1VslJKU9JRSs5IzEtP9SvNTUotUrIyrQUAikwJcA==";
        assert_eq!(inline_definition(Some(1), Some(gzip)).as_deref(), Some(FLAG));
        assert_eq!(inline_definition(Some(2), Some(zlib)).as_deref(), Some(FLAG));
        assert_eq!(inline_definition(Some(2), Some(gzip)), None, "the wrong compression is not a definition");
        assert_eq!(inline_definition(Some(3), Some(zlib)), None);
        assert_eq!(inline_definition(Some(0), Some("***")), None);
        assert_eq!(inline_definition(None, None), None);
    }
}
