import { describe, expect, it } from 'vitest';
import { randomIds } from '../../src/index.js';

describe('randomIds', () => {
  it('makes 22-character base64url job ids that never start with - or _ (they would read as options)', () => {
    // 20,000 draws: about 625 would start with - or _ if they were not thrown away.
    const ids = Array.from({ length: 20_000 }, () => randomIds.jobId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every other position still takes all 64 characters.
    expect(new Set(ids.map((id) => id[1])).size).toBe(64);
  });
});
