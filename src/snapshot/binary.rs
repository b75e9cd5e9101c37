//! [`Snapshot::encode_rules`] and [`Snapshot::decode_rules`]: a snapshot's compiled rules in the
//! binary form (see [`crate::binary`]).

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::Snapshot;
use crate::binary::{frame, unframe, BinaryError, ValueKind};
use crate::compiled::{CompiledFlag, CompiledRuleBasedSegment, RegexSharing};
use crate::sync::FlagFilter;

/// The rules payload as written. Field order is the layout: change it only with
/// [`crate::binary::SCHEMA_VERSION`].
#[derive(Serialize)]
struct RulesOut<'a> {
    /// Flags in insertion order (the JS-order and traffic-type indexes are rebuilt from it).
    flags: Vec<&'a CompiledFlag>,
    /// Flag set → (flag, position) by position; sets sorted.
    flag_sets: Vec<(&'a str, Vec<(&'a str, u64)>)>,
    next_position: u64,
    /// Sorted by name.
    rule_based_segments: Vec<&'a CompiledRuleBasedSegment>,
    flags_change_number: i64,
    rule_based_segments_change_number: i64,
    filter: &'a FlagFilter,
}

/// The rules payload as read: [`RulesOut`]'s layout, owned.
#[derive(Deserialize)]
struct RulesIn {
    flags: Vec<CompiledFlag>,
    flag_sets: Vec<(String, Vec<(String, u64)>)>,
    next_position: u64,
    rule_based_segments: Vec<CompiledRuleBasedSegment>,
    flags_change_number: i64,
    rule_based_segments_change_number: i64,
    filter: FlagFilter,
}

impl Snapshot {
    /// The binary form of this snapshot's rules: flags, rule-based segments, flag sets, change
    /// numbers and filter; not segments nor large segments (see [`crate::binary::encode_segment`]).
    /// Equal rules give equal bytes.
    ///
    /// # Errors
    /// [`BinaryError::Encode`]; not expected for rules this crate compiled.
    pub fn encode_rules(&self) -> Result<Vec<u8>, BinaryError> {
        let mut flag_sets: Vec<(&str, Vec<(&str, u64)>)> = self
            .flag_sets
            .iter()
            .map(|(set, members)| {
                let mut members: Vec<(&str, u64)> = members.iter().map(|(n, p)| (n.as_str(), *p)).collect();
                members.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
                (set.as_str(), members)
            })
            .collect();
        flag_sets.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut rule_based_segments: Vec<&CompiledRuleBasedSegment> =
            self.rule_based_segments.values().map(Arc::as_ref).collect();
        rule_based_segments.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let out = RulesOut {
            flags: self.insertion_order.iter().filter_map(|n| self.flag(n)).collect(),
            flag_sets,
            next_position: self.next_position,
            rule_based_segments,
            flags_change_number: self.flags_change_number,
            rule_based_segments_change_number: self.rule_based_segments_change_number,
            filter: &self.filter,
        };
        let payload = postcard::to_allocvec(&out).map_err(|e| BinaryError::Encode(e.to_string()))?;
        frame(ValueKind::Rules, &payload)
    }

    /// A snapshot holding the rules of [`Snapshot::encode_rules`] bytes, and no segments: put
    /// them in with [`Snapshot::insert_segment`] (those [`Snapshot::segments_used_by`] names are
    /// enough for the flags evaluated). Nothing is parsed from JSON and no rule is compiled
    /// again, except `MATCHES_STRING` regexes (compiled from their source, once per distinct
    /// source) and semvers (parsed from their version string).
    ///
    /// # Errors
    /// [`BinaryError`] saying why the bytes do not decode.
    pub fn decode_rules(bytes: &[u8]) -> Result<Snapshot, BinaryError> {
        let payload = unframe(ValueKind::Rules, bytes)?;
        let malformed = |message: String| BinaryError::Malformed { kind: ValueKind::Rules, message };
        let rules: RulesIn = {
            let _sharing = RegexSharing::start();
            let (rules, rest) = postcard::take_from_bytes(payload).map_err(|e| malformed(e.to_string()))?;
            if !rest.is_empty() {
                return Err(malformed(format!("{} bytes are left over after the rules", rest.len())));
            }
            rules
        };
        let mut snapshot = Snapshot::default();
        snapshot.flags.reserve(rules.flags.len());
        snapshot.insertion_order.reserve(rules.flags.len());
        for flag in rules.flags {
            let name = flag.name.clone();
            if snapshot.flags.insert(name.clone(), Arc::new(flag)).is_some() {
                return Err(malformed(format!("flag {name:?} appears twice")));
            }
            snapshot.insertion_order.push(name);
        }
        let mut flag_sets: FxHashMap<String, FxHashMap<String, u64>> = FxHashMap::default();
        flag_sets.reserve(rules.flag_sets.len());
        for (set, members) in rules.flag_sets {
            if let Some((name, _)) = members.iter().find(|(n, _)| !snapshot.flags.contains_key(n)) {
                return Err(malformed(format!("flag set {set:?} names flag {name:?}, which is not in the rules")));
            }
            flag_sets.insert(set, members.into_iter().collect());
        }
        snapshot.flag_sets = flag_sets;
        snapshot.next_position = rules.next_position;
        snapshot.rule_based_segments.reserve(rules.rule_based_segments.len());
        for rbs in rules.rule_based_segments {
            let name = rbs.name.clone();
            if snapshot.rule_based_segments.insert(name.clone(), Arc::new(rbs)).is_some() {
                return Err(malformed(format!("rule-based segment {name:?} appears twice")));
            }
        }
        snapshot.flags_change_number = rules.flags_change_number;
        snapshot.rule_based_segments_change_number = rules.rule_based_segments_change_number;
        snapshot.filter = rules.filter;
        snapshot.reindex();
        Ok(snapshot)
    }
}
