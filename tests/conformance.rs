//! Every row of the three conformance corpora (the official JS SDK's answers) must pass natively.

mod common;

use serde_json::{Map, Value};
use split_edge::{conformance, Client, ClientConfig};

fn run_corpus(name: &str) {
    let dir = common::shared(&format!("conformance/{name}"));
    let splits = std::fs::read_to_string(dir.join("splits.json")).expect("splits.json");
    let mut segment_files: Vec<_> =
        std::fs::read_dir(dir.join("segments")).expect("segments dir").map(|e| e.expect("dir entry").path()).collect();
    segment_files.sort();
    let segments: Vec<String> = segment_files.iter().map(|p| std::fs::read_to_string(p).expect("segment")).collect();
    let snapshot = conformance::load(&splits, &segments).expect("corpus loads");
    let config = ClientConfig::default();
    let client = Client::new(&snapshot, &config);

    let requests = std::fs::read_to_string(dir.join("requests.jsonl")).expect("requests");
    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).expect("expected");
    let mut rows = 0;
    let mut failures = Vec::new();
    for (request, expected) in requests.lines().zip(expected.lines()) {
        let request: Map<String, Value> = serde_json::from_str(request).expect("request row");
        let expected: Value = serde_json::from_str(expected).expect("expected row");
        let got = conformance::answer(&client, &request);
        rows += 1;
        if ["treatment", "config", "label"].iter().any(|f| got.get(f) != expected.get(f)) {
            failures.push(format!("request {}\n  expected {expected}\n  got      {got}", Value::Object(request)));
        }
    }
    assert_eq!(rows, requests.lines().count(), "{name}: every request has an expected row");
    assert!(rows > 1000, "{name}: corpus read ({rows} rows)");
    assert!(
        failures.is_empty(),
        "{name}: {} of {rows} rows differ:\n{}",
        failures.len(),
        failures.iter().take(15).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn clean_corpus() {
    run_corpus("clean");
}

#[test]
fn mixed_corpus() {
    run_corpus("mixed");
}

#[test]
fn edge_corpus() {
    run_corpus("edge");
}
