import { JOB_STATUSES, TERMINAL_STATUSES } from '@baton/core';
import { ManualClock } from '@baton/core/testing';
import { sampleJob } from '@baton/core/testing/conformance';
import { describe, expect, it } from 'vitest';
import { jobsTable, jobsTableDefinition } from '../../src/index.js';
import {
  fromJobItem,
  instantMs,
  isLiveItem,
  jobIdOfKey,
  jobKey,
  reservationKey,
  toJobItem,
  toReservationItem,
  UNFINISHED_SHARDS,
  unfinishedShardOf,
} from '../../src/table.js';

describe('the jobs table', () => {
  it('defines one partition key, and a sparse owner index and unfinished index holding keys and expiry only', () => {
    expect(jobsTableDefinition('jobs')).toEqual({
      TableName: 'jobs',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'owner', AttributeType: 'S' },
        { AttributeName: 'createdAtId', AttributeType: 'S' },
        { AttributeName: 'unfinishedShard', AttributeType: 'S' },
        { AttributeName: 'updatedAtMs', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byOwner',
          KeySchema: [
            { AttributeName: 'owner', KeyType: 'HASH' },
            { AttributeName: 'createdAtId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['expiresAtMs'] },
        },
        {
          IndexName: 'unfinished',
          KeySchema: [
            { AttributeName: 'unfinishedShard', KeyType: 'HASH' },
            { AttributeName: 'updatedAtMs', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['expiresAtMs'] },
        },
      ],
    });
  });

  it('keys jobs and reservations apart, and reservations by a hash of owner and key', () => {
    expect(jobKey('abc')).toEqual({ pk: 'job#abc' });
    expect(jobIdOfKey('job#abc')).toBe('abc');
    const key = reservationKey('alice', 'k1').pk as string;
    expect(key).toMatch(/^req#[A-Za-z0-9_-]{43}$/);
    expect(reservationKey('alice', 'k1')).toEqual({ pk: key });
    expect(reservationKey('bob', 'k1')).not.toEqual({ pk: key });
    expect(reservationKey('alice', 'k1\u0000')).not.toEqual(reservationKey('alice\u0000', 'k1'));
  });

  it('maps a job to an item and back exactly, JSON as text, expiry as numbers', () => {
    const clock = new ManualClock();
    const job = sampleJob(clock, {
      clientRequestId: 'k',
      checkpoint: { at: [1, 2] },
      lease: { holder: 'h', expiresAt: '2026-01-01T00:01:00.000Z' },
      expiresAt: '2026-01-08T00:00:00.500Z',
    });
    const item = toJobItem(job);
    expect(item).toMatchObject({
      pk: `job#${job.id}`,
      owner: job.owner,
      createdAtId: `${job.createdAt}#${job.id}`,
      expiresAtMs: Date.parse(job.expiresAt),
      ttl: Math.ceil(Date.parse(job.expiresAt) / 1000),
      updatedAtMs: Date.parse(job.updatedAt),
      unfinishedShard: unfinishedShardOf(job.id),
      input: JSON.stringify(job.input),
      checkpoint: '{"at":[1,2]}',
      lease: job.lease,
    });
    expect(Object.values(item)).not.toContain(undefined);
    expect(fromJobItem(item)).toEqual(job);
  });

  it('puts a job in the unfinished index only while it is queued or running', () => {
    const clock = new ManualClock();
    for (const status of JOB_STATUSES) {
      const job = sampleJob(clock, { status, updatedAt: '2026-01-01T00:00:01.250Z' });
      const item = toJobItem(job);
      expect(item[jobsTable.updatedAtMs], status).toBe(Date.parse('2026-01-01T00:00:01.250Z'));
      if (TERMINAL_STATUSES.includes(status))
        expect(item, status).not.toHaveProperty(jobsTable.unfinishedShard);
      else expect(item[jobsTable.unfinishedShard], status).toBe(unfinishedShardOf(job.id));
      // Neither index attribute is part of the job.
      expect(fromJobItem(item), status).toEqual(job);
    }
  });

  it('gives a job id one stable shard, "0" to "7", and spreads ids over all of them', () => {
    expect(UNFINISHED_SHARDS).toBe(8);
    expect(unfinishedShardOf('abc')).toBe(unfinishedShardOf('abc'));
    // Pinned: a shard that moved between releases would strand jobs already in the index.
    expect(['abc', 'job-1', 'job-2', ''].map(unfinishedShardOf)).toEqual(['2', '2', '6', '3']);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const shard = unfinishedShardOf(`job-${i}`);
      expect(shard).toMatch(/^[0-7]$/);
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    for (const count of counts.values()) expect(count).toBeGreaterThan(400);
  });

  it('keeps reservations out of both indexes: no owner, no sort key, no shard', () => {
    const item = toReservationItem('alice', 'k1', 'job-1', 2_000_500);
    expect(item).toEqual({
      ...reservationKey('alice', 'k1'),
      jobId: 'job-1',
      expiresAtMs: 2_000_500,
      ttl: 2001,
    });
    expect(item).not.toHaveProperty(jobsTable.ownerKey);
    expect(item).not.toHaveProperty(jobsTable.ownerSortKey);
    expect(item).not.toHaveProperty(jobsTable.unfinishedShard);
  });

  it('treats an item as live strictly before its expiry', () => {
    expect(isLiveItem({ expiresAtMs: 1000 }, 999)).toBe(true);
    expect(isLiveItem({ expiresAtMs: 1000 }, 1000)).toBe(false);
    expect(isLiveItem(undefined, 0)).toBe(false);
    expect(isLiveItem({}, 0)).toBe(false);
  });

  it('refuses an expiry that is not an instant', () => {
    expect(() => instantMs('soon', 'expiresAt')).toThrow(TypeError);
  });
});
