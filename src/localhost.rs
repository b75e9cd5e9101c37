//! Localhost mode: the mock-file formats of Split's SDKs, turned into feature flags.
//!
//! In localhost mode the Node SDK (`javascript-client`, `splitsParserFromFile`) reads flags from a
//! local file instead of Split's servers. Two formats exist, and both are converted here exactly
//! as the JS SDK converts them, so that evaluating the result gives the JS SDK's treatment, label
//! and config:
//!
//! - **YAML** (`.yaml` / `.yml`): a list of single-key maps,
//!   `- flag_name: {treatment: "on", keys: "key" | ["k1", "k2"], config: "{...}"}`. The YAML text is
//!   parsed by the host (the JS SDK uses js-yaml), so [`parse_yaml`] takes the parsed document as
//!   a [`serde_json::Value`].
//! - **legacy `.split`**: lines `flag_name treatment`, read by [`parse_split_file`].
//!
//! What the JS SDK builds, per flag: `status` `ACTIVE`, `killed` false, `trafficAllocation` 100,
//! `defaultTreatment` `control`, `trafficTypeName` `localhost`, `configurations` (treatment → config
//! string) and conditions; no `seed`, `trafficAllocationSeed`, `changeNumber` or `algo`. An entry
//! with `keys` becomes a `WHITELIST` condition labelled `whitelisted <treatment>`, one without an
//! `ALL_KEYS` `ROLLOUT` condition labelled `default rule`, each with one partition of 100% of its
//! treatment. Entries of the same flag combine: whitelist conditions go first, the last one in the
//! file first (so on overlapping keys the later entry wins), then rollout conditions in file order
//! (the first one decides; later ones are unreachable). A key no condition matches gets
//! `control` with label `default rule`. See [`parse_yaml`] and [`parse_split_file`] for the
//! details.
//!
//! The result, [`LocalhostFlags`], converts to a [`SplitChange`] (or its `splitChanges` JSON) to
//! apply to a [`Snapshot`]; [`LocalhostFlags::load_into`] replaces the snapshot's flags, as the JS
//! SDK clears its flag cache before storing the file's flags.
//!
//! ```
//! use serde_json::json;
//! use split_edge::localhost;
//! use split_edge::{Client, ClientConfig, EvaluationOptions, Key, Snapshot};
//!
//! let document = json!([
//!     {"new_checkout": {"treatment": "on", "keys": ["alice"], "config": "{\"color\":\"blue\"}"}},
//!     {"new_checkout": {"treatment": "off"}},
//! ]);
//! let flags = localhost::parse_yaml(&document)?;
//! let mut snapshot = Snapshot::new();
//! flags.load_into(&mut snapshot, 1)?;
//! let config = ClientConfig::default();
//! let client = Client::new(&snapshot, &config);
//! let alice = client.evaluate(&Key::new("alice"), "new_checkout", None, &EvaluationOptions::default());
//! assert_eq!(alice.treatment, "on");
//! assert_eq!(alice.label.as_deref(), Some("whitelisted on"));
//! assert_eq!(alice.config.as_deref(), Some("{\"color\":\"blue\"}"));
//! assert_eq!(client.get_treatment(&Key::new("bob"), "new_checkout", None), "off");
//! # Ok::<(), localhost::LocalhostError>(())
//! ```

use std::collections::HashMap;
use std::fmt;

use serde_json::{json, Map, Value};

use crate::error::LoadError;
use crate::js::truthy;
use crate::labels;
use crate::model::SplitChange;
use crate::snapshot::{Snapshot, SplitChangeSummary};
use crate::wire::array_index;

/// The traffic type of every localhost flag.
pub const TRAFFIC_TYPE: &str = "localhost";

/// The label of a whitelist condition is this prefix followed by its treatment.
pub const WHITELIST_LABEL_PREFIX: &str = "whitelisted ";

/// Feature flags read from a localhost-mode file, in the order the JS SDK stores them: names that
/// are JS array indices (`"0"`, `"17"`) first, ascending, then the others in order of first
/// appearance (JS object key order).
#[derive(Debug, Clone, PartialEq)]
pub struct LocalhostFlags {
    /// `(name, definition)`: each definition is the JSON object the JS SDK stores.
    flags: Vec<(String, Value)>,
    /// What the JS SDK skips without failing (it only logs it): `.split` lines that do not have
    /// exactly two columns, flag names after the first in a YAML entry.
    pub ignored: Vec<Ignored>,
}

/// Something in a localhost file that the JS SDK skips without failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    /// A `.split` line (not blank, not a comment) without exactly two columns.
    Line {
        /// The line number, from 1.
        line: usize,
        /// How many whitespace-separated columns it has.
        columns: usize,
    },
    /// A YAML entry with more than one key: only the first (in JS object key order) is read.
    ExtraKeys {
        /// The entry's position in the list, from 1.
        entry: usize,
        /// The flag name that was read.
        name: String,
        /// The keys that were not.
        keys: Vec<String>,
    },
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ignored::Line { line, columns } => {
                write!(f, "line {line}: ignored, it has {columns} columns instead of 2 (`flag_name treatment`)")
            }
            Ignored::ExtraKeys { entry, name, keys } => {
                write!(f, "entry {entry} (`{name}`): ignored the other keys of the entry:")?;
                for key in keys {
                    write!(f, " `{key}`")?;
                }
                Ok(())
            }
        }
    }
}

