//! Benchmarks of the evaluation path and of snapshot loading.
//!
//! ```text
//! cargo bench --bench evaluate
//! ```
//!
//! - `evaluate/clean_corpus`: every request of `../shared/conformance/clean` through
//!   `Client::evaluate` (validation, evaluation, config); throughput is evaluations per second.
//! - `impressions/optimized`, `impressions/debug`: the same requests through
//!   `SplitEdge::get_treatment`, which also records the impression; each pass ends as a host's
//!   would, flushing the queues and acknowledging the posts (serialization included).
//! - `record/optimized`, `record/debug`: the recording alone: the impressions that one pass over
//!   the clean corpus produces, replayed through a `Recorder` (then flushed and acknowledged), so
//!   its cost per impression can be compared with `evaluate/clean_corpus`. The end-to-end groups
//!   above also include the cache pressure the recorder's data puts on a warm benchmark loop.
//! - `bulk/evaluate_range`, `bulk/get_treatments_loop`: 200 keys × the 182 flags the clean corpus
//!   names, through one bulk request (`split_edge::bulk`, NDJSON output included) and through one
//!   `SplitEdge::get_treatments_json` per key, impressions recorded; throughput is evaluations.
//! - `load/large_snapshot`: parsing and compiling a generated snapshot of 1,000 flags and 50
//!   segments holding 100,000 keys in all. The heap it occupies is printed once, counted by the
//!   allocator below.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Map, Value};
use split_edge::http::HttpOutcome;
use split_edge::impressions::ImpressionsMode;
use split_edge::sdk::{SplitEdge, SplitEdgeConfig};
use split_edge::{bulk, conformance, Client, ClientConfig, EvaluationOptions, Key, Snapshot};

/// Counts live heap bytes, to report the memory a loaded snapshot holds.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn shared(path: &str) -> String {
    let full = format!("{}/../shared/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// A validated request of the clean corpus.
struct Request {
    key: Key,
    flag: String,
    attributes: Option<Map<String, Value>>,
}

fn clean_corpus() -> (Snapshot, Vec<Request>) {
    let dir = format!("{}/../shared/conformance/clean/segments", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("segments").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let segments: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).expect("segment")).collect();
    let snapshot = conformance::load(&shared("conformance/clean/splits.json"), &segments).expect("clean corpus loads");
    let requests = shared("conformance/clean/requests.jsonl")
        .lines()
        .map(|line| {
            let r: Map<String, Value> = serde_json::from_str(line).expect("request");
            let key = r["key"].as_str().expect("clean keys are strings").to_owned();
            let key = match r.get("bucketingKey").and_then(Value::as_str) {
                Some(b) => Key::with_bucketing(key, b),
                None => Key::new(key),
            };
            Request {
                key,
                flag: r["flag"].as_str().expect("flag").to_owned(),
                attributes: r.get("attributes").and_then(Value::as_object).cloned(),
            }
        })
        .collect();
    (snapshot, requests)
}

fn bench_evaluate(c: &mut Criterion) {
    let (snapshot, requests) = clean_corpus();
    let config = ClientConfig::default();
    let client = Client::new(&snapshot, &config);
    let options = EvaluationOptions::default();
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("clean_corpus", |b| {
        b.iter(|| {
            for r in &requests {
                black_box(client.evaluate(&r.key, &r.flag, r.attributes.as_ref(), &options));
            }
        })
    });
    group.finish();
}

fn bench_impressions(c: &mut Criterion) {
    let (snapshot, requests) = clean_corpus();
    let options = EvaluationOptions::default();
    let mut group = c.benchmark_group("impressions");
    group.throughput(Throughput::Elements(requests.len() as u64));
    for (name, mode) in [("optimized", ImpressionsMode::Optimized), ("debug", ImpressionsMode::Debug)] {
        let mut config = SplitEdgeConfig::new("bench-key");
        config.recorder.impressions_mode = mode;
        let mut edge = SplitEdge::with_snapshot(config, snapshot.clone()).expect("valid config");
        let mut now = 1_700_000_000_000_u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                for r in &requests {
                    black_box(edge.get_treatment(now, &r.key, &r.flag, r.attributes.as_ref(), &options));
                }
                now += 1_000;
                for post in edge.flush(now) {
                    black_box(edge.on_outcome(post.id, HttpOutcome::response(200, ""), now));
                }
            })
        });
    }
    group.finish();
}

