//! The client's JSON entry points: `[key, names, attributes, properties]`. See `split_edge_fuzz_checks::client_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| split_edge_fuzz_checks::client_json::run(data));