/// Why a localhost YAML document was rejected.
///
/// The errors are the cases where the JS SDK throws (so loads nothing) or logs "Ignoring entry on
/// YAML since the format is incorrect" and then stores a flag whose treatment is not a string;
/// plus `keys` and `config` values the JS SDK would store but could not evaluate or would answer
/// as a non-string config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalhostError {
    /// The document is not a list (an empty YAML file parses to `null`).
    NotAList {
        /// What it is instead (`null`, `a map`, ...).
        found: &'static str,
    },
    /// A list entry is malformed.
    Entry {
        /// The entry's position in the list, from 1.
        entry: usize,
        /// The flag name, when the entry has one.
        name: Option<String>,
        /// What is wrong with it.
        problem: EntryProblem,
    },
    /// The converted flags did not load as a `splitChanges` body (not expected: the definitions
    /// are built to the model).
    Load(LoadError),
}

/// What is wrong with a YAML entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryProblem {
    /// The entry is not a map `flag_name: {...}`.
    NotAMap {
        /// What it is instead.
        found: &'static str,
    },
    /// The entry is an empty map.
    NoFlagName,
    /// The flag name is the empty string.
    EmptyFlagName,
    /// The flag's definition is not a map.
    DefinitionNotAMap {
        /// What it is instead.
        found: &'static str,
    },
    /// The definition has no `treatment`.
    MissingTreatment,
    /// `treatment` is not a string.
    TreatmentNotAString {
        /// What it is instead.
        found: &'static str,
    },
    /// `keys` is neither a string, a list, nor empty (`null`, `false`, `0`, `""`: no keys).
    InvalidKeys {
        /// What it is instead.
        found: &'static str,
    },
    /// `config` is neither a string nor empty (`null`, `false`, `0`, `""`: no config).
    ConfigNotAString {
        /// What it is instead.
        found: &'static str,
    },
}

impl fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryProblem::NotAMap { found } => {
                write!(f, "must be a map `flag_name: {{treatment: ...}}`, found {found}")
            }
            EntryProblem::NoFlagName => write!(f, "has no flag name (an empty map)"),
            EntryProblem::EmptyFlagName => write!(f, "the flag name is empty"),
            EntryProblem::DefinitionNotAMap { found } => {
                write!(f, "the definition must be a map with a `treatment`, found {found}")
            }
            EntryProblem::MissingTreatment => write!(f, "`treatment` is missing"),
            EntryProblem::TreatmentNotAString { found } => write!(f, "`treatment` must be a string, found {found}"),
            EntryProblem::InvalidKeys { found } => {
                write!(f, "`keys` must be a key (a string) or a list of keys, found {found}")
            }
            EntryProblem::ConfigNotAString { found } => {
                write!(f, "`config` must be a string (a JSON document as text), found {found}")
            }
        }
    }
}

impl fmt::Display for LocalhostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalhostError::NotAList { found } => write!(
                f,
                "the localhost YAML document must be a list of `flag_name: {{treatment: ...}}` entries, found {found}"
            ),
            LocalhostError::Entry { entry, name: Some(name), problem } => {
                write!(f, "entry {entry} (`{name}`): {problem}")
            }
            LocalhostError::Entry { entry, name: None, problem } => write!(f, "entry {entry}: {problem}"),
            LocalhostError::Load(e) => write!(f, "the localhost flags did not load: {e}"),
        }
    }
}

impl std::error::Error for LocalhostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LocalhostError::Load(e) => Some(e),
            _ => None,
        }
    }
}

impl From<LoadError> for LocalhostError {
    fn from(e: LoadError) -> Self {
        LocalhostError::Load(e)
    }
}

impl LocalhostFlags {
    /// How many flags there are.
    pub fn len(&self) -> usize {
        self.flags.len()
    }

    /// Whether there are no flags.
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The flag names, in storage order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.flags.iter().map(|(name, _)| name.as_str())
    }

    /// The flag definitions as the JSON objects the JS SDK stores, in storage order.
    pub fn definitions(&self) -> impl Iterator<Item = &Value> + '_ {
        self.flags.iter().map(|(_, definition)| definition)
    }

    /// The definition of one flag.
    pub fn definition(&self, name: &str) -> Option<&Value> {
        self.flags.iter().find(|(n, _)| n == name).map(|(_, definition)| definition)
    }

    /// The flags as a spec 1.3 `splitChanges` body: `{"ff":{"d":[...],"s":-1,"t":change_number}}`.
    ///
    /// `change_number` becomes the flags' change number in the snapshot (the JS SDK uses the
    /// time of loading, `Date.now()`); the flags themselves carry none, as in JS.
    pub fn to_split_changes_json(&self, change_number: i64) -> String {
        let definitions: Vec<&Value> = self.definitions().collect();
        json!({"ff": {"d": definitions, "s": -1, "t": change_number}}).to_string()
    }

    /// The flags as a [`SplitChange`] for [`Snapshot::apply_split_changes`] (parsed from
    /// [`LocalhostFlags::to_split_changes_json`], so both give the same flags).
    ///
    /// Note that applying it upserts: flags loaded before and absent from the file stay. Use
    /// [`LocalhostFlags::load_into`] to replace them, as the JS SDK does.
    ///
    /// # Errors
    /// [`LocalhostError::Load`] if the body does not parse (not expected).
    pub fn to_split_change(&self, change_number: i64) -> Result<SplitChange, LocalhostError> {
        Ok(SplitChange::from_json(&self.to_split_changes_json(change_number))?)
    }

    /// Replaces the snapshot's flags (and rule-based segments) with these, as the JS SDK does on
    /// each load of the file (it clears its flag cache, then stores the file's flags).
    /// Segments and the snapshot's flag filter stay.
    ///
    /// # Errors
    /// [`LocalhostError::Load`] if the body does not parse (not expected); the snapshot is
    /// unchanged then.
    pub fn load_into(&self, snapshot: &mut Snapshot, change_number: i64) -> Result<SplitChangeSummary, LocalhostError> {
        let change = self.to_split_change(change_number)?;
        snapshot.clear_rules();
        Ok(snapshot.apply_split_changes(change))
    }
}

