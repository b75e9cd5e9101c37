//! What the streaming Durable Object does with each update (sans-I/O): nothing when the stored
//! data already has it, an incremental push of the inline definition when it applies on the
//! stored change number (the same path, checks and stored layout as `POST
//! /admin/split-changes`), else a synchronization run of the core's synchronizer (as pull mode's
//! cron run).

use serde_json::value::RawValue;
use split_edge::sync::streaming::Update;

/// The streaming Durable Object's binding.
pub const DO_BINDING: &str = "SPLIT_STREAMING";
/// How often, in milliseconds, an isolate asks the Durable Object for the data version when
/// streaming (`SPLIT_EDGE_STREAM_CHECK_MS`).
pub const VAR_STREAM_CHECK_MS: &str = "SPLIT_EDGE_STREAM_CHECK_MS";
/// The default version check interval.
pub const DEFAULT_STREAM_CHECK_MS: u64 = 1_000;
/// How often the Durable Object wakes (alarm) to check its connection, and polls while
/// streaming does not serve (JS polls flags every 60 s then).
pub const ALARM_MS: u64 = 30_000;
/// How often the Durable Object synchronizes while streaming does not serve.
pub const POLL_MS: u64 = 60_000;

/// What to do with an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The stored data already has it.
    Skip,
    /// Push this `splitChanges` body (incremental, from the stored change numbers).
    Push(String),
    /// Run a synchronization.
    Pull,
}

/// The stored change numbers an update is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// Flags.
    pub flags: i64,
    /// Rule-based segments.
    pub rule_based_segments: i64,
}

/// The body of an incremental push of one inline definition.
fn inline_body(definition: &str, flags: (i64, i64), rbs: (i64, i64), is_flag: bool) -> Option<String> {
    // Only a JSON object is a definition; anything else is fetched instead.
    let raw: &RawValue = serde_json::from_str(definition).ok()?;
    if !raw.get().trim_start().starts_with('{') {
        return None;
    }
    let (ff, rb) = if is_flag { (raw.get(), "") } else { ("", raw.get()) };
    Some(format!(
        r#"{{"ff":{{"d":[{ff}],"s":{},"t":{}}},"rbs":{{"d":[{rb}],"s":{},"t":{}}}}}"#,
        flags.0, flags.1, rbs.0, rbs.1
    ))
}

/// Decides what to do with `update` given the held change numbers and a segment's
/// (`None`: not held).
pub fn plan(update: &Update, held: Held, segment: impl Fn(&str) -> Option<i64>) -> Plan {
    match update {
        Update::Flags { change_number, previous, definition } => {
            if *change_number <= held.flags {
                return Plan::Skip;
            }
            let flags = (held.flags, *change_number);
            let rbs = (held.rule_based_segments, held.rule_based_segments);
            match definition.as_deref().filter(|_| *previous == Some(held.flags) && held.flags > 0) {
                Some(def) => inline_body(def, flags, rbs, true).map_or(Plan::Pull, Plan::Push),
                None => Plan::Pull,
            }
        }
        Update::RuleBasedSegments { change_number, previous, definition } => {
            if *change_number <= held.rule_based_segments {
                return Plan::Skip;
            }
            let flags = (held.flags, held.flags);
            let rbs = (held.rule_based_segments, *change_number);
            let applies = *previous == Some(held.rule_based_segments) && held.rule_based_segments > 0 && held.flags > 0;
            match definition.as_deref().filter(|_| applies) {
                Some(def) => inline_body(def, flags, rbs, false).map_or(Plan::Pull, Plan::Push),
                None => Plan::Pull,
            }
        }
        Update::Kill { change_number, .. } if *change_number <= held.flags => Plan::Skip,
        Update::Segment { change_number, segment_name }
            if segment(segment_name).is_some_and(|cn| cn >= *change_number) =>
        {
            Plan::Skip
        }
        Update::Kill { .. } | Update::Segment { .. } | Update::LargeSegments { .. } => Plan::Pull,
    }
}

