import { describe, expect, it } from 'vitest';
import {
  OperationRequestBody,
  parseOperationRequest,
  plainOperationRequest,
} from '../../src/operation-request.js';

/**
 * A valid operation request is checked by hand, without zod's copy
 * (docs/decisions/0012-a-fast-door-and-a-small-bundle.md); these tests hold that check to the zod schema: whatever
 * it accepts, zod accepts with the same data, and whatever zod refuses it leaves to zod (which words the error).
 */
const VALUES: unknown[] = [
  undefined,
  null,
  0,
  '',
  'x',
  'greet',
  'g'.repeat(128),
  'g'.repeat(129),
  true,
  false,
  [],
  {},
  { name: 'bench' },
  Object.create(null),
  new Date(0),
];
const META: unknown[] = [
  ...VALUES,
  { async: true },
  { async: 'yes' },
  { async: undefined },
  { clientRequestId: 'r-1' },
  { clientRequestId: '' },
  { clientRequestId: 'r'.repeat(128) },
  { clientRequestId: 'r'.repeat(129) },
  { clientRequestId: 7 },
  { async: false, clientRequestId: 'r-1' },
  { async: false, clientRequestId: 'r-1', extra: 1 },
  { other: true },
];

function* requests(): Generator<unknown> {
  yield* VALUES;
  yield JSON.parse('{"operation":"greet","__proto__":{"x":1}}');
  yield { operation: 'greet', extra: 1 };
  for (const operation of [...VALUES, Symbol('absent')]) {
    for (const input of [Symbol('absent'), undefined, null, { name: 'bench' }, [1]]) {
      for (const meta of [...META, Symbol('absent')]) {
        const request: Record<string, unknown> = {};
        if (typeof operation !== 'symbol') request.operation = operation;
        if (typeof input !== 'symbol') request.input = input;
        if (typeof meta !== 'symbol') request.meta = meta;
        yield request;
      }
    }
  }
}

describe('the operation request check', () => {
  it('accepts only what the zod schema accepts, with the same data, and leaves the rest to zod', () => {
    let accepted = 0;
    let checked = 0;
    for (const request of requests()) {
      checked++;
      const byZod = OperationRequestBody.safeParse(request);
      const byHand = plainOperationRequest(request);
      if (byHand !== undefined) {
        accepted++;
        expect(byZod.success, JSON.stringify(request)).toBe(true);
        const { operation, input, meta } = byHand;
        expect({ operation, input, meta: meta && { ...meta } }).toEqual({
          operation: byZod.data?.operation,
          input: byZod.data?.input,
          meta: byZod.data?.meta,
        });
      }
      expect(parseOperationRequest(request).success).toBe(byZod.success);
    }
    expect(checked).toBeGreaterThan(2_000);
    expect(accepted).toBeGreaterThan(100);
  });

  it('words a refusal as zod does', () => {
    const refused = parseOperationRequest({ operation: '', meta: { async: 'yes' } });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues).toEqual(
      OperationRequestBody.safeParse({ operation: '', meta: { async: 'yes' } }).error?.issues,
    );
  });
});