/// Reads a localhost YAML document (already parsed, e.g. by js-yaml) as the JS SDK does.
///
/// The document is a list of single-key maps `flag_name: {treatment, keys?, config?}`:
///
/// - Only the first key of an entry is read, in JS object key order (array-index names such as
///   `"7"` first); the others are reported in [`LocalhostFlags::ignored`].
/// - `treatment` must be a string (YAML 1.2 as js-yaml reads it: unquoted `on` / `off` are strings).
/// - `keys`: a string is a list of that one key; a list is used as is (elements that are not
///   strings, such as an unquoted `123`, never match a key); an empty value (`null` or a `keys:`
///   with nothing, `false`, `0`, `""`) means no keys. An empty list is a whitelist matching nobody.
/// - With keys, the entry is a `WHITELIST` condition labelled `whitelisted <treatment>`; without,
///   an `ALL_KEYS` `ROLLOUT` condition labelled `default rule`. Each has one partition: its
///   treatment at 100%.
/// - `config`, when not empty, becomes `configurations[treatment]`, whatever the entry's keys: it
///   is the config of that treatment for every key of the flag. A later entry's config for the
///   same treatment replaces an earlier one; an entry without config leaves it.
/// - Entries of the same flag combine into one flag: whitelist conditions first, the last entry
///   first; then rollout conditions in file order.
/// - Every treatment of the flag is also added, at size 0, to the partitions of its first rollout
///   condition (or of its first condition when it has none): the manager lists them from there.
///   This changes no evaluation.
/// - `defaultTreatment` is `control`: a key that no condition matches (a flag with only
///   whitelist entries) gets `control`, label `default rule`.
///
/// # Errors
/// [`LocalhostError`] naming the entry (position from 1 and flag name) and the problem when the
/// document is not a list or an entry is malformed (see [`EntryProblem`]).
pub fn parse_yaml(document: &Value) -> Result<LocalhostFlags, LocalhostError> {
    let entries = match document {
        Value::Array(entries) => entries,
        other => return Err(LocalhostError::NotAList { found: kind(other) }),
    };
    let mut order = FlagOrder::default();
    let mut accumulated: Vec<YamlFlag> = Vec::new();
    let mut ignored = Vec::new();
    for (entry, value) in (1usize..).zip(entries) {
        let fail =
            |name: Option<&str>, problem| LocalhostError::Entry { entry, name: name.map(str::to_owned), problem };
        let map = match value {
            Value::Object(map) => map,
            other => return Err(fail(None, EntryProblem::NotAMap { found: kind(other) })),
        };
        let (name, definition) = js_first_entry(map).ok_or_else(|| fail(None, EntryProblem::NoFlagName))?;
        if name.is_empty() {
            return Err(fail(Some(name), EntryProblem::EmptyFlagName));
        }
        let definition = match definition {
            Value::Object(definition) => definition,
            other => return Err(fail(Some(name), EntryProblem::DefinitionNotAMap { found: kind(other) })),
        };
        let treatment = match definition.get("treatment") {
            Some(Value::String(t)) => t.clone(),
            None => return Err(fail(Some(name), EntryProblem::MissingTreatment)),
            Some(other) => return Err(fail(Some(name), EntryProblem::TreatmentNotAString { found: kind(other) })),
        };
        let whitelist = match definition.get("keys") {
            None => None,
            Some(keys) if !truthy(keys) => None,
            Some(Value::String(key)) => Some(vec![Value::String(key.clone())]),
            Some(Value::Array(keys)) => Some(keys.clone()),
            Some(other) => return Err(fail(Some(name), EntryProblem::InvalidKeys { found: kind(other) })),
        };
        let config = match definition.get("config") {
            None => None,
            Some(config) if !truthy(config) => None,
            Some(Value::String(config)) => Some(config.clone()),
            Some(other) => return Err(fail(Some(name), EntryProblem::ConfigNotAString { found: kind(other) })),
        };
        if map.len() > 1 {
            let keys = map.keys().filter(|k| *k != name).cloned().collect();
            ignored.push(Ignored::ExtraKeys { entry, name: name.to_owned(), keys });
        }

        let slot = order.slot(name, accumulated.len());
        if slot == accumulated.len() {
            accumulated.push(YamlFlag::default());
        }
        let Some(flag) = accumulated.get_mut(slot) else { continue };
        if let Some(config) = config {
            flag.configurations.insert(treatment.clone(), Value::String(config));
        }
        let condition = Condition { whitelist, partitions: vec![treatment.clone()] };
        if condition.whitelist.is_some() {
            flag.whitelists.push(condition);
        } else {
            flag.rollouts.push(condition);
        }
        flag.treatments.push(treatment);
    }

    let flags = order
        .into_sorted()
        .into_iter()
        .filter_map(|(name, slot)| {
            let flag = accumulated.get_mut(slot).map(std::mem::take)?;
            let definition = flag.into_definition(&name);
            Some((name, definition))
        })
        .collect();
    Ok(LocalhostFlags { flags, ignored })
}

