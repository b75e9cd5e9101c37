#!/usr/bin/env bash
# Runs every fuzz target (fuzz/targets, libFuzzer through cargo-fuzz) for SECONDS each, starting
# from its seeds (fuzz/corpus/<target>/, copied to fuzz/out/corpus/<target>/, which grows), and
# prints a table: executions, executions/s, corpus entries and crashes per target. A crash leaves
# its input in fuzz/out/artifacts/<target>/ and makes the script exit 1: fix the bug, then copy
# the input to fuzz/regressions/<target>/ (replayed by `cargo test`).
#   fuzz/run.sh SECONDS [TARGET...]
# The stable toolchain runs cargo-fuzz's nightly flags with RUSTC_BOOTSTRAP=1; no sanitizer (the
# crate has no unsafe code; libFuzzer's coverage guidance and panics are what is used).
set -euo pipefail
cd "$(dirname "$0")/targets"
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(load eval client_json track regex localhost params sync)
export RUSTC_BOOTSTRAP=1
cargo fuzz build --fuzz-dir . --sanitizer none -O >/dev/null 2>&1 || cargo fuzz build --fuzz-dir . --sanitizer none -O
BIN=target/x86_64-unknown-linux-gnu/release
OUT=../out
failed=0
rows=()
for t in "${TARGETS[@]}"; do
  mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t"
  cp -n ../corpus/"$t"/* "$OUT/corpus/$t/" 2>/dev/null || true
  log="$OUT/$t.log"
  set +e
  "$BIN/$t" "$OUT/corpus/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t/" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(ls "$OUT/corpus/$t" | wc -l)
  crashes=$(ls "$OUT/artifacts/$t" | wc -l)
  [ "$rc" = 0 ] && [ "$crashes" = 0 ] || failed=1
  rows+=("$(printf '%-12s %8ss %12s %10s %8s %8s' "$t" "$SECONDS_EACH" "${runs:-?}" "${speed:-?}" "$corpus" "$crashes")")
done
printf '%-12s %9s %12s %10s %8s %8s\n' target time execs execs/s corpus crashes
printf '%s\n' "${rows[@]}"
if [ "$failed" = 1 ]; then
  echo "fuzz: a target crashed: see fuzz/out/<target>.log and fuzz/out/artifacts/" >&2
  exit 1
fi
