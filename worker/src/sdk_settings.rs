//! How each environment's [`SplitEdge`](split_edge::sdk::SplitEdge) talks to Split: the API URLs,
//! the SDK key, the recorder (impressions mode, post rates, queue sizes, the impression listener
//! webhook), fallback treatments and pull mode (spec §8.2), read from the Worker's variables.
//!
//! Sans-I/O: [`SdkSettings::from_vars`] takes a lookup function. A bad value is a
//! [`SdkConfigError`] naming the variable (and, for `SPLIT_EVALUATOR_GLOBAL_CONFIG`, the member);
//! the Worker answers every request with it (500), as split-evaluator fails at startup.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};
use split_edge::http::{Identity, Urls};
use split_edge::impressions::ImpressionsMode;
use split_edge::recorder::{ListenerConfig, RecorderConfig};
use split_edge::sdk::SplitEdgeConfig;
use split_edge::{FallbackTreatment, FallbackTreatments};

/// `SPLIT_EVALUATOR_GLOBAL_CONFIG`: a JSON object of SDK settings (see [`SdkSettings`]).
pub const VAR_GLOBAL_CONFIG: &str = "SPLIT_EVALUATOR_GLOBAL_CONFIG";
/// `SPLIT_EVALUATOR_SDK_URL`: Split's SDK API (rollout data), default `https://sdk.split.io/api`.
pub const VAR_SDK_URL: &str = "SPLIT_EVALUATOR_SDK_URL";
/// `SPLIT_EVALUATOR_EVENTS_URL`: Split's events API, default `https://events.split.io/api`.
pub const VAR_EVENTS_URL: &str = "SPLIT_EVALUATOR_EVENTS_URL";
/// `SPLIT_EVALUATOR_TELEMETRY_URL`: Split's telemetry API (unique keys), default
/// `https://telemetry.split.io/api`.
pub const VAR_TELEMETRY_URL: &str = "SPLIT_EVALUATOR_TELEMETRY_URL";
/// `SPLIT_EVALUATOR_IMPRESSIONS_POST_RATE`: seconds between impression posts.
pub const VAR_IMPRESSIONS_POST_RATE: &str = "SPLIT_EVALUATOR_IMPRESSIONS_POST_RATE";
/// `SPLIT_EVALUATOR_EVENTS_POST_RATE`: seconds between event posts.
pub const VAR_EVENTS_POST_RATE: &str = "SPLIT_EVALUATOR_EVENTS_POST_RATE";
/// `SPLIT_EVALUATOR_EVENTS_QUEUE_SIZE`: queued events that trigger a post.
pub const VAR_EVENTS_QUEUE_SIZE: &str = "SPLIT_EVALUATOR_EVENTS_QUEUE_SIZE";
/// `SPLIT_EVALUATOR_IP_ADDRESSES_ENABLED`: accepted; a Worker has no machine IP or name to send.
pub const VAR_IP_ADDRESSES_ENABLED: &str = "SPLIT_EVALUATOR_IP_ADDRESSES_ENABLED";
/// `SPLIT_EVALUATOR_IMPRESSION_LISTENER_ENDPOINT`: the impression listener webhook (§8.8).
pub const VAR_LISTENER: &str = "SPLIT_EVALUATOR_IMPRESSION_LISTENER_ENDPOINT";
/// `SPLIT_EDGE_SYNC`: `off` turns pull mode (the cron's synchronization with Split) off.
pub const VAR_SYNC: &str = "SPLIT_EDGE_SYNC";
/// `SPLIT_EVALUATOR_AUTH_SERVICE_URL`: Split's auth API (streaming tokens), default
/// `https://auth.split.io/api`.
pub const VAR_AUTH_URL: &str = "SPLIT_EVALUATOR_AUTH_SERVICE_URL";
/// `SPLIT_EDGE_STREAMING_URL`: Split's streaming endpoint, default `https://streaming.split.io/sse`
/// (split-evaluator has no variable for it).
pub const VAR_STREAMING_URL: &str = "SPLIT_EDGE_STREAMING_URL";
/// `SPLIT_EDGE_STREAMING`: `off` keeps pull mode on the cron alone, without the streaming
/// Durable Object (default `on` when its binding exists).
pub const VAR_STREAMING: &str = "SPLIT_EDGE_STREAMING";

