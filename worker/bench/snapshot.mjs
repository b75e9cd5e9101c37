// The benchmark snapshot: 1,000 flags over 50 segments of 2,000 keys (100,000 segment keys),
// with segment, attribute and set matchers and rollouts; and the keys and attributes requests use.

/** `{splitChanges, segmentChanges}`: the bodies that load it (the shape of `GET /admin/snapshot`). */
export function benchSnapshot() {
  const segmentChanges = Array.from({ length: 50 }, (_, s) => ({
    name: `segment_${s}`, added: Array.from({ length: 2000 }, (_, k) => `user_${s}_${k}`), removed: [], since: -1, till: 100,
  }));
  const flags = Array.from({ length: 1000 }, (_, i) => ({
    name: `flag_${i}`, trafficTypeName: 'user', killed: false, status: 'ACTIVE', changeNumber: 1000 + i,
    defaultTreatment: 'off', seed: i * 7919, trafficAllocation: 100, trafficAllocationSeed: i * 104729, algo: 2,
    sets: [`set_${i % 20}`], configurations: { on: '{"color":"green"}' },
    conditions: [
      { conditionType: 'WHITELIST', label: 'in segment', matcherGroup: { combiner: 'AND', matchers: [
        { keySelector: { trafficType: 'user', attribute: null }, matcherType: 'IN_SEGMENT', negate: false, userDefinedSegmentMatcherData: { segmentName: `segment_${i % 50}` } }] },
        partitions: [{ treatment: 'on', size: 100 }] },
      { conditionType: 'ROLLOUT', label: 'pro plan', matcherGroup: { combiner: 'AND', matchers: [
        { keySelector: { trafficType: 'user', attribute: 'plan' }, matcherType: 'WHITELIST', negate: false, whitelistMatcherData: { whitelist: ['pro', 'enterprise'] } },
        { keySelector: { trafficType: 'user', attribute: 'age' }, matcherType: 'GREATER_THAN_OR_EQUAL_TO', negate: false, unaryNumericMatcherData: { dataType: 'NUMBER', value: 18 } }] },
        partitions: [{ treatment: 'on', size: 50 }, { treatment: 'off', size: 50 }] },
      { conditionType: 'ROLLOUT', label: 'default rule', matcherGroup: { combiner: 'AND', matchers: [
        { keySelector: { trafficType: 'user', attribute: null }, matcherType: 'ALL_KEYS', negate: false }] },
        partitions: [{ treatment: 'on', size: 10 }, { treatment: 'off', size: 90 }] },
    ],
  }));
  return { splitChanges: { ff: { d: flags, s: -1, t: 2000 }, rbs: { d: [], s: -1, t: -1 } }, segmentChanges };
}

const attributes = encodeURIComponent(JSON.stringify({ plan: 'pro', age: 30 }));
const key = (i) => `user_${i % 50}_${i % 3000}`;

/** The keys and attributes of the bulk benchmark (loop.mjs `/__bulk`). */
export const bulkKey = key;
export const bulkAttributes = { plan: 'pro', age: 30 };

/** The request paths of each benchmarked route, the i-th request of a run. */
export const routes = {
  'get-treatment': (i) => `/client/get-treatment?key=${key(i)}&split-name=flag_${i % 1000}&attributes=${attributes}`,
  'get-treatments (10 flags)': (i) => {
    const names = Array.from({ length: 10 }, (_, k) => `flag_${(i * 10 + k) % 1000}`).join(',');
    return `/client/get-treatments?key=${key(i)}&split-names=${names}&attributes=${attributes}`;
  },
  'get-all-treatments (1,000 flags)': (i) =>
    `/client/get-all-treatments?keys=${encodeURIComponent(JSON.stringify([{ matchingKey: key(i), trafficType: 'user' }]))}&attributes=${attributes}`,
  '/admin/uptime': () => '/admin/uptime',
};
