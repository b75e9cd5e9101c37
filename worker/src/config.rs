//! The Worker's settings, read from its environment variables (split-evaluator's names, spec
//! §8.2, plus a few of the Worker's own).
//!
//! Reading is sans-I/O: [`Settings::from_vars`] takes a lookup function, so the rules are tested
//! natively. A bad value is a [`ConfigError`] whose message names the variable and the fix; the
//! Worker answers every request with it (500) until the configuration is fixed.

use std::fmt;

use serde_json::Value;
use split_edge::js::truthy;
use split_edge::sync::FlagFilter;

use crate::sdk_settings::{SdkConfigError, SdkKey, SdkSettings};

/// `SPLIT_EVALUATOR_AUTH_TOKEN`: the `Authorization` value of single-environment mode.
pub const VAR_AUTH_TOKEN: &str = "SPLIT_EVALUATOR_AUTH_TOKEN";
/// `SPLIT_EVALUATOR_ENVIRONMENTS`: JSON array of environments (token → environment).
pub const VAR_ENVIRONMENTS: &str = "SPLIT_EVALUATOR_ENVIRONMENTS";
/// `SPLIT_EVALUATOR_API_KEY`: the SDK key of single-environment mode (posts to Split and pull
/// mode use it; `localhost` or unset: neither).
pub const VAR_API_KEY: &str = "SPLIT_EVALUATOR_API_KEY";
/// `SPLIT_EDGE_ADMIN_TOKEN`: the value of the `X-Admin-Token` header that data pushes need.
/// Unset: pushes are refused (403).
pub const VAR_ADMIN_TOKEN: &str = "SPLIT_EDGE_ADMIN_TOKEN";
/// `SPLIT_EDGE_REVALIDATE_SECONDS`: how often an isolate re-reads the manifest (default 10).
pub const VAR_REVALIDATE_SECONDS: &str = "SPLIT_EDGE_REVALIDATE_SECONDS";
/// `SPLIT_EDGE_ENV_ID`: the KV prefix of single-environment mode (default `default`).
pub const VAR_ENV_ID: &str = "SPLIT_EDGE_ENV_ID";

/// `SPLIT_EDGE_GC_GRACE_SECONDS`: how long superseded data keys are kept before the cron
/// deletes them (default 3600).
pub const VAR_GC_GRACE_SECONDS: &str = "SPLIT_EDGE_GC_GRACE_SECONDS";
/// The default grace period of superseded data keys, in seconds.
pub const DEFAULT_GC_GRACE_SECONDS: u64 = 3600;

/// The default manifest revalidation interval, in seconds.
pub const DEFAULT_REVALIDATE_SECONDS: u64 = 10;

/// One environment: where its data lives in KV and which flag sets it keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvConfig {
    /// The environment id: its data is under `env/<id>/` in KV.
    pub id: String,
    /// `FLAG_SET_FILTER` (comma-split), empty for none.
    pub flag_sets: Vec<String>,
    /// The filter built from `flag_sets`.
    pub filter: FlagFilter,
    /// The environment's SDK key (`API_KEY`, or `SPLIT_EVALUATOR_API_KEY`).
    pub api_key: SdkKey,
}

/// How requests are authorized (spec §8.3).
#[derive(Debug, Clone, PartialEq)]
pub enum AuthMode {
    /// No token configured: every request is served by the one environment.
    Open(EnvConfig),
    /// `SPLIT_EVALUATOR_AUTH_TOKEN`: the `Authorization` header must equal it.
    Single {
        /// The token.
        token: String,
        /// The environment.
        env: EnvConfig,
    },
    /// `SPLIT_EVALUATOR_ENVIRONMENTS`: the `Authorization` header selects the environment.
    Multi(Vec<(String, EnvConfig)>),
}

