import { ValidationError } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/cursor.js';

const ALICE = 'arn:aws:iam::111122223333:user/alice';
const BOB = 'arn:aws:iam::111122223333:user/bob';
const position = { sortKey: '2026-01-01T00:00:00.000Z#job-1', id: 'job-1' };

const reason = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
};

const forge = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64url');

describe('listing cursors', () => {
  it('round-trip for the owner they were issued to, as an opaque URL-safe string', () => {
    const cursor = encodeCursor(ALICE, position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, ALICE)).toEqual(position);
  });

  it("are refused for another owner with a ValidationError on ['cursor']", () => {
    const error = reason(() => decodeCursor(encodeCursor(ALICE, position), BOB));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      expect.objectContaining({ path: ['cursor'], code: 'invalid_cursor' }),
    ]);
  });

  it.each([
    ['not base64 JSON', 'bm90LWEtY3Vyc29y'],
    ['empty', ''],
    ['JSON null', forge(null)],
    ['an array', forge([ALICE, position.sortKey, position.id])],
    ['no owner', forge({ sortKey: position.sortKey, id: position.id })],
    [
      'a sort key that is not the id',
      forge({ owner: ALICE, sortKey: '2026-01-01T00:00:00.000Z#other', id: 'job-1' }),
    ],
    ['a numeric id', forge({ owner: ALICE, sortKey: '2026#1', id: 1 })],
    ['an empty id', forge({ owner: ALICE, sortKey: '2026#', id: '' })],
  ])('are refused when forged: %s', (_, cursor) => {
    expect(() => decodeCursor(cursor, ALICE)).toThrow(ValidationError);
  });

  it('give the same answer for a foreign cursor and a broken one, so neither can be told apart', () => {
    const foreign = reason(() => decodeCursor(encodeCursor(ALICE, position), BOB)) as Error;
    const broken = reason(() => decodeCursor('%%%', BOB)) as Error;
    expect(foreign.message).toBe(broken.message);
  });
});
