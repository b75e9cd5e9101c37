//! wasm-bindgen bindings of split-edge: the engine behind the `split-edge` npm package.
//!
//! One class, [`Engine`], wraps the core's [`SplitEdge`] façade. The JS wrapper of the package
//! (`npm/src/`) gives it the JS SDK's shape: it passes inputs as JSON text where they are
//! untyped (keys, attribute objects, lists), turns requests into `fetch` calls and reports
//! their outcomes back. Nothing here reads a clock or does I/O; times come in as `now`
//! (milliseconds since the epoch, a JS number).
//!
//! Every entry point returns a value or throws a JS `Error`; none can trap: the core never
//! panics on input, and bad JSON, settings or snapshots are errors with messages that name the
//! problem. A rejected snapshot leaves the loaded data as it was.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]
#![warn(missing_docs)]

pub mod attributes;
pub mod fast;
pub mod output;
pub mod settings;

use serde_json::Value;
use split_edge::http::{HttpOutcome, RequestId};
use split_edge::sdk::{Progress, SplitEdge};
use split_edge::{validate, Attributes, CallTarget, Client, EvaluationOptions};
use wasm_bindgen::prelude::*;

/// The `SplitSDKVersion` header this package sends.
pub const SDK_VERSION: &str = concat!("javascript-split-edge-", env!("CARGO_PKG_VERSION"));

/// Which client method a general [`Engine::evaluate`] call answers (the JS wrapper's numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Treatment,
    TreatmentWithConfig,
    Treatments,
    TreatmentsWithConfig,
    ByFlagSets,
    WithConfigByFlagSets,
}

impl Method {
    fn from_code(code: u32) -> Option<Method> {
        Some(match code {
            0 => Method::Treatment,
            1 => Method::TreatmentWithConfig,
            2 => Method::Treatments,
            3 => Method::TreatmentsWithConfig,
            4 => Method::ByFlagSets,
            5 => Method::WithConfigByFlagSets,
            _ => return None,
        })
    }

    fn target(self) -> CallTarget {
        match self {
            Method::Treatment | Method::TreatmentWithConfig => CallTarget::Flag,
            Method::Treatments | Method::TreatmentsWithConfig => CallTarget::Flags,
            Method::ByFlagSets | Method::WithConfigByFlagSets => CallTarget::FlagSets,
        }
    }

    fn with_config(self) -> bool {
        matches!(self, Method::TreatmentWithConfig | Method::TreatmentsWithConfig | Method::WithConfigByFlagSets)
    }
}

/// A JS time (ms since the epoch, maybe fractional or garbage) as the core's `u64`.
fn now_ms(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        now.min(9.0e15) as u64
    } else {
        0
    }
}

fn parse_json(text: &str, what: &str) -> Result<Value, JsError> {
    serde_json::from_str(text).map_err(|e| JsError::new(&format!("{what} is not valid JSON: {e}")))
}

fn parse_optional(text: Option<String>, what: &str) -> Result<Option<Value>, JsError> {
    text.map(|t| parse_json(&t, what)).transpose()
}

/// A result as JSON text, for the JS side's `JSON.parse` (one string crosses, not a tree of JS
/// values built through the glue).
fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, JsError> {
    serde_json::to_string(value).map_err(|e| JsError::new(&format!("could not convert a result to JS: {e}")))
}

/// Evaluation options from the JS `options` argument (`{properties}`; `impressionsDisabled`).
fn options_of(options: Option<&Value>) -> EvaluationOptions {
    let Some(Value::Object(map)) = options else { return EvaluationOptions::default() };
    EvaluationOptions {
        impressions_disabled: map.get("impressionsDisabled").and_then(Value::as_bool).unwrap_or(false),
        properties: match map.get("properties") {
            Some(Value::Object(p)) => Some(p.clone()),
            _ => None,
        },
    }
}

/// The split-edge engine: data, evaluation with impressions, events, delivery, synchronization.
#[wasm_bindgen]
pub struct Engine {
    edge: SplitEdge,
    /// Validation messages of the last rejected call, for the wrapper's logger.
    errors: Vec<String>,
    /// Where the JS side writes the fast path's inputs (no allocation per call).
    scratch: Vec<u8>,
    /// The last `treatmentsFast` answer before it is written out: (input index, treatment id).
    answer: Vec<(u32, u32)>,
    /// Treatments answered so far, by id: the fast path returns ids, not strings.
    treatments: Interner,
    /// Why the last fast-path call answered [`FAST_ERROR`].
    fast_error: String,
    /// The browser SDK's cache hash for this SDK key and flag filter.
    storage_hash: String,
}

