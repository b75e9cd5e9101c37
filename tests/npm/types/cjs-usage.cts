// A CommonJS TypeScript consumer (`require` condition) under `module: node16`. Checked by
// types.test.mjs; never run.
import splitEdge = require('split-edge');

const factory: splitEdge.SplitEdgeFactory = splitEdge.SplitFactory({ core: { authorizationKey: 'localhost' } });
const treatment: string = factory.client().getTreatment('alice', 'new_checkout');
console.log(treatment, splitEdge.version);
