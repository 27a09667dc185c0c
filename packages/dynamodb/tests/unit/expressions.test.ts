import { describe, expect, it } from 'vitest';
import { planUpdate } from '../../src/expressions.js';

const at = { nowMs: 1_767_225_600_000, updatedAt: '2026-01-01T00:00:00.000Z' };

describe('planUpdate', () => {
  it('always requires a live item and stamps updatedAt', () => {
    const plan = planUpdate({}, {}, at);
    expect(plan).toEqual({
      ConditionExpression: 'attribute_exists(#pk) AND #expiresAtMs > :v0',
      UpdateExpression: 'SET #updatedAt = :v1',
      ExpressionAttributeNames: { '#pk': 'pk', '#expiresAtMs': 'expiresAtMs', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':v0': at.nowMs, ':v1': at.updatedAt },
      set: { updatedAt: at.updatedAt },
      remove: [],
    });
  });

  it('conditions a claim on the status and on there being no lease', () => {
    const plan = planUpdate(
      { status: ['queued', 'running'], leaseHolder: null },
      { status: 'running', attempts: 1 },
      at,
    );
    expect(plan?.ConditionExpression).toBe(
      'attribute_exists(#pk) AND #expiresAtMs > :v0 AND #status IN (:v1, :v2) AND attribute_not_exists(#lease)',
    );
    expect(plan?.ExpressionAttributeValues).toMatchObject({ ':v1': 'queued', ':v2': 'running' });
    expect(plan?.UpdateExpression).toBe('SET #updatedAt = :v3, #status = :v4, #attempts = :v5');
  });

  it('conditions a takeover on the exact lease that was seen', () => {
    const plan = planUpdate(
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
      'SET #updatedAt = :v2, #status = :v3, #result = :v4, #progress = :v5 REMOVE #lease, #checkpoint',
    );
    expect(plan?.ExpressionAttributeValues[':v4']).toBe('{"total":42}');
    expect(plan?.ExpressionAttributeValues[':v5']).toEqual({ fraction: 1 });
    expect(plan?.set).toEqual({
      updatedAt: at.updatedAt,
      status: 'succeeded',
      result: '{"total":42}',
      progress: { fraction: 1 },
    });
    expect(plan?.remove).toEqual(['lease', 'checkpoint']);
  });

  it('sends nothing when no status could ever match', () => {
    expect(planUpdate({ status: [] }, { status: 'running' }, at)).toBeUndefined();
  });
});
