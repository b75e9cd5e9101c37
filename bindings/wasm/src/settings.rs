//! The package's settings, shaped like the JS SDK's (`core`, `urls`, `sync`, `scheduler`,
//! `fallbackTreatments`), turned into a [`SplitEdgeConfig`].
//!
//! The JS side passes the settings object through `JSON.stringify` (functions such as the
//! impression listener stay on the JS side). Unknown fields are ignored, as the SDK ignores them;
//! a field of the wrong type is an error naming its path (`scheduler.eventsQueueSize: ...`).

use std::fmt;

use serde::Deserialize;
use serde_json::Value;
use split_edge::fallback::{FallbackTreatment, FallbackTreatments};
use split_edge::http::{Identity, Urls};
use split_edge::impressions::ImpressionsMode;
use split_edge::sdk::SplitEdgeConfig;
use split_edge::sync::FlagFilter;

/// `settings` as the JS caller gave it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// `core`.
    pub core: Core,
    /// `urls`.
    pub urls: UrlSettings,
    /// `sync`.
    pub sync: SyncSettings,
    /// `scheduler` (rates in seconds, as the JS SDK).
    pub scheduler: Scheduler,
    /// `fallbackTreatments`.
    pub fallback_treatments: Option<Fallbacks>,
    /// split-edge's delivery bounds (retries, memory).
    pub delivery: Delivery,
}

/// `core`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Core {
    /// The server-side SDK key (`localhost` for localhost mode).
    pub authorization_key: Option<String>,
    /// Whether impressions carry labels (default true).
    pub labels_enabled: Option<bool>,
    /// The `SplitSDKMachineIP` header.
    #[serde(rename = "IPAddressesEnabled")]
    pub ip_addresses_enabled: Option<bool>,
}

/// `urls`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UrlSettings {
    /// SDK API (`splitChanges`, `segmentChanges`).
    pub sdk: Option<String>,
    /// Events API (impressions, counts, unique keys, events).
    pub events: Option<String>,
    /// Telemetry API (unique keys).
    pub telemetry: Option<String>,
}

/// `sync`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncSettings {
    /// `OPTIMIZED` (default), `DEBUG` or `NONE`, any case.
    pub impressions_mode: Option<String>,
    /// `[{type: 'bySet' | 'byName' | 'byPrefix', values: [...]}]`, validated as the SDK does.
    pub split_filters: Option<Value>,
    /// Client-side synchronization (the browser SDK's), `{keys: [...]}`: `memberships` of these
    /// keys instead of `segmentChanges`. The browser shape sets it from `core.key`.
    pub client_side: Option<Value>,
}

/// `sync.clientSide.keys`: non-empty strings.
fn client_side_keys(value: &Value) -> Result<Vec<String>, SettingsError> {
    let keys = value
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| error("sync.clientSide.keys", "must be an array of keys"))?;
    keys.iter()
        .enumerate()
        .map(|(i, k)| match k.as_str() {
            Some(k) if !k.is_empty() => Ok(k.to_owned()),
            _ => Err(error(&format!("sync.clientSide.keys[{i}]"), "must be a non-empty string")),
        })
        .collect()
}

/// `scheduler`: rates in seconds, sizes in items.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Scheduler {
    /// Impressions post period (default 300 s; 60 s in DEBUG).
    pub impressions_refresh_rate: Option<f64>,
    /// Impressions queued before an early post (default 30,000).
    pub impressions_queue_size: Option<f64>,
    /// Events post period (default 60 s).
    pub events_push_rate: Option<f64>,
    /// Events queued before an early post (default 500).
    pub events_queue_size: Option<f64>,
    /// Impression counts post period (default 1,800 s).
    pub impression_counts_refresh_rate: Option<f64>,
    /// Unique keys post period (default 900 s).
    pub unique_keys_refresh_rate: Option<f64>,
}

/// split-edge's delivery bounds.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Delivery {
    /// Posts per batch before it is dropped (default 10).
    pub max_attempts: Option<f64>,
    /// First retry delay in ms (default 5,000).
    pub backoff_base_ms: Option<f64>,
    /// Longest retry delay in ms (default 300,000).
    pub backoff_max_ms: Option<f64>,
    /// Bytes kept per kind before the oldest batches are dropped (default 10 MiB).
    pub max_retained_bytes: Option<f64>,
    /// De-duplication cache entries (default 500,000).
    pub dedup_cache_size: Option<f64>,
}

