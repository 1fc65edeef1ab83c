/** Seeded generator of random and hostile IPC payloads (wrong types, huge strings, traversal, pollution). */
export { seededRandom as mulberry32 } from '../../src/main/training/seededRandom';

const TRAVERSAL = [
  '../../etc/passwd',
  '/etc/passwd',
  '..\\..\\windows\\system32\\config\\sam',
  'file:///etc/passwd',
  '\u0000/etc/passwd',
  '/proc/self/environ',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
];
const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'];
const FIELD_NAMES = ['t', 'id', 'imageId', 'imageIds', 'roots', 'path', 'label', 'filters', 'sort', 'offset', 'limit', 'name', 'value', 'modelId', 'reviewer', 'includeIdentifiers', 'config', 'text'];

export function hostilePayload(rand: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  switch (Math.floor(rand() * 12)) {
    case 0:
      return pick([null, undefined, true, false, 0, -1, NaN, Infinity, -0, 2 ** 53, 1e308]);
    case 1:
      return pick(TRAVERSAL);
    case 2:
      return 'A'.repeat(pick([1_000, 100_000, 1_000_000]));
    case 3:
      return Math.floor(rand() * 1e9) * (rand() < 0.5 ? -1 : 1);
    case 4:
      return depth > 3 ? [] : Array.from({ length: Math.floor(rand() * 5) }, () => hostilePayload(rand, depth + 1));
    case 5:
      return JSON.parse(`{"${pick(POLLUTION_KEYS)}": {"polluted": true, "isAdmin": true}}`);
    case 6: {
      // Nested pollution inside a plausible field.
      return JSON.parse(`{"${pick(FIELD_NAMES)}": {"__proto__": {"polluted": true}}}`);
    }
    case 7:
      return new Float32Array(Math.floor(rand() * 16));
    case 8: {
      let o: unknown = {};
      for (let i = 0; i < 200; i++) o = { a: o };
      return o;
    }
    default: {
      // A plausible-looking object with hostile values in known field names.
      const o: Record<string, unknown> = {};
      const n = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < n; i++) o[pick(FIELD_NAMES)] = depth > 2 ? pick(TRAVERSAL) : hostilePayload(rand, depth + 1);
      return o;
    }
  }
}
