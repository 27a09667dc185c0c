import { DEFAULT_MAX_HOPS } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { InvalidSettings, readSettings } from '../../src/index.js';

describe('readSettings: configuration checked at cold start', () => {
  it('reads a valid environment, with defaults for what is unset or empty', () => {
    expect(readSettings({ JOBS_TABLE: 'jobs', BATON_MAX_HOPS: '', BATON_LEASE_TTL_MS: '10000' })).toEqual({
      jobsTable: 'jobs',
      maxHops: DEFAULT_MAX_HOPS,
      retentionMs: 7 * 24 * 3600_000,
      leaseTtlMs: 10_000,
    });
  });

  it.each([
    ['BATON_MAX_HOPS', 'twelve'],
    ['BATON_MAX_HOPS', '12.5'],
    ['BATON_MAX_HOPS', '-1'],
    ['BATON_JOB_RETENTION_DAYS', '0'],
    ['BATON_LEASE_TTL_MS', '1e3'],
    ['BATON_RECONCILE_GRACE_MS', 'NaN'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    let error: unknown;
    try {
      readSettings({ JOBS_TABLE: 'jobs', [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidSettings);
    expect((error as Error).message).toContain(`${name}='${value}'`);
  });

  it('refuses a missing table name', () => {
    expect(() => readSettings({})).toThrow(/JOBS_TABLE is not set/);
  });
});
