//! The streaming session: a sans-I/O state machine that authenticates, opens Split's event
//! stream, reads its notifications, keeps track of whether streaming serves (occupancy and
//! control messages), reconnects with backoff and refreshes the token before it expires.
//!
//! The host performs the [`Action`]s (an auth GET, opening or closing the stream, applying an
//! update, polling while streaming is down), reports what happened (`on_auth`, `on_open`,
//! `on_bytes`, `on_closed`), and calls [`Session::on_timer`] at [`Session::next_wake`].

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::notification::{Control, Notification, OCCUPANCY_PREFIX};
use super::sse::{SseItem, SseParser};
use crate::http::{HttpOutcome, HttpRequest, Identity, Method, RequestId};

/// Refresh the token this long before it expires (JS `SECONDS_BEFORE_EXPIRATION`, 600 s).
pub const TOKEN_REFRESH_MARGIN_MS: u64 = 600_000;
/// The first reconnect waits this long, doubling at each further failure (JS push backoff base).
pub const DEFAULT_BACKOFF_BASE_MS: u64 = 1_000;
/// The longest reconnect wait (JS `Backoff` maximum, 30 min).
pub const DEFAULT_BACKOFF_MAX_MS: u64 = 1_800_000;
/// The streaming protocol version sent as `v`.
pub const STREAMING_VERSION: &str = "1.1";

/// Where and as whom the session connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamingConfig {
    /// The auth API: `https://auth.split.io/api`.
    pub auth_url: String,
    /// The streaming endpoint: `https://streaming.split.io/sse`.
    pub streaming_url: String,
    /// The SDK key and metadata headers.
    pub identity: Identity,
    /// The first reconnect wait.
    pub backoff_base_ms: u64,
    /// The longest reconnect wait.
    pub backoff_max_ms: u64,
}

impl StreamingConfig {
    /// Split's endpoints and the default backoff, for `identity`.
    #[must_use]
    pub fn new(identity: Identity) -> StreamingConfig {
        StreamingConfig {
            auth_url: "https://auth.split.io/api".to_owned(),
            streaming_url: "https://streaming.split.io/sse".to_owned(),
            identity,
            backoff_base_ms: DEFAULT_BACKOFF_BASE_MS,
            backoff_max_ms: DEFAULT_BACKOFF_MAX_MS,
        }
    }
}

/// A change the host applies (through its synchronizer and stored data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// Flags changed: apply `definition` when the stored flags change number is `previous`,
    /// else synchronize flags until `change_number` (ignore if already there).
    Flags {
        /// The new change number.
        change_number: i64,
        /// `pcn`.
        previous: Option<i64>,
        /// The inline flag JSON.
        definition: Option<String>,
    },
    /// Rule-based segments changed (as [`Update::Flags`]).
    RuleBasedSegments {
        /// The new change number.
        change_number: i64,
        /// `pcn`.
        previous: Option<i64>,
        /// The inline rule-based segment JSON.
        definition: Option<String>,
    },
    /// Kill `split_name` locally (if its change number is older), then synchronize flags.
    Kill {
        /// The kill's change number.
        change_number: i64,
        /// The flag.
        split_name: String,
        /// Its new default treatment.
        default_treatment: String,
    },
    /// Synchronize `segment_name` until `change_number` (ignore if already there).
    Segment {
        /// The new change number.
        change_number: i64,
        /// The segment.
        segment_name: String,
    },
    /// Synchronize these large segments' definitions.
    LargeSegments {
        /// The change number.
        change_number: i64,
        /// The large segments.
        names: Vec<String>,
    },
}

/// What the host does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this request (the auth GET) and report its outcome with [`Session::on_auth`].
    Authenticate(HttpRequest),
    /// Open the event stream (GET `url` with `headers`); report [`Session::on_open`], each chunk
    /// with [`Session::on_bytes`], and its end with [`Session::on_closed`].
    Connect {
        /// The stream's URL (channels and token in the query).
        url: String,
        /// Its headers.
        headers: Vec<(String, String)>,
    },
    /// Close the open stream (no [`Session::on_closed`] needed).
    Disconnect,
    /// Apply a change.
    Apply(Update),
    /// Streaming serves: synchronize everything once and stop polling.
    StreamingUp,
    /// Streaming does not serve (paused, no publishers, reconnecting, disabled): poll.
    StreamingDown,
}

