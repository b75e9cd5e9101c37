//! The regex engine: pattern NUL subject. See `split_edge_fuzz_checks::regex`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| split_edge_fuzz_checks::regex::run(data));
