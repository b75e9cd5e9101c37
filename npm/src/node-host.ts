/**
 * Node's host: localhost mode files read with `fs` (YAML parsed with js-yaml, as the JS SDK does).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import type { Host, LocalhostData } from './factory.js';
import type { Settings } from './types.js';

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`split-edge: cannot read the ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Reads `settings.features` (default `~/.split`), by extension as the JS SDK does. */
export function readLocalhost(settings: Settings): LocalhostData {
  const file = resolve(settings.features ?? join(homedir(), '.split'));
  if (/\.ya?ml$/.test(file)) {
    const text = read(file, 'localhost file');
    let document: unknown;
    try {
      document = load(text);
    } catch (e) {
      throw new Error(`split-edge: ${file} is not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { kind: 'yaml', document };
  }
  if (/\.json$/i.test(file)) {
    const splitChanges = read(file, 'SplitChange file');
    const segmentChanges: string[] = [];
    const dir = settings.segmentsDirectory;
    if (dir !== undefined) {
      let names: string[];
      try {
        names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
      } catch (e) {
        throw new Error(`split-edge: cannot read the segments directory ${dir}: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const n of names) segmentChanges.push(read(join(dir, n), 'SegmentChange file'));
    }
    return { kind: 'json', splitChanges, segmentChanges };
  }
  return { kind: 'split', text: read(file, 'localhost file') };
}

/** The Node host: files, timers. */
export const nodeHost: Host = { readLocalhost, timers: true, name: 'node' };
