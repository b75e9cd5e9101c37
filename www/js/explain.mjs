// Renders how the core decided a treatment (`client.explain`), step by step: kill switch,
// prerequisites, each condition tried (which matchers held and which did not), the traffic
// allocation bucket and the partition bucket.
import { chip, code, h } from './dom.mjs';
import { attributeOf, conditionTitle, describeMatcher, renderPartitions } from './rules.mjs';

const MESSAGES = {
  'definition not found': 'There is no flag by this name in the loaded data, so the SDK answers control.',
  'targeting rule type unsupported by sdk': 'The flag uses a matcher type this SDK does not know, has a condition without matchers, or has no conditions: the JS SDK answers control here, and so does split-edge.',
  exception: 'The flag definition cannot be evaluated (for example partitions that do not add up to 100): the JS SDK throws here; split-edge answers control.',
  archived: 'The flag is archived.',
};

/** The attribute value a matcher saw, as a short note. */
function valueNote(matcher, attributes) {
  const a = attributeOf(matcher);
  if (a === null) return null;
  if (!attributes || !Object.hasOwn(attributes, a)) return h('span', { class: 'muted' }, ` (${a} not given, so it cannot match)`);
  return h('span', { class: 'muted' }, ` (${a} = `, code(JSON.stringify(attributes[a])), ')');
}

/** One matcher's outcome: ✓/✗ and what it tests. */
function matcherLine(trace, raw, attributes) {
  const ok = trace.matched === true;
  return h('li', { class: ok ? 'yes' : 'no' },
    h('span', { class: 'mark', 'aria-label': ok ? 'holds' : 'does not hold' }, ok ? '✓' : '✗'), ' ',
    raw ? describeMatcher(raw) : [code(trace.matcherType), trace.attribute ? [' on ', code(trace.attribute)] : null, trace.negate ? ' (negated)' : null],
    raw ? valueNote(raw, attributes) : null);
}

/**
 * The explanation as DOM. `flag` is the raw flag JSON (or undefined), `prerequisites` the
 * explanations of its prerequisite flags (`[{name, treatments, explanation}]`, in order).
 */
export function renderExplanation({ explanation: e, flag, attributes, bucketingKey, prerequisites }) {
  const out = h('div', { class: 'explanation', dataset: { testid: 'explanation' } });
  const steps = h('ol', { class: 'steps' });
  out.append(h('h3', {}, 'Why'), steps);
  const def = typeof flag?.defaultTreatment === 'string' ? flag.defaultTreatment : e.treatment;
  const label = e.label ?? '';

  if (Object.hasOwn(MESSAGES, label)) {
    steps.append(h('li', {}, MESSAGES[label]));
    return out;
  }
  if (label === 'killed') {
    steps.append(h('li', {}, 'The flag is killed: every key gets its default treatment ', chip(def), '.'));
    return out;
  }

  if (prerequisites.length > 0) {
    const allMet = prerequisites.every((p) => p.treatments.includes(p.explanation.treatment));
    const li = h('li', {}, allMet ? 'Prerequisites, all met:' : 'Prerequisites:');
    const ul = h('ul', { class: 'checks' });
    for (const p of prerequisites) {
      const met = p.treatments.includes(p.explanation.treatment);
      ul.append(h('li', { class: met ? 'yes' : 'no' }, h('span', { class: 'mark' }, met ? '✓' : '✗'), ' flag ', code(p.name), ' gives ',
        chip(p.explanation.treatment), h('span', { class: 'muted' }, ` (label “${p.explanation.label ?? ''}”)`), '; needs one of ',
        p.treatments.flatMap((t, i) => [i ? ', ' : '', code(t)])));
      if (!met) break; // the SDK stops at the first prerequisite that fails
    }
    li.append(ul);
    steps.append(li);
    if (label === 'prerequisites not met') {
      steps.append(h('li', {}, 'A prerequisite is not met, so the key gets the default treatment ', chip(def), ' without looking at the conditions.'));
      return out;
    }
  }

  const conditions = Array.isArray(flag?.conditions) ? flag.conditions : [];
  for (const c of e.conditions) {
    const raw = conditions[c.index];
    const li = h('li', { class: 'condition-step', dataset: { index: String(c.index) } }, h('span', { class: 'condition-title' }, conditionTitle(raw ?? { conditionType: c.rollout ? 'ROLLOUT' : 'WHITELIST', label: c.label }, c.index)), ' ');
    const decided = c.index === e.conditionIndex;
    if (decided && label === 'not in split') {
      li.append(`is the first ROLLOUT condition. The key's traffic bucket is ${e.trafficBucket}, above the traffic allocation of ${flag?.trafficAllocation ?? '?'}%, so the key is not in the split and gets the default treatment `, chip(def), '.');
      steps.append(li);
      continue;
    }
    li.append(c.matched ? (decided ? 'matched: ' : 'matched.') : 'did not match: ');
    const rawMatchers = Array.isArray(raw?.matcherGroup?.matchers) ? raw.matcherGroup.matchers : [];
    li.append(h('ul', { class: 'checks' }, c.matchers.map((m, i) => matcherLine(m, rawMatchers[i], attributes))));
    if (decided) {
      if (e.trafficBucket !== null && e.trafficBucket !== undefined) {
        li.append(h('p', {}, `Traffic bucket ${e.trafficBucket} ≤ allocation ${flag?.trafficAllocation ?? '?'}%: the key is in the split.`));
      }
      if (e.partitionBucket !== null && e.partitionBucket !== undefined) {
        li.append(h('p', {}, `Partition bucket ${e.partitionBucket} (1–100, hashed from the ${bucketingKey ? 'bucketing key' : 'key'} with the flag's seed) picks `, chip(e.treatment), ':'),
          renderPartitions(raw?.partitions, e.partitionBucket));
      }
    }
    steps.append(li);
  }
  if (e.conditionIndex === null && label === 'default rule') {
    steps.append(h('li', {}, 'No condition matched, so the key gets the default treatment ', chip(def), '.'));
  }
  return out;
}
