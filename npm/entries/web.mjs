// Browsers: call `await init()` (or `initSync`) once before `SplitFactory`. `init` takes the
// .wasm's URL, a Response, its bytes or a compiled WebAssembly.Module; by default it fetches
// `wasm-browser/split_edge_wasm_bg.wasm` next to this file (`split-edge/wasm`): the browser build,
// without the synchronizer and the localhost parsers (see the README's "Measured").
import initWasm, { initSync as initWasmSync, Engine } from './wasm-browser/split_edge_wasm.js';
import { createSdk } from './esm/factory.js';
import { webHost } from './esm/web-host.js';

let initialized = false;

export async function init(input) {
  if (initialized) return;
  await initWasm(input === undefined ? undefined : { module_or_path: input });
  initialized = true;
}

export function initSync(input) {
  if (initialized) return;
  initWasmSync({ module: input });
  initialized = true;
}

const sdk = createSdk({ Engine }, {
  ...webHost,
  assertReady() {
    if (!initialized) throw new Error('split-edge: call `await init()` before SplitFactory in the browser');
  },
});

export const SplitFactory = sdk.SplitFactory;
export const version = sdk.version;