/// Everything the Worker reads from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Authorization and environments.
    pub auth: AuthMode,
    /// The admin token that data pushes need (`None`: pushes are refused).
    pub admin_token: Option<String>,
    /// How often, in milliseconds, an isolate re-reads an environment's manifest.
    pub revalidate_ms: u64,
    /// How long, in milliseconds, superseded data keys are kept.
    pub gc_grace_ms: u64,
    /// Split's URLs, impressions and events settings, fallbacks, pull mode.
    pub sdk: SdkSettings,
    /// How long, in milliseconds, an isolate collects records before sending them to the
    /// delivery queue (`SPLIT_EDGE_HANDOFF_WINDOW_MS`).
    pub handoff_window_ms: u64,
    /// Whether impressions and events go through the delivery queue (its binding exists; set
    /// by the glue, which sees the bindings).
    pub queue_delivery: bool,
    /// Whether the streaming Durable Object is bound (set by the glue).
    pub streaming_bound: bool,
    /// How often, in milliseconds, an isolate asks it for the data's version
    /// (`SPLIT_EDGE_STREAM_CHECK_MS`).
    pub stream_check_ms: u64,
    /// The origins whose pages may read `/admin/snapshot` (`SPLIT_EDGE_ADMIN_ORIGINS`, see
    /// [`crate::cors`]); empty: none.
    pub admin_origins: Vec<String>,
    /// How long, in milliseconds, an outbound request may take before it is aborted
    /// (`SPLIT_EDGE_FETCH_TIMEOUT_MS`, see [`crate::outbound`]).
    pub fetch_timeout_ms: u64,
}

