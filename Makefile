# split-edge: the two commands a newcomer types are `make run` and `make test`.
# Each installs what it needs first (idempotently).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
KEY ?= alice
ATTRS ?= {"plan":"pro","app_version":"2.3.1","email":"alice@split.io","purchases":1500}
DIFF_SEEDS ?= 1,2,3,4,5,6

.PHONY: run test bench setup-rust setup-node test-rust test-wasm test-differential lint

## Evaluates the demo snapshot for a key (KEY=..., ATTRS='{...}') and prints treatments and labels.
run: setup-rust
	$(CARGO) run --quiet --release --example evaluate -- demo/splits.json demo/segments '$(KEY)' '$(ATTRS)'
	@echo
	@echo "Try another key: make run KEY=bob ATTRS='{\"plan\":\"free\"}'"

## Runs every test: Rust unit/integration/conformance tests, the wasm build, the differential test.
test: setup-rust setup-node lint test-rust test-wasm test-differential
	@echo "make test: all suites passed"

setup-rust:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (rustup)"; exit 1; }
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

setup-node: node_modules/.installed

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --quiet --lib --examples --tests --benches -- -D warnings

test-rust:
	$(CARGO) test
	$(CARGO) bench --no-run --quiet

test-wasm:
	$(CARGO) build --release --lib --target wasm32-unknown-unknown
	@ls -l target/wasm32-unknown-unknown/release/libsplit_edge.rlib >/dev/null

test-differential: setup-node
	$(CARGO) build --quiet --release --example conformance
	node tests/differential/oracle.mjs --check
	node tests/differential/run.mjs --seeds $(DIFF_SEEDS)

## Benchmarks (numbers, not pass/fail): evaluations per second and snapshot load time/memory.
bench:
	$(CARGO) bench --bench evaluate
