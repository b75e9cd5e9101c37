// Bundlers with WebAssembly ESM integration (webpack's asyncWebAssembly, Vite plugins): the
// bundler instantiates the .wasm.
import * as glue from './wasm-bundler/split_edge_wasm.js';
import { createSdk } from './esm/factory.js';
import { webHost } from './esm/web-host.js';

const sdk = createSdk(glue, webHost);
export const SplitFactory = sdk.SplitFactory;
export const version = sdk.version;
