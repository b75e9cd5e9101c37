//! Evaluation of every flag of a generated snapshot for generated keys and attributes. See `split_edge_fuzz_checks::eval`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| split_edge_fuzz_checks::eval::run(data));
