//! Prepares a snapshot for `wrangler kv`: the route for teams that push rollout data from CI
//! without calling the admin endpoint.
//!
//! ```text
//! cargo run -p split-edge-worker --example kv_bundle -- [--env ID] [--out DIR] SPLITS_JSON [SEGMENT_JSON|DIR ...]
//! ```
//!
//! The bodies are validated exactly as `POST /admin/split-changes` and `/admin/segment-changes`
//! validate them (a full `splitChanges` body with `since` -1, full `segmentChanges` bodies), then
//! laid out as a new version of environment `ID` (default `default`, the single-environment
//! id): `DIR/data.json` holds the data keys for `wrangler kv bulk put`, `DIR/manifest.json` the
//! manifest, written second so that no reader sees half of the version. The commands to run are
//! printed. Superseded versions are deleted by the Worker's cron after the grace period.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use split_edge::sync::FlagFilter;
use split_edge_worker::admin;
use split_edge_worker::layout::{manifest_key, KvValue};

struct Args {
    env: String,
    out: PathBuf,
    splits: PathBuf,
    segments: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut env = "default".to_owned();
    let mut out = PathBuf::from("kv-bundle");
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--env" => env = args.next().ok_or("--env needs an environment id")?,
            "--out" => out = args.next().ok_or("--out needs a directory")?.into(),
            "-h" | "--help" => return Err(String::new()),
            _ => files.push(PathBuf::from(a)),
        }
    }
    let mut files = files.into_iter();
    let splits = files.next().ok_or("the splitChanges file is missing")?;
    Ok(Args { env, out, splits, segments: files.collect() })
}

/// The segment files named: files as given, directories' `*.json` files sorted by name.
fn segment_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut in_dir: Vec<PathBuf> = fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            in_dir.sort();
            files.extend(in_dir);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// Standard base64 with padding (RFC 4648 §4), as `wrangler kv bulk put` reads it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn run(args: &Args) -> Result<(), String> {
    let splits = read(&args.splits)?;
    let files = segment_files(&args.segments)?;
    let bodies = files.iter().map(|f| read(f)).collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
    let version = admin::version_id(now, &splits, refs.len() as u64);
    let admin::PushPlan { writes, manifest, .. } =
        admin::plan_snapshot(&args.env, &version, now, &splits, &refs, &FlagFilter::none()).map_err(|(body, e)| {
            let file = body.and_then(|i| files.get(i)).unwrap_or(&args.splits);
            format!("{}: {e}; nothing was written", file.display())
        })?;
    let key = manifest_key(&args.env);
    let data: Vec<serde_json::Value> = writes
        .iter()
        .filter(|w| w.key != key)
        .map(|w| match &w.value {
            KvValue::Json(text) => serde_json::json!({"key": w.key, "value": text}),
            // `wrangler kv bulk put` takes binary values base64-encoded.
            KvValue::Binary(bytes) => serde_json::json!({"key": w.key, "value": base64(bytes), "base64": true}),
        })
        .collect();
    fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let data_path = args.out.join("data.json");
    let manifest_path = args.out.join("manifest.json");
    let data_json = serde_json::to_string(&data).map_err(|e| e.to_string())?;
    fs::write(&data_path, data_json).map_err(|e| format!("{}: {e}", data_path.display()))?;
    fs::write(&manifest_path, manifest.to_json()).map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    println!(
        "version {version} of environment {:?}: {} flags (change number {}), {} segments, {} data keys",
        args.env,
        manifest.flag_count,
        manifest.flags_change_number,
        manifest.segments.len(),
        data.len()
    );
    println!("Store it (add --local for wrangler dev's local KV), data first, manifest last:");
    println!("  npx wrangler kv bulk put {} --binding SPLIT_DATA --remote", data_path.display());
    println!("  npx wrangler kv key put {key} --path {} --binding SPLIT_DATA --remote", manifest_path.display());
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("kv_bundle: {e}");
            }
            eprintln!("usage: kv_bundle [--env ID] [--out DIR] SPLITS_JSON [SEGMENT_JSON|DIR ...]");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kv_bundle: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_as_rfc_4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(super::base64(&[0xff, 0xfe, 0x00]), "//4A");
    }
}