/// The most treatment strings given ids; past it the fast path returns [`NOT_INTERNED`].
const MAX_INTERNED: usize = 4096;

/// The fast path's answer when the treatment has no id: read it with `lastTreatment`.
pub const NOT_INTERNED: u32 = u32::MAX;

/// The fast path's answer when the inputs were not passed correctly: read `fastError`.
pub const FAST_ERROR: u32 = u32::MAX - 1;

/// The most flag names the `treatmentsFast` path takes (more go through `evaluate`).
pub const MAX_FAST_NAMES: usize = 64;

/// Treatment strings by id (bounded by [`MAX_INTERNED`]).
#[derive(Debug, Default)]
struct Interner {
    names: Vec<String>,
    ids: rustc_hash::FxHashMap<String, u32>,
    /// The last treatment that got no id.
    overflow: String,
    /// The treatments of the last `treatmentsFast` answer that got no id, in answer order.
    overflows: Vec<String>,
}

impl Interner {
    /// [`Interner::id`], keeping a treatment without an id for `overflowTreatment`.
    fn id_or_overflow(&mut self, name: &str) -> u32 {
        let id = self.id(name);
        if id == NOT_INTERNED {
            self.overflows.push(name.to_owned());
        }
        id
    }

    fn id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        match u32::try_from(self.names.len()) {
            Ok(id) if self.names.len() < MAX_INTERNED => {
                self.names.push(name.to_owned());
                self.ids.insert(name.to_owned(), id);
                id
            }
            _ => {
                name.clone_into(&mut self.overflow);
                NOT_INTERNED
            }
        }
    }
}

