// Node, ES modules: the same instance as `require('split-edge')` (no dual-package hazard).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sdk = require('./node.cjs');

export const SplitFactory = sdk.SplitFactory;
export const version = sdk.version;
export default sdk;