/// `fallbackTreatments`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Fallbacks {
    /// For every flag.
    pub global: Option<FallbackValue>,
    /// Per flag name.
    pub by_flag: ByFlag,
}

/// `fallbackTreatments.byFlag`: the fallbacks by flag name, sorted by name, the last of a name
/// given twice kept, as a `BTreeMap` reads them (the same entries and errors, without one more
/// `BTreeMap` instantiation in the binary).
#[derive(Debug, Default)]
pub struct ByFlag(pub Vec<(String, FallbackValue)>);

impl<'de> Deserialize<'de> for ByFlag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = ByFlag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ByFlag, A::Error> {
                let mut entries: Vec<(String, FallbackValue)> = Vec::new();
                while let Some(entry) = map.next_entry::<String, FallbackValue>()? {
                    entries.push(entry);
                }
                // Stable: of equal names the last given is last, and is the one kept.
                split_edge::order::sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
                let mut kept: Vec<(String, FallbackValue)> = Vec::with_capacity(entries.len());
                for entry in entries {
                    match kept.last_mut() {
                        Some(last) if last.0 == entry.0 => *last = entry,
                        _ => kept.push(entry),
                    }
                }
                Ok(ByFlag(kept))
            }
        }
        d.deserialize_map(Entries)
    }
}

/// A fallback: a treatment, or `{treatment, config}`.
///
/// Read as serde's `untagged` enum of these two variants reads it (the same accepted shapes,
/// the same error at the same place), but through a [`Value`] instead of serde's buffered
/// `Content`, whose machinery would be in the binary for this one type.
#[derive(Debug)]
pub enum FallbackValue {
    /// Just a treatment.
    Treatment(String),
    /// A treatment with its config.
    WithConfig {
        /// The treatment.
        treatment: String,
        /// Its config (a JSON string), if any.
        config: Option<String>,
    },
}

impl<'de> Deserialize<'de> for FallbackValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Like `untagged`: the whole value first, then the variants in order; one error for all.
        let value = Value::deserialize(d)?;
        FallbackValue::from_value(value)
            .ok_or_else(|| serde::de::Error::custom("data did not match any variant of untagged enum FallbackValue"))
    }
}

/// An optional string field as `#[serde(default)] Option<String>` reads it: missing or `null`
/// is `None`; `Err` when it is something else.
fn optional_string(value: Option<Value>) -> Result<Option<String>, ()> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(()),
    }
}

impl FallbackValue {
    /// The variant `value` is: a string is a treatment; `{treatment, config}` (other members
    /// ignored) is one with config; nothing else is either (not even `[treatment, config]`).
    fn from_value(value: Value) -> Option<FallbackValue> {
        let (treatment, config) = match value {
            Value::String(t) => return Some(FallbackValue::Treatment(t)),
            Value::Object(mut map) => (map.remove("treatment"), map.remove("config")),
            _ => return None,
        };
        let Some(Value::String(treatment)) = treatment else { return None };
        let config = optional_string(config).ok()?;
        Some(FallbackValue::WithConfig { treatment, config })
    }

    fn into_fallback(self) -> FallbackTreatment {
        match self {
            FallbackValue::Treatment(t) => FallbackTreatment::new(t),
            FallbackValue::WithConfig { treatment, config } => FallbackTreatment { treatment, config },
        }
    }
}

/// Why settings were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// The settings path of the bad field (`scheduler.eventsQueueSize`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "invalid settings: {}", self.message)
        } else {
            write!(f, "invalid settings: {}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for SettingsError {}

fn error(field: &str, message: impl fmt::Display) -> SettingsError {
    SettingsError { field: field.to_owned(), message: message.to_string() }
}

/// Parses the settings JSON.
///
/// # Errors
/// [`SettingsError`] naming the first field of the wrong type.
pub fn parse(json: &str) -> Result<Settings, SettingsError> {
    serde_json::from_str(json).map_err(|e| {
        let path = split_edge::model::json_path::error_path(json, &e);
        let field = if path == "." { String::new() } else { path };
        error(&field, e)
    })
}

/// A count: a positive integer.
fn count(value: Option<f64>, field: &str) -> Result<Option<usize>, SettingsError> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= 1e15 => Ok(Some(v as usize)),
        Some(v) => Err(error(field, format!("must be a positive integer, got {v}"))),
    }
}

