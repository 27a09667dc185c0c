import { describe, expect, it } from 'vitest';
import { runInline, runJob, submitJob, systemClock, ValidationError } from '../../src/index.js';
import { ALICE, harness } from '../fixtures/harness.js';
import { expectedSum } from '../fixtures/operations.js';

describe('runInline: the synchronous path under a deadline', () => {
  it('returns the result of an operation that finishes in time', async () => {
    const { deps } = harness();
    expect(
      await runInline(deps, { operation: 'echo', input: { message: 'hi' } }, { deadlineMs: 1_000 }),
    ).toEqual({
      kind: 'completed',
      output: { echoed: 'hi' },
    });
  });

  it('returns an operation failure as data', async () => {
    const { deps } = harness();
    expect(await runInline(deps, { operation: 'rejects', input: {} }, { deadlineMs: 1_000 })).toEqual({
      kind: 'failed',
      error: { type: 'MalformedRecord', message: 'the record is malformed', retryable: false },
    });
  });

  it('throws validation errors before running anything', async () => {
    const { deps } = harness();
    await expect(
      runInline(deps, { operation: 'echo', input: { message: '' } }, { deadlineMs: 1_000 }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('hands over at the deadline with the last checkpoint, and a job resumes from it to the right result', async () => {
    const { deps, drain, run, clock } = harness();
    const input = { batches: 40, batchSize: 3, batchMs: 10 };
    const started = clock.now();
    const outcome = await run(
      runInline(deps, { operation: 'sum-batches', input }, { deadlineMs: 120, graceMs: 30 }),
    );
    expect(clock.now() - started).toBeLessThanOrEqual(120);
    expect(outcome).toMatchObject({ kind: 'handoff', operation: 'sum-batches', input });
    if (outcome.kind !== 'handoff') throw new Error('expected a handoff');
    const checkpoint = outcome.checkpoint as { next: number };
    expect(checkpoint.next).toBeGreaterThan(0);
    expect(checkpoint.next).toBeLessThan(40);
    expect(outcome.progress?.fraction).toBeCloseTo(checkpoint.next / 40);

    const { job } = await submitJob(deps, {
      owner: ALICE,
      operation: outcome.operation,
      input: outcome.input,
      ...(outcome.checkpoint !== undefined && { checkpoint: outcome.checkpoint }),
    });
    const [result] = await drain();
    expect(result).toMatchObject({
      outcome: 'succeeded',
      job: { id: job.id, result: { total: expectedSum(40, 3), resumes: 1 } },
    });
  });

  it('hands over an operation that ignores its signal once the grace runs out, without waiting for it', async () => {
    const { deps, run, clock } = harness();
    const started = clock.now();
    const outcome = await run(
      runInline(deps, { operation: 'until-aborted', input: { stepMs: 5 } }, { deadlineMs: 60 }),
    );
    expect(outcome).toMatchObject({ kind: 'handoff', operation: 'until-aborted' });
    expect(clock.now() - started).toBeLessThanOrEqual(60);
    // until-aborted does not checkpoint, so there is nothing to resume from: the job restarts.
    expect(outcome).not.toHaveProperty('checkpoint');
  });

  it('runs with no job store at all: the fast sync path costs no write', async () => {
    const { registry } = harness().deps;
    const outcome = await runInline(
      { registry, clock: systemClock },
      { operation: 'echo', input: { message: 'x' } },
      {
        deadlineMs: 100,
      },
    );
    expect(outcome.kind).toBe('completed');
  });

  it('is used by runJob and runInline alike: the same operation gives the same result both ways', async () => {
    const { deps } = harness();
    const input = { batches: 5, batchSize: 4, batchMs: 0 };
    const inline = await runInline(deps, { operation: 'sum-batches', input }, { deadlineMs: 1_000 });
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'sum-batches', input });
    const asJob = await runJob(deps, job.id);
    expect(inline).toEqual({ kind: 'completed', output: { total: expectedSum(5, 4), resumes: 0 } });
    expect(asJob).toMatchObject({ job: { result: { total: expectedSum(5, 4), resumes: 0 } } });
  });
});
