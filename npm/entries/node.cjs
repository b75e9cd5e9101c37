'use strict';
// Node, CommonJS: the wasm is loaded synchronously by wasm-bindgen's nodejs glue.
const glue = require('./wasm-node/split_edge_wasm.js');
const { createSdk } = require('./cjs/factory.js');
const { nodeHost } = require('./cjs/node-host.js');

const sdk = createSdk(glue, nodeHost);
exports.SplitFactory = sdk.SplitFactory;
exports.version = sdk.version;
