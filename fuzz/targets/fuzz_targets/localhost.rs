//! Localhost mode's `.split` and YAML parsers. See `split_edge_fuzz_checks::localhost`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| split_edge_fuzz_checks::localhost::run(data));