/// The `SplitSDKVersion` header the Worker sends (split-evaluator sends `evaluator-<version>`).
pub const SDK_VERSION: &str = concat!("split-edge-worker-", env!("CARGO_PKG_VERSION"));

/// The SDK key that means "no Split account": no synchronization (data comes from pushes only).
pub const LOCALHOST_KEY: &str = "localhost";

/// The status and body a post is dropped with when the environment has no real SDK key
/// ([`SdkSettings::sends`]); the recorder counts it as rejected and `/admin/stats` shows why.
pub const NOT_SENT: (u16, &str) =
    (401, "not sent: this environment has no SDK key (SPLIT_EVALUATOR_API_KEY or API_KEY is localhost or unset)");

/// An SDK key: a secret, never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SdkKey(pub String);

impl fmt::Debug for SdkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SdkKey(<redacted>)")
    }
}

impl SdkKey {
    /// Whether it is a real key (not `localhost`, not empty, not split-evaluator's `undefined`),
    /// so the environment can synchronize with Split and its posts are accepted.
    pub fn is_real(&self) -> bool {
        let k = self.0.trim();
        !k.is_empty() && !k.eq_ignore_ascii_case(LOCALHOST_KEY) && k != "undefined"
    }
}

/// Why the SDK settings are unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkConfigError {
    /// A numeric variable is empty, not a number, negative or fractional.
    Number {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// `SPLIT_EVALUATOR_GLOBAL_CONFIG` is not a JSON object.
    GlobalNotObject(String),
    /// A member of `SPLIT_EVALUATOR_GLOBAL_CONFIG` has an invalid value.
    GlobalMember {
        /// The member's path, e.g. `sync.impressionsMode`.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// A URL variable is not an `http(s)://` URL.
    Url {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// An on/off variable (`SPLIT_EDGE_SYNC`, `SPLIT_EDGE_STREAMING`) is neither `on` nor `off`.
    Switch {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// The resulting recorder settings are rejected by the core.
    Recorder(String),
}

impl fmt::Display for SdkConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SdkConfigError::Number { var, value } => {
                write!(f, "{var} must be a whole number greater than 0 (or 0 for the default), not {value:?}")
            }
            SdkConfigError::GlobalNotObject(m) => write!(f, "{VAR_GLOBAL_CONFIG} must be a JSON object: {m}"),
            SdkConfigError::GlobalMember { path, problem } => write!(f, "{VAR_GLOBAL_CONFIG}: {path} {problem}"),
            SdkConfigError::Url { var, value } => {
                write!(f, "{var} must be an http:// or https:// URL, not {value:?}")
            }
            SdkConfigError::Switch { var, value } => write!(f, "{var} must be \"on\" or \"off\", not {value:?}"),
            SdkConfigError::Recorder(m) => write!(f, "impressions and events settings are invalid: {m}"),
        }
    }
}

impl std::error::Error for SdkConfigError {}

/// The Worker's SDK settings, common to every environment.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkSettings {
    /// Split's API URLs.
    pub urls: Urls,
    /// Impressions mode, rates, queue sizes, listener.
    pub recorder: RecorderConfig,
    /// `fallbackTreatments` of the global config.
    pub fallback: FallbackTreatments,
    /// Whether environments with a real SDK key synchronize on each cron run (`SPLIT_EDGE_SYNC`).
    pub sync: bool,
    /// Split's auth API (`SPLIT_EVALUATOR_AUTH_SERVICE_URL`).
    pub auth_url: String,
    /// Split's streaming endpoint (`SPLIT_EDGE_STREAMING_URL`).
    pub streaming_url: String,
    /// Whether pull-mode environments stream (`SPLIT_EDGE_STREAMING`).
    pub streaming: bool,
}

