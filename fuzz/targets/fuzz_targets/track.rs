//! `track` validation: `[key, trafficType, eventType, value, properties]`. See `split_edge_fuzz_checks::track`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| split_edge_fuzz_checks::track::run(data));
