//! The client surface (spec §5): `get_treatment` and friends, with the SDK's input validation,
//! fallback treatments and labels.
//!
//! [`Client`] is a cheap, stateless view over a [`Snapshot`] and a [`ClientConfig`]. Every method
//! validates its input as the JS SDK does; the `evaluate*` methods return full
//! [`TreatmentResult`]s (treatment, config, label, change number, how it was decided), which hosts
//! turn into impressions, while the `get_*` methods return what the JS SDK's methods return.
//! Inputs that a JavaScript caller or an HTTP request hands over untyped (a number as key, `null`,
//! attributes that are not an object) go through the `*_json` methods.

use std::borrow::Cow;

use serde_json::Value;

use crate::eval::{AttributeView, Attributes, Engine};
use crate::fallback::FallbackTreatments;
use crate::key::Key;
use crate::labels;
use crate::snapshot::Snapshot;
use crate::validate::{self, ValidKey, ValidationError};

/// How a client answers beyond the snapshot's data.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// Treatments answered instead of `control`.
    pub fallback: FallbackTreatments,
    /// The configured flag-set filter (`sync.splitFilters` `bySet`): by-set methods ignore other sets.
    pub flag_set_filter: Vec<String>,
}

/// Per-call evaluation options (JS `EvaluationOptions`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvaluationOptions {
    /// Handle this call's impressions as disabled (counts and unique keys only).
    pub impressions_disabled: bool,
    /// Properties attached to this call's impressions.
    pub properties: Option<Attributes>,
}

/// How an answer was reached: which condition decided and the buckets computed on the way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decision {
    /// The index of the condition that decided (matched, or put the key out of the allocation).
    pub condition: Option<usize>,
    /// The traffic-allocation bucket (1..=100), when computed.
    pub traffic_bucket: Option<u8>,
    /// The partition bucket (1..=100), when computed.
    pub partition_bucket: Option<u8>,
}

/// One flag's full answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TreatmentResult<'s> {
    /// The treatment (after fallback).
    pub treatment: Cow<'s, str>,
    /// The treatment's config, if any.
    pub config: Option<Cow<'s, str>>,
    /// The impression label; `None` when the input was rejected by validation (no impression).
    pub label: Option<Cow<'s, str>>,
    /// The flag's change number, when the flag was found.
    pub change_number: Option<i64>,
    /// Whether this evaluation's impression is handled as disabled.
    pub impressions_disabled: bool,
    /// How the answer was reached.
    pub decision: Decision,
}

impl TreatmentResult<'_> {
    /// Whether the SDK queues an impression for this answer: evaluated (not rejected by
    /// validation) and the flag exists.
    pub fn records_impression(&self) -> bool {
        match self.label.as_deref() {
            None => false,
            Some(l) => {
                l != labels::DEFINITION_NOT_FOUND
                    && l.strip_prefix(labels::FALLBACK_PREFIX) != Some(labels::DEFINITION_NOT_FOUND)
            }
        }
    }

    /// The answer as `{treatment, config}`.
    pub fn with_config(&self) -> TreatmentWithConfig {
        TreatmentWithConfig { treatment: self.treatment.to_string(), config: self.config.as_deref().map(str::to_owned) }
    }

    /// An owned copy, independent of the snapshot.
    pub fn into_owned(self) -> TreatmentResult<'static> {
        TreatmentResult {
            treatment: Cow::Owned(self.treatment.into_owned()),
            config: self.config.map(|c| Cow::Owned(c.into_owned())),
            label: self.label.map(|l| Cow::Owned(l.into_owned())),
            change_number: self.change_number,
            impressions_disabled: self.impressions_disabled,
            decision: self.decision,
        }
    }
}

/// `{treatment, config}` as `getTreatmentWithConfig` returns it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreatmentWithConfig {
    /// The treatment.
    pub treatment: String,
    /// Its config.
    pub config: Option<String>,
}