impl Default for SdkSettings {
    fn default() -> Self {
        SdkSettings {
            urls: Urls::default(),
            recorder: RecorderConfig::default(),
            fallback: FallbackTreatments::none(),
            sync: true,
            auth_url: DEFAULT_AUTH_URL.to_owned(),
            streaming_url: DEFAULT_STREAMING_URL.to_owned(),
            streaming: true,
        }
    }
}

/// Split's auth API.
pub const DEFAULT_AUTH_URL: &str = "https://auth.split.io/api";
/// Split's streaming endpoint.
pub const DEFAULT_STREAMING_URL: &str = "https://streaming.split.io/sse";

/// An `on`/`off` variable (any case; unset or empty: `on`).
fn switch_var(var: &'static str, value: Option<String>) -> Result<bool, SdkConfigError> {
    match value.map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(true),
        Some(v) if v.is_empty() || v == "on" => Ok(true),
        Some(v) if v == "off" => Ok(false),
        Some(v) => Err(SdkConfigError::Switch { var, value: v }),
    }
}

/// split-evaluator's numeric variables: trimmed; empty or not a number → error; `0` → unset.
fn number_var(var: &'static str, value: Option<String>) -> Result<Option<u64>, SdkConfigError> {
    let Some(value) = value else { return Ok(None) };
    let bad = || SdkConfigError::Number { var, value: value.clone() };
    let n: f64 = value.trim().parse().map_err(|_| bad())?;
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > 1e15 {
        return Err(bad());
    }
    // Checked above: a whole number in 0..=1e15.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = n as u64;
    Ok((n != 0).then_some(n))
}

fn url_var(var: &'static str, value: Option<String>, default: &str) -> Result<String, SdkConfigError> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        None => Ok(default.to_owned()),
        Some(v) => {
            let lower = v.to_ascii_lowercase();
            let ok = ["http://", "https://"].iter().any(|p| lower.starts_with(p) && lower.len() > p.len());
            if ok {
                Ok(v.trim_end_matches('/').to_owned())
            } else {
                Err(SdkConfigError::Url { var, value: v })
            }
        }
    }
}

fn member_error(path: &str, problem: &str) -> SdkConfigError {
    SdkConfigError::GlobalMember { path: path.to_owned(), problem: problem.to_owned() }
}

/// A positive whole number member (`0`, `null` or absent: unset).
fn number_member(obj: &Map<String, Value>, section: &str, name: &str) -> Result<Option<u64>, SdkConfigError> {
    let path = format!("{section}.{name}");
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) => Ok((v != 0).then_some(v)),
            None => match n.as_f64() {
                Some(0.0) => Ok(None),
                _ => Err(member_error(&path, "must be a whole number greater than 0")),
            },
        },
        Some(_) => Err(member_error(&path, "must be a number")),
    }
}

fn fallback_value(path: &str, v: &Value) -> Result<FallbackTreatment, SdkConfigError> {
    match v {
        Value::String(t) => Ok(FallbackTreatment::new(t.clone())),
        Value::Object(o) => {
            let treatment = match o.get("treatment") {
                Some(Value::String(t)) => t.clone(),
                _ => return Err(member_error(path, "must have a string \"treatment\"")),
            };
            let config = match o.get("config") {
                None | Some(Value::Null) => None,
                Some(Value::String(c)) => Some(c.clone()),
                Some(_) => return Err(member_error(path, "\"config\" must be a string")),
            };
            Ok(FallbackTreatment { treatment, config })
        }
        _ => Err(member_error(path, "must be a treatment string or {\"treatment\", \"config\"}")),
    }
}

fn fallbacks(v: &Value) -> Result<FallbackTreatments, SdkConfigError> {
    let Value::Object(o) = v else {
        return Err(member_error("fallbackTreatments", "must be an object {\"global\", \"byFlag\"}"));
    };
    let global = match o.get("global") {
        None | Some(Value::Null) => None,
        Some(g) => Some(fallback_value("fallbackTreatments.global", g)?),
    };
    let mut by_flag = BTreeMap::new();
    match o.get("byFlag") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (flag, t) in m {
                by_flag.insert(flag.clone(), fallback_value(&format!("fallbackTreatments.byFlag.{flag}"), t)?);
            }
        }
        Some(_) => return Err(member_error("fallbackTreatments.byFlag", "must be an object of flag names")),
    }
    FallbackTreatments::new(global, by_flag).map_err(|e| member_error("fallbackTreatments", &e.to_string()))
}

