//! The synchronizer's response handling. See `split_edge_fuzz_checks::sync`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| split_edge_fuzz_checks::sync::run(data));
