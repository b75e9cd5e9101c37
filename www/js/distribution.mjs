// The distribution run: evaluates generated keys in chunks (one `evaluateBulk` call into the
// wasm engine per chunk, no impressions recorded), yielding to the browser between chunks so
// the page stays responsive, and works out which shares the flag's catch-all rule
// configures, to compare with.
import { partitionRanges } from './rules.mjs';

/** Resolves on the next task (a MessageChannel message: no 4 ms timer clamping). */
function nextTask() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * Evaluates `${prefix}0` … `${prefix}${n-1}` for `flag`. Calls `onProgress(done)` after each chunk;
 * stops early when `signal.aborted`. Resolves to `{ counts: Map(treatment → keys), done, evalMs, wallMs }`;
 * `evalMs` counts only the time spent evaluating (not the pauses between chunks).
 */
export async function runDistribution({ client, flag, n, prefix, attributes, onProgress, signal, chunk = 2000 }) {
  const counts = new Map();
  const start = performance.now();
  let evalMs = 0;
  let done = 0;
  while (done < n && !signal?.aborted) {
    const end = Math.min(n, done + chunk);
    const keys = [];
    for (let i = done; i < end; i++) keys.push(attributes ? { key: prefix + i, attributes } : prefix + i);
    const t0 = performance.now();
    const lines = client.evaluateBulk({ keys, flags: [flag], impressions: false });
    evalMs += performance.now() - t0;
    for (const line of lines) {
      // A key Split rejects (say, over 250 characters) answers control, as getTreatment does.
      const t = line.treatments?.[flag]?.treatment ?? 'control';
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    done = end;
    onProgress?.(done);
    await nextTask();
  }
  return { counts, done, evalMs, wallMs: performance.now() - start };
}

const matchersOf = (c) => (Array.isArray(c?.matcherGroup?.matchers) ? c.matcherGroup.matchers : []);
const isCatchAll = (c) => {
  const ms = matchersOf(c);
  return ms.length === 1 && ms[0]?.matcherType === 'ALL_KEYS' && ms[0]?.negate !== true;
};

/**
 * The shares the flag configures for keys that reach its catch-all rule (the last condition whose
 * only matcher is ALL_KEYS): its partition sizes, scaled by the traffic allocation when it is a
 * ROLLOUT condition, the keys outside the allocation going to the default treatment.
 * Returns `{ shares: Map(treatment → 0..1) | null, basis: string, notes: string[] }`.
 */
export function expectedShares(flag) {
  if (!flag) return { shares: null, basis: 'The flag is not in the loaded SplitChange JSON.', notes: [] };
  const def = typeof flag.defaultTreatment === 'string' ? flag.defaultTreatment : 'control';
  if (flag.killed === true) return { shares: new Map([[def, 1]]), basis: `The flag is killed: every key gets the default treatment “${def}”.`, notes: [] };
  const conditions = Array.isArray(flag.conditions) ? flag.conditions : [];
  const index = conditions.findLastIndex(isCatchAll);
  if (index < 0) {
    return { shares: null, basis: 'The flag has no catch-all (ALL_KEYS) condition, so nothing configures a share for arbitrary keys: keys that match no condition get the default treatment.', notes: [] };
  }
  const c = conditions[index];
  const ranges = partitionRanges(c.partitions);
  const sum = ranges.reduce((a, r) => a + r.size, 0);
  const label = typeof c.label === 'string' ? c.label : 'default rule';
  if (sum !== 100) {
    return { shares: new Map([['control', 1]]), basis: `Condition #${index + 1} “${label}” has partitions adding up to ${sum}, not 100: the flag answers control.`, notes: [] };
  }
  const rollout = c.conditionType === 'ROLLOUT';
  const raw = typeof flag.trafficAllocation === 'number' ? flag.trafficAllocation : 100;
  const allocation = rollout ? Math.min(100, Math.max(0, raw)) / 100 : 1;
  const shares = new Map();
  const add = (t, x) => shares.set(t, (shares.get(t) ?? 0) + x);
  for (const r of ranges) add(r.treatment, allocation * (r.size / 100));
  if (allocation < 1) add(def, 1 - allocation);
  let basis = `Configured: condition #${index + 1} “${label}” splits keys ${ranges.map((r) => `${r.treatment} ${r.size}%`).join(' / ')}`;
  basis += allocation < 1 ? `, within a traffic allocation of ${raw}%: the other ${100 - raw}% of keys are not in the split and get “${def}”.` : '.';
  const notes = [];
  if (index > 0) notes.push(`${index === 1 ? 'Condition #1 comes' : `Conditions #1–#${index} come`} first: keys they match (segments, attributes, other flags) get their treatments instead, which moves the observed shares.`);
  const prereqs = Array.isArray(flag.prerequisites) ? flag.prerequisites : [];
  if (prereqs.length > 0) {
    notes.push(`The flag has prerequisites (${prereqs.map((p) => `${p?.n} gives ${(p?.ts ?? []).join(' or ')}`).join('; ')}): keys that fail them get “${def}”, so expect more “${def}” than configured.`);
  }
  return { shares, basis, notes };
}