/// Applies `SPLIT_EVALUATOR_GLOBAL_CONFIG` to `out`.
fn apply_global(json: &str, multi_env: bool, out: &mut SdkSettings) -> Result<(), SdkConfigError> {
    let v: Value = serde_json::from_str(json).map_err(|e| SdkConfigError::GlobalNotObject(e.to_string()))?;
    let Value::Object(root) = v else {
        return Err(SdkConfigError::GlobalNotObject("the value is not an object".to_owned()));
    };
    let section = |name: &str| -> Result<Option<&Map<String, Value>>, SdkConfigError> {
        match root.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(_) => Err(member_error(name, "must be an object")),
        }
    };
    if let Some(sync) = section("sync")? {
        match sync.get("impressionsMode") {
            None | Some(Value::Null) => {}
            Some(Value::String(m)) => {
                out.recorder.impressions_mode = m
                    .parse::<ImpressionsMode>()
                    .map_err(|e| member_error("sync.impressionsMode", &format!("is invalid: {e}")))?;
            }
            Some(_) => {
                return Err(member_error("sync.impressionsMode", "must be \"OPTIMIZED\", \"DEBUG\" or \"NONE\""))
            }
        }
        if sync.get("splitFilters").is_some_and(|f| !f.is_null()) {
            let problem = if multi_env {
                "cannot be used with SPLIT_EVALUATOR_ENVIRONMENTS: give each environment a FLAG_SET_FILTER"
            } else {
                "is not supported by the Worker: use SPLIT_EVALUATOR_ENVIRONMENTS with a FLAG_SET_FILTER"
            };
            return Err(member_error("sync.splitFilters", problem));
        }
    }
    if let Some(s) = section("scheduler")? {
        let ms = |v: Option<u64>| v.map(|s| s.saturating_mul(1000));
        if let Some(v) = ms(number_member(s, "scheduler", "impressionsRefreshRate")?) {
            out.recorder.impressions_refresh_rate_ms = Some(v);
        }
        if let Some(v) = ms(number_member(s, "scheduler", "eventsPushRate")?) {
            out.recorder.events_push_rate_ms = v;
        }
        if let Some(v) = number_member(s, "scheduler", "eventsQueueSize")? {
            out.recorder.events_queue_size = usize::try_from(v).unwrap_or(usize::MAX);
        }
        if let Some(v) = number_member(s, "scheduler", "impressionsQueueSize")? {
            out.recorder.impressions_queue_size = usize::try_from(v).unwrap_or(usize::MAX);
        }
    }
    if let Some(f) = root.get("fallbackTreatments").filter(|f| !f.is_null()) {
        out.fallback = fallbacks(f)?;
    }
    Ok(())
}

