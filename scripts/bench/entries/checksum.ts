// The example's quick operation, written as a peer's handler would: a zod schema (imported as the toolchain
// notes advise, `* as z`) and the work.
import { createHash } from 'node:crypto';
import * as z from 'zod';

export const RequestBody = z.strictObject({
  operation: z.literal('checksum'),
  input: z.strictObject({
    text: z.string().max(100_000),
    algorithm: z.enum(['sha256', 'sha1', 'md5']).default('sha256'),
  }),
});

export function checksum(body: unknown) {
  const { input } = RequestBody.parse(body);
  return {
    status: 'succeeded',
    result: {
      algorithm: input.algorithm,
      digest: createHash(input.algorithm).update(input.text, 'utf8').digest('hex'),
      bytes: Buffer.byteLength(input.text, 'utf8'),
    },
  };
}