/// Reads a legacy `.split` localhost file as the JS SDK does.
///
/// The text is split into lines at `\n` (and `\r\n`); each line is trimmed of JS whitespace
/// (Unicode spaces and the byte-order mark included). Blank lines and lines whose first character
/// is `#` are skipped. The others are split at runs of whitespace and must have exactly two
/// columns, `flag_name treatment`; other lines are skipped and reported in
/// [`LocalhostFlags::ignored`] (so a trailing `# comment` makes the line ignored, and `on#x` is a
/// treatment). A repeated flag takes the treatment of its last line.
///
/// Each flag has one `ALL_KEYS` `ROLLOUT` condition, its treatment at 100%, label `default rule`;
/// no configurations; the rest as described in the [module documentation](self). This format
/// cannot fail.
pub fn parse_split_file(text: &str) -> LocalhostFlags {
    let mut order = FlagOrder::default();
    let mut treatments: Vec<String> = Vec::new();
    let mut ignored = Vec::new();
    for (line, raw) in (1usize..).zip(text.split('\n')) {
        let trimmed = raw.trim_matches(is_js_whitespace);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let columns: Vec<&str> = trimmed.split(is_js_whitespace).filter(|c| !c.is_empty()).collect();
        let [name, treatment] = columns.as_slice() else {
            ignored.push(Ignored::Line { line, columns: columns.len() });
            continue;
        };
        let slot = order.slot(name, treatments.len());
        match treatments.get_mut(slot) {
            Some(existing) => *existing = (*treatment).to_owned(),
            None => treatments.push((*treatment).to_owned()),
        }
    }
    let flags = order
        .into_sorted()
        .into_iter()
        .filter_map(|(name, slot)| {
            let treatment = treatments.get(slot)?;
            let condition = Condition { whitelist: None, partitions: vec![treatment.clone()] };
            let definition = definition_json(&name, vec![condition.to_json()], Map::new());
            Some((name, definition))
        })
        .collect();
    LocalhostFlags { flags, ignored }
}

/// The accumulated entries of one YAML flag.
#[derive(Default)]
struct YamlFlag {
    configurations: Map<String, Value>,
    /// Whitelist conditions in file order (stored reversed: JS `unshift`s them).
    whitelists: Vec<Condition>,
    /// Rollout conditions in file order (JS `push`es them).
    rollouts: Vec<Condition>,
    /// Every entry's treatment, in file order.
    treatments: Vec<String>,
}

impl YamlFlag {
    fn into_definition(mut self, name: &str) -> Value {
        self.whitelists.reverse();
        let mut conditions = self.whitelists;
        conditions.append(&mut self.rollouts);
        // JS `arrangeConditions`: every distinct treatment is added at size 0 to the first
        // ROLLOUT condition, or to the first condition when there is none.
        let target = conditions.iter().position(|c| c.whitelist.is_none()).unwrap_or(0);
        if let Some(condition) = conditions.get_mut(target) {
            let mut seen: Vec<&str> = Vec::new();
            for treatment in &self.treatments {
                if seen.contains(&treatment.as_str()) {
                    continue;
                }
                seen.push(treatment);
                if condition.partitions.first() != Some(treatment) {
                    condition.partitions.push(treatment.clone());
                }
            }
        }
        let conditions = conditions.iter().map(Condition::to_json).collect();
        definition_json(name, conditions, self.configurations)
    }
}

/// One condition: a whitelist (or all keys) and its treatments, the first at 100%, the rest at 0.
struct Condition {
    whitelist: Option<Vec<Value>>,
    partitions: Vec<String>,
}

impl Condition {
    fn to_json(&self) -> Value {
        let first = self.partitions.first().map(String::as_str).unwrap_or_default();
        let partitions: Vec<Value> = (0usize..)
            .zip(&self.partitions)
            .map(|(i, treatment)| json!({"treatment": treatment, "size": if i == 0 { 100 } else { 0 }}))
            .collect();
        match &self.whitelist {
            Some(whitelist) => json!({
                "conditionType": "WHITELIST",
                "matcherGroup": {"combiner": "AND", "matchers": [{
                    "keySelector": null, "matcherType": "WHITELIST", "negate": false,
                    "whitelistMatcherData": {"whitelist": whitelist},
                }]},
                "partitions": partitions,
                "label": format!("{WHITELIST_LABEL_PREFIX}{first}"),
            }),
            None => json!({
                "conditionType": "ROLLOUT",
                "matcherGroup": {"combiner": "AND", "matchers": [{
                    "keySelector": null, "matcherType": "ALL_KEYS", "negate": false,
                }]},
                "partitions": partitions,
                "label": labels::DEFAULT_RULE,
            }),
        }
    }
}

