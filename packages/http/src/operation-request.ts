import * as z from 'zod';

/** The body of `POST /jobs` and the payload of a direct invoke: an operation request. */
export const OperationRequestBody = z.strictObject({
  operation: z.string().min(1).max(128),
  input: z.unknown().optional(),
  meta: z
    .strictObject({
      async: z.boolean().optional(),
      clientRequestId: z.string().min(1).max(128).optional(),
    })
    .optional(),
});

export type OperationRequestBody = z.output<typeof OperationRequestBody>;

const isString1To128 = (value: unknown) =>
  typeof value === 'string' && value.length >= 1 && value.length <= 128;

/** A plain object (as `JSON.parse` makes them), not an array, a class instance or null. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isMeta(meta: unknown): boolean {
  if (meta === undefined) return true;
  if (!isPlainObject(meta)) return false;
  for (const key in meta) {
    if (key === 'async') {
      if (meta.async !== undefined && typeof meta.async !== 'boolean') return false;
    } else if (key === 'clientRequestId') {
      if (meta.clientRequestId !== undefined && !isString1To128(meta.clientRequestId)) return false;
    } else return false;
  }
  return true;
}

/**
 * The value as an operation request when it plainly is one — what `OperationRequestBody` accepts, checked by
 * hand, without the copy zod makes of the object and of its `meta` — else undefined, and the caller asks zod,
 * which either accepts it all the same or says what is wrong, in its words. So a valid request costs no zod
 * parse (a copy, garbage to collect, on every request: docs/decisions/0012-a-fast-door-and-a-small-bundle.md),
 * and every answer stays zod's; the tests hold the two to the same verdicts.
 */
export function plainOperationRequest(value: unknown): OperationRequestBody | undefined {
  if (!isPlainObject(value)) return undefined;
  for (const key in value) {
    if (key !== 'operation' && key !== 'input' && key !== 'meta') return undefined;
  }
  if (!isString1To128(value.operation) || !isMeta(value.meta)) return undefined;
  return value as OperationRequestBody;
}

/** `OperationRequestBody.safeParse`, without zod for a request that plainly is one. */
export function parseOperationRequest(value: unknown): z.ZodSafeParseResult<OperationRequestBody> {
  const plain = plainOperationRequest(value);
  return plain === undefined ? OperationRequestBody.safeParse(value) : { success: true, data: plain };
}