#[wasm_bindgen]
impl Engine {
    /// An engine with `settings` (the JS SDK-shaped settings object as JSON text).
    #[wasm_bindgen(constructor)]
    pub fn new(settings: &str) -> Result<Engine, JsError> {
        let settings = settings::parse(settings).map_err(|e| JsError::new(&e.to_string()))?;
        let config = settings.into_config(SDK_VERSION).map_err(|e| JsError::new(&e.to_string()))?;
        let storage_hash =
            split_edge::sync::memberships::storage_hash(&config.identity.sdk_key, &config.filter.query_string());
        let edge = SplitEdge::new(config).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Engine {
            edge,
            errors: Vec::new(),
            scratch: Vec::new(),
            answer: Vec::new(),
            treatments: Interner::default(),
            fast_error: String::new(),
            storage_hash,
        })
    }

    // ----- data -------------------------------------------------------------------------------

    /// Applies a SplitChange body (either shape); returns what it changed (JSON text). On error
    /// nothing is applied.
    #[wasm_bindgen(js_name = applySplitChanges)]
    pub fn apply_split_changes(&mut self, json: &str) -> Result<String, JsError> {
        let summary = self.edge.snapshot_mut().apply_split_changes_json(json).map_err(load_error)?;
        to_json(&summary)
    }

    /// Applies SegmentChange bodies (to large segments' key lists when `large`), all or nothing:
    /// every body is parsed first, and when one is malformed none is applied and the error names
    /// it (`SegmentChange body #i: …` when there are several).
    #[wasm_bindgen(js_name = applySegmentChanges)]
    pub fn apply_segment_changes(&mut self, bodies: Vec<String>, large: bool) -> Result<(), JsError> {
        let several = bodies.len() > 1;
        let changes = bodies
            .iter()
            .enumerate()
            .map(|(i, json)| {
                split_edge::model::SegmentChange::from_json(json).map_err(|e| match several {
                    true => JsError::new(&format!("SegmentChange body #{i}: {e}")),
                    false => load_error(e),
                })
            })
            .collect::<Result<Vec<_>, JsError>>()?;
        let snapshot = self.edge.snapshot_mut();
        for change in changes {
            if large {
                snapshot.apply_large_segment_change(change);
            } else {
                snapshot.apply_segment_change(change);
            }
        }
        Ok(())
    }

    /// Localhost mode: replaces the flags with those of a YAML mock file (`document` is the
    /// YAML parsed to JSON text); returns the names of the entries or lines that were ignored.
    #[wasm_bindgen(js_name = loadLocalhostYaml)]
    pub fn load_localhost_yaml(&mut self, document: &str, now: f64) -> Result<Vec<String>, JsError> {
        #[cfg(not(feature = "localhost"))]
        return Err(not_in_this_build("localhost mode's YAML files", document, now));
        #[cfg(feature = "localhost")]
        {
            let document = parse_json(document, "the YAML document")?;
            let flags = split_edge::localhost::parse_yaml(&document).map_err(|e| JsError::new(&e.to_string()))?;
            self.load_localhost(&flags, now)
        }
    }

    /// Localhost mode: replaces the flags with those of a legacy `.split` file (`flag treatment`
    /// lines); returns the lines that were ignored.
    #[wasm_bindgen(js_name = loadLocalhostSplitFile)]
    pub fn load_localhost_split_file(&mut self, text: &str, now: f64) -> Result<Vec<String>, JsError> {
        #[cfg(not(feature = "localhost"))]
        return Err(not_in_this_build("localhost mode's .split files", text, now));
        #[cfg(feature = "localhost")]
        {
            let flags = split_edge::localhost::parse_split_file(text);
            self.load_localhost(&flags, now)
        }
    }

    /// Whether flag data was loaded (else answers are `control` with label `not ready`).
    #[wasm_bindgen(js_name = isReady)]
    pub fn is_ready(&self) -> bool {
        self.edge.client().is_ready()
    }

    // ----- evaluation -------------------------------------------------------------------------

    /// The wasm memory (the JS side writes fast-path inputs into it).
    pub fn memory() -> JsValue {
        wasm_bindgen::memory()
    }

    /// A buffer of at least `len` bytes in wasm memory for the fast path's inputs; its address.
    /// Valid until the next call that may allocate.
    pub fn scratch(&mut self, len: usize) -> usize {
        if self.scratch.len() < len {
            self.scratch.resize(len, 0);
        }
        self.scratch.as_ptr() as usize
    }

    /// `getTreatment` for a key of strings and a flag name (the fast path): the scratch buffer
    /// holds the key's UTF-8 (`key_len` bytes; a key object's `matchingKey`), its bucketing
    /// key's (`bucketing_len` bytes; none when it is `u32::MAX`), then the flag name's, then the
    /// attributes (`attributes_len` bytes; none when it is `u32::MAX`): their compact encoding
    /// ([`attributes`]) when `encoded`, else their JSON text. Returns the treatment's id (see
    /// `treatmentName`), [`NOT_INTERNED`] (read `lastTreatment`) or [`FAST_ERROR`].
    #[wasm_bindgen(js_name = treatmentFast)]
    pub fn treatment_fast(
        &mut self,
        now: f64,
        key_len: usize,
        bucketing_len: u32,
        flag_len: usize,
        attributes_len: u32,
        encoded: bool,
    ) -> u32 {
        self.errors.clear();
        let scratch = std::mem::take(&mut self.scratch);
        let result = self.treatment_from(&scratch, now, [key_len, flag_len], bucketing_len, attributes_len, encoded);
        self.scratch = scratch;
        self.fast_answer(result)
    }

    /// `getTreatments` for a key of strings and string flag names (the fast path): the scratch
    /// buffer holds the key as for `treatmentFast`, then `names` flag names, each a `u32` length
    /// and its UTF-8, then the attributes as for `treatmentFast`. The answer overwrites the
    /// scratch buffer: a `u32` count, then per answered flag the index of the first input name
    /// it was given as and the treatment's id (see `treatmentName`; [`NOT_INTERNED`]: read
    /// `overflowTreatment(i)`). Returns the count, or [`FAST_ERROR`].
    #[wasm_bindgen(js_name = treatmentsFast)]
    pub fn treatments_fast(
        &mut self,
        now: f64,
        key_len: usize,
        bucketing_len: u32,
        names: usize,
        attributes_len: u32,
        encoded: bool,
    ) -> u32 {
        self.errors.clear();
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = self.treatments_from(&mut scratch, now, [key_len, names], bucketing_len, attributes_len, encoded);
        self.scratch = scratch;
        self.fast_answer(result)
    }

    /// The message of the last fast-path call that answered [`FAST_ERROR`].
    #[wasm_bindgen(js_name = fastError)]
    pub fn fast_error(&self) -> String {
        self.fast_error.clone()
    }

    /// The `i`-th treatment of the last `treatmentsFast` answer that got no id.
    #[wasm_bindgen(js_name = overflowTreatment)]
    pub fn overflow_treatment(&self, i: usize) -> Option<String> {
        self.treatments.overflows.get(i).cloned()
    }

    /// The treatment with id `id`.
    #[wasm_bindgen(js_name = treatmentName)]
    pub fn treatment_name(&self, id: u32) -> Option<String> {
        self.treatments.names.get(id as usize).cloned()
    }

    /// The last treatment the fast path answered with [`NOT_INTERNED`].
    #[wasm_bindgen(js_name = lastTreatment)]
    pub fn last_treatment(&self) -> String {
        self.treatments.overflow.clone()
    }

    /// Any client evaluation method (`method`: 0 getTreatment, 1 getTreatmentWithConfig,
    /// 2 getTreatments, 3 getTreatmentsWithConfig, 4 getTreatmentsByFlagSets, 5 the with-config
    /// variant); `args` is `JSON.stringify([key, flagOrList, attributes, options])`. Returns the
    /// answer as JSON text, in the JS SDK's shape.
    pub fn evaluate(&mut self, now: f64, method: u32, args: &str) -> Result<String, JsError> {
        self.errors.clear();
        let method = Method::from_code(method).ok_or_else(|| JsError::new("unknown evaluation method"))?;
        let args = parse_json(args, "arguments")?;
        let arg = |i: usize| args.get(i).filter(|v| !v.is_null());
        let (key, names, attributes) = (arg(0), arg(1), arg(2));
        let options = options_of(arg(3));
        let now = now_ms(now);
        let (out, rejected) = match method {
            Method::Treatment | Method::TreatmentWithConfig => {
                let r = self.edge.get_treatment_json(now, key, names, attributes, &options);
                (output::single(&r, method.with_config()), r.label.is_none())
            }
            Method::Treatments | Method::TreatmentsWithConfig => {
                let rs = self.edge.get_treatments_json(now, key, names, attributes, &options);
                (output::many(&rs, method.with_config()), rs.iter().all(|(_, r)| r.label.is_none()))
            }
            Method::ByFlagSets | Method::WithConfigByFlagSets => {
                let rs = self.edge.get_treatments_by_flag_sets_json(now, key, names, attributes, &options);
                (output::many(&rs, method.with_config()), rs.is_empty())
            }
        };
        if rejected {
            self.note_errors(method.target(), key, names, attributes);
        }
        Ok(out)
    }

    /// An OpenFeature resolution of `flag` (see `split_edge::openfeature`): `kind` is
    /// `boolean`, `string`, `number` or `object`; `context` the evaluation context as JSON text
    /// (`targetingKey`, `bucketingKey`, attributes). Returns OFREP's JSON shape: `{key, value,
    /// variant, reason, metadata}`, or `{key, errorCode, errorDetails}`. The impression is
    /// recorded as `getTreatment` records it.
    #[wasm_bindgen(js_name = resolveOpenFeature)]
    pub fn resolve_open_feature(&mut self, now: f64, kind: &str, flag: &str, context: &str) -> Result<String, JsError> {
        use split_edge::openfeature::{self, Context, ErrorCode, Failure, ValueKind};
        let kind = ValueKind::from_name(kind).ok_or_else(|| JsError::new(&format!("unknown value kind {kind:?}")))?;
        let result = serde_json::from_str::<Value>(context)
            .map_err(|e| Failure::new(ErrorCode::InvalidContext, format!("the context is not JSON: {e}")))
            .and_then(Context::from_json)
            .and_then(|c| c.validate(&self.edge).map(|()| c))
            .and_then(|c| openfeature::resolve(&mut self.edge, now_ms(now), flag, &c, kind));
        Ok(openfeature::to_json(flag, &result).to_string())
    }

    /// Bulk evaluation (see `split_edge::bulk`): `body` is the request as JSON text (`keys`,
    /// `flags` or `flagSets`, `withConfig`, `impressions`), checked against the default limits.
    /// Returns a JSON array of one line per key, `{key, treatments}` or `{key, error}`, in one
    /// crossing for the whole request. Throws an `Error` naming the field, or the limit exceeded.
    #[wasm_bindgen(js_name = evaluateBulk)]
    pub fn evaluate_bulk(&mut self, now: f64, body: &str) -> Result<String, JsError> {
        use split_edge::bulk::{self, BulkLimits};
        let limits = BulkLimits::default();
        let plan = bulk::parse(body, &limits)
            .and_then(|r| r.plan(self.edge.client(), &limits))
            .map_err(|e| JsError::new(&format!("evaluateBulk: {e}")))?;
        let mut out = String::with_capacity(plan.evaluations().saturating_mul(24).saturating_add(2));
        out.push('[');
        plan.evaluate_range(&mut self.edge, now_ms(now), 0..plan.len(), &mut out);
        // NDJSON to a JSON array: newlines only separate lines (JSON escapes them in strings).
        let lines = out.trim_end_matches('\n').replace('\n', ",");
        Ok(lines + "]")
    }

    /// A tag of the loaded data's change numbers (flags, rule-based segments, every segment and
    /// large segment): it changes whenever an update or a synchronization changed the data.
    #[wasm_bindgen(js_name = dataVersion)]
    pub fn data_version(&self) -> String {
        let snapshot = self.edge.snapshot();
        let mut parts: Vec<String> =
            snapshot.segments().map(|(name, s)| format!("{name}={}", s.change_number)).collect();
        for name in snapshot.all_segments_used().large {
            if let Some(s) = snapshot.large_segment(&name) {
                parts.push(format!("L{name}={}", s.change_number));
            }
        }
        split_edge::order::sort(&mut parts);
        #[cfg(feature = "sync")]
        let members = self.edge.client_side().map_or(0, |m| m.generation());
        #[cfg(not(feature = "sync"))]
        let members = 0;
        format!(
            "{}.{}|{}|m{members}|{}",
            snapshot.flags_change_number(),
            snapshot.rule_based_segments_change_number(),
            snapshot.flag_count(),
            parts.join("|")
        )
    }

    /// The validation messages of the last evaluation call, if it was rejected, or `undefined`.
    #[wasm_bindgen(js_name = takeErrors)]
    pub fn take_errors(&mut self) -> Option<Vec<String>> {
        (!self.errors.is_empty()).then(|| std::mem::take(&mut self.errors))
    }

    /// How one flag was decided for a key: the answer, each condition and matcher's result and
    /// the buckets, as JSON text. `key` is JSON text (a string or `{matchingKey, bucketingKey}`).
    pub fn explain(&self, key: &str, flag: &str, attributes: Option<String>) -> Result<String, JsError> {
        let key_value = parse_json(key, "key")?;
        let attributes = parse_optional(attributes, "attributes")?;
        let client = self.edge.client();
        let valid = split_edge::validate::key_json(Some(&key_value)).map_err(|e| JsError::new(&e.to_string()))?;
        let attrs: Option<&Attributes> =
            split_edge::validate::attributes_json(attributes.as_ref()).map_err(|e| JsError::new(&e.to_string()))?;
        let explanation = client.explain(&valid.to_key(), flag, attrs);
        to_json(&output::explanation(&explanation, flag))
    }

    // ----- events -----------------------------------------------------------------------------

    /// `track`: `args` is `JSON.stringify([key, trafficType, eventType, value, properties])`.
    /// Returns `{ok, errors, warnings}` as JSON text (messages as the SDK logs them).
    pub fn track(&mut self, now: f64, args: &str) -> Result<String, JsError> {
        let args = parse_json(args, "arguments")?;
        let arg = |i: usize| args.get(i).filter(|v| !v.is_null());
        let result = self.edge.track_json(now_ms(now), arg(0), arg(1), arg(2), arg(3), arg(4));
        let (ok, errors, warnings) = match result {
            Ok(warnings) => (true, Vec::new(), warnings.iter().map(ToString::to_string).collect()),
            Err(rejected) => (
                false,
                rejected.errors.iter().map(ToString::to_string).collect(),
                rejected.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ),
        };
        to_json(&serde_json::json!({ "ok": ok, "errors": errors, "warnings": warnings }))
    }

    // ----- manager ----------------------------------------------------------------------------

    /// `manager.split(name)`: the flag's view, or `null` (JSON text).
    #[wasm_bindgen(js_name = splitView)]
    pub fn split_view(&self, name: &str) -> Result<String, JsError> {
        to_json(&self.edge.manager().split(name))
    }

    /// `manager.splits()` (JSON text).
    #[wasm_bindgen(js_name = splitViews)]
    pub fn split_views(&self) -> Result<String, JsError> {
        to_json(&self.edge.manager().splits())
    }

    /// `manager.names()`.
    #[wasm_bindgen(js_name = splitNames)]
    pub fn split_names(&self) -> Vec<String> {
        self.edge.manager().names()
    }

    // ----- impressions for a listener ---------------------------------------------------------

    /// Keeps every recorded impression for [`Engine::take_impressions`] (an impression listener).
    #[wasm_bindgen(js_name = captureImpressions)]
    pub fn capture_impressions(&mut self, on: bool) {
        self.edge.set_capture_impressions(on);
    }

    /// The impressions recorded by the last calls, as JS SDK `ImpressionDTO` objects (a JSON array).
    #[wasm_bindgen(js_name = takeImpressions)]
    pub fn take_impressions(&mut self) -> Result<String, JsError> {
        let impressions = self.edge.take_captured_impressions();
        to_json(&impressions.iter().map(output::impression).collect::<Vec<_>>())
    }

    // ----- delivery and synchronization --------------------------------------------------------

    /// Posts due now (`[{id, method, url, headers, body}]`, JSON text).
    pub fn poll(&mut self, now: f64) -> Result<String, JsError> {
        let requests = self.edge.poll(now_ms(now));
        to_json(&requests.iter().map(output::request).collect::<Vec<_>>())
    }

    /// Every queued post now (as `poll`'s).
    pub fn flush(&mut self, now: f64) -> Result<String, JsError> {
        let requests = self.edge.flush(now_ms(now));
        to_json(&requests.iter().map(output::request).collect::<Vec<_>>())
    }

    /// When `poll` has something to do next (ms since the epoch), if ever.
    #[wasm_bindgen(js_name = nextDue)]
    pub fn next_due(&self) -> Option<f64> {
        self.edge.next_due().map(|t| t as f64)
    }

    /// Starts a synchronization run with Split's SDK API: the first requests to send (as `poll`'s). Without the
    /// `sync` feature (the browser build) it throws an Error saying so.
    #[wasm_bindgen(js_name = startSync)]
    pub fn start_sync(&mut self, now: f64) -> Result<String, JsError> {
        #[cfg(not(feature = "sync"))]
        return Err(not_in_this_build("synchronization with Split's SDK API", "", now));
        #[cfg(feature = "sync")]
        {
            let requests = self.edge.start_sync(now_ms(now)).map_err(|e| JsError::new(&e.to_string()))?;
            to_json(&requests.iter().map(output::request).collect::<Vec<_>>())
        }
    }

    /// Binds another key for client-side synchronization (`factory.client(otherKey)`): the
    /// requests that fetch its memberships now (possibly none: bound already, or the running run
    /// fetches it), as JSON text. Throws in server-side mode, and without the `sync` feature.
    #[wasm_bindgen(js_name = addSyncKey)]
    pub fn add_sync_key(&mut self, key: &str, now: f64) -> Result<String, JsError> {
        #[cfg(not(feature = "sync"))]
        return Err(not_in_this_build("synchronization with Split's SDK API", key, now));
        #[cfg(feature = "sync")]
        {
            let requests = self.edge.add_sync_key(key, now_ms(now)).map_err(|e| JsError::new(&e.to_string()))?;
            to_json(&requests.iter().map(output::request).collect::<Vec<_>>())
        }
    }

    /// Unbinds a key of client-side synchronization; false when it was not bound.
    #[wasm_bindgen(js_name = removeSyncKey)]
    pub fn remove_sync_key(&mut self, key: &str) -> bool {
        #[cfg(feature = "sync")]
        return self.edge.remove_sync_key(key);
        #[cfg(not(feature = "sync"))]
        {
            let _ = key;
            false
        }
    }

    /// A bound key's memberships as a `memberships` body (JSON text), or `undefined` when not
    /// known.
    pub fn memberships(&self, key: &str) -> Option<String> {
        #[cfg(feature = "sync")]
        return self.edge.client_side().and_then(|m| m.memberships(key)).map(|m| m.to_json());
        #[cfg(not(feature = "sync"))]
        {
            let _ = key;
            None
        }
    }

    /// Whether a bound key's memberships came from Split at least once.
    #[wasm_bindgen(js_name = membershipsFetched)]
    pub fn memberships_fetched(&self, key: &str) -> bool {
        #[cfg(feature = "sync")]
        return self.edge.client_side().is_some_and(|m| m.is_fetched(key));
        #[cfg(not(feature = "sync"))]
        {
            let _ = key;
            false
        }
    }

    /// Puts in a key's memberships kept from an earlier session (a `memberships` body): they
    /// answer until Split does. Throws on a malformed body (nothing applied) or in server-side
    /// mode.
    #[wasm_bindgen(js_name = restoreMemberships)]
    pub fn restore_memberships(&mut self, key: &str, body: &str) -> Result<(), JsError> {
        #[cfg(not(feature = "sync"))]
        return Err(not_in_this_build("synchronization with Split's SDK API", body, key.len() as f64));
        #[cfg(feature = "sync")]
        {
            let memberships = split_edge::sync::memberships::Memberships::from_json(body)
                .map_err(|e| JsError::new(&e.to_string()))?;
            self.edge.restore_memberships(key, memberships).map_err(|e| JsError::new(&e.to_string()))
        }
    }

    /// The browser SDK's `localStorage` cache hash for this SDK key and flag filter (a cache
    /// stored under another hash is not this configuration's).
    #[wasm_bindgen(js_name = storageHash)]
    pub fn storage_hash(&self) -> String {
        self.storage_hash.clone()
    }

    /// Reports a response to request `id`; returns what it led to as JSON text (`{type: 'delivery' | 'sync' |
    /// 'syncFinished' | 'ignored', ...}`).
    #[wasm_bindgen(js_name = onResponse)]
    pub fn on_response(&mut self, id: f64, status: u16, body: String, now: f64) -> Result<String, JsError> {
        self.on_outcome(id, HttpOutcome::response(status, body), now)
    }

    /// Reports that request `id` got no response (`message` says why).
    #[wasm_bindgen(js_name = onNetworkError)]
    pub fn on_network_error(&mut self, id: f64, message: String, now: f64) -> Result<String, JsError> {
        self.on_outcome(id, HttpOutcome::NetworkError(message), now)
    }

    /// Delivery counters per kind (queued, sent, retried, dropped by reason, last error), as JSON
    /// text.
    pub fn stats(&self) -> Result<String, JsError> {
        to_json(&self.edge.recorder_stats())
    }

    /// Synchronization status (runs, last error, change numbers), as JSON text.
    #[wasm_bindgen(js_name = syncStatus)]
    pub fn sync_status(&self) -> Result<String, JsError> {
        to_json(self.edge.sync_status())
    }
}

