// Renders a flag's definition (from the raw SplitChange JSON) as readable rules: its settings,
// prerequisites, conditions with their matchers and partitions, configurations, and the
// rule-based segments it uses.
import { chip, code, h, prettyConfig } from './dom.mjs';

const str = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
const list = (values) => (Array.isArray(values) ? values.map(str) : []);

/** Values as inline code, comma-separated. */
function codes(values) {
  const items = list(values);
  if (items.length === 0) return h('span', { class: 'muted' }, '(none)');
  return items.flatMap((v, i) => (i === 0 ? [code(v)] : [', ', code(v)]));
}

/** A DATETIME value (ms since epoch) as a UTC date and time. */
function date(ms) {
  const d = new Date(Number(ms));
  return Number.isFinite(d.getTime()) ? `${d.toISOString().replace('T', ' ').replace(/:00\.000Z$|\.\d{3}Z$/, '')} UTC` : String(ms);
}

function numeric(data, field) {
  if (data === null || typeof data !== 'object') return 'null';
  return data.dataType === 'DATETIME' ? date(data[field]) : String(data[field]);
}

/** The attribute a matcher reads, or null for the key. */
export function attributeOf(matcher) {
  const a = matcher?.keySelector?.attribute;
  return typeof a === 'string' && a !== '' ? a : null;
}

/** What a matcher tests, as DOM nodes: `attribute plan is one of pro, enterprise`. */
export function describeMatcher(m) {
  const attr = attributeOf(m);
  const subject = attr === null ? h('span', { class: 'subject' }, 'key') : ['attribute ', code(attr)];
  const type = String(m?.matcherType ?? '(missing)');
  const wl = m?.whitelistMatcherData?.whitelist;
  const seg = m?.userDefinedSegmentMatcherData?.segmentName;
  let body;
  switch (type) {
    case 'ALL_KEYS': body = ['all keys']; break;
    case 'IN_SEGMENT': body = [subject, ' is in segment ', code(str(seg))]; break;
    case 'IN_LARGE_SEGMENT': body = [subject, ' is in large segment ', code(str(m?.userDefinedLargeSegmentMatcherData?.largeSegmentName))]; break;
    case 'IN_RULE_BASED_SEGMENT': body = [subject, ' is in rule-based segment ', code(str(seg))]; break;
    case 'WHITELIST': body = [subject, ' is one of ', codes(wl)]; break;
    case 'EQUAL_TO': body = [subject, ' = ', code(numeric(m.unaryNumericMatcherData, 'value'))]; break;
    case 'GREATER_THAN_OR_EQUAL_TO': body = [subject, ' ≥ ', code(numeric(m.unaryNumericMatcherData, 'value'))]; break;
    case 'LESS_THAN_OR_EQUAL_TO': body = [subject, ' ≤ ', code(numeric(m.unaryNumericMatcherData, 'value'))]; break;
    case 'BETWEEN': body = [subject, ' is between ', code(numeric(m.betweenMatcherData, 'start')), ' and ', code(numeric(m.betweenMatcherData, 'end'))]; break;
    case 'EQUAL_TO_SET': body = [subject, ' is exactly the set ', codes(wl)]; break;
    case 'CONTAINS_ANY_OF_SET': body = [subject, ' contains any of ', codes(wl)]; break;
    case 'CONTAINS_ALL_OF_SET': body = [subject, ' contains all of ', codes(wl)]; break;
    case 'PART_OF_SET': body = [subject, ' is a subset of ', codes(wl)]; break;
    case 'STARTS_WITH': body = [subject, ' starts with any of ', codes(wl)]; break;
    case 'ENDS_WITH': body = [subject, ' ends with any of ', codes(wl)]; break;
    case 'CONTAINS_STRING': body = [subject, ' contains any of ', codes(wl)]; break;
    case 'IN_SPLIT_TREATMENT': {
      const dep = m?.dependencyMatcherData;
      body = ['flag ', code(str(dep?.split)), ' gives one of ', codes(dep?.treatments)];
      break;
    }
    case 'EQUAL_TO_BOOLEAN': body = [subject, ' is ', code(str(m?.booleanMatcherData))]; break;
    case 'MATCHES_STRING': body = [subject, ' matches the regular expression ', code(`/${str(m?.stringMatcherData)}/`)]; break;
    case 'EQUAL_TO_SEMVER': body = [subject, ' = version ', code(str(m?.stringMatcherData))]; break;
    case 'GREATER_THAN_OR_EQUAL_TO_SEMVER': body = [subject, ' ≥ version ', code(str(m?.stringMatcherData))]; break;
    case 'LESS_THAN_OR_EQUAL_TO_SEMVER': body = [subject, ' ≤ version ', code(str(m?.stringMatcherData))]; break;
    case 'BETWEEN_SEMVER': {
      const b = m?.betweenStringMatcherData;
      body = [subject, ' is a version between ', code(str(b?.start)), ' and ', code(str(b?.end))];
      break;
    }
    case 'IN_LIST_SEMVER': body = [subject, ' is one of the versions ', codes(wl)]; break;
    default: body = [h('span', { class: 'warn' }, `unsupported matcher ${type}`), ' (the flag answers control)'];
  }
  return m?.negate === true ? [h('strong', {}, 'not'), ' (', body, ')'] : body;
}

