//! The Worker's request parameters and client/manager endpoints. See `split_edge_fuzz_checks::params`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| split_edge_fuzz_checks::params::run(data));
