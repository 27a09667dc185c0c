import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { sampleValue } from '../../src/sample-input.js';

/** The input schema as GET /operations describes it (see @baton/core's registry). */
const described = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

describe('sample input for the printed examples', () => {
  it('fills what is required with the smallest valid values, and leaves defaults to the operation', () => {
    const schema = z.strictObject({
      text: z.string().max(100_000),
      algorithm: z.enum(['sha256', 'md5']).default('sha256'),
      records: z.int().min(1).max(1_000),
      seconds: z.int().min(5),
      ratio: z.number().gt(0),
      flags: z.array(z.string()).min(2),
      kind: z.enum(['a', 'b']),
      nested: z.object({ id: z.uuid(), at: z.iso.datetime() }),
      maybe: z.string().optional(),
    });
    const value = sampleValue(described(schema));
    expect(value).toEqual({
      text: 'hello',
      records: 1,
      seconds: 5,
      ratio: 0.5,
      flags: ['hello', 'hello'],
      kind: 'a',
      nested: { id: expect.any(String), at: expect.any(String) },
    });
    expect(schema.safeParse(value).success).toBe(true);
  });

  it("prefers the schema's own examples", () => {
    const schema = z.strictObject({
      upTo: z
        .int()
        .min(2)
        .meta({ examples: [100_000] }),
    });
    expect(sampleValue(described(schema))).toEqual({ upTo: 100_000 });
  });

  it('respects string lengths and multiples', () => {
    expect(sampleValue(described(z.string().min(8)))).toBe('helloooo');
    expect(sampleValue(described(z.string().max(3)))).toBe('hel');
    expect(sampleValue(described(z.int().min(7).multipleOf(5)))).toBe(10);
  });
});