/** The conditions' partitions as bucket ranges: `[{treatment, size, from, to}]` (to < from when empty). */
export function partitionRanges(partitions) {
  let total = 0;
  return (Array.isArray(partitions) ? partitions : []).map((p) => {
    const size = Number(p?.size) || 0;
    const from = total + 1;
    total += size;
    return { treatment: str(p?.treatment), size, from, to: total };
  });
}

/** A stacked bar and text for a condition's partitions; `bucket` highlights the chosen one. */
export function renderPartitions(partitions, bucket = null) {
  const ranges = partitionRanges(partitions);
  if (ranges.length === 0) return h('span', { class: 'muted' }, 'no partitions');
  const sum = ranges.reduce((a, r) => a + r.size, 0);
  const bar = h('div', { class: 'stack', 'aria-hidden': 'true' },
    ranges.filter((r) => r.size > 0).map((r) => h('span', { style: `flex:${r.size}`, class: 'stack-part', title: `${r.treatment} ${r.size}%` }, chip(r.treatment))));
  const text = h('ul', { class: 'partitions' }, ranges.map((r) => {
    const hit = bucket !== null && bucket >= r.from && bucket <= r.to;
    return h('li', { class: hit ? 'hit' : null }, chip(r.treatment), ` ${r.size}%`,
      h('span', { class: 'muted' }, r.size > 0 ? ` (buckets ${r.from}–${r.to})` : ' (no buckets)'),
      hit ? h('strong', {}, ` ← bucket ${bucket}`) : null);
  }));
  return h('div', { class: 'partition-view' }, bar, text,
    sum !== 100 ? h('p', { class: 'warn' }, `The sizes add up to ${sum}, not 100: this flag answers control with label "exception".`) : null);
}

/** A condition's matchers joined with "and". */
export function renderMatchers(matchers) {
  const ms = Array.isArray(matchers) ? matchers : [];
  if (ms.length === 0) return h('span', { class: 'warn' }, 'no matchers (the flag answers control)');
  return ms.map((m, i) => h('span', { class: 'matcher' }, i > 0 ? h('span', { class: 'and' }, ' and ') : null, describeMatcher(m)));
}

/** `#1 ROLLOUT "default rule"`. */
export function conditionTitle(c, index) {
  const type = c?.conditionType === 'ROLLOUT' ? 'ROLLOUT' : 'WHITELIST';
  return [h('span', { class: 'index' }, `#${index + 1}`), ' ', h('span', { class: `ctype ${type.toLowerCase()}` }, type), ' ',
    h('span', { class: 'label' }, `“${typeof c?.label === 'string' ? c.label : 'default rule'}”`)];
}

/** The whole flag: settings, prerequisites, conditions, default, configurations, rule-based segments. */
export function renderFlag(flag, ruleBasedSegments) {
  if (!flag) return h('p', { class: 'muted' }, 'This flag is in the manager but not in the loaded SplitChange JSON.');
  const allocation = typeof flag.trafficAllocation === 'number' ? flag.trafficAllocation : 100;
  const def = typeof flag.defaultTreatment === 'string' ? flag.defaultTreatment : 'control';
  const conditions = Array.isArray(flag.conditions) ? flag.conditions : [];
  const out = h('div', { class: 'flag-rules' });

  out.append(h('dl', { class: 'meta' },
    h('dt', {}, 'Default treatment'), h('dd', {}, chip(def)),
    h('dt', {}, 'Traffic allocation'), h('dd', {}, `${allocation}%`, allocation < 100
      ? h('span', { class: 'muted' }, ` (seed ${flag.trafficAllocationSeed ?? 0}): ${100 - allocation}% of keys skip the ROLLOUT conditions and get `)
      : null, allocation < 100 ? chip(def) : null),
    h('dt', {}, 'Seed'), h('dd', {}, String(flag.seed ?? '—')),
    h('dt', {}, 'Status'), h('dd', {}, String(flag.status ?? 'ACTIVE'), flag.killed === true ? [' · ', h('strong', { class: 'warn' }, 'killed')] : null),
    h('dt', {}, 'Change number'), h('dd', {}, String(flag.changeNumber ?? '—')),
  ));

  if (flag.killed === true) {
    out.append(h('p', { class: 'message warning' }, 'Killed: every key gets the default treatment ', chip(def), ' (label “killed”); the rules below are not used.'));
  }
  const prereqs = Array.isArray(flag.prerequisites) ? flag.prerequisites : [];
  if (prereqs.length > 0) {
    out.append(h('div', { class: 'prereqs' }, h('h3', {}, 'Prerequisites (all must hold, else ', chip(def), ')'),
      h('ul', {}, prereqs.map((p) => h('li', {}, 'flag ', code(str(p?.n)), ' gives one of ', codes(p?.ts))))));
  }

  out.append(h('h3', {}, 'Conditions, first match wins'));
  out.append(h('ol', { class: 'conditions' }, conditions.map((c, i) => h('li', { class: 'condition', dataset: { index: String(i) } },
    h('div', { class: 'condition-title' }, conditionTitle(c, i)),
    h('div', { class: 'condition-if' }, h('span', { class: 'kw' }, 'if '), renderMatchers(c?.matcherGroup?.matchers)),
    h('div', { class: 'condition-then' }, h('span', { class: 'kw' }, 'then '), renderPartitions(c?.partitions)),
  ))));
  if (conditions.length === 0) out.append(h('p', { class: 'warn' }, 'No conditions: the flag answers control.'));
  out.append(h('p', { class: 'otherwise' }, h('span', { class: 'kw' }, 'otherwise '), chip(def), h('span', { class: 'muted' }, ' (label “default rule”)')));

  const configs = flag.configurations && typeof flag.configurations === 'object' ? Object.entries(flag.configurations) : [];
  if (configs.length > 0) {
    out.append(h('h3', {}, 'Configurations'), h('table', { class: 'configs' },
      h('tbody', {}, configs.map(([t, c]) => h('tr', {}, h('th', { scope: 'row' }, chip(t)), h('td', {}, h('pre', {}, c === null ? 'null' : prettyConfig(str(c)))))))));
  }

  const used = usedRuleBasedSegments(flag, ruleBasedSegments);
  if (used.length > 0) {
    out.append(h('h3', {}, 'Rule-based segments it uses'));
    for (const name of used) out.append(renderRuleBasedSegment(name, ruleBasedSegments.get(name)));
  }
  return out;
}

