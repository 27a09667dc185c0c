/**
 * A small valid value for a JSON Schema (as `GET /operations` describes each operation's input): what the printed
 * examples send, so they work as printed against the service's real operations. It prefers the schema's own
 * `examples` and `default`, and otherwise the smallest value its bounds allow — a quick run, not a long one.
 */
type Schema = {
  type?: string | string[];
  examples?: unknown[];
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  prefixItems?: Schema[];
  minItems?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
};

export function sampleValue(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return null;
  const s = schema as Schema;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const first = s.anyOf?.[0] ?? s.oneOf?.[0];
  if (first) return sampleValue(first, depth + 1);
  if (s.allOf?.length) return sampleValue(Object.assign({}, ...s.allOf), depth + 1);
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? s.type[0]) : s.type;
  switch (type ?? (s.properties ? 'object' : undefined)) {
    case 'object': {
      // Only what is required: optional fields and fields with defaults are left to the operation.
      const value: Record<string, unknown> = {};
      for (const key of s.required ?? []) value[key] = sampleValue(s.properties?.[key] ?? {}, depth + 1);
      return value;
    }
    case 'array': {
      const items = s.prefixItems ?? [];
      const length = Math.max(s.minItems ?? 0, items.length);
      return Array.from({ length }, (_, i) => sampleValue(items[i] ?? s.items ?? {}, depth + 1));
    }
    case 'integer':
    case 'number':
      return sampleNumber(s, type === 'integer');
    case 'boolean':
      return false;
    case 'string':
      return sampleString(s);
    case 'null':
      return null;
    default:
      return null;
  }
}

function sampleNumber(s: Schema, integer: boolean): number {
  const low =
    s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + (integer ? 1 : 0.5) : undefined);
  let value = low ?? Math.min(1, s.maximum ?? 1);
  if (integer) value = Math.ceil(value);
  if (s.multipleOf) value = Math.ceil(value / s.multipleOf) * s.multipleOf;
  return value;
}

function sampleString(s: Schema): string {
  switch (s.format) {
    case 'email':
      return 'someone@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'date-time':
      return '2026-01-01T00:00:00Z';
    case 'date':
      return '2026-01-01';
  }
  let text = 'hello';
  if (s.minLength !== undefined && text.length < s.minLength) text = text.padEnd(s.minLength, 'o');
  if (s.maxLength !== undefined) text = text.slice(0, s.maxLength);
  return text;
}
