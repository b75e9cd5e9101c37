# split-edge: the two commands a newcomer types are `make run` and `make test`.
# Each installs what it needs first (idempotently).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
KEY ?= alice
ATTRS ?= {"plan":"pro","app_version":"2.3.1","email":"alice@split.io","purchases":1500}
DIFF_SEEDS ?= 1,2,3,4,5,6

FUZZ_SECONDS ?= 60
CARGO_FUZZ_VERSION = 0.13.2

.PHONY: fuzz test-fuzz setup-fuzz run evaluate worker www test-worker test bench bench-npm bench-worker soak npm setup-rust setup-wasm setup-node setup-chromium test-rust test-wasm test-differential test-npm test-www lint

# wasm-bindgen-cli must equal the wasm-bindgen version in Cargo.lock exactly.
WASM_BINDGEN_VERSION = $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' Cargo.lock)

## Starts the edge evaluator (the Worker) locally in workerd, with the demo snapshot in local KV,
## and the playground page (www/) beside it; prints curl commands and the page's URL. Ctrl-C stops it.
run: worker npm
	node worker/scripts/dev.mjs

## Evaluates the demo snapshot natively for a key (KEY=..., ATTRS='{...}'): treatments and labels.
evaluate: setup-rust
	$(CARGO) run --quiet --release --example evaluate -- demo/splits.json demo/segments '$(KEY)' '$(ATTRS)'
	@echo
	@echo "Try another key: make evaluate KEY=bob ATTRS='{\"plan\":\"free\"}'"

## Serves the demo page (www/) on http://127.0.0.1:8788/www/ after building the npm package.
www: npm
	node www/serve.mjs

## Runs every test: Rust unit/integration/conformance tests, the wasm build, the differential test,
## the npm package (Node tests, conformance through wasm in Node and headless Chromium), the demo
## page in headless Chromium, the Worker in workerd (Miniflare tests, conformance over HTTP).
test: setup-rust setup-node lint test-rust test-fuzz test-wasm test-differential test-npm test-www test-worker
	@echo "make test: all suites passed"

setup-rust:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (rustup)"; exit 1; }
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

## wasm-bindgen-cli at Cargo.lock's version (from crates.io; ~3 min the first time).
setup-wasm: setup-rust
	@if [ "$$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$(WASM_BINDGEN_VERSION)" ]; then \
		echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
		$(CARGO) install --quiet wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --locked; \
	fi

## Debian's chromium, for the browser conformance run.
setup-chromium:
	@command -v chromium >/dev/null || { \
		echo "installing chromium (apt)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## Builds the npm package into npm/dist (prints each .wasm's size raw and gzipped).
npm: setup-wasm setup-node
	node npm/scripts/build.mjs

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

setup-node: node_modules/.installed

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --quiet --workspace --lib --examples --tests --benches -- -D warnings

test-rust:
	$(CARGO) test --workspace
	$(CARGO) bench --no-run --quiet

test-wasm:
	$(CARGO) build --release --lib --target wasm32-unknown-unknown
	@ls -l target/wasm32-unknown-unknown/release/libsplit_edge.rlib >/dev/null

test-differential: setup-node
	$(CARGO) build --quiet --release --example conformance
	node tests/differential/oracle.mjs --check
	node tests/differential/run.mjs --seeds $(DIFF_SEEDS)

## Builds the Worker into worker/build (wasm-bindgen --target module, wasm-opt, entry module).
worker: setup-wasm setup-node
	node worker/scripts/build.mjs

## The Worker in workerd through Miniflare (every endpoint, KV, cron, delivery, wrangler kv and deploy
## dry runs, the playground page reading its snapshot) and the corpora over HTTP.
test-worker: worker npm setup-chromium
	$(CARGO) clippy --quiet -p split-edge-worker --target wasm32-unknown-unknown -- -D warnings
	node --test tests/worker/
	node tests/worker/conformance.mjs --check

test-npm: npm setup-chromium
	node --test tests/npm/
	node tests/conformance.mjs --check
	node tests/browser/conformance.mjs --check

## The demo page end to end in headless Chromium (answers checked against the native core).
test-www: npm setup-chromium
	node --test tests/www/

## Benchmarks (numbers, not pass/fail): evaluations per second and snapshot load time/memory.
bench:
	$(CARGO) bench --bench evaluate

## The Worker over a 1,000-flag snapshot: push and cold-isolate times, in-isolate µs against a trivial
## handler, HTTP through plain workerd serve against hello-world and the official SDK (split-evaluator if cloned).
bench-worker: worker
	node worker/bench/bench.mjs

## Soak (not part of `make test`): the Worker in local workerd under 50 connections for SOAK_SECONDS
## (default 60) over mixed routes while pushes land, the events API failing every other post; prints
## requests, errors, workerd RSS before/after, impressions generated/delivered/dropped by reason.
## Fails when a request errs or delivered + dropped differs from generated.
SOAK_SECONDS ?= 60
soak: worker
	SOAK_SECONDS=$(SOAK_SECONDS) node worker/bench/soak.mjs

## The npm package against the official JS SDK on the clean corpus (evaluations per second, ratio).
bench-npm: npm
	node npm/bench/compare.mjs

## cargo-fuzz (crates.io, pinned); the stable toolchain runs its nightly flags with RUSTC_BOOTSTRAP=1.
setup-fuzz: setup-rust
	@command -v cargo-fuzz >/dev/null || $(CARGO) install --quiet cargo-fuzz --locked --version $(CARGO_FUZZ_VERSION)

## Every fuzz target for FUZZ_SECONDS each (default 60): executions/s, corpus size and crashes per
## target (fuzz/run.sh; the grown corpora and any crash inputs land in fuzz/out/).
fuzz: setup-fuzz
	fuzz/run.sh $(FUZZ_SECONDS)

## The short bounded fuzz run of `make test`: each of the 8 targets for 10 s (80 s in all, the
## build aside); the seeds and regressions themselves are replayed by `cargo test`.
test-fuzz: setup-fuzz
	fuzz/run.sh 10
