import { JOB_STATUSES, TERMINAL_STATUSES } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { planUpdate } from '../../src/expressions.js';
import { unfinishedShardOf } from '../../src/table.js';

const at = { nowMs: 1_767_225_600_000, updatedAt: '2026-01-01T00:00:00.000Z' };
const ID = 'job-1';

describe('planUpdate', () => {
  it('always requires a live item, and stamps updatedAt and the unfinished index sort key', () => {
    const plan = planUpdate(ID, {}, {}, at);
    expect(plan).toEqual({
      ConditionExpression: 'attribute_exists(#pk) AND #expiresAtMs > :v0',
      UpdateExpression: 'SET #updatedAt = :v1, #updatedAtMs = :v2',
      ExpressionAttributeNames: {
        '#pk': 'pk',
        '#expiresAtMs': 'expiresAtMs',
        '#updatedAt': 'updatedAt',
        '#updatedAtMs': 'updatedAtMs',
      },
      ExpressionAttributeValues: { ':v0': at.nowMs, ':v1': at.updatedAt, ':v2': Date.parse(at.updatedAt) },
      set: { updatedAt: at.updatedAt, updatedAtMs: Date.parse(at.updatedAt) },
      remove: [],
    });
  });

  it('conditions a claim on the status and on there being no lease', () => {
    const plan = planUpdate(
      ID,
      { status: ['queued', 'running'], leaseHolder: null },
      { status: 'running', attempts: 1 },
      at,
    );
    expect(plan?.ConditionExpression).toBe(
      'attribute_exists(#pk) AND #expiresAtMs > :v0 AND #status IN (:v1, :v2) AND attribute_not_exists(#lease)',
    );
    expect(plan?.ExpressionAttributeValues).toMatchObject({ ':v1': 'queued', ':v2': 'running' });
    expect(plan?.UpdateExpression).toBe(
      'SET #updatedAt = :v3, #updatedAtMs = :v4, #status = :v5, #attempts = :v6, #unfinishedShard = :v7',
    );
    expect(plan?.ExpressionAttributeValues[':v7']).toBe(unfinishedShardOf(ID));
  });

  it('conditions a takeover on the exact lease that was seen', () => {
    const plan = planUpdate(
      ID,
      { status: 'running', leaseHolder: 'dead', leaseExpiresAt: '2026-01-01T00:00:01.000Z' },
      { attempts: 2 },
      at,
    );
    expect(plan?.ConditionExpression).toBe(
      'attribute_exists(#pk) AND #expiresAtMs > :v0 AND #status = :v1 AND #lease.#holder = :v2 AND #lease.#expiresAt = :v3',
    );
    expect(plan?.ExpressionAttributeNames).toMatchObject({
      '#lease': 'lease',
      '#holder': 'holder',
      '#expiresAt': 'expiresAt',
    });
    expect(plan?.ExpressionAttributeValues).toMatchObject({
      ':v1': 'running',
      ':v2': 'dead',
      ':v3': '2026-01-01T00:00:01.000Z',
    });
  });

  it('removes attributes set to null, ignores undefined, and stores JSON attributes as text', () => {
    const plan = planUpdate(
      ID,
      { leaseHolder: 'me' },
      {
        status: 'succeeded',
        lease: null,
        checkpoint: null,
        result: { total: 42 },
        progress: { fraction: 1 },
        error: undefined,
      },
      at,
    );
    expect(plan?.UpdateExpression).toBe(
      'SET #updatedAt = :v2, #updatedAtMs = :v3, #status = :v4, #result = :v5, #progress = :v6 REMOVE #lease, #checkpoint, #unfinishedShard',
    );
    expect(plan?.ExpressionAttributeValues[':v5']).toBe('{"total":42}');
    expect(plan?.ExpressionAttributeValues[':v6']).toEqual({ fraction: 1 });
    expect(plan?.set).toEqual({
      updatedAt: at.updatedAt,
      updatedAtMs: Date.parse(at.updatedAt),
      status: 'succeeded',
      result: '{"total":42}',
      progress: { fraction: 1 },
    });
    expect(plan?.remove).toEqual(['lease', 'checkpoint', 'unfinishedShard']);
  });

  it('takes a job out of the unfinished index with the write of a terminal status, and only then', () => {
    for (const status of JOB_STATUSES) {
      const plan = planUpdate(ID, {}, { status }, at);
      const terminal = TERMINAL_STATUSES.includes(status);
      expect(plan?.remove, status).toEqual(terminal ? ['unfinishedShard'] : []);
      expect(plan?.set.unfinishedShard, status).toBe(terminal ? undefined : unfinishedShardOf(ID));
    }
    // A write without a status leaves the job's membership alone; only its sort key moves.
    const progress = planUpdate(ID, {}, { progress: { fraction: 0.5 } }, at);
    expect(progress?.UpdateExpression).toBe('SET #updatedAt = :v1, #updatedAtMs = :v2, #progress = :v3');
    expect(progress?.ExpressionAttributeNames).not.toHaveProperty('#unfinishedShard');
  });

  it('conditions on the reconciled count, an absent count matching 0', () => {
    const none = planUpdate(ID, { status: 'queued', reconciled: 0 }, { reconciled: 1 }, at);
    expect(none?.ConditionExpression).toBe(
      'attribute_exists(#pk) AND #expiresAtMs > :v0 AND #status = :v1 AND (attribute_not_exists(#reconciled) OR #reconciled = :v2)',
    );
    expect(none?.ExpressionAttributeValues).toMatchObject({ ':v1': 'queued', ':v2': 0 });
    expect(none?.UpdateExpression).toBe('SET #updatedAt = :v3, #updatedAtMs = :v4, #reconciled = :v5');

    const some = planUpdate(ID, { reconciled: 2 }, { reconciled: 3 }, at);
    expect(some?.ConditionExpression).toBe(
      'attribute_exists(#pk) AND #expiresAtMs > :v0 AND #reconciled = :v1',
    );
    expect(some?.ExpressionAttributeValues).toMatchObject({ ':v1': 2, ':v4': 3 });
    expect(some?.ExpressionAttributeNames).toMatchObject({ '#reconciled': 'reconciled' });
  });

  it('sends nothing when no status could ever match', () => {
    expect(planUpdate(ID, { status: [] }, { status: 'running' }, at)).toBeUndefined();
  });
});
