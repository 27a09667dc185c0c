import { ValidationError } from '@baton/core';

/** Where a listing stopped: the owner index's sort key and the job id of the last job returned. */
export interface ListPosition {
  readonly sortKey: string;
  readonly id: string;
}

interface CursorBody {
  readonly owner: string;
  readonly sortKey: string;
  readonly id: string;
}

/**
 * The cursor names its owner, and is refused for anyone else. It needs no signature: the query's key is
 * always built from the *requesting* owner, so the most a hand-made cursor can do is start the caller's
 * own listing at a position of their choosing.
 */
export function encodeCursor(owner: string, position: ListPosition): string {
  const body: CursorBody = { owner, sortKey: position.sortKey, id: position.id };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeCursor(cursor: string, owner: string): ListPosition {
  try {
    const body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody> | null;
    if (
      body?.owner === owner &&
      typeof body.sortKey === 'string' &&
      typeof body.id === 'string' &&
      body.id !== '' &&
      body.sortKey.endsWith(`#${body.id}`)
    )
      return { sortKey: body.sortKey, id: body.id };
  } catch {
    // the same error as another owner's cursor: no hint which it was
  }
  throw new ValidationError('Invalid cursor.', [
    { path: ['cursor'], message: 'Not a cursor issued for this listing.', code: 'invalid_cursor' },
  ]);
}
