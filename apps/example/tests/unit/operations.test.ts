import { createHash } from 'node:crypto';
import { randomIds, runInline, runJob, submitJob, systemClock } from '@baton/core';
import { InMemoryJobDispatcher, InMemoryJobStore } from '@baton/core/testing';
import { describe, expect, it } from 'vitest';
import { REGIONS, registry, saleRecord } from '../../src/operations/index.js';
import { expectedReport } from '../fixtures/expected-report.js';

const OWNER = 'arn:aws:iam::000000000000:user/tester';

function harness() {
  const store = new InMemoryJobStore();
  const dispatcher = new InMemoryJobDispatcher();
  return { store, dispatcher, deps: { registry, store, dispatcher, clock: systemClock, ids: randomIds } };
}

describe('the example operations', () => {
  it('checksum hashes UTF-8 text', async () => {
    const outcome = await runInline(
      { registry, clock: systemClock },
      { operation: 'checksum', input: { text: 'héllo' } },
      { deadlineMs: 1_000 },
    );
    expect(outcome).toEqual({
      kind: 'completed',
      output: { algorithm: 'sha256', digest: createHash('sha256').update('héllo').digest('hex'), bytes: 6 },
    });
  });

  it('generates records deterministically, spread over every region', () => {
    expect(saleRecord(7, 123)).toEqual(saleRecord(7, 123));
    expect(saleRecord(7, 123)).not.toEqual(saleRecord(8, 123));
    const regions = new Set(Array.from({ length: 1000 }, (_, i) => saleRecord(1, i).region));
    expect([...regions].sort()).toEqual([...REGIONS].sort());
  });

  it('report gives the same result in one run as recomputed independently', async () => {
    const outcome = await runInline(
      { registry, clock: systemClock },
      { operation: 'report', input: { records: 20_000, batchSize: 1_000, seed: 42 } },
      { deadlineMs: 10_000 },
    );
    expect(outcome).toEqual({ kind: 'completed', output: expectedReport(20_000, 42) });
  });

  it('report resumes from its checkpoints across hops to the same result', async () => {
    const { deps, dispatcher } = harness();
    const { job } = await submitJob(deps, {
      owner: OWNER,
      operation: 'report',
      input: { records: 300_000, batchSize: 1_000, seed: 9 },
    });
    let outcome = await runJob(deps, job.id, {
      remainingTimeMs: () => 60,
      handoffMarginMs: 40,
      abortGraceMs: 500,
    });
    let hops = 1;
    while (outcome.outcome === 'requeued' && hops < 200) {
      dispatcher.take();
      outcome = await runJob(deps, job.id, {
        hop: hops,
        maxHops: 200,
        remainingTimeMs: () => 60,
        handoffMarginMs: 40,
        abortGraceMs: 500,
      });
      hops += 1;
    }
    expect(hops).toBeGreaterThan(1);
    expect(outcome).toMatchObject({ outcome: 'succeeded', job: { result: expectedReport(300_000, 9) } });
  });

  it('wait checkpoints each second and resumes where it stopped', async () => {
    const outcome = await runInline(
      { registry, clock: systemClock },
      { operation: 'wait', input: { seconds: 3 } },
      { deadlineMs: 1_300, graceMs: 200 },
    );
    expect(outcome).toMatchObject({
      kind: 'handoff',
      checkpoint: { waitedMs: 1000 },
      progress: { fraction: 1 / 3 },
    });
  });

  it('refuses out-of-range input with the failing paths', async () => {
    expect(() => registry.parseInput('wait', { seconds: 901 })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: ['input', 'seconds'] })] }),
    );
    expect(() => registry.parseInput('report', { records: 0 })).toThrow(/report/);
  });
});