/// Reads `SPLIT_EDGE_STREAM_CHECK_MS` (unset: the default; 100 to 60,000).
pub fn stream_check_ms(value: Option<&str>) -> Result<u64, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(DEFAULT_STREAM_CHECK_MS),
        Some(v) => match v.parse::<u64>() {
            Ok(ms) if (100..=60_000).contains(&ms) => Ok(ms),
            _ => Err(format!(
                "{VAR_STREAM_CHECK_MS} must be a whole number of milliseconds from 100 to 60000, not {v:?}"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::FlagData;

    const HELD: Held = Held { flags: 100, rule_based_segments: 50 };
    const FLAG: &str = r#"{"name":"f","trafficTypeName":"user","status":"ACTIVE","killed":false,"defaultTreatment":"off","changeNumber":120,"seed":1,"conditions":[]}"#;

    fn flags(change_number: i64, previous: Option<i64>, definition: Option<&str>) -> Update {
        Update::Flags { change_number, previous, definition: definition.map(str::to_owned) }
    }

    #[test]
    fn flags_updates_skip_push_inline_or_pull() {
        assert_eq!(plan(&flags(100, None, None), HELD, |_| None), Plan::Skip);
        assert_eq!(plan(&flags(120, None, None), HELD, |_| None), Plan::Pull);
        assert_eq!(plan(&flags(120, Some(90), Some(FLAG)), HELD, |_| None), Plan::Pull, "pcn is not the stored cn");
        assert_eq!(plan(&flags(120, Some(100), Some("[1]")), HELD, |_| None), Plan::Pull, "not a definition");
        let Plan::Push(body) = plan(&flags(120, Some(100), Some(FLAG)), HELD, |_| None) else { panic!("a push") };
        // The body is what the push endpoint applies: on top of the stored data, to 120.
        let mut data = FlagData::default();
        data.apply_split_changes(r#"{"ff":{"d":[],"s":-1,"t":100},"rbs":{"d":[],"s":-1,"t":50}}"#).unwrap();
        let summary = data.apply_split_changes(&body).unwrap();
        assert!(!summary.full);
        assert_eq!((data.flags_change_number, data.rule_based_segments_change_number), (120, 50));
        assert_eq!(summary.changes.flags_upserted, 1);
    }

    #[test]
    fn rule_based_segment_updates() {
        let rbs = r#"{"name":"r","status":"ACTIVE","trafficTypeName":"user","changeNumber":60,"excluded":{"keys":[],"segments":[]},"conditions":[]}"#;
        let update = |cn, pcn, d: Option<&str>| Update::RuleBasedSegments {
            change_number: cn,
            previous: pcn,
            definition: d.map(str::to_owned),
        };
        assert_eq!(plan(&update(50, None, None), HELD, |_| None), Plan::Skip);
        assert_eq!(plan(&update(60, None, None), HELD, |_| None), Plan::Pull);
        let Plan::Push(body) = plan(&update(60, Some(50), Some(rbs)), HELD, |_| None) else { panic!("a push") };
        let mut data = FlagData::default();
        data.apply_split_changes(r#"{"ff":{"d":[],"s":-1,"t":100},"rbs":{"d":[],"s":-1,"t":50}}"#).unwrap();
        data.apply_split_changes(&body).unwrap();
        assert_eq!((data.flags_change_number, data.rule_based_segments_change_number), (100, 60));
    }

    #[test]
    fn kills_segments_and_large_segments() {
        let kill = |cn| Update::Kill { change_number: cn, split_name: "f".into(), default_treatment: "off".into() };
        assert_eq!(plan(&kill(90), HELD, |_| None), Plan::Skip);
        assert_eq!(plan(&kill(130), HELD, |_| None), Plan::Pull);
        let seg = |cn| Update::Segment { change_number: cn, segment_name: "beta".into() };
        assert_eq!(plan(&seg(7), HELD, |n| (n == "beta").then_some(7)), Plan::Skip);
        assert_eq!(plan(&seg(8), HELD, |n| (n == "beta").then_some(7)), Plan::Pull);
        assert_eq!(plan(&seg(8), HELD, |_| None), Plan::Pull);
        let large = Update::LargeSegments { change_number: 1, names: vec!["big".into()] };
        assert_eq!(plan(&large, HELD, |_| None), Plan::Pull);
    }

    #[test]
    fn the_check_interval_is_bounded() {
        assert_eq!(stream_check_ms(None), Ok(DEFAULT_STREAM_CHECK_MS));
        assert_eq!(stream_check_ms(Some("250")), Ok(250));
        assert!(stream_check_ms(Some("5")).unwrap_err().contains(VAR_STREAM_CHECK_MS));
    }
}