impl Engine {
    /// A fast-path result as the `u32` the JS side reads.
    fn fast_answer(&mut self, result: Result<u32, String>) -> u32 {
        result.unwrap_or_else(|e| {
            self.fast_error = e;
            FAST_ERROR
        })
    }

    /// `treatmentFast` once the scratch buffer is taken: `[key_len, flag_len]`.
    fn treatment_from(
        &mut self,
        scratch: &[u8],
        now: f64,
        [key_len, flag_len]: [usize; 2],
        bucketing_len: u32,
        attributes_len: u32,
        encoded: bool,
    ) -> Result<u32, String> {
        let mut inputs = fast::Inputs::new(scratch);
        let matching = inputs.text(key_len, "key")?;
        let bucketing = inputs.optional_text(bucketing_len, "bucketing key")?;
        let flag = inputs.text(flag_len, "feature flag name")?;
        let attributes = inputs.attributes(attributes_len, encoded)?;
        let now = now_ms(now);
        let options = EvaluationOptions::default();
        // Valid inputs go straight to the evaluation; anything else takes the JSON path, which
        // has every rejection and its messages.
        let (id, rejected) = match (validate::key_parts(matching, bucketing), attributes.view()) {
            (Ok(key), Some(view)) => {
                let result = self.edge.get_treatment_for_key(now, &key, flag, view, &options);
                (self.treatments.id(&result.treatment), result.label.is_none())
            }
            _ => {
                let key = fast::key_json(matching, bucketing);
                let flag = Value::String(flag.to_owned());
                let attributes = attributes.json();
                let result = self.edge.get_treatment_json(now, Some(&key), Some(&flag), attributes.as_ref(), &options);
                (self.treatments.id(&result.treatment), result.label.is_none())
            }
        };
        if rejected {
            let key = fast::key_json(matching, bucketing);
            let flag = Value::String(flag.to_owned());
            self.note_errors(CallTarget::Flag, Some(&key), Some(&flag), attributes.json().as_ref());
        }
        Ok(id)
    }

