//! Manager views of loaded flags (spec §5.4, JS `objectToView`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::compiled::CompiledFlag;
use crate::snapshot::Snapshot;

/// A flag as the manager shows it. Serializes with split-evaluator's key order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitView {
    /// The flag's name.
    pub name: String,
    /// Its traffic type.
    pub traffic_type: Option<String>,
    /// Whether it is killed (as defined; absent is `null`).
    pub killed: Option<bool>,
    /// Its change number (`0` when missing).
    pub change_number: i64,
    /// The treatments of the first ROLLOUT condition (else the first condition), in order.
    pub treatments: Vec<String>,
    /// The configurations as defined.
    pub configs: BTreeMap<String, Value>,
    /// The flag sets.
    pub sets: Vec<String>,
    /// The default treatment as defined.
    pub default_treatment: Option<Value>,
    /// `impressionsDisabled === true`.
    pub impressions_disabled: bool,
    /// The prerequisites.
    pub prerequisites: Vec<PrerequisiteView>,
}

/// A prerequisite in a [`SplitView`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrerequisiteView {
    /// The prerequisite flag.
    pub flag_name: Option<String>,
    /// The treatments it must have.
    pub treatments: Option<Value>,
}

impl SplitView {
    /// The view of a compiled flag.
    pub fn of(flag: &CompiledFlag) -> SplitView {
        let def = flag.definition();
        let conditions = def.conditions.as_deref().unwrap_or_default();
        let source =
            conditions.iter().find(|c| c.condition_type.as_deref() == Some("ROLLOUT")).or_else(|| conditions.first());
        let treatments = source
            .and_then(|c| c.partitions.as_ref())
            .map(|ps| ps.iter().map(|p| p.treatment.clone()).collect())
            .unwrap_or_default();
        SplitView {
            name: def.name.clone(),
            traffic_type: def.traffic_type_name.clone(),
            killed: def.killed,
            change_number: def.change_number.unwrap_or(0),
            treatments,
            configs: def.configurations.clone().unwrap_or_default(),
            sets: def.sets.clone().unwrap_or_default(),
            default_treatment: def.default_treatment.clone(),
            impressions_disabled: flag.impressions_disabled,
            prerequisites: def
                .prerequisites
                .iter()
                .flatten()
                .map(|p| PrerequisiteView { flag_name: p.n.clone(), treatments: p.ts.clone() })
                .collect(),
        }
    }
}

/// The manager: read-only views of a snapshot's flags.
#[derive(Debug, Clone, Copy)]
pub struct Manager<'s> {
    snapshot: &'s Snapshot,
}

impl<'s> Manager<'s> {
    /// A manager over a snapshot.
    pub fn new(snapshot: &'s Snapshot) -> Manager<'s> {
        Manager { snapshot }
    }

    /// One flag's view, or `None` when it is not loaded.
    pub fn split(&self, name: &str) -> Option<SplitView> {
        self.snapshot.flag(name).map(SplitView::of)
    }

    /// Every flag's view, in storage order.
    pub fn splits(&self) -> Vec<SplitView> {
        self.snapshot.flags().map(SplitView::of).collect()
    }

    /// Every flag's name, in storage order.
    pub fn names(&self) -> Vec<String> {
        self.snapshot.flag_names().to_vec()
    }
}