impl SdkSettings {
    /// Reads the settings through `var`. `multi_env`: `SPLIT_EVALUATOR_ENVIRONMENTS` is set.
    /// The dedicated variables win over `SPLIT_EVALUATOR_GLOBAL_CONFIG`, as in split-evaluator.
    ///
    /// # Errors
    /// [`SdkConfigError`] naming the variable (and member) at fault.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>, multi_env: bool) -> Result<SdkSettings, SdkConfigError> {
        let mut out = SdkSettings::default();
        if let Some(json) = var(VAR_GLOBAL_CONFIG).filter(|v| !v.trim().is_empty()) {
            apply_global(&json, multi_env, &mut out)?;
        }
        let d = Urls::default();
        out.urls = Urls {
            sdk: url_var(VAR_SDK_URL, var(VAR_SDK_URL), &d.sdk)?,
            events: url_var(VAR_EVENTS_URL, var(VAR_EVENTS_URL), &d.events)?,
            telemetry: url_var(VAR_TELEMETRY_URL, var(VAR_TELEMETRY_URL), &d.telemetry)?,
        };
        if let Some(s) = number_var(VAR_IMPRESSIONS_POST_RATE, var(VAR_IMPRESSIONS_POST_RATE))? {
            out.recorder.impressions_refresh_rate_ms = Some(s.saturating_mul(1000));
        }
        if let Some(s) = number_var(VAR_EVENTS_POST_RATE, var(VAR_EVENTS_POST_RATE))? {
            out.recorder.events_push_rate_ms = s.saturating_mul(1000);
        }
        if let Some(n) = number_var(VAR_EVENTS_QUEUE_SIZE, var(VAR_EVENTS_QUEUE_SIZE))? {
            out.recorder.events_queue_size = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(url) = var(VAR_LISTENER).map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) {
            let lower = url.to_ascii_lowercase();
            if !["http://", "https://"].iter().any(|p| lower.starts_with(p) && lower.len() > p.len()) {
                return Err(SdkConfigError::Url { var: VAR_LISTENER, value: url });
            }
            out.recorder.listener = Some(ListenerConfig::new(url));
        }
        out.sync = switch_var(VAR_SYNC, var(VAR_SYNC))?;
        out.streaming = switch_var(VAR_STREAMING, var(VAR_STREAMING))?;
        out.auth_url = url_var(VAR_AUTH_URL, var(VAR_AUTH_URL), DEFAULT_AUTH_URL)?;
        out.streaming_url = url_var(VAR_STREAMING_URL, var(VAR_STREAMING_URL), DEFAULT_STREAMING_URL)?;
        out.recorder.validate().map_err(|e| SdkConfigError::Recorder(e.to_string()))?;
        Ok(out)
    }

    /// The core's configuration of one environment (its SDK key and flag filter).
    pub fn edge_config(&self, key: &SdkKey, filter: split_edge::sync::FlagFilter) -> SplitEdgeConfig {
        let mut config = SplitEdgeConfig::new(key.0.clone());
        config.identity = self.identity(key);
        config.urls = self.urls.clone();
        config.recorder = self.recorder.clone();
        config.client.fallback = self.fallback.clone();
        config.filter = filter;
        config
    }

    /// Who the Worker's posts for an environment with this key come from (the SDK key and the
    /// Worker's SDK version).
    pub fn identity(&self, key: &SdkKey) -> Identity {
        let mut identity = Identity::new(key.0.clone());
        identity.sdk_version = SDK_VERSION.to_owned();
        identity
    }

    /// Whether a post of the recorder to `url` is sent for an environment with this key: posts
    /// to Split need a real SDK key (with `localhost` or no key, as split-evaluator's localhost
    /// mode, nothing goes to Split: such posts are dropped as [`NOT_SENT`]); the impression
    /// listener is always posted to.
    pub fn sends(&self, key: &SdkKey, url: &str) -> bool {
        key.is_real() || self.recorder.listener.as_ref().is_some_and(|l| l.url == url)
    }

    /// The streaming session's configuration of an environment with this key.
    pub fn streaming_config(&self, key: &SdkKey) -> split_edge::sync::streaming::StreamingConfig {
        let mut config = split_edge::sync::streaming::StreamingConfig::new(self.identity(key));
        config.auth_url.clone_from(&self.auth_url);
        config.streaming_url.clone_from(&self.streaming_url);
        config
    }

    /// Whether an environment with this key synchronizes on cron runs.
    pub fn pulls(&self, key: &SdkKey) -> bool {
        self.sync && key.is_real()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<SdkSettings, SdkConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        SdkSettings::from_vars(|k| map.get(k).cloned(), false)
    }

    #[test]
    fn defaults() {
        let s = read(&[]).unwrap();
        assert_eq!(s.urls, Urls::default());
        assert_eq!(s.recorder, RecorderConfig::default());
        assert!(s.sync);
        let c = s.edge_config(&SdkKey("k".into()), split_edge::sync::FlagFilter::none());
        assert_eq!(c.identity.sdk_version, "split-edge-worker-0.1.0");
        assert!(!format!("{:?}", SdkKey("secret".into())).contains("secret"));
        assert!(!SdkKey("localhost".into()).is_real());
        assert!(SdkKey("abc".into()).is_real());
        let s = read(&[(VAR_LISTENER, "http://l/x")]).unwrap();
        assert!(!s.sends(&SdkKey("localhost".into()), "https://events.split.io/api/events/bulk"));
        assert!(s.sends(&SdkKey("localhost".into()), "http://l/x"));
        assert!(s.sends(&SdkKey("k".into()), "https://events.split.io/api/events/bulk"));
    }

    #[test]
    fn global_config_and_vars() {
        let s = read(&[
            (
                VAR_GLOBAL_CONFIG,
                r#"{"sync":{"impressionsMode":"debug"},"scheduler":{"impressionsRefreshRate":30,"eventsPushRate":20,"eventsQueueSize":7},
                   "fallbackTreatments":{"global":"off","byFlag":{"f":{"treatment":"on","config":"{}"}}}}"#,
            ),
            (VAR_EVENTS_POST_RATE, " 5 "),
            (VAR_IMPRESSIONS_POST_RATE, "0"),
            (VAR_EVENTS_URL, "http://127.0.0.1:9/api/"),
            (VAR_LISTENER, "http://127.0.0.1:9/listener"),
            (VAR_SYNC, "OFF"),
            (VAR_STREAMING, "off"),
            (VAR_AUTH_URL, "http://127.0.0.1:9/auth/"),
        ])
        .unwrap();
        assert!(!s.streaming);
        let streaming = s.streaming_config(&SdkKey("k".into()));
        assert_eq!(
            (streaming.auth_url.as_str(), streaming.streaming_url.as_str()),
            ("http://127.0.0.1:9/auth", DEFAULT_STREAMING_URL)
        );
        assert_eq!(s.recorder.impressions_mode, ImpressionsMode::Debug);
        assert_eq!(s.recorder.impressions_refresh_rate_ms, Some(30_000), "0 leaves the global config's value");
        assert_eq!(s.recorder.events_push_rate_ms, 5_000, "the variable wins");
        assert_eq!(s.recorder.events_queue_size, 7);
        assert_eq!(s.urls.events, "http://127.0.0.1:9/api");
        assert_eq!(s.recorder.listener.as_ref().map(|l| l.url.as_str()), Some("http://127.0.0.1:9/listener"));
        assert_eq!(s.fallback.for_flag("f").map(|f| f.treatment.as_str()), Some("on"));
        assert_eq!(s.fallback.for_flag("g").map(|f| f.treatment.as_str()), Some("off"));
        assert!(!s.sync);
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: [(&str, &str, &str); 12] = [
            (VAR_EVENTS_QUEUE_SIZE, "", VAR_EVENTS_QUEUE_SIZE),
            (VAR_EVENTS_POST_RATE, "abc", VAR_EVENTS_POST_RATE),
            (VAR_IMPRESSIONS_POST_RATE, "-3", VAR_IMPRESSIONS_POST_RATE),
            (VAR_GLOBAL_CONFIG, "[1]", VAR_GLOBAL_CONFIG),
            (VAR_GLOBAL_CONFIG, r#"{"sync":{"impressionsMode":"LOUD"}}"#, "sync.impressionsMode"),
            (VAR_GLOBAL_CONFIG, r#"{"scheduler":{"eventsPushRate":"x"}}"#, "scheduler.eventsPushRate"),
            (VAR_GLOBAL_CONFIG, r#"{"fallbackTreatments":{"global":"bad treatment"}}"#, "fallbackTreatments"),
            (VAR_GLOBAL_CONFIG, r#"{"sync":{"splitFilters":[]}}"#, "sync.splitFilters"),
            (VAR_LISTENER, "ftp://x", VAR_LISTENER),
            (VAR_SYNC, "maybe", VAR_SYNC),
            (VAR_STREAMING, "yes", VAR_STREAMING),
            (VAR_AUTH_URL, "auth.split.io", VAR_AUTH_URL),
        ];
        for (var, value, named) in cases {
            let e = read(&[(var, value)]).unwrap_err().to_string();
            assert!(e.contains(named), "{var}={value}: {e}");
        }
    }
}
