//! Conformance runner: evaluates a corpus of requests the way a JS SDK caller would.
//!
//! ```text
//! cargo run --release --example conformance -- SPLITS_JSON SEGMENTS_DIR REQUESTS_JSONL
//! ```
//!
//! Prints one JSON line per request: `{"id","treatment","config","label"}` (`label` is `null`
//! when input validation rejected the request). Inputs are passed exactly as the requests file
//! gives them, so non-string keys and non-object attributes meet the same validation as any
//! caller's. See `../shared/conformance/README.md` for the formats.

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use serde_json::{Map, Value};
use split_edge::{conformance, Client, ClientConfig};

mod common;

fn run(args: &[String]) -> Result<(), String> {
    let [splits, segments, requests] = args else {
        return Err("usage: conformance SPLITS_JSON SEGMENTS_DIR REQUESTS_JSONL".to_owned());
    };
    let snapshot = common::load_snapshot(splits, segments)?;
    let config = ClientConfig::default();
    let client = Client::new(&snapshot, &config);
    let file = std::fs::File::open(requests).map_err(|e| format!("{requests}: {e}"))?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{requests}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let request: Map<String, Value> =
            serde_json::from_str(&line).map_err(|e| format!("{requests}:{}: {e}", n + 1))?;
        writeln!(out, "{}", conformance::answer(&client, &request)).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance: {e}");
            ExitCode::from(2)
        }
    }
}