/// What a call evaluates: one flag, a list of flags, or the flags of a list of flag sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallTarget {
    /// `getTreatment(s)WithConfig` of one flag name.
    Flag,
    /// `getTreatments(WithConfig)` of a list of flag names.
    Flags,
    /// `getTreatmentsByFlagSet(s)` of a list of flag sets.
    FlagSets,
}

/// Answers for several flags, in evaluation order.
pub type Evaluations<'s> = Vec<(String, TreatmentResult<'s>)>;

/// One traffic type's answers and the validated key they were evaluated for.
pub(crate) type TrafficTypeEvaluations<'s, 'k> = (String, Evaluations<'s>, Option<ValidKey<'k>>);

/// The client: evaluates flags of a snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Client<'s> {
    snapshot: &'s Snapshot,
    config: &'s ClientConfig,
}

const FLAG_NAME: &str = "feature flag name";
const FLAG_NAMES: &str = "feature flag names";
const FLAG_SETS: &str = "flag sets";

impl<'s> Client<'s> {
    /// A client over a snapshot.
    pub fn new(snapshot: &'s Snapshot, config: &'s ClientConfig) -> Client<'s> {
        Client { snapshot, config }
    }

    /// The snapshot answered from.
    pub fn snapshot(&self) -> &'s Snapshot {
        self.snapshot
    }

    /// Whether flag data has been loaded (else answers are `control` / `not ready`).
    pub fn is_ready(&self) -> bool {
        self.snapshot.flags_change_number() > -1 || self.snapshot.flag_count() > 0
    }

    // ----- full results, typed input -------------------------------------------------------

    /// Evaluates one flag (`getTreatmentWithConfig` with the label and decision).
    pub fn evaluate(
        &self,
        key: &Key,
        flag: &str,
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> TreatmentResult<'s> {
        self.evaluate_validated(key, flag, attributes, options).0
    }

    /// [`Client::evaluate`], also giving the validated key and flag name when both were valid.
    pub(crate) fn evaluate_validated<'k>(
        &self,
        key: &'k Key,
        flag: &'k str,
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> (TreatmentResult<'s>, Option<(ValidKey<'k>, &'k str)>) {
        match validate::key(key) {
            Ok(key) => {
                let (result, name) = self.evaluate_for_key(&key, flag, attributes.map(AttributeView::Map), options);
                (result, name.map(|n| (key, n)))
            }
            Err(_) => (self.rejected(validate::flag_name(flag, FLAG_NAME).ok()), None),
        }
    }

    /// [`Client::evaluate`] of a key validated beforehand ([`validate::key_parts`]), also giving
    /// the validated flag name when it was valid.
    pub(crate) fn evaluate_for_key<'f>(
        &self,
        key: &ValidKey<'_>,
        flag: &'f str,
        attributes: Option<AttributeView<'_>>,
        options: &EvaluationOptions,
    ) -> (TreatmentResult<'s>, Option<&'f str>) {
        match validate::flag_name(flag, FLAG_NAME) {
            Ok(name) => (self.evaluate_valid(key, name, attributes, options), Some(name)),
            Err(_) => (self.rejected(None), None),
        }
    }

    /// Evaluates several flags (`getTreatmentsWithConfig`): invalid names dropped, duplicates
    /// removed; an empty list answers nothing.
    pub fn evaluate_flags<S: AsRef<str>>(
        &self,
        key: &Key,
        flags: &[S],
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> Evaluations<'s> {
        self.evaluate_flags_validated(key, flags, attributes, options).0
    }

    /// [`Client::evaluate_flags`], also giving the validated key when it was valid.
    pub(crate) fn evaluate_flags_validated<'k, S: AsRef<str>>(
        &self,
        key: &'k Key,
        flags: &[S],
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> (Evaluations<'s>, Option<ValidKey<'k>>) {
        match (validate::key(key), validate::flag_names(flags, FLAG_NAMES)) {
            (Ok(key), Ok(names)) => (self.evaluate_names(&key, names, attributes, options), Some(key)),
            (_, names) => (self.rejected_all(names.unwrap_or_default()), None),
        }
    }

    /// Evaluates every flag of the given flag sets (`getTreatmentsWithConfigByFlagSets`), in
    /// request-set order, each set in its insertion order.
    pub fn evaluate_flag_sets<S: AsRef<str>>(
        &self,
        key: &Key,
        sets: &[S],
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> Evaluations<'s> {
        self.evaluate_flag_sets_validated(key, sets, attributes, options).0
    }

    /// [`Client::evaluate_flag_sets`], also giving the validated key when the inputs were valid.
    pub(crate) fn evaluate_flag_sets_validated<'k, S: AsRef<str>>(
        &self,
        key: &'k Key,
        sets: &[S],
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> (Evaluations<'s>, Option<ValidKey<'k>>) {
        let sets = validate::flag_sets(sets, &self.config.flag_set_filter, FLAG_SETS);
        match (validate::key(key), sets) {
            (Ok(key), Ok(sets)) => (self.evaluate_sets(&key, &sets, attributes, options), Some(key)),
            _ => (Vec::new(), None),
        }
    }

    /// Evaluates, for each `(key, traffic type)`, every flag of that traffic type (split-evaluator's
    /// `get-all-treatments`): a traffic type without flags answers nothing.
    pub fn evaluate_by_traffic_types(
        &self,
        keys: &[(Key, String)],
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> Vec<(String, Evaluations<'s>)> {
        self.evaluate_by_traffic_types_validated(keys, attributes, options)
            .into_iter()
            .map(|(traffic_type, results, _)| (traffic_type, results))
            .collect()
    }

    /// [`Client::evaluate_by_traffic_types`], also giving each entry's validated key.
    pub(crate) fn evaluate_by_traffic_types_validated<'k>(
        &self,
        keys: &'k [(Key, String)],
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> Vec<TrafficTypeEvaluations<'s, 'k>> {
        keys.iter()
            .map(|(key, traffic_type)| {
                let names = self.snapshot.flag_names_by_traffic_type(traffic_type);
                let (results, key) = if names.is_empty() {
                    (Vec::new(), None)
                } else {
                    self.evaluate_flags_validated(key, names, attributes, options)
                };
                (traffic_type.clone(), results, key)
            })
            .collect()
    }

    // ----- full results, untyped input -------------------------------------------------------

    /// [`Client::evaluate`] with inputs as a JavaScript caller passes them: a key that may be a
    /// string, a number, `{matchingKey, bucketingKey}` or garbage; a flag name that may not be a
    /// string; attributes that may not be an object.
    pub fn evaluate_json(
        &self,
        key: Option<&Value>,
        flag: Option<&Value>,
        attributes: Option<&Value>,
        options: &EvaluationOptions,
    ) -> TreatmentResult<'s> {
        self.evaluate_json_validated(key, flag, attributes, options).0
    }

    /// [`Client::evaluate_json`], also giving the validated key and flag name when the inputs were
    /// valid.
    pub(crate) fn evaluate_json_validated<'k>(
        &self,
        key: Option<&'k Value>,
        flag: Option<&'k Value>,
        attributes: Option<&Value>,
        options: &EvaluationOptions,
    ) -> (TreatmentResult<'s>, Option<(ValidKey<'k>, &'k str)>) {
        let key = validate::key_json(key);
        let name = validate::flag_name_json(flag, FLAG_NAME);
        let attributes = validate::attributes_json(attributes);
        match (key, name, attributes) {
            (Ok(key), Ok(name), Ok(attributes)) => {
                (self.evaluate_valid(&key, name, attributes.map(AttributeView::Map), options), Some((key, name)))
            }
            (_, name, _) => (self.rejected(name.ok()), None),
        }
    }

    /// [`Client::evaluate_flags`] with untyped inputs.
    pub fn evaluate_flags_json(
        &self,
        key: Option<&Value>,
        flags: Option<&Value>,
        attributes: Option<&Value>,
        options: &EvaluationOptions,
    ) -> Evaluations<'s> {
        self.evaluate_flags_json_validated(key, flags, attributes, options).0
    }

    /// [`Client::evaluate_flags_json`], also giving the validated key when the inputs were valid.
    pub(crate) fn evaluate_flags_json_validated<'k>(
        &self,
        key: Option<&'k Value>,
        flags: Option<&Value>,
        attributes: Option<&Value>,
        options: &EvaluationOptions,
    ) -> (Evaluations<'s>, Option<ValidKey<'k>>) {
        let key = validate::key_json(key);
        let names = validate::flag_names_json(flags, FLAG_NAMES);
        let attributes = validate::attributes_json(attributes);
        match (key, names, attributes) {
            (Ok(key), Ok(names), Ok(attributes)) => (self.evaluate_names(&key, names, attributes, options), Some(key)),
            (_, names, _) => (self.rejected_all(names.unwrap_or_default()), None),
        }
    }

    /// [`Client::evaluate_flag_sets`] with untyped inputs.
    pub fn evaluate_flag_sets_json(
        &self,
        key: Option<&Value>,
        sets: Option<&Value>,
        attributes: Option<&Value>,
        options: &EvaluationOptions,
    ) -> Evaluations<'s> {
        self.evaluate_flag_sets_json_validated(key, sets, attributes, options).0
    }

    /// [`Client::evaluate_flag_sets_json`], also giving the validated key when the inputs were
    /// valid.
    pub(crate) fn evaluate_flag_sets_json_validated<'k>(
        &self,
        key: Option<&'k Value>,
        sets: Option<&Value>,
        attributes: Option<&Value>,
        options: &EvaluationOptions,
    ) -> (Evaluations<'s>, Option<ValidKey<'k>>) {
        let key = validate::key_json(key);
        let sets = self.flag_sets_json(sets);
        let attributes = validate::attributes_json(attributes);
        match (key, sets, attributes) {
            (Ok(key), Ok(sets), Ok(attributes)) => (self.evaluate_sets(&key, &sets, attributes, options), Some(key)),
            _ => (Vec::new(), None),
        }
    }

    fn flag_sets_json(&self, sets: Option<&Value>) -> Result<Vec<String>, ValidationError> {
        match sets {
            Some(Value::Array(items)) => {
                let names: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                validate::flag_sets(&names, &self.config.flag_set_filter, FLAG_SETS)
            }
            _ => Err(ValidationError::EmptyFlagSets(FLAG_SETS.to_owned())),
        }
    }

    /// Why the `*_json` call of `target` with these inputs is rejected (empty when it is not), in
    /// parameter order: what a host logs or answers with a 400 after a `control` answer.
    pub fn validation_errors_json(
        &self,
        target: CallTarget,
        key: Option<&Value>,
        names: Option<&Value>,
        attributes: Option<&Value>,
    ) -> Vec<ValidationError> {
        let names = match target {
            CallTarget::Flag => validate::flag_name_json(names, FLAG_NAME).err(),
            CallTarget::Flags => validate::flag_names_json(names, FLAG_NAMES).err(),
            CallTarget::FlagSets => self.flag_sets_json(names).err(),
        };
        [validate::key_json(key).err(), names, validate::attributes_json(attributes).err()]
            .into_iter()
            .flatten()
            .collect()
    }

    // ----- the JS SDK's shapes ------------------------------------------------------------

    /// `getTreatment`.
    pub fn get_treatment(&self, key: &Key, flag: &str, attributes: Option<&Attributes>) -> String {
        self.evaluate(key, flag, attributes, &EvaluationOptions::default()).treatment.into_owned()
    }

    /// `getTreatmentWithConfig`.
    pub fn get_treatment_with_config(
        &self,
        key: &Key,
        flag: &str,
        attributes: Option<&Attributes>,
    ) -> TreatmentWithConfig {
        self.evaluate(key, flag, attributes, &EvaluationOptions::default()).with_config()
    }

    /// `getTreatments`.
    pub fn get_treatments<S: AsRef<str>>(
        &self,
        key: &Key,
        flags: &[S],
        attributes: Option<&Attributes>,
    ) -> Vec<(String, String)> {
        treatments_only(self.evaluate_flags(key, flags, attributes, &EvaluationOptions::default()))
    }

    /// `getTreatmentsWithConfig`.
    pub fn get_treatments_with_config<S: AsRef<str>>(
        &self,
        key: &Key,
        flags: &[S],
        attributes: Option<&Attributes>,
    ) -> Vec<(String, TreatmentWithConfig)> {
        with_configs(self.evaluate_flags(key, flags, attributes, &EvaluationOptions::default()))
    }

    /// `getTreatmentsByFlagSet`.
    pub fn get_treatments_by_flag_set(
        &self,
        key: &Key,
        set: &str,
        attributes: Option<&Attributes>,
    ) -> Vec<(String, String)> {
        self.get_treatments_by_flag_sets(key, &[set], attributes)
    }

    /// `getTreatmentsByFlagSets`.
    pub fn get_treatments_by_flag_sets<S: AsRef<str>>(
        &self,
        key: &Key,
        sets: &[S],
        attributes: Option<&Attributes>,
    ) -> Vec<(String, String)> {
        treatments_only(self.evaluate_flag_sets(key, sets, attributes, &EvaluationOptions::default()))
    }

    /// `getTreatmentsWithConfigByFlagSet`.
    pub fn get_treatments_with_config_by_flag_set(
        &self,
        key: &Key,
        set: &str,
        attributes: Option<&Attributes>,
    ) -> Vec<(String, TreatmentWithConfig)> {
        self.get_treatments_with_config_by_flag_sets(key, &[set], attributes)
    }

    /// `getTreatmentsWithConfigByFlagSets`.
    pub fn get_treatments_with_config_by_flag_sets<S: AsRef<str>>(
        &self,
        key: &Key,
        sets: &[S],
        attributes: Option<&Attributes>,
    ) -> Vec<(String, TreatmentWithConfig)> {
        with_configs(self.evaluate_flag_sets(key, sets, attributes, &EvaluationOptions::default()))
    }

    // ----- internals ------------------------------------------------------------------------

    /// The answer to a rejected input: the fallback (or `control`), no label, no impression.
    fn rejected(&self, flag: Option<&str>) -> TreatmentResult<'s> {
        let fallback = self.config.fallback.for_flag(flag.unwrap_or_default());
        TreatmentResult {
            treatment: Cow::Owned(fallback.map_or(labels::CONTROL, |f| f.treatment.as_str()).to_owned()),
            config: fallback.and_then(|f| f.config.clone()).map(Cow::Owned),
            label: None,
            change_number: None,
            impressions_disabled: false,
            decision: Decision::default(),
        }
    }

    /// The answers to a call whose key was rejected: each valid flag name gets its fallback.
    fn rejected_all(&self, names: Vec<String>) -> Evaluations<'s> {
        names
            .into_iter()
            .map(|n| {
                let r = self.rejected(Some(&n));
                (n, r)
            })
            .collect()
    }

    fn evaluate_names(
        &self,
        key: &ValidKey<'_>,
        names: Vec<String>,
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> Evaluations<'s> {
        names
            .into_iter()
            .map(|n| {
                let r = self.evaluate_valid(key, &n, attributes.map(AttributeView::Map), options);
                (n, r)
            })
            .collect()
    }

    fn evaluate_sets(
        &self,
        key: &ValidKey<'_>,
        sets: &[String],
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> Evaluations<'s> {
        if !self.is_ready() {
            return Vec::new();
        }
        self.evaluate_names(key, self.names_in_sets(sets), attributes, options)
    }

    /// The flags of validated sets, in request-set order, each set in its insertion order, without
    /// repeats.
    fn names_in_sets(&self, sets: &[String]) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for set in sets {
            for name in self.snapshot.flag_names_in_set(set) {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_owned());
                }
            }
        }
        names
    }

    /// The flag names that [`Client::evaluate_flag_sets`] of `sets` evaluates (for any valid
    /// key): none when the sets are rejected or no data is loaded. For hosts that resolve the
    /// sets once for many keys and then call [`Client::evaluate_valid_names`].
    pub(crate) fn flag_names_of_sets<S: AsRef<str>>(&self, sets: &[S]) -> Vec<String> {
        match validate::flag_sets(sets, &self.config.flag_set_filter, FLAG_SETS) {
            Ok(sets) if self.is_ready() => self.names_in_sets(&sets),
            _ => Vec::new(),
        }
    }

    /// What [`Client::evaluate_flags`] answers once the key and the names are validated
    /// ([`validate::key_json`], [`validate::flag_names`]): one result per name, in order. For
    /// hosts that validate the names once for many keys.
    pub(crate) fn evaluate_valid_names<S: AsRef<str>>(
        &self,
        key: &ValidKey<'_>,
        names: &[S],
        attributes: Option<AttributeView<'_>>,
        options: &EvaluationOptions,
    ) -> Vec<TreatmentResult<'s>> {
        names.iter().map(|n| self.evaluate_valid(key, n.as_ref(), attributes, options)).collect()
    }

    /// Evaluates a validated key and flag name.
    fn evaluate_valid(
        &self,
        key: &ValidKey<'_>,
        name: &str,
        attributes: Option<AttributeView<'_>>,
        options: &EvaluationOptions,
    ) -> TreatmentResult<'s> {
        let result = if !self.is_ready() {
            plain(labels::CONTROL, labels::NOT_READY, None, options.impressions_disabled)
        } else {
            match self.snapshot.flag(name) {
                None => plain(labels::CONTROL, labels::DEFINITION_NOT_FOUND, None, options.impressions_disabled),
                Some(flag) => {
                    let disabled = options.impressions_disabled || flag.impressions_disabled;
                    match Engine::new(self.snapshot).evaluate(flag, key.as_ref(), attributes) {
                        Ok(o) => TreatmentResult {
                            treatment: Cow::Borrowed(o.treatment),
                            config: flag.config_for(o.treatment).map(Cow::Borrowed),
                            label: Some(Cow::Borrowed(o.label)),
                            change_number: flag.change_number,
                            impressions_disabled: disabled,
                            decision: Decision {
                                condition: o.condition,
                                traffic_bucket: o.traffic_bucket,
                                partition_bucket: o.partition_bucket,
                            },
                        },
                        Err(_) => plain(labels::CONTROL, labels::EXCEPTION, flag.change_number, disabled),
                    }
                }
            }
        };
        self.apply_fallback(name, result)
    }

    /// Replaces a `control` answer by the configured fallback, prefixing its label.
    fn apply_fallback(&self, name: &str, mut result: TreatmentResult<'s>) -> TreatmentResult<'s> {
        if result.treatment != labels::CONTROL {
            return result;
        }
        // JS runs every `control` through the fallback calculator, which answers config `null`
        // when no fallback is configured, even if the flag configures one for `control`.
        match self.config.fallback.for_flag(name) {
            Some(f) => {
                result.treatment = Cow::Owned(f.treatment.clone());
                result.config = f.config.clone().map(Cow::Owned);
                result.label = result.label.map(|l| Cow::Owned(FallbackTreatments::label(&l)));
            }
            None => result.config = None,
        }
        result
    }
}

fn plain<'s>(
    treatment: &'s str,
    label: &'s str,
    change_number: Option<i64>,
    impressions_disabled: bool,
) -> TreatmentResult<'s> {
    TreatmentResult {
        treatment: Cow::Borrowed(treatment),
        config: None,
        label: Some(Cow::Borrowed(label)),
        change_number,
        impressions_disabled,
        decision: Decision::default(),
    }
}

fn treatments_only(results: Evaluations<'_>) -> Vec<(String, String)> {
    results.into_iter().map(|(n, r)| (n, r.treatment.into_owned())).collect()
}

fn with_configs(results: Evaluations<'_>) -> Vec<(String, TreatmentWithConfig)> {
    results
        .into_iter()
        .map(|(n, r)| {
            let c = r.with_config();
            (n, c)
        })
        .collect()
}