fn bench_record(c: &mut Criterion) {
    use split_edge::impressions::{Impression, ImpressionRef};
    use split_edge::recorder::{Recorder, RecorderConfig};
    let (snapshot, requests) = clean_corpus();
    let config = ClientConfig::default();
    let client = Client::new(&snapshot, &config);
    let impressions: Vec<Impression> = requests
        .iter()
        .filter_map(|r| {
            let result = client.evaluate(&r.key, &r.flag, r.attributes.as_ref(), &EvaluationOptions::default());
            result.records_impression().then(|| Impression {
                feature: r.flag.clone(),
                key_name: r.key.matching_key.clone(),
                treatment: result.treatment.to_string(),
                bucketing_key: r.key.bucketing_key.clone(),
                label: result.label.as_deref().unwrap_or_default().to_owned(),
                change_number: result.change_number,
                ..Impression::default()
            })
        })
        .collect();
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(impressions.len() as u64));
    for (name, mode) in [("optimized", ImpressionsMode::Optimized), ("debug", ImpressionsMode::Debug)] {
        let config = RecorderConfig { impressions_mode: mode, ..RecorderConfig::default() };
        let mut recorder = Recorder::new(config, Default::default(), split_edge::http::Identity::new("bench-key"))
            .expect("valid config");
        let mut now = 1_700_000_000_000_u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                for imp in &impressions {
                    let imp = ImpressionRef { time: now, ..imp.as_ref() };
                    recorder.record_call([(imp, false)], now);
                }
                now += 1_000;
                for post in recorder.flush(now) {
                    black_box(recorder.on_outcome(post.id, HttpOutcome::response(200, ""), now));
                }
            })
        });
    }
    group.finish();
}

/// A generated snapshot: 1,000 flags over 50 segments of 2,000 keys each.
fn large_snapshot() -> (String, Vec<String>) {
    let flags: Vec<Value> = (0..1000)
        .map(|i| {
            json!({
                "name": format!("flag_{i:04}"), "trafficTypeName": if i % 4 == 0 { "account" } else { "user" },
                "seed": (i as i64 * 7919) % 2_147_483_647 - 1_000_000_000, "trafficAllocation": 100 - (i % 3) * 10,
                "trafficAllocationSeed": i * 31, "status": "ACTIVE", "killed": i % 97 == 0,
                "defaultTreatment": "off", "changeNumber": 1_700_000_000_000_i64 + i as i64, "algo": 2,
                "sets": [format!("set_{}", i % 20)],
                "configurations": {"on": "{\"color\":\"blue\"}", "off": "{}"},
                "conditions": [
                    {"conditionType": "WHITELIST", "label": "whitelisted",
                     "matcherGroup": {"combiner": "AND", "matchers": [
                        {"keySelector": null, "matcherType": "WHITELIST", "negate": false,
                         "whitelistMatcherData": {"whitelist": [format!("vip_{i}"), "admin", "qa_1", "qa_2"]}}]},
                     "partitions": [{"treatment": "on", "size": 100}]},
                    {"conditionType": "ROLLOUT", "label": "in segment",
                     "matcherGroup": {"combiner": "AND", "matchers": [
                        {"keySelector": {"trafficType": "user", "attribute": null}, "matcherType": "IN_SEGMENT", "negate": false,
                         "userDefinedSegmentMatcherData": {"segmentName": format!("segment_{:02}", i % 50)}},
                        {"keySelector": {"trafficType": "user", "attribute": "plan"}, "matcherType": "MATCHES_STRING", "negate": false,
                         "stringMatcherData": "^(pro|enterprise)$"}]},
                     "partitions": [{"treatment": "on", "size": 80}, {"treatment": "off", "size": 20}]},
                    {"conditionType": "ROLLOUT", "label": "version",
                     "matcherGroup": {"combiner": "AND", "matchers": [
                        {"keySelector": {"trafficType": "user", "attribute": "app_version"}, "matcherType": "GREATER_THAN_OR_EQUAL_TO_SEMVER",
                         "negate": false, "stringMatcherData": "2.1.0"}]},
                     "partitions": [{"treatment": "on", "size": 50}, {"treatment": "off", "size": 50}]},
                    {"conditionType": "ROLLOUT", "label": "default rule",
                     "matcherGroup": {"combiner": "AND", "matchers": [
                        {"keySelector": {"trafficType": "user", "attribute": null}, "matcherType": "ALL_KEYS", "negate": false}]},
                     "partitions": [{"treatment": "on", "size": 10}, {"treatment": "off", "size": 90}]}
                ]
            })
        })
        .collect();
    let splits = json!({"ff": {"d": flags, "s": -1, "t": 1_700_000_001_000_i64}, "rbs": {"d": [], "s": -1, "t": -1}})
        .to_string();
    let segments = (0..50)
        .map(|s| {
            let keys: Vec<String> = (0..2000).map(|k| format!("user_{s:02}_{k:05}")).collect();
            json!({"name": format!("segment_{s:02}"), "added": keys, "removed": [], "since": -1, "till": 1_700_000_000_000_i64 + s}).to_string()
        })
        .collect();
    (splits, segments)
}

