// Cloudflare Workers (workerd) and other runtimes that import a .wasm file as a compiled
// WebAssembly.Module: instantiated at import time, no init call needed. No timers run between
// requests: call `flush()` inside `ctx.waitUntil(...)`.
import wasmModule from './wasm-web/split_edge_wasm_bg.wasm';
import { initSync, Engine } from './wasm-web/split_edge_wasm.js';
import { createSdk } from './esm/factory.js';
import { workersHost } from './esm/web-host.js';

initSync({ module: wasmModule });

const sdk = createSdk({ Engine }, workersHost);
export const SplitFactory = sdk.SplitFactory;
export const version = sdk.version;