    /// `treatmentsFast` once the scratch buffer is taken: `[key_len, names]`.
    fn treatments_from(
        &mut self,
        scratch: &mut [u8],
        now: f64,
        [key_len, count]: [usize; 2],
        bucketing_len: u32,
        attributes_len: u32,
        encoded: bool,
    ) -> Result<u32, String> {
        if count > MAX_FAST_NAMES {
            return Err(format!("at most {MAX_FAST_NAMES} flag names go through the fast path"));
        }
        self.answer.clear();
        self.treatments.overflows.clear();
        {
            let mut inputs = fast::Inputs::new(scratch);
            let matching = inputs.text(key_len, "key")?;
            let bucketing = inputs.optional_text(bucketing_len, "bucketing key")?;
            let mut names: Vec<&str> = Vec::with_capacity(count);
            for _ in 0..count {
                names.push(inputs.prefixed_text("feature flag names")?);
            }
            let attributes = inputs.attributes(attributes_len, encoded)?;
            let now = now_ms(now);
            let options = EvaluationOptions::default();
            // Answers come in the order of the valid names, each once (also on the JSON path).
            let unique = validate::unique_flag_names(&names);
            match (validate::key_parts(matching, bucketing), attributes.view()) {
                (Ok(key), Some(view)) if !unique.is_empty() => {
                    let valid_names: Vec<&str> = unique.iter().map(|(_, n)| *n).collect();
                    let results = self.edge.get_treatments_valid(now, &key, &valid_names, view, &options);
                    for ((index, _), r) in unique.iter().zip(results.iter()) {
                        self.answer.push((*index as u32, self.treatments.id_or_overflow(&r.treatment)));
                    }
                }
                // Every rejection, with its messages, is the JSON path's.
                _ => {
                    let key = fast::key_json(matching, bucketing);
                    let list = Value::Array(names.iter().map(|n| Value::String((*n).to_owned())).collect());
                    let attributes = attributes.json();
                    let results =
                        self.edge.get_treatments_json(now, Some(&key), Some(&list), attributes.as_ref(), &options);
                    let rejected = results.iter().all(|(_, r)| r.label.is_none());
                    for ((index, _), (_, r)) in unique.iter().zip(results.iter()) {
                        self.answer.push((*index as u32, self.treatments.id_or_overflow(&r.treatment)));
                    }
                    drop(results);
                    if rejected {
                        self.note_errors(CallTarget::Flags, Some(&key), Some(&list), attributes.as_ref());
                    }
                }
            }
        }
        let written = u32::try_from(self.answer.len()).map_err(|_| "too many answers".to_owned())?;
        let needed = self.answer.len().saturating_mul(8).saturating_add(4);
        let out =
            scratch.get_mut(..needed).ok_or_else(|| "the scratch buffer is too small for the answer".to_owned())?;
        let Some((head, slots)) = out.split_first_chunk_mut::<4>() else {
            return Err("the scratch buffer is too small for the answer".to_owned());
        };
        *head = written.to_le_bytes();
        for (slot, (index, id)) in slots.chunks_exact_mut(8).zip(self.answer.iter()) {
            let (a, b) = slot.split_at_mut(4);
            a.copy_from_slice(&index.to_le_bytes());
            b.copy_from_slice(&id.to_le_bytes());
        }
        Ok(written)
    }

