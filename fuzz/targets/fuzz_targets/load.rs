//! SplitChange / SegmentChange bodies, both shapes. See `split_edge_fuzz_checks::load`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| split_edge_fuzz_checks::load::run(data));