/// Where the session is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Phase {
    /// Not started.
    Idle,
    /// The auth request is out.
    Authenticating,
    /// Waiting until `at_ms` to authenticate again (backoff) or to connect (`connDelay`).
    Waiting {
        /// When.
        at_ms: u64,
        /// Connect (with the token held) rather than authenticate.
        connect: bool,
    },
    /// The stream is being opened.
    Connecting,
    /// The stream is open.
    Connected,
    /// Streaming is off for good (push disabled for the key, a non-retryable error, or
    /// `STREAMING_DISABLED`): the host polls.
    Off {
        /// Why.
        reason: String,
    },
}

/// The session's figures, for the host's diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamingStats {
    /// Notifications read.
    pub notifications: u64,
    /// Events that were not notifications (malformed, unknown type, oversized).
    pub ignored: u64,
    /// Connections opened.
    pub connections: u64,
    /// Authentications made.
    pub authentications: u64,
    /// The last problem.
    pub last_error: Option<String>,
    /// When the last notification arrived.
    pub last_notification_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthResponse {
    #[serde(default)]
    push_enabled: bool,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    conn_delay: Option<u64>,
}

#[derive(Deserialize)]
struct TokenClaims {
    #[serde(rename = "x-ably-capability")]
    capability: String,
    exp: u64,
    iat: u64,
}

#[derive(Debug, Clone, Copy)]
struct ChannelState {
    publishers: bool,
    occupancy_ms: i64,
    control_ms: i64,
}

impl ChannelState {
    fn fresh() -> ChannelState {
        ChannelState { publishers: true, occupancy_ms: i64::MIN, control_ms: i64::MIN }
    }
}

/// The streaming session of one SDK key.
#[derive(Debug, Clone)]
pub struct Session {
    config: StreamingConfig,
    phase: Phase,
    parser: SseParser,
    /// Failed connection attempts since streaming last served.
    attempts: u32,
    /// The stream URL of the token held.
    stream_url: Option<String>,
    /// When the token must be refreshed.
    refresh_at: Option<u64>,
    channels: BTreeMap<String, ChannelState>,
    /// Last control instruction's time and whether it paused streaming.
    paused: bool,
    /// Whether the host was last told streaming is up.
    up: bool,
    next_id: u64,
    auth_id: Option<RequestId>,
    stats: StreamingStats,
}

/// Ably's token errors (40140–40149): authenticate again at once.
fn is_token_error(code: i64) -> bool {
    (40_140..=40_149).contains(&code)
}

/// Other 4xx Ably errors cannot be retried.
fn is_non_retryable(code: i64) -> bool {
    (40_000..=49_999).contains(&code) && !is_token_error(code)
}