/// Why the configuration is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `SPLIT_EVALUATOR_ENVIRONMENTS` is not a JSON array.
    EnvironmentsNotArray(String),
    /// An entry of `SPLIT_EVALUATOR_ENVIRONMENTS` lacks a truthy `API_KEY` or a string `AUTH_TOKEN`.
    EnvironmentEntry {
        /// The entry's position.
        index: usize,
        /// What is wrong.
        problem: &'static str,
    },
    /// Two entries share an `AUTH_TOKEN`.
    DuplicateToken(usize),
    /// Two entries share an id.
    DuplicateId(String),
    /// An environment id holds characters other than `A-Za-z0-9_-`, or is empty or too long.
    BadEnvId(String),
    /// A `FLAG_SET_FILTER` is invalid.
    FlagSetFilter {
        /// The environment id.
        env: String,
        /// The core's message.
        message: String,
    },
    /// A number of seconds (`SPLIT_EDGE_REVALIDATE_SECONDS`, `SPLIT_EDGE_GC_GRACE_SECONDS`) is
    /// not a whole number.
    Seconds {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// An SDK setting (URLs, global config, rates, listener) is invalid.
    Sdk(SdkConfigError),
    /// `SPLIT_EDGE_HANDOFF_WINDOW_MS` or `SPLIT_EDGE_STREAM_CHECK_MS` is out of range (the
    /// message says which range).
    Range(String),
    /// `SPLIT_EDGE_ADMIN_ORIGINS` holds an entry that is not an origin (the message says which).
    AdminOrigins(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::EnvironmentsNotArray(m) => {
                write!(f, "{VAR_ENVIRONMENTS} must be a JSON array of {{\"API_KEY\",\"AUTH_TOKEN\"}} objects: {m}")
            }
            ConfigError::EnvironmentEntry { index, problem } => {
                write!(f, "{VAR_ENVIRONMENTS}[{index}]: {problem}")
            }
            ConfigError::DuplicateToken(i) => {
                write!(f, "{VAR_ENVIRONMENTS}[{i}]: AUTH_TOKEN is used by an earlier entry; tokens must be unique")
            }
            ConfigError::DuplicateId(id) => {
                write!(f, "{VAR_ENVIRONMENTS}: two entries have the id {id:?}; give each a distinct \"ID\"")
            }
            ConfigError::BadEnvId(id) => {
                write!(f, "environment id {id:?} is invalid: use 1 to 64 characters among A-Z, a-z, 0-9, '_' and '-'")
            }
            ConfigError::FlagSetFilter { env, message } => {
                write!(f, "FLAG_SET_FILTER of environment {env:?} is invalid: {message}")
            }
            ConfigError::Seconds { var, value } => {
                write!(f, "{var} must be a whole number of seconds (0 or more), not {value:?}")
            }
            ConfigError::Sdk(e) => write!(f, "{e}"),
            ConfigError::Range(m) | ConfigError::AdminOrigins(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Settings {
    /// Reads the settings through `var` (a variable's value, `None` when unset).
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable at fault.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let admin_token = var(VAR_ADMIN_TOKEN).filter(|t| !t.is_empty());
        let seconds = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match var(name) {
                None => Ok(default.saturating_mul(1000)),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map(|s| s.saturating_mul(1000))
                    .map_err(|_| ConfigError::Seconds { var: name, value: v.clone() }),
            }
        };
        let revalidate_ms = seconds(VAR_REVALIDATE_SECONDS, DEFAULT_REVALIDATE_SECONDS)?;
        let gc_grace_ms = seconds(VAR_GC_GRACE_SECONDS, DEFAULT_GC_GRACE_SECONDS)?;
        let handoff_window_ms =
            crate::delivery::handoff_window_ms(var(crate::delivery::VAR_HANDOFF_WINDOW_MS).as_deref())
                .map_err(ConfigError::Range)?;
        let stream_check_ms = crate::stream::stream_check_ms(var(crate::stream::VAR_STREAM_CHECK_MS).as_deref())
            .map_err(ConfigError::Range)?;
        let admin_origins = crate::cors::parse_origins(var(crate::cors::VAR_ADMIN_ORIGINS).as_deref())
            .map_err(ConfigError::AdminOrigins)?;
        let fetch_timeout_ms = crate::outbound::fetch_timeout_ms(var(crate::outbound::VAR_FETCH_TIMEOUT_MS).as_deref())
            .map_err(ConfigError::Range)?;
        let environments = var(VAR_ENVIRONMENTS).filter(|v| !v.trim().is_empty());
        let sdk = SdkSettings::from_vars(&var, environments.is_some()).map_err(ConfigError::Sdk)?;
        let auth = match environments {
            Some(json) => AuthMode::Multi(parse_environments(&json)?),
            None => {
                let id = var(VAR_ENV_ID).unwrap_or_else(|| "default".to_owned());
                // split-evaluator turns an unset key into the string "undefined".
                let key = SdkKey(var(VAR_API_KEY).unwrap_or_else(|| "undefined".to_owned()));
                let env = env_config(check_id(id)?, None, key)?;
                match var(VAR_AUTH_TOKEN).filter(|t| !t.is_empty()) {
                    Some(token) => AuthMode::Single { token, env },
                    None => AuthMode::Open(env),
                }
            }
        };
        Ok(Settings {
            auth,
            admin_token,
            revalidate_ms,
            gc_grace_ms,
            sdk,
            handoff_window_ms,
            queue_delivery: false,
            streaming_bound: false,
            stream_check_ms,
            admin_origins,
            fetch_timeout_ms,
        })
    }

    /// Every configured environment with the token that selects it; without a token configured,
    /// split-evaluator's placeholder `DEFAULT_AUTH_TOKEN` (its `/admin/stats` keys environments by
    /// their obfuscated token).
    pub fn environments_by_token(&self) -> Vec<(&str, &EnvConfig)> {
        match &self.auth {
            AuthMode::Open(env) => vec![("DEFAULT_AUTH_TOKEN", env)],
            AuthMode::Single { token, env } => vec![(token.as_str(), env)],
            AuthMode::Multi(list) => list.iter().map(|(t, e)| (t.as_str(), e)).collect(),
        }
    }

    /// Whether `env` streams: pull mode, streaming on, and the Durable Object bound.
    pub fn streams(&self, env: &EnvConfig) -> bool {
        self.streaming_bound && self.sdk.streaming && self.sdk.pulls(&env.api_key)
    }

    /// How long an isolate serves `env`'s data before checking for a newer version: the
    /// streaming version check's interval when it streams, else the revalidation interval.
    pub fn check_ms(&self, env: &EnvConfig) -> u64 {
        if self.streams(env) {
            self.stream_check_ms.min(self.revalidate_ms)
        } else {
            self.revalidate_ms
        }
    }

    /// Every configured environment.
    pub fn environments(&self) -> Vec<&EnvConfig> {
        match &self.auth {
            AuthMode::Open(env) | AuthMode::Single { env, .. } => vec![env],
            AuthMode::Multi(list) => list.iter().map(|(_, e)| e).collect(),
        }
    }
}

/// An environment id valid as a KV key segment.
fn check_id(id: String) -> Result<String, ConfigError> {
    let ok =
        !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(id)
    } else {
        Err(ConfigError::BadEnvId(id))
    }
}

