// The Worker's entry module: hands fetch and cron events to the Rust code (glue from
// wasm-bindgen --target module, built by worker/scripts/build.mjs into worker/build/).
import * as wasm from './index.js';

export default {
  fetch(request, env, ctx) {
    return wasm.fetch(request, env, ctx);
  },
  scheduled(event, env, ctx) {
    return wasm.scheduled(event, env, ctx);
  },
};