/// A flag as the JS SDK's offline updater stores it (same fields, same order).
fn definition_json(name: &str, conditions: Vec<Value>, configurations: Map<String, Value>) -> Value {
    json!({
        "name": name,
        "status": "ACTIVE",
        "killed": false,
        "trafficAllocation": 100,
        "defaultTreatment": labels::CONTROL,
        "conditions": conditions,
        "configurations": configurations,
        "trafficTypeName": TRAFFIC_TYPE,
    })
}

/// Flag names and their slots, in order of first appearance.
#[derive(Default)]
struct FlagOrder {
    slots: HashMap<String, usize>,
    names: Vec<String>,
}

impl FlagOrder {
    /// The slot of `name`: its existing one, or `next` for a new name.
    fn slot(&mut self, name: &str, next: usize) -> usize {
        if let Some(slot) = self.slots.get(name) {
            return *slot;
        }
        self.slots.insert(name.to_owned(), next);
        self.names.push(name.to_owned());
        next
    }

    /// `(name, slot)` in JS object key order: array-index names ascending, then the rest in
    /// order of first appearance.
    fn into_sorted(self) -> Vec<(String, usize)> {
        let FlagOrder { mut slots, names } = self;
        let mut indexed: Vec<(u32, String)> = Vec::new();
        let mut others: Vec<String> = Vec::new();
        for name in names {
            match array_index(&name) {
                Some(i) => indexed.push((i, name)),
                None => others.push(name),
            }
        }
        crate::order::sort_by_key(&mut indexed, |(i, _)| *i);
        indexed
            .into_iter()
            .map(|(_, name)| name)
            .chain(others)
            .filter_map(|name| slots.remove(&name).map(|slot| (name, slot)))
            .collect()
    }
}

/// The first key of a map in JS `Object.keys` order, with its value.
fn js_first_entry(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    let first_index = map.iter().filter_map(|(k, v)| array_index(k).map(|i| (i, k, v))).min_by_key(|(i, _, _)| *i);
    match first_index {
        Some((_, k, v)) => Some((k.as_str(), v)),
        None => map.iter().next().map(|(k, v)| (k.as_str(), v)),
    }
}