/** Names of the rule-based segments a flag's matchers reference (and theirs, transitively). */
export function usedRuleBasedSegments(flag, ruleBasedSegments) {
  const seen = new Set();
  const visit = (conditions) => {
    for (const c of Array.isArray(conditions) ? conditions : []) {
      for (const m of Array.isArray(c?.matcherGroup?.matchers) ? c.matcherGroup.matchers : []) {
        const name = m?.userDefinedSegmentMatcherData?.segmentName;
        if (m?.matcherType === 'IN_RULE_BASED_SEGMENT' && typeof name === 'string' && !seen.has(name)) {
          seen.add(name);
          visit(ruleBasedSegments.get(name)?.conditions);
        }
      }
    }
  };
  visit(flag?.conditions);
  return [...seen];
}

/** A rule-based segment: exclusions and the conditions of which any must match. */
export function renderRuleBasedSegment(name, rbs) {
  const box = h('div', { class: 'rbs' }, h('h4', {}, code(name)));
  if (!rbs) {
    box.append(h('p', { class: 'warn' }, 'Not in the loaded data: the matcher does not match.'));
    return box;
  }
  const keys = list(rbs.excluded?.keys);
  const segs = Array.isArray(rbs.excluded?.segments) ? rbs.excluded.segments : [];
  box.append(h('ul', {},
    h('li', {}, 'Excluded keys: ', keys.length ? codes(keys) : h('span', { class: 'muted' }, 'none')),
    h('li', {}, 'Excluded segments: ', segs.length ? segs.flatMap((s, i) => [i ? ', ' : '', code(str(s?.name)), h('span', { class: 'muted' }, ` (${str(s?.type)})`)]) : h('span', { class: 'muted' }, 'none')),
    h('li', {}, 'A key not excluded is in it when any of these holds:',
      h('ol', {}, (Array.isArray(rbs.conditions) ? rbs.conditions : []).map((c) => h('li', {}, renderMatchers(c?.matcherGroup?.matchers))))),
  ));
  return box;
}

/** Attributes the flag's rules read (and those of its rule-based segments), with a suggested field type. */
export function attributesRead(flag, ruleBasedSegments) {
  const found = new Map();
  const typeOf = (m) => {
    switch (m?.matcherType) {
      case 'EQUAL_TO': case 'GREATER_THAN_OR_EQUAL_TO': case 'LESS_THAN_OR_EQUAL_TO':
        return m?.unaryNumericMatcherData?.dataType === 'DATETIME' ? 'datetime' : 'number';
      case 'BETWEEN': return m?.betweenMatcherData?.dataType === 'DATETIME' ? 'datetime' : 'number';
      case 'EQUAL_TO_SET': case 'CONTAINS_ANY_OF_SET': case 'CONTAINS_ALL_OF_SET': case 'PART_OF_SET': return 'list';
      case 'EQUAL_TO_BOOLEAN': return 'boolean';
      default: return 'string';
    }
  };
  const visit = (conditions) => {
    for (const c of Array.isArray(conditions) ? conditions : []) {
      for (const m of Array.isArray(c?.matcherGroup?.matchers) ? c.matcherGroup.matchers : []) {
        const a = attributeOf(m);
        if (a !== null && !found.has(a)) found.set(a, typeOf(m));
      }
    }
  };
  visit(flag?.conditions);
  for (const name of usedRuleBasedSegments(flag, ruleBasedSegments)) visit(ruleBasedSegments.get(name)?.conditions);
  return found;
}