fn env_config(id: String, flag_set_filter: Option<&str>, api_key: SdkKey) -> Result<EnvConfig, ConfigError> {
    let flag_sets: Vec<String> = flag_set_filter
        .map(|f| f.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let filter = if flag_sets.is_empty() {
        FlagFilter::none()
    } else {
        FlagFilter::by_sets(&flag_sets)
            .map_err(|e| ConfigError::FlagSetFilter { env: id.clone(), message: e.to_string() })?
    };
    Ok(EnvConfig { id, flag_sets: filter.sets().to_vec(), filter, api_key })
}

/// FNV-1a 64 of a string, as 16 hex digits: the default id of an environment (from its API key,
/// which must not appear in KV key names).
fn fnv_hex(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn parse_environments(json: &str) -> Result<Vec<(String, EnvConfig)>, ConfigError> {
    let value: Value = serde_json::from_str(json).map_err(|e| ConfigError::EnvironmentsNotArray(e.to_string()))?;
    let Value::Array(entries) = value else {
        return Err(ConfigError::EnvironmentsNotArray("the value is not an array".to_owned()));
    };
    let mut out: Vec<(String, EnvConfig)> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let problem = |problem| ConfigError::EnvironmentEntry { index, problem };
        let api_key = entry.get("API_KEY").filter(|v| truthy(v)).ok_or(problem("API_KEY is required"))?;
        let token = match entry.get("AUTH_TOKEN") {
            Some(Value::String(t)) if !t.is_empty() => t.clone(),
            Some(v) if truthy(v) => return Err(problem("AUTH_TOKEN must be a string")),
            _ => return Err(problem("AUTH_TOKEN is required")),
        };
        if out.iter().any(|(t, _)| *t == token) {
            return Err(ConfigError::DuplicateToken(index));
        }
        let key = match api_key {
            Value::String(k) => k.clone(),
            other => other.to_string(),
        };
        let id = match entry.get("ID") {
            Some(Value::String(id)) => id.clone(),
            Some(_) => return Err(problem("ID must be a string")),
            None => format!("env-{}", fnv_hex(&key)),
        };
        let id = check_id(id)?;
        if out.iter().any(|(_, e)| e.id == id) {
            return Err(ConfigError::DuplicateId(id));
        }
        let filter = match entry.get("FLAG_SET_FILTER") {
            Some(Value::String(f)) => Some(f.as_str()),
            _ => None,
        };
        out.push((token, env_config(id, filter, SdkKey(key))?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn no_token_is_open() {
        let s = settings(&[]).unwrap();
        assert!(matches!(s.auth, AuthMode::Open(ref e) if e.id == "default"));
        assert_eq!(s.revalidate_ms, 10_000);
        assert_eq!(s.admin_token, None);
        assert!(s.admin_origins.is_empty(), "no origin may read the admin routes unless listed");
        let e = settings(&[(crate::cors::VAR_ADMIN_ORIGINS, "*")]).unwrap_err();
        assert!(matches!(e, ConfigError::AdminOrigins(_)));
        assert!(e.to_string().starts_with("SPLIT_EDGE_ADMIN_ORIGINS"), "{e}");
        let listed = settings(&[(crate::cors::VAR_ADMIN_ORIGINS, "http://127.0.0.1:8788")]).unwrap();
        assert_eq!(listed.admin_origins, ["http://127.0.0.1:8788"]);
    }

    #[test]
    fn single_token() {
        let s = settings(&[(VAR_AUTH_TOKEN, "t1"), (VAR_REVALIDATE_SECONDS, "2"), (VAR_ADMIN_TOKEN, "adm")]).unwrap();
        assert!(matches!(s.auth, AuthMode::Single { ref token, .. } if token == "t1"));
        assert_eq!(s.revalidate_ms, 2000);
        assert_eq!(s.admin_token.as_deref(), Some("adm"));
        assert!(settings(&[(VAR_REVALIDATE_SECONDS, "x")]).is_err());
    }

    #[test]
    fn sdk_keys_and_settings() {
        let s = settings(&[(VAR_API_KEY, "real-key"), ("SPLIT_EVALUATOR_EVENTS_QUEUE_SIZE", "3")]).unwrap();
        let env = s.environments()[0].clone();
        assert_eq!(env.api_key.0, "real-key");
        assert!(s.sdk.pulls(&env.api_key));
        assert!(!format!("{env:?}").contains("real-key"), "the key is not printed");
        assert_eq!(s.sdk.recorder.events_queue_size, 3);
        let unset = settings(&[]).unwrap();
        assert!(!unset.sdk.pulls(&unset.environments()[0].api_key), "unset is split-evaluator's \"undefined\"");
        let e = settings(&[("SPLIT_EVALUATOR_EVENTS_QUEUE_SIZE", "x")]).unwrap_err();
        assert!(matches!(e, ConfigError::Sdk(_)));
        assert!(e.to_string().starts_with("SPLIT_EVALUATOR_EVENTS_QUEUE_SIZE"), "{e}");
        let multi = settings(&[(
            VAR_ENVIRONMENTS,
            r#"[{"API_KEY":12,"AUTH_TOKEN":"a"},{"API_KEY":"localhost","AUTH_TOKEN":"b"}]"#,
        )])
        .unwrap();
        let keys: Vec<bool> = multi.environments().iter().map(|e| multi.sdk.pulls(&e.api_key)).collect();
        assert_eq!(keys, [true, false]);
        assert!(settings(&[
            (VAR_ENVIRONMENTS, "[]"),
            ("SPLIT_EVALUATOR_GLOBAL_CONFIG", r#"{"sync":{"splitFilters":[{}]}}"#)
        ])
        .unwrap_err()
        .to_string()
        .contains("FLAG_SET_FILTER"));
    }

    #[test]
    fn environments() {
        let s = settings(&[(
            VAR_ENVIRONMENTS,
            r#"[{"API_KEY":"k1","AUTH_TOKEN":"a","ID":"prod"},{"API_KEY":"k2","AUTH_TOKEN":"b","FLAG_SET_FILTER":"s1, s2"}]"#,
        )])
        .unwrap();
        let AuthMode::Multi(list) = s.auth else { panic!("multi") };
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].1.id, "prod");
        assert!(list[1].1.id.starts_with("env-"));
        assert_eq!(list[1].1.flag_sets, vec!["s1".to_owned(), "s2".to_owned()]);
        for bad in [
            "{}",
            "nope",
            r#"[{"API_KEY":"k"}]"#,
            r#"[{"AUTH_TOKEN":"a"}]"#,
            r#"[{"API_KEY":"k","AUTH_TOKEN":5}]"#,
            r#"[{"API_KEY":"k","AUTH_TOKEN":"a"},{"API_KEY":"k2","AUTH_TOKEN":"a"}]"#,
            r#"[{"API_KEY":"k","AUTH_TOKEN":"a","ID":"x/y"}]"#,
        ] {
            let e = settings(&[(VAR_ENVIRONMENTS, bad)]).unwrap_err();
            assert!(!e.to_string().is_empty(), "{bad}");
        }
    }
}
