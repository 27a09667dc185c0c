import type { Json } from './job.js';

/**
 * JSON with object keys sorted at every depth, so that two inputs that differ only in key order compare
 * equal. Used to tell an idempotent resubmit (same input) from a reused key (different input).
 */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys
    .filter((key) => value[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as Json)}`)
    .join(',')}}`;
}

/** The UTF-8 size of a value's JSON, as it will travel and be stored. */
export const jsonSizeBytes = (value: unknown): number =>
  Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
