import { createHash } from 'node:crypto';
import { defineOperation } from '@baton/core';
import * as z from 'zod';

/** The quick operation: answers in well under a millisecond, so it is always served synchronously. */
export const checksum = defineOperation({
  name: 'checksum',
  description: 'Hashes a text (UTF-8) and returns the hex digest.',
  input: z.strictObject({
    text: z.string().max(100_000),
    algorithm: z.enum(['sha256', 'sha1', 'md5']).default('sha256'),
  }),
  output: z.object({ algorithm: z.string(), digest: z.string(), bytes: z.int() }),
  run: async ({ text, algorithm }) => ({
    algorithm,
    digest: createHash(algorithm).update(text, 'utf8').digest('hex'),
    bytes: Buffer.byteLength(text, 'utf8'),
  }),
});