    fn on_outcome(&mut self, id: f64, outcome: HttpOutcome, now: f64) -> Result<String, JsError> {
        let id = RequestId(now_ms(id));
        let progress = self.edge.on_outcome(id, outcome, now_ms(now));
        // Written around the serialized parts (not built as a `Value` first: the report and the
        // requests then go through one serializer only, the JSON text one).
        Ok(match progress {
            Progress::Delivery(report) => format!(r#"{{"type":"delivery","report":{}}}"#, to_json(&report)?),
            Progress::Sync(requests) => format!(
                r#"{{"type":"sync","requests":{}}}"#,
                to_json(&requests.iter().map(output::request).collect::<Vec<_>>())?
            ),
            Progress::SyncFinished(Ok(())) => r#"{"type":"syncFinished","ok":true}"#.to_owned(),
            Progress::SyncFinished(Err(e)) => {
                let mut out = r#"{"type":"syncFinished","ok":false,"error":"#.to_owned();
                split_edge::wire::push_json_string(&mut out, &e.to_string());
                out.push_str(if e.is_fatal() { r#","fatal":true"# } else { r#","fatal":false"# });
                let malformed_split_changes = matches!(
                    e,
                    split_edge::sync::SyncError::MalformedBody {
                        resource: split_edge::sync::Resource::SplitChanges,
                        ..
                    }
                );
                out.push_str(if malformed_split_changes {
                    r#","malformedSplitChanges":true}"#
                } else {
                    r#","malformedSplitChanges":false}"#
                });
                out
            }
            Progress::Ignored => r#"{"type":"ignored"}"#.to_owned(),
        })
    }

    #[cfg(feature = "localhost")]
    fn load_localhost(
        &mut self,
        flags: &split_edge::localhost::LocalhostFlags,
        now: f64,
    ) -> Result<Vec<String>, JsError> {
        let change_number = i64::try_from(now_ms(now)).unwrap_or(i64::MAX);
        flags.load_into(self.edge.snapshot_mut(), change_number).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(flags.ignored.iter().map(ToString::to_string).collect())
    }

    fn note_errors(
        &mut self,
        target: CallTarget,
        key: Option<&Value>,
        names: Option<&Value>,
        attributes: Option<&Value>,
    ) {
        let client: Client<'_> = self.edge.client();
        self.errors =
            client.validation_errors_json(target, key, names, attributes).iter().map(ToString::to_string).collect();
    }
}

/// The Error of a method whose part this build leaves out (`what` names it; the other arguments
/// are the method's, unused).
#[cfg(not(all(feature = "sync", feature = "localhost")))]
fn not_in_this_build(what: &str, _input: &str, _now: f64) -> JsError {
    JsError::new(&format!(
        "{what} is not in this build of split-edge (the browser build): pass the rollout data in settings.data \
         (SplitChange and SegmentChange bodies), or use the package's Node, Workers or bundler entry"
    ))
}

fn load_error(e: split_edge::LoadError) -> JsError {
    JsError::new(&e.to_string())
}