/// A duration in seconds (> 0) as milliseconds.
fn seconds(value: Option<f64>, field: &str) -> Result<Option<u64>, SettingsError> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v > 0.0 && v <= 1e9 => Ok(Some((v * 1000.0).round() as u64)),
        Some(v) => Err(error(field, format!("must be a positive number of seconds, got {v}"))),
    }
}

/// A duration in milliseconds (> 0).
fn millis(value: Option<f64>, field: &str) -> Result<Option<u64>, SettingsError> {
    match value {
        None => Ok(None),
        Some(v) if (1.0..=1e15).contains(&v) => Ok(Some(v.round() as u64)),
        Some(v) => Err(error(field, format!("must be a positive number of milliseconds, got {v}"))),
    }
}

fn url(value: Option<String>, default: String, field: &str) -> Result<String, SettingsError> {
    match value {
        None => Ok(default),
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => Ok(u.trim_end_matches('/').to_owned()),
        Some(u) => Err(error(field, format!("must be an http(s) URL, got {u:?}"))),
    }
}

impl Settings {
    /// Whether this is localhost mode (`core.authorizationKey` is `localhost`).
    pub fn is_localhost(&self) -> bool {
        self.core.authorization_key.as_deref() == Some("localhost")
    }

    /// The engine configuration, with the SDK version header of this package.
    ///
    /// # Errors
    /// [`SettingsError`] for a value out of range or an invalid mode, filter or fallback.
    pub fn into_config(self, sdk_version: &str) -> Result<SplitEdgeConfig, SettingsError> {
        let key = self.core.authorization_key.clone().unwrap_or_else(|| "localhost".to_owned());
        let mut config = SplitEdgeConfig::new(key.clone());
        config.identity = Identity { sdk_version: sdk_version.to_owned(), ..Identity::new(key) };
        let defaults = Urls::default();
        config.urls = Urls {
            sdk: url(self.urls.sdk, defaults.sdk, "urls.sdk")?,
            events: url(self.urls.events, defaults.events, "urls.events")?,
            telemetry: url(self.urls.telemetry, defaults.telemetry, "urls.telemetry")?,
        };
        let rec = &mut config.recorder;
        if let Some(mode) = self.sync.impressions_mode {
            rec.impressions_mode = mode.parse::<ImpressionsMode>().map_err(|e| error("sync.impressionsMode", e))?;
        }
        if let Some(labels) = self.core.labels_enabled {
            rec.labels_enabled = labels;
        }
        let s = &self.scheduler;
        if let Some(ms) = seconds(s.impressions_refresh_rate, "scheduler.impressionsRefreshRate")? {
            rec.impressions_refresh_rate_ms = Some(ms);
        }
        if let Some(n) = count(s.impressions_queue_size, "scheduler.impressionsQueueSize")? {
            rec.impressions_queue_size = n;
        }
        if let Some(ms) = seconds(s.events_push_rate, "scheduler.eventsPushRate")? {
            rec.events_push_rate_ms = ms;
        }
        if let Some(n) = count(s.events_queue_size, "scheduler.eventsQueueSize")? {
            rec.events_queue_size = n;
        }
        if let Some(ms) = seconds(s.impression_counts_refresh_rate, "scheduler.impressionCountsRefreshRate")? {
            rec.counts_refresh_rate_ms = ms;
        }
        if let Some(ms) = seconds(s.unique_keys_refresh_rate, "scheduler.uniqueKeysRefreshRate")? {
            rec.unique_keys_refresh_rate_ms = ms;
        }
        let d = &self.delivery;
        if let Some(n) = count(d.max_attempts, "delivery.maxAttempts")? {
            rec.max_attempts = u32::try_from(n).map_err(|e| error("delivery.maxAttempts", e))?;
        }
        if let Some(ms) = millis(d.backoff_base_ms, "delivery.backoffBaseMs")? {
            rec.backoff_base_ms = ms;
        }
        if let Some(ms) = millis(d.backoff_max_ms, "delivery.backoffMaxMs")? {
            rec.backoff_max_ms = ms;
        }
        if let Some(n) = count(d.max_retained_bytes, "delivery.maxRetainedBytes")? {
            rec.max_retained_bytes = n;
        }
        if let Some(n) = count(d.dedup_cache_size, "delivery.dedupCacheSize")? {
            rec.dedup_cache_size = n;
        }
        rec.validate().map_err(|e| error("scheduler", e))?;
        if let Some(filters) = self.sync.split_filters {
            let validated = FlagFilter::validate_json(&filters).map_err(|e| error("sync.splitFilters", e))?;
            config.client.flag_set_filter = validated.filter.sets().to_vec();
            config.filter = validated.filter;
        }
        if let Some(client_side) = self.sync.client_side.as_ref().filter(|v| !v.is_null()) {
            config.sync_mode = split_edge::sync::SyncMode::ClientSide { keys: client_side_keys(client_side)? };
        }
        if let Some(fb) = self.fallback_treatments {
            let by_flag = fb.by_flag.0.into_iter().map(|(flag, v)| (flag, v.into_fallback()));
            config.client.fallback = FallbackTreatments::new(fb.global.map(FallbackValue::into_fallback), by_flag)
                .map_err(|e| error("fallbackTreatments", e))?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let s = parse(r#"{"core":{"authorizationKey":"k","labelsEnabled":false},"sync":{"impressionsMode":"debug"},
            "scheduler":{"eventsQueueSize":10,"impressionsRefreshRate":2},"urls":{"events":"http://127.0.0.1:9/api/"}}"#)
        .unwrap();
        let c = s.into_config("javascript-edge-0.1.0").unwrap();
        assert_eq!(c.identity.sdk_key, "k");
        assert_eq!(c.recorder.impressions_mode, ImpressionsMode::Debug);
        assert!(!c.recorder.labels_enabled);
        assert_eq!(c.recorder.events_queue_size, 10);
        assert_eq!(c.recorder.impressions_refresh_rate_ms, Some(2000));
        assert_eq!(c.urls.events, "http://127.0.0.1:9/api");
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse(r#"{"scheduler":{"eventsQueueSize":"ten"}}"#).unwrap_err();
        assert_eq!(e.field, "scheduler.eventsQueueSize");
        let e = parse(r#"{"scheduler":{"eventsQueueSize":0}}"#).unwrap().into_config("v").unwrap_err();
        assert_eq!(e.field, "scheduler.eventsQueueSize");
        let e = parse(r#"{"sync":{"impressionsMode":"LOUD"}}"#).unwrap().into_config("v").unwrap_err();
        assert_eq!(e.field, "sync.impressionsMode");
        let e = parse(r#"{"urls":{"sdk":"ftp://x"}}"#).unwrap().into_config("v").unwrap_err();
        assert_eq!(e.field, "urls.sdk");
    }

    /// What `#[serde(untagged)]` made of a fallback (the same name: it is in the message), the
    /// oracle of the hand-written reading.
    mod untagged {
        #[derive(Debug, serde::Deserialize)]
        #[serde(untagged)]
        pub enum FallbackValue {
            Treatment(String),
            WithConfig {
                treatment: String,
                #[serde(default)]
                config: Option<String>,
            },
        }
    }
    use untagged::FallbackValue as Untagged;

    #[test]
    fn fallback_values_read_as_the_untagged_enum() {
        for json in [
            r#""on""#,
            r#""""#,
            r#"{"treatment":"on"}"#,
            r#"{"treatment":"on","config":null}"#,
            r#"{"treatment":"on","config":"{\"a\":1}","other":[1,{"x":2}]}"#,
            r#"{"config":"c"}"#,
            r#"{"treatment":5}"#,
            r#"{"treatment":null}"#,
            r#"{"treatment":"on","config":5}"#,
            r#"{"treatment":"on","config":{}}"#,
            r#"{}"#,
            r#"["on"]"#,
            r#"["on",null]"#,
            r#"["on","c"]"#,
            r#"["on","c","x"]"#,
            r#"[]"#,
            r#"[5]"#,
            r#"["on",5]"#,
            "5",
            "1.5",
            "true",
            "null",
            r#"  {"treatment" : "on" ,
                "config" : [1] }"#,
        ] {
            let doc = format!(r#"{{"a":{json},"b":1}}"#);
            #[derive(Debug, Deserialize)]
            struct Doc<T> {
                a: T,
            }
            let want = serde_json::from_str::<Doc<Untagged>>(&doc).map(|d| match d.a {
                Untagged::Treatment(t) => (t, None, false),
                Untagged::WithConfig { treatment, config } => (treatment, config, true),
            });
            let got = serde_json::from_str::<Doc<FallbackValue>>(&doc).map(|d| match d.a {
                FallbackValue::Treatment(t) => (t, None, false),
                FallbackValue::WithConfig { treatment, config } => (treatment, config, true),
            });
            match (want, got) {
                (Ok(w), Ok(g)) => assert_eq!(w, g, "{json}"),
                (Err(w), Err(g)) => assert_eq!(w.to_string(), g.to_string(), "{json}"),
                (w, g) => panic!("{json}: untagged {w:?}, here {g:?}"),
            }
        }
    }

    #[test]
    fn by_flag_reads_as_a_btree_map() {
        fn key(v: &FallbackValue) -> (String, Option<String>) {
            match v {
                FallbackValue::Treatment(t) => (t.clone(), None),
                FallbackValue::WithConfig { treatment, config } => (treatment.clone(), config.clone()),
            }
        }
        fn key_untagged(v: &Untagged) -> (String, Option<String>) {
            match v {
                Untagged::Treatment(t) => (t.clone(), None),
                Untagged::WithConfig { treatment, config } => (treatment.clone(), config.clone()),
            }
        }
        for json in [
            r#"{}"#,
            r#"{"b":"x","a":{"treatment":"y"},"c":"z"}"#,
            r#"{"b":"x","a":"1","b":"2","a":"3","b":{"treatment":"4","config":"c"}}"#,
            r#"{"a":"x","b":5}"#,
            r#"{"a":"x","b":[]}"#,
            "[]",
            "5",
            "null",
            r#""a""#,
        ] {
            let doc = format!(r#"{{"m":{json}}}"#);
            #[derive(Debug, Deserialize)]
            struct Doc<T> {
                m: T,
            }
            let want = serde_json::from_str::<Doc<std::collections::BTreeMap<String, Untagged>>>(&doc)
                .map(|d| d.m.iter().map(|(k, v)| (k.clone(), key_untagged(v))).collect::<Vec<_>>());
            let got = serde_json::from_str::<Doc<ByFlag>>(&doc)
                .map(|d| d.m.0.iter().map(|(k, v)| (k.clone(), key(v))).collect::<Vec<_>>());
            match (want, got) {
                (Ok(w), Ok(g)) => assert_eq!(w, g, "{json}"),
                (Err(w), Err(g)) => assert_eq!(w.to_string(), g.to_string(), "{json}"),
                (w, g) => panic!("{json}: BTreeMap {w:?}, here {g:?}"),
            }
        }
    }

    #[test]
    fn client_side_mode() {
        let c = parse(r#"{"sync":{"clientSide":{"keys":["alice","bob"]}}}"#).unwrap().into_config("v").unwrap();
        assert_eq!(c.sync_mode, split_edge::sync::SyncMode::ClientSide { keys: vec!["alice".into(), "bob".into()] });
        let c = parse("{}").unwrap().into_config("v").unwrap();
        assert_eq!(c.sync_mode, split_edge::sync::SyncMode::ServerSide);
        let e = parse(r#"{"sync":{"clientSide":{"keys":["a",""]}}}"#).unwrap().into_config("v").unwrap_err();
        assert_eq!(e.field, "sync.clientSide.keys[1]");
        let e = parse(r#"{"sync":{"clientSide":{"keys":"a"}}}"#).unwrap().into_config("v").unwrap_err();
        assert_eq!(e.field, "sync.clientSide.keys");
        let e = parse(r#"{"sync":{"clientSide":{"keys":[1]}}}"#).unwrap().into_config("v").unwrap_err();
        assert_eq!(e.field, "sync.clientSide.keys[0]");
    }

    #[test]
    fn filters_and_fallbacks() {
        let s = parse(
            r#"{"sync":{"splitFilters":[{"type":"bySet","values":["b","a"]}]},
            "fallbackTreatments":{"global":"off","byFlag":{"f":{"treatment":"on","config":"{}"}}}}"#,
        )
        .unwrap();
        let c = s.into_config("v").unwrap();
        assert_eq!(c.client.flag_set_filter, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(c.client.fallback.for_flag("f").map(|f| f.treatment.as_str()), Some("on"));
        assert_eq!(c.client.fallback.for_flag("g").map(|f| f.treatment.as_str()), Some("off"));
    }
}