fn bench_load(c: &mut Criterion) {
    let (splits, segments) = large_snapshot();
    let before = LIVE.load(Ordering::Relaxed);
    let snapshot = conformance::load(&splits, &segments).expect("large snapshot loads");
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    let keys: usize = (0..50).filter_map(|s| snapshot.segment(&format!("segment_{s:02}"))).map(|s| s.keys.len()).sum();
    println!(
        "large snapshot: {} flags, {keys} segment keys; JSON {:.1} MB; heap held by the loaded snapshot {:.1} MB",
        snapshot.flag_count(),
        (splits.len() + segments.iter().map(String::len).sum::<usize>()) as f64 / 1e6,
        held as f64 / 1e6
    );
    drop(snapshot);
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("large_snapshot", |b| {
        b.iter(|| black_box(conformance::load(&splits, &segments).expect("loads")))
    });
    group.finish();
}

/// `bulk/evaluate_range` against `bulk/get_treatments_loop`: 200 keys of the clean corpus (with their
/// attributes) × every flag its requests name (182), with impressions (OPTIMIZED), through one bulk
/// request (NDJSON output included) and through one `get_treatments_json` call per key.
fn bench_bulk(c: &mut Criterion) {
    let (snapshot, requests) = clean_corpus();
    let mut flags: Vec<String> = requests.iter().map(|r| r.flag.clone()).collect();
    flags.sort();
    flags.dedup();
    let keys: Vec<&Request> = requests.iter().take(200).collect();
    let body = json!({
        "keys": keys.iter().map(|r| json!({"key": r.key.matching_key, "attributes": r.attributes})).collect::<Vec<_>>(),
        "flags": flags,
    })
    .to_string();
    let names = Value::Array(flags.iter().map(|f| json!(f)).collect());
    let key_values: Vec<Value> = keys.iter().map(|r| json!(r.key.matching_key)).collect();
    let attributes: Vec<Option<Value>> = keys.iter().map(|r| r.attributes.clone().map(Value::Object)).collect();
    let options = EvaluationOptions::default();
    let limits = bulk::BulkLimits::default();
    let mut group = c.benchmark_group("bulk");
    group.throughput(Throughput::Elements((keys.len() * flags.len()) as u64));
    let mut edge = SplitEdge::with_snapshot(SplitEdgeConfig::new("bench-key"), snapshot.clone()).expect("valid config");
    let mut now = 1_700_000_000_000_u64;
    let mut out = String::new();
    group.bench_function("evaluate_range", |b| {
        b.iter(|| {
            let plan = bulk::parse(&body, &limits).expect("valid body").plan(edge.client(), &limits).expect("plan");
            out.clear();
            black_box(plan.evaluate_range(&mut edge, now, 0..plan.len(), &mut out));
            now += 1_000;
            for post in edge.flush(now) {
                black_box(edge.on_outcome(post.id, HttpOutcome::response(200, ""), now));
            }
        })
    });
    let mut edge = SplitEdge::with_snapshot(SplitEdgeConfig::new("bench-key"), snapshot).expect("valid config");
    group.bench_function("get_treatments_loop", |b| {
        b.iter(|| {
            for (key, attrs) in key_values.iter().zip(&attributes) {
                black_box(edge.get_treatments_json(now, Some(key), Some(&names), attrs.as_ref(), &options));
            }
            now += 1_000;
            for post in edge.flush(now) {
                black_box(edge.on_outcome(post.id, HttpOutcome::response(200, ""), now));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_evaluate, bench_impressions, bench_record, bench_load, bench_bulk);
criterion_main!(benches);
