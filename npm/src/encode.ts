/**
 * The fast path's writers into wasm memory: strings as UTF-8, and attributes in the compact
 * encoding the engine decodes (`bindings/wasm/src/attributes.rs`) instead of JSON text.
 */

const encoder = new TextEncoder();

/** `encodeAttributes`' answer when the attributes need JSON text (see there). */
export const NEEDS_JSON = -1;
/** `encodeAttributes`' answer when the buffer is too small: grow it and try again. */
export const NO_ROOM = -2;

const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const NUMBER = 3;
const STRING = 4;
const ARRAY = 5;

/** Writes `s` as UTF-8 at `at` (lone surrogates as U+FFFD, as TextEncoder does); returns the bytes written. */
export function writeString(view: Uint8Array, at: number, s: string): number {
  const n = s.length;
  if (n > 48) return encoder.encodeInto(s, view.subarray(at)).written;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return i + encoder.encodeInto(s.slice(i), view.subarray(at + i)).written;
    view[at + i] = c;
  }
  return n;
}

/** Writes a length-prefixed string at `at`; returns the end, or `NO_ROOM`. */
function putString(view: Uint8Array, dv: DataView, at: number, s: string): number {
  if (at + 4 + s.length * 3 > view.length) return NO_ROOM;
  const n = writeString(view, at + 4, s);
  dv.setUint32(at, n, true);
  return at + 4 + n;
}

/** Writes one value (array elements: `nested`); returns the end, `NEEDS_JSON` or `NO_ROOM`. */
function putValue(view: Uint8Array, dv: DataView, at: number, v: unknown, nested: boolean): number {
  if (at + 9 > view.length) return NO_ROOM;
  switch (typeof v) {
    case 'string':
      view[at] = STRING;
      return putString(view, dv, at + 1, v);
    case 'number':
      // As JSON.stringify: NaN and ±Infinity are null, -0 is 0.
      if (!Number.isFinite(v)) {
        view[at] = NULL;
        return at + 1;
      }
      view[at] = NUMBER;
      dv.setFloat64(at + 1, v === 0 ? 0 : v, true);
      return at + 9;
    case 'boolean':
      view[at] = v ? TRUE : FALSE;
      return at + 1;
    case 'undefined':
    case 'function':
    case 'symbol':
      // Only inside arrays (members with these values are skipped): JSON writes null.
      view[at] = NULL;
      return at + 1;
    case 'object': {
      if (v === null) {
        view[at] = NULL;
        return at + 1;
      }
      if (nested || !Array.isArray(v) || typeof (v as { toJSON?: unknown }).toJSON === 'function') return NEEDS_JSON;
      view[at] = ARRAY;
      dv.setUint32(at + 1, v.length, true);
      let end = at + 5;
      for (let i = 0; i < v.length; i++) {
        end = putValue(view, dv, end, v[i], true);
        if (end < 0) return end;
      }
      return end;
    }
    default:
      return NEEDS_JSON; // a BigInt: the JSON path converts it
  }
}

/** Writes one member (name, value) at `at`; returns the end (`at` when JSON would skip it), `NEEDS_JSON` or `NO_ROOM`. */
function putMember(view: Uint8Array, dv: DataView, at: number, name: string, v: unknown): number {
  const t = typeof v;
  if (t === 'undefined' || t === 'function' || t === 'symbol') return at;
  const end = putString(view, dv, at, name);
  return end < 0 ? end : putValue(view, dv, end, v, false);
}

/** Whether `Object.prototype` has enumerable properties (then `for…in` over plain objects would see them too). */
function prototypeEnumerates(): boolean {
  for (const _ in Object.prototype) return true;
  return false;
}

/**
 * Writes `attributes` at `at` in the compact encoding; returns the end, `NEEDS_JSON` when only
 * JSON text says what they are (nested objects, `toJSON`, BigInts, not a plain object), or
 * `NO_ROOM`. A value that is not an object needs JSON too (validation rejects it). Members are
 * what `JSON.stringify` writes: own enumerable string keys, in order, without `undefined`,
 * function and symbol values. Plain objects are walked with `for…in` (several times faster in
 * V8 than `Object.keys` and a keyed read per member), which sees exactly their own enumerable
 * keys when nothing enumerable was added to `Object.prototype`; other objects with `Object.keys`.
 */
export function encodeAttributes(view: Uint8Array, dv: DataView, at: number, attributes: unknown): number {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes) || typeof (attributes as { toJSON?: unknown }).toJSON === 'function') return NEEDS_JSON;
  const object = attributes as Record<string, unknown>;
  const proto: unknown = Object.getPrototypeOf(object);
  let end = at + 4;
  let count = 0;
  if (proto === null || (proto === Object.prototype && !prototypeEnumerates())) {
    for (const name in object) {
      const next = putMember(view, dv, end, name, object[name]);
      if (next < 0) return next;
      if (next !== end) count++;
      end = next;
    }
  } else {
    const names = Object.keys(object);
    for (let i = 0; i < names.length; i++) {
      const next = putMember(view, dv, end, names[i], object[names[i]]);
      if (next < 0) return next;
      if (next !== end) count++;
      end = next;
    }
  }
  if (at + 4 > view.length) return NO_ROOM;
  dv.setUint32(at, count, true);
  return end;
}
