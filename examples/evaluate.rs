//! Evaluates every flag of a snapshot for one key and prints treatments, labels and configs.
//!
//! ```text
//! cargo run --release --example evaluate -- SPLITS_JSON SEGMENTS_DIR KEY ['{"attr": "value"}']
//! ```

use std::path::Path;
use std::process::ExitCode;

use split_edge::{Client, ClientConfig, EvaluationOptions, Key};

mod common;

fn run(args: &[String]) -> Result<(), String> {
    let (splits, segments, key, attributes) = match args {
        [s, d, k] => (s, d, k, None),
        [s, d, k, a] => (s, d, k, Some(a)),
        _ => return Err("usage: evaluate SPLITS_JSON SEGMENTS_DIR KEY [ATTRIBUTES_JSON]".to_owned()),
    };
    let snapshot = common::load_snapshot(splits, segments)?;
    let attributes: Option<serde_json::Map<String, serde_json::Value>> = match attributes {
        None => None,
        Some(text) => Some(serde_json::from_str(text).map_err(|e| format!("attributes must be a JSON object: {e}"))?),
    };
    let config = ClientConfig::default();
    let client = Client::new(&snapshot, &config);
    println!(
        "{} flags from {} (change number {}), key {key:?}{}",
        snapshot.flag_count(),
        Path::new(splits).display(),
        snapshot.flags_change_number(),
        attributes
            .as_ref()
            .map(|a| format!(", attributes {}", serde_json::Value::Object(a.clone())))
            .unwrap_or_default()
    );
    println!("{:<22} {:<10} {:<26} config", "flag", "treatment", "label");
    for name in snapshot.flag_names() {
        let r = client.evaluate(&Key::new(key.as_str()), name, attributes.as_ref(), &EvaluationOptions::default());
        println!(
            "{name:<22} {:<10} {:<26} {}",
            r.treatment,
            r.label.as_deref().unwrap_or("-"),
            r.config.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("evaluate: {e}");
            ExitCode::from(2)
        }
    }
}
