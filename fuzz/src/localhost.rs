//! Localhost mode's parsers: the first byte chooses the format, the rest is a legacy `.split`
//! file (even first byte) or a YAML mock file's document as JSON (odd; js-yaml hands the core
//! the parsed document).
//!
//! Checks: no panic; what parses converts to a `splitChanges` body that loads (the conversion
//! documents its error as "not expected"); loading it replaces the snapshot's flags with exactly
//! the file's flags, and every one of them evaluates without a `definition not found`.

use serde_json::Value;
use split_edge::localhost::{self, LocalhostFlags};
use split_edge::{labels, Client, ClientConfig, Key};

use crate::snapshots;

/// Parses the file in `data` and loads it.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let flags = if mode % 2 == 0 {
        localhost::parse_split_file(&String::from_utf8_lossy(rest))
    } else {
        let Ok(document) = serde_json::from_slice::<Value>(rest) else { return };
        match localhost::parse_yaml(&document) {
            Ok(flags) => flags,
            Err(error) => {
                assert!(!error.to_string().is_empty(), "an error without a message");
                return;
            }
        }
    };
    check(&flags);
}

fn check(flags: &LocalhostFlags) {
    assert_eq!(flags.names().count(), flags.len());
    assert_eq!(flags.definitions().count(), flags.len());
    let body = flags.to_split_changes_json(7);
    serde_json::from_str::<Value>(&body).expect("the converted body is JSON");
    flags.to_split_change(7).expect("the converted body parses");
    let mut snapshot = snapshots::demo().clone();
    flags.load_into(&mut snapshot, 7).expect("the converted body loads");
    let mut names: Vec<&str> = flags.names().collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(snapshot.flag_count(), names.len(), "loading replaces the flags with the file's");
    let config = ClientConfig::default();
    let client = Client::new(&snapshot, &config);
    for name in names {
        let Ok(valid) = split_edge::validate::flag_name(name, "name") else { continue };
        for key in ["u0", "alice", "1"] {
            let result = client.evaluate(&Key::new(key), valid, None, &Default::default());
            if valid == name {
                assert_ne!(
                    result.label.as_deref(),
                    Some(labels::DEFINITION_NOT_FOUND),
                    "{name}: loaded, yet not found"
                );
            }
        }
    }
}