/// How a JSON value is named in messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// JS `String.prototype.trim` / regex `\s` whitespace: Unicode `White_Space` without U+0085,
/// plus the byte-order mark U+FEFF.
fn is_js_whitespace(c: char) -> bool {
    c == '\u{feff}' || (c.is_whitespace() && c != '\u{85}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Client, ClientConfig, EvaluationOptions, Key, Manager};

    /// `(treatment, label, config)` of one evaluation.
    fn eval(snapshot: &Snapshot, key: &str, flag: &str) -> (String, Option<String>, Option<String>) {
        let config = ClientConfig::default();
        let client = Client::new(snapshot, &config);
        let r = client.evaluate(&Key::new(key), flag, None, &EvaluationOptions::default());
        assert_eq!(r.change_number, None, "localhost flags have no change number, as in JS");
        (r.treatment.into_owned(), r.label.map(|l| l.into_owned()), r.config.map(|c| c.into_owned()))
    }

    fn answer(treatment: &str, label: &str, config: Option<&str>) -> (String, Option<String>, Option<String>) {
        (treatment.to_owned(), Some(label.to_owned()), config.map(str::to_owned))
    }

    fn load(flags: &LocalhostFlags) -> Snapshot {
        let mut snapshot = Snapshot::new();
        flags.load_into(&mut snapshot, 1_700_000_000_000).unwrap();
        snapshot
    }

    fn yaml(document: Value) -> Snapshot {
        load(&parse_yaml(&document).unwrap())
    }

    fn treatments(snapshot: &Snapshot, flag: &str) -> Vec<String> {
        Manager::new(snapshot).split(flag).unwrap().treatments
    }

    fn error(document: Value) -> String {
        parse_yaml(&document).unwrap_err().to_string()
    }

    /// The fixture `tests/fixtures/localhost/features.yaml` as js-yaml parses it.
    fn features_yaml() -> Value {
        json!([
            {"my_feature": {"treatment": "on", "keys": "key_1", "config": "{\"desc\": \"this applies only to ON treatment\"}"}},
            {"my_feature": {"treatment": "white", "keys": ["key_2", "key_3"], "config": "{\"color\": \"white\"}"}},
            {"my_feature": {"treatment": "off"}},
            {"my_feature": {"treatment": "unreachable"}},
            {"some_other_feature": {"treatment": "off"}},
            {"whitelist_only": {"treatment": "beta", "keys": ["tester_1", "tester_2"]}},
            {"whitelist_only": {"treatment": "gamma", "keys": "tester_2", "config": "{\"gamma\": true}"}},
            {"on_for_everyone": {"treatment": "on", "config": "{\"size\": 10}"}},
            {"on_for_everyone": {"treatment": "on", "keys": "vip"}},
            {"2024": {"treatment": "v2", "keys": null}},
        ])
    }

    #[test]
    fn yaml_fixture() {
        let flags = parse_yaml(&features_yaml()).unwrap();
        assert!(flags.ignored.is_empty());
        assert_eq!(
            flags.names().collect::<Vec<_>>(),
            ["2024", "my_feature", "some_other_feature", "whitelist_only", "on_for_everyone"],
            "JS object key order: array-index names first"
        );
        let s = load(&flags);
        let on_config = "{\"desc\": \"this applies only to ON treatment\"}";
        assert_eq!(eval(&s, "key_1", "my_feature"), answer("on", "whitelisted on", Some(on_config)));
        assert_eq!(
            eval(&s, "key_3", "my_feature"),
            answer("white", "whitelisted white", Some("{\"color\": \"white\"}"))
        );
        assert_eq!(eval(&s, "anyone", "my_feature"), answer("off", "default rule", None));
        assert_eq!(eval(&s, "key_1", "some_other_feature"), answer("off", "default rule", None));
        assert_eq!(eval(&s, "tester_1", "whitelist_only"), answer("beta", "whitelisted beta", None));
        assert_eq!(
            eval(&s, "tester_2", "whitelist_only"),
            answer("gamma", "whitelisted gamma", Some("{\"gamma\": true}")),
            "the later whitelist entry comes first"
        );
        assert_eq!(eval(&s, "anyone", "whitelist_only"), answer("control", "default rule", None));
        assert_eq!(
            eval(&s, "vip", "on_for_everyone"),
            answer("on", "whitelisted on", Some("{\"size\": 10}")),
            "the whitelist comes first; the config is per treatment, so it applies here too"
        );
        assert_eq!(eval(&s, "x", "on_for_everyone"), answer("on", "default rule", Some("{\"size\": 10}")));
        assert_eq!(eval(&s, "x", "2024"), answer("v2", "default rule", None), "`keys: null` is no keys");

        assert_eq!(treatments(&s, "my_feature"), ["off", "on", "white", "unreachable"]);
        assert_eq!(treatments(&s, "whitelist_only"), ["gamma", "beta"]);
        assert_eq!(treatments(&s, "on_for_everyone"), ["on"]);
        let view = Manager::new(&s).split("my_feature").unwrap();
        assert_eq!(view.traffic_type.as_deref(), Some(TRAFFIC_TYPE));
        assert_eq!(view.configs.len(), 2);
    }

    #[test]
    fn yaml_definition_is_what_js_stores() {
        let flags = parse_yaml(&json!([
            {"f": {"treatment": "on", "keys": "k", "config": "{\"a\":1}"}},
            {"f": {"treatment": "off"}},
        ]))
        .unwrap();
        let expected = json!({
            "name": "f", "status": "ACTIVE", "killed": false, "trafficAllocation": 100,
            "defaultTreatment": "control",
            "conditions": [
                {"conditionType": "WHITELIST",
                 "matcherGroup": {"combiner": "AND", "matchers": [{"keySelector": null, "matcherType": "WHITELIST",
                    "negate": false, "whitelistMatcherData": {"whitelist": ["k"]}}]},
                 "partitions": [{"treatment": "on", "size": 100}], "label": "whitelisted on"},
                {"conditionType": "ROLLOUT",
                 "matcherGroup": {"combiner": "AND", "matchers": [{"keySelector": null, "matcherType": "ALL_KEYS",
                    "negate": false}]},
                 "partitions": [{"treatment": "off", "size": 100}, {"treatment": "on", "size": 0}],
                 "label": "default rule"},
            ],
            "configurations": {"on": "{\"a\":1}"},
            "trafficTypeName": "localhost",
        });
        assert_eq!(flags.definition("f"), Some(&expected));
        assert_eq!(flags.to_split_changes_json(7), json!({"ff": {"d": [expected], "s": -1, "t": 7}}).to_string());
        // The JSON body and the typed change load the same flags.
        let mut from_json = Snapshot::new();
        let summary = from_json.apply_split_changes_json(&flags.to_split_changes_json(7)).unwrap();
        assert_eq!((summary.flags_upserted, summary.flags_change_number), (1, 7));
        let mut typed = Snapshot::new();
        typed.apply_split_changes(flags.to_split_change(7).unwrap());
        for key in ["k", "other"] {
            assert_eq!(eval(&from_json, key, "f"), eval(&typed, key, "f"));
        }
        assert_eq!(eval(&typed, "k", "f"), answer("on", "whitelisted on", Some("{\"a\":1}")));
    }

    #[test]
    fn yaml_combining_entries() {
        // Overlapping whitelists: the last entry wins. The first rollout decides.
        let s = yaml(json!([
            {"f": {"treatment": "a", "keys": ["k", "j"]}},
            {"f": {"treatment": "b", "keys": "k"}},
            {"f": {"treatment": "c"}},
            {"f": {"treatment": "d"}},
        ]));
        assert_eq!(eval(&s, "k", "f"), answer("b", "whitelisted b", None));
        assert_eq!(eval(&s, "j", "f"), answer("a", "whitelisted a", None));
        assert_eq!(eval(&s, "z", "f"), answer("c", "default rule", None));
        assert_eq!(treatments(&s, "f"), ["c", "a", "b", "d"]);

        // Configs are per treatment: the last non-empty one wins, empty ones leave it.
        let s = yaml(json!([
            {"f": {"treatment": "on", "keys": "k", "config": "{\"v\":1}"}},
            {"f": {"treatment": "on", "config": ""}},
            {"f": {"treatment": "off", "keys": "o", "config": "{\"v\":2}"}},
            {"f": {"treatment": "off", "keys": "p", "config": "{\"v\":3}"}},
            {"f": {"treatment": "on", "keys": "q", "config": null}},
        ]));
        assert_eq!(eval(&s, "z", "f"), answer("on", "default rule", Some("{\"v\":1}")));
        assert_eq!(eval(&s, "o", "f"), answer("off", "whitelisted off", Some("{\"v\":3}")));

        // Empty `keys` values are no keys; an empty list is a whitelist of nobody; only string
        // elements match.
        let s = yaml(json!([
            {"none": {"treatment": "x", "keys": []}},
            {"falsy": {"treatment": "x", "keys": ""}},
            {"falsy0": {"treatment": "x", "keys": 0}},
            {"falsy_bool": {"treatment": "x", "keys": false}},
            {"numbers": {"treatment": "x", "keys": [123, "abc"]}},
        ]));
        assert_eq!(eval(&s, "k", "none"), answer("control", "default rule", None));
        assert_eq!(treatments(&s, "none"), ["x"]);
        for flag in ["falsy", "falsy0", "falsy_bool"] {
            assert_eq!(eval(&s, "k", flag), answer("x", "default rule", None), "{flag}");
        }
        assert_eq!(eval(&s, "123", "numbers"), answer("control", "default rule", None));
        assert_eq!(eval(&s, "abc", "numbers"), answer("x", "whitelisted x", None));

        // Unusual but valid: an empty treatment, other fields ignored.
        let s = yaml(json!([{"f": {"treatment": "", "keys": "k", "other": 1}}]));
        assert_eq!(eval(&s, "k", "f"), answer("", "whitelisted ", None));
    }

    #[test]
    fn yaml_extra_keys_and_order() {
        let flags = parse_yaml(&json!([
            {"b": {"treatment": "on"}},
            {"x": {"treatment": "1"}, "5": {"treatment": "2"}, "y": {"treatment": "3"}},
            {"10": {"treatment": "on"}},
            {"a": {"treatment": "on"}},
            {"b": {"treatment": "off", "keys": "k"}},
            {"01": {"treatment": "on"}},
        ]))
        .unwrap();
        assert_eq!(flags.names().collect::<Vec<_>>(), ["5", "10", "b", "a", "01"]);
        assert_eq!(flags.len(), 5);
        assert_eq!(
            flags.ignored,
            [Ignored::ExtraKeys { entry: 2, name: "5".into(), keys: vec!["x".into(), "y".into()] }]
        );
        assert_eq!(flags.ignored[0].to_string(), "entry 2 (`5`): ignored the other keys of the entry: `x` `y`");
        let s = load(&flags);
        assert_eq!(eval(&s, "k", "5"), answer("2", "default rule", None));
        assert_eq!(eval(&s, "k", "b"), answer("off", "whitelisted off", None));
        assert_eq!(Manager::new(&s).names(), ["5", "10", "b", "a", "01"]);
    }

    #[test]
    fn yaml_errors() {
        assert_eq!(
            error(Value::Null),
            "the localhost YAML document must be a list of `flag_name: {treatment: ...}` entries, found null"
        );
        assert_eq!(
            parse_yaml(&json!({"f": {"treatment": "on"}})).unwrap_err(),
            LocalhostError::NotAList { found: "a map" }
        );
        let ok = json!({"ok": {"treatment": "on"}});
        assert_eq!(error(json!([ok, "f"])), "entry 2: must be a map `flag_name: {treatment: ...}`, found a string");
        assert_eq!(error(json!([null])), "entry 1: must be a map `flag_name: {treatment: ...}`, found null");
        assert_eq!(error(json!([ok, ok, {}])), "entry 3: has no flag name (an empty map)");
        assert_eq!(error(json!([{"": {"treatment": "on"}}])), "entry 1 (``): the flag name is empty");
        assert_eq!(
            error(json!([{"my_flag": null}])),
            "entry 1 (`my_flag`): the definition must be a map with a `treatment`, found null"
        );
        assert_eq!(
            error(json!([{"my_flag": "on"}])),
            "entry 1 (`my_flag`): the definition must be a map with a `treatment`, found a string"
        );
        assert_eq!(error(json!([ok, ok, {"my_flag": {"keys": "k"}}])), "entry 3 (`my_flag`): `treatment` is missing");
        assert_eq!(
            error(json!([ok, ok, {"my_flag": {"treatment": true}}])),
            "entry 3 (`my_flag`): `treatment` must be a string, found a boolean"
        );
        assert_eq!(
            error(json!([{"f": {"treatment": null}}])),
            "entry 1 (`f`): `treatment` must be a string, found null"
        );
        for keys in [json!(5), json!(true), json!({"a": 1})] {
            let e = parse_yaml(&json!([{"f": {"treatment": "on", "keys": keys}}])).unwrap_err();
            assert!(
                matches!(e, LocalhostError::Entry { entry: 1, problem: EntryProblem::InvalidKeys { .. }, .. }),
                "{e}"
            );
        }
        assert_eq!(
            error(json!([{"f": {"treatment": "on", "keys": 5}}])),
            "entry 1 (`f`): `keys` must be a key (a string) or a list of keys, found a number"
        );
        assert_eq!(
            error(json!([{"f": {"treatment": "on", "config": {"a": 1}}}])),
            "entry 1 (`f`): `config` must be a string (a JSON document as text), found a map"
        );
        let e = parse_yaml(&json!([{"f": {"treatment": "on", "config": 3}}])).unwrap_err();
        assert_eq!(
            e,
            LocalhostError::Entry {
                entry: 1,
                name: Some("f".into()),
                problem: EntryProblem::ConfigNotAString { found: "a number" }
            }
        );
        let dyn_error: &dyn std::error::Error = &e;
        assert!(dyn_error.source().is_none());

        // An empty list is valid: no flags.
        let flags = parse_yaml(&json!([])).unwrap();
        assert!(flags.is_empty());
        assert_eq!(flags.to_split_changes_json(3), r#"{"ff":{"d":[],"s":-1,"t":3}}"#);
    }

    #[test]
    fn load_into_replaces_flags() {
        let mut s = Snapshot::new();
        parse_yaml(&json!([{"a": {"treatment": "on"}}, {"b": {"treatment": "on"}}]))
            .unwrap()
            .load_into(&mut s, 1)
            .unwrap();
        let summary = parse_split_file("b off\nc on\n").load_into(&mut s, 2).unwrap();
        assert_eq!((summary.flags_upserted, summary.flags_change_number), (2, 2));
        assert_eq!(Manager::new(&s).names(), ["b", "c"]);
        assert_eq!(eval(&s, "k", "a"), answer("control", "definition not found", None));
        assert_eq!(eval(&s, "k", "b"), answer("off", "default rule", None));
    }

    #[test]
    fn split_file_fixture() {
        let text = include_str!("../tests/fixtures/localhost/features.split");
        let flags = parse_split_file(text);
        assert_eq!(
            flags.names().collect::<Vec<_>>(),
            ["42", "my_feature", "other_feature", "tabbed_feature", "repeated_feature", "hash_in_treatment"]
        );
        assert_eq!(flags.ignored.len(), 3, "{:?}", flags.ignored);
        let s = load(&flags);
        assert_eq!(eval(&s, "k", "my_feature"), answer("on", "default rule", None));
        assert_eq!(eval(&s, "k", "other_feature"), answer("off", "default rule", None));
        assert_eq!(eval(&s, "k", "tabbed_feature"), answer("v1", "default rule", None));
        assert_eq!(eval(&s, "k", "repeated_feature"), answer("second", "default rule", None));
        assert_eq!(eval(&s, "k", "hash_in_treatment"), answer("on#1", "default rule", None));
        assert_eq!(eval(&s, "k", "42"), answer("numbered", "default rule", None));
        assert_eq!(eval(&s, "k", "too_many_columns"), answer("control", "definition not found", None));
        assert_eq!(treatments(&s, "repeated_feature"), ["second"]);
        assert!(Manager::new(&s).split("my_feature").unwrap().configs.is_empty());
    }

    #[test]
    fn split_file_lines() {
        let text = "\u{feff}# comment\r\n\r\n  a   on  \r\nb\u{a0}off\nc on # trailing comment\n\t#x y\nd\u{85}e on\nf\ng on\ra\n";
        let flags = parse_split_file(text);
        assert_eq!(flags.names().collect::<Vec<_>>(), ["a", "b", "d\u{85}e"]);
        assert_eq!(
            flags.ignored,
            [
                Ignored::Line { line: 5, columns: 5 },
                Ignored::Line { line: 8, columns: 1 },
                Ignored::Line { line: 9, columns: 3 },
            ]
        );
        assert_eq!(
            flags.ignored[1].to_string(),
            "line 8: ignored, it has 1 columns instead of 2 (`flag_name treatment`)"
        );
        let expected = json!({
            "name": "a", "status": "ACTIVE", "killed": false, "trafficAllocation": 100,
            "defaultTreatment": "control",
            "conditions": [{"conditionType": "ROLLOUT",
                "matcherGroup": {"combiner": "AND", "matchers": [{"keySelector": null, "matcherType": "ALL_KEYS",
                    "negate": false}]},
                "partitions": [{"treatment": "on", "size": 100}], "label": "default rule"}],
            "configurations": {},
            "trafficTypeName": "localhost",
        });
        assert_eq!(flags.definition("a"), Some(&expected));
        let s = load(&flags);
        assert_eq!(eval(&s, "k", "b"), answer("off", "default rule", None));
        assert!(parse_split_file("").is_empty());
        assert!(parse_split_file("# only\n\n").ignored.is_empty());
    }
}