/// encodeURIComponent.
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Session {
    /// A session that has not started.
    #[must_use]
    pub fn new(config: StreamingConfig) -> Session {
        Session {
            config,
            phase: Phase::Idle,
            parser: SseParser::default(),
            attempts: 0,
            stream_url: None,
            refresh_at: None,
            channels: BTreeMap::new(),
            paused: false,
            up: false,
            next_id: 0,
            auth_id: None,
            stats: StreamingStats::default(),
        }
    }

    /// Where the session is.
    #[must_use]
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The session's figures.
    #[must_use]
    pub fn stats(&self) -> &StreamingStats {
        &self.stats
    }

    /// Whether streaming serves (the host need not poll).
    #[must_use]
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Starts (or restarts after [`Phase::Off`]): the auth request.
    pub fn start(&mut self, _now_ms: u64) -> Vec<Action> {
        self.authenticate()
    }

    fn authenticate(&mut self) -> Vec<Action> {
        self.next_id = self.next_id.saturating_add(1);
        let id = RequestId(self.next_id);
        self.auth_id = Some(id);
        self.phase = Phase::Authenticating;
        self.stats.authentications = self.stats.authentications.saturating_add(1);
        let url = format!("{}/v2/auth?s=1.3", self.config.auth_url.trim_end_matches('/'));
        vec![Action::Authenticate(HttpRequest {
            id,
            method: Method::Get,
            url,
            headers: self.config.identity.headers(),
            body: None,
        })]
    }

    /// The stream's headers (server-side): the SDK key's last 4 characters and the metadata.
    fn stream_headers(&self) -> Vec<(String, String)> {
        let key = &self.config.identity.sdk_key;
        let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        let mut headers = vec![("SplitSDKClientKey".to_owned(), tail)];
        headers.extend(self.config.identity.headers().into_iter().filter(|(n, _)| n.starts_with("SplitSDK")));
        headers
    }

    /// Reports the auth request's outcome.
    pub fn on_auth(&mut self, id: RequestId, outcome: HttpOutcome, now_ms: u64) -> Vec<Action> {
        if self.auth_id != Some(id) {
            return Vec::new();
        }
        self.auth_id = None;
        match outcome {
            HttpOutcome::Response { status, body } if (200..300).contains(&status) => {
                let auth: AuthResponse = match serde_json::from_str(&body) {
                    Ok(a) => a,
                    Err(e) => return self.retry_later(format!("the auth response is not JSON: {e}"), now_ms),
                };
                match auth.token.filter(|t| auth.push_enabled && !t.is_empty()) {
                    None => self.off("streaming is not enabled for this SDK key".to_owned()),
                    Some(token) => match self.stream_url_for(&token) {
                        Err(e) => self.retry_later(e, now_ms),
                        Ok((url, claims)) => {
                            let lifetime_ms = claims.exp.saturating_sub(claims.iat).saturating_mul(1000);
                            self.refresh_at =
                                Some(now_ms.saturating_add(lifetime_ms.saturating_sub(TOKEN_REFRESH_MARGIN_MS)));
                            self.stream_url = Some(url);
                            let delay_ms = auth.conn_delay.unwrap_or(0).saturating_mul(1000);
                            if delay_ms > 0 {
                                self.phase = Phase::Waiting { at_ms: now_ms.saturating_add(delay_ms), connect: true };
                                Vec::new()
                            } else {
                                self.connect()
                            }
                        }
                    },
                }
            }
            HttpOutcome::Response { status: status @ 400..=499, .. } => {
                self.off(format!("the auth API refused to authenticate ({status}; any 4xx stops streaming, as JS)"))
            }
            HttpOutcome::Response { status, .. } => self.retry_later(format!("the auth API answered {status}"), now_ms),
            HttpOutcome::NetworkError(e) => self.retry_later(format!("the auth request failed: {e}"), now_ms),
        }
    }

    /// The stream URL of a token: its channels from the JWT's capability, control channels
    /// with the occupancy prefix, each encoded as `encodeURIComponent` does.
    fn stream_url_for(&self, token: &str) -> Result<(String, TokenClaims), String> {
        let payload = token.split('.').nth(1).ok_or("the token is not a JWT")?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|e| format!("the token's payload is not base64url: {e}"))?;
        let claims: TokenClaims =
            serde_json::from_slice(&bytes).map_err(|e| format!("the token's payload is not its claims: {e}"))?;
        let capability: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&claims.capability)
            .map_err(|e| format!("the token's x-ably-capability is not a JSON object: {e}"))?;
        let channels: Vec<String> = capability
            .keys()
            .map(|c| {
                let prefix = if c.starts_with("control_") { OCCUPANCY_PREFIX } else { "" };
                encode_component(&format!("{prefix}{c}"))
            })
            .collect();
        let url = format!(
            "{}?channels={}&accessToken={token}&v={STREAMING_VERSION}&heartbeats=true",
            self.config.streaming_url,
            channels.join(",")
        );
        Ok((url, claims))
    }

    fn connect(&mut self) -> Vec<Action> {
        let Some(url) = self.stream_url.clone() else { return self.authenticate() };
        self.phase = Phase::Connecting;
        self.parser = SseParser::default();
        vec![Action::Connect { url, headers: self.stream_headers() }]
    }

    /// Streaming stops for good; the host polls.
    fn off(&mut self, reason: String) -> Vec<Action> {
        let mut out = Vec::new();
        if matches!(self.phase, Phase::Connected | Phase::Connecting) {
            out.push(Action::Disconnect);
        }
        self.stats.last_error = Some(reason.clone());
        self.phase = Phase::Off { reason };
        self.refresh_at = None;
        out.extend(self.down());
        out
    }

    /// Authenticates again after the backoff (the host polls meanwhile).
    fn retry_later(&mut self, reason: String, now_ms: u64) -> Vec<Action> {
        let mut out = Vec::new();
        if matches!(self.phase, Phase::Connected | Phase::Connecting) {
            out.push(Action::Disconnect);
        }
        self.stats.last_error = Some(reason);
        let factor = 1u64.checked_shl(self.attempts).unwrap_or(u64::MAX);
        let wait = self.config.backoff_base_ms.saturating_mul(factor).min(self.config.backoff_max_ms);
        self.attempts = self.attempts.saturating_add(1);
        self.phase = Phase::Waiting { at_ms: now_ms.saturating_add(wait), connect: false };
        self.stream_url = None;
        self.refresh_at = None;
        out.extend(self.down());
        out
    }

    fn down(&mut self) -> Vec<Action> {
        if std::mem::replace(&mut self.up, false) {
            vec![Action::StreamingDown]
        } else {
            Vec::new()
        }
    }

    /// Whether, by occupancy and control, streaming serves while connected.
    fn serves(&self) -> bool {
        let publishers = self.channels.is_empty() || self.channels.values().any(|c| c.publishers);
        publishers && !self.paused && self.phase == Phase::Connected
    }

    /// Tells the host when streaming starts or stops serving.
    fn settle(&mut self) -> Vec<Action> {
        match (self.up, self.serves()) {
            (false, true) => {
                self.up = true;
                self.attempts = 0;
                vec![Action::StreamingUp]
            }
            (true, false) => self.down(),
            _ => Vec::new(),
        }
    }

    /// The stream opened.
    pub fn on_open(&mut self, _now_ms: u64) -> Vec<Action> {
        if self.phase != Phase::Connecting {
            return Vec::new();
        }
        self.phase = Phase::Connected;
        self.stats.connections = self.stats.connections.saturating_add(1);
        // Both control channels are taken to have publishers until occupancy says otherwise.
        self.channels =
            ["control_pri", "control_sec"].into_iter().map(|c| (c.to_owned(), ChannelState::fresh())).collect();
        self.paused = false;
        self.settle()
    }

    /// Bytes arrived on the stream.
    pub fn on_bytes(&mut self, chunk: &[u8], now_ms: u64) -> Vec<Action> {
        if self.phase != Phase::Connected {
            return Vec::new();
        }
        let mut out = Vec::new();
        for item in self.parser.push(chunk) {
            let event = match item {
                SseItem::Event(e) => e,
                SseItem::Oversized(n) => {
                    self.stats.ignored = self.stats.ignored.saturating_add(1);
                    self.stats.last_error = Some(format!("an event of more than {n} bytes was dropped"));
                    continue;
                }
            };
            match Notification::from_event(&event) {
                Ok(n) => {
                    self.stats.notifications = self.stats.notifications.saturating_add(1);
                    self.stats.last_notification_ms = Some(now_ms);
                    out.extend(self.on_notification(n, now_ms));
                    if self.phase != Phase::Connected {
                        break;
                    }
                }
                Err(e) => {
                    self.stats.ignored = self.stats.ignored.saturating_add(1);
                    self.stats.last_error = Some(e.to_string());
                }
            }
        }
        out
    }

    fn on_notification(&mut self, n: Notification, now_ms: u64) -> Vec<Action> {
        let apply = |u: Update| vec![Action::Apply(u)];
        match n {
            Notification::SplitUpdate { change_number, previous, definition } => {
                apply(Update::Flags { change_number, previous, definition })
            }
            Notification::RuleBasedSegmentUpdate { change_number, previous, definition } => {
                apply(Update::RuleBasedSegments { change_number, previous, definition })
            }
            Notification::SplitKill { change_number, split_name, default_treatment } => {
                apply(Update::Kill { change_number, split_name, default_treatment })
            }
            Notification::SegmentUpdate { change_number, segment_name } => {
                apply(Update::Segment { change_number, segment_name })
            }
            Notification::LargeSegmentUpdate { change_number, names } => {
                apply(Update::LargeSegments { change_number, names })
            }
            Notification::Occupancy { channel, timestamp, publishers } => {
                let state = self.channels.entry(channel).or_insert_with(ChannelState::fresh);
                if timestamp > state.occupancy_ms {
                    state.occupancy_ms = timestamp;
                    state.publishers = publishers > 0;
                }
                self.settle()
            }
            Notification::Control { channel, timestamp, control } => {
                let state = self.channels.entry(channel).or_insert_with(ChannelState::fresh);
                if timestamp <= state.control_ms {
                    return Vec::new();
                }
                state.control_ms = timestamp;
                match control {
                    Control::Paused => self.paused = true,
                    Control::Resumed => self.paused = false,
                    Control::Disabled => return self.off("streaming was disabled (STREAMING_DISABLED)".to_owned()),
                    Control::Reset => {
                        // As JS: a new token and connection now, without reporting streaming down.
                        self.phase = Phase::Idle;
                        let mut out = vec![Action::Disconnect];
                        out.extend(self.authenticate());
                        return out;
                    }
                }
                self.settle()
            }
            Notification::Error { code, message, .. } => {
                let what =
                    format!("the stream sent an error{}: {message}", code.map(|c| format!(" {c}")).unwrap_or_default());
                match code {
                    Some(c) if is_token_error(c) => {
                        self.stats.last_error = Some(what);
                        let mut out = vec![Action::Disconnect];
                        self.phase = Phase::Idle;
                        out.extend(self.down());
                        out.extend(self.authenticate());
                        out
                    }
                    Some(c) if is_non_retryable(c) => self.off(what),
                    _ => self.retry_later(what, now_ms),
                }
            }
        }
    }

    /// The stream ended or could not be opened (`error`: why, if known): reconnects after the
    /// backoff, with a new token.
    pub fn on_closed(&mut self, error: Option<String>, now_ms: u64) -> Vec<Action> {
        if !matches!(self.phase, Phase::Connected | Phase::Connecting) {
            return Vec::new();
        }
        // The stream is already gone: no Disconnect.
        self.phase = Phase::Idle;
        self.retry_later(error.unwrap_or_else(|| "the stream closed".to_owned()), now_ms)
    }

    /// When the host should call [`Session::on_timer`] next.
    #[must_use]
    pub fn next_wake(&self) -> Option<u64> {
        let waiting = match self.phase {
            Phase::Waiting { at_ms, .. } => Some(at_ms),
            _ => None,
        };
        let refresh = self.refresh_at.filter(|_| matches!(self.phase, Phase::Connected | Phase::Connecting));
        match (waiting, refresh) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Time passed: a backoff or connection delay ended, or the token is due for refresh.
    pub fn on_timer(&mut self, now_ms: u64) -> Vec<Action> {
        match self.phase {
            Phase::Waiting { at_ms, connect } if at_ms <= now_ms => {
                if connect {
                    self.connect()
                } else {
                    self.authenticate()
                }
            }
            Phase::Connected | Phase::Connecting if self.refresh_at.is_some_and(|t| t <= now_ms) => {
                // A new token and a new connection; the old one closes first.
                let mut out = vec![Action::Disconnect];
                self.phase = Phase::Idle;
                self.refresh_at = None;
                out.extend(self.down());
                out.extend(self.authenticate());
                out
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
