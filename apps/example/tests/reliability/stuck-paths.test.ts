import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal, type Job } from '@baton/core';
import { functionName } from '@baton/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reliabilityService } from './fixtures/service.js';
import { postJob, type ReliabilityStack, startReliabilityStack, writeFigures } from './stack.js';

/**
 * The stuck paths of issue 8, end to end: each job must end in a terminal state within two reconciler periods of
 * the moment it got stuck (plus the run itself). The reconciler runs every PERIOD_MS and looks at jobs unwritten
 * for GRACE_MS (one local lease).
 */
const PERIOD_MS = 2_000;
const GRACE_MS = 2_000;
/** Time to run a recovered job on a busy 2-core machine, on top of the two periods. */
const RUN_ALLOWANCE_MS = 2_000;
const WITHIN_MS = 2 * PERIOD_MS + RUN_ALLOWANCE_MS;

describe('stuck paths: every job ends within two reconciler periods', () => {
  let suite: ReliabilityStack;
  const figures: Record<string, unknown> = {};
  beforeAll(async () => {
    // Lambda's async retries (1 and 2 minutes) at a twentieth: the crash path waits for both of them.
    suite = await startReliabilityStack({
      reconcileEveryMs: PERIOD_MS,
      reconcileGraceMs: GRACE_MS,
      timeScale: 0.05,
    });
  }, 120_000);
  afterAll(async () => {
    writeFigures('stuck-paths', {
      periodMs: PERIOD_MS,
      graceMs: GRACE_MS,
      withinMs: WITHIN_MS,
      paths: figures,
    });
    await suite?.stop();
  });

  /** Polls one job until it is terminal; resolves with it and how long that took from `since`. */
  async function endOf(
    jobId: string,
    since: number,
    timeoutMs = 60_000,
  ): Promise<{ job: Job; afterMs: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await suite.store.get(jobId);
      if (job && isTerminal(job.status)) return { job, afterMs: Date.now() - since };
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job?.status} after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  it('1. a bad X-Correlation-Id is refused at the door; a job stored with one by an older version still ends', async () => {
    for (const value of ['x'.repeat(257), ' ']) {
      const answer = await postJob(
        suite.endpoints.httpApi,
        { operation: 'tally', input: {} },
        { prefer: 'respond-async', 'x-correlation-id': value },
      );
      expect(answer.status).toBe(400);
    }
    // As an older version left it: queued, with a correlation id the worker's event schema refuses, never dispatched.
    const at = new Date().toISOString();
    const { job } = await suite.store.create({
      id: `legacy-${Date.now()}`,
      operation: 'tally',
      operationVersion: 1,
      input: { steps: 0, stepMs: 0 },
      owner: 'arn:aws:iam::000000000000:user/local-developer',
      status: 'queued',
      attempts: 0,
      cancelRequested: false,
      correlationId: 'c'.repeat(300),
      createdAt: at,
      updatedAt: at,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const ended = await endOf(job.id, Date.parse(at));
    figures.badCorrelationId = { status: ended.job.status, endedAfterMs: ended.afterMs };
    expect(ended.job.status).toBe('succeeded');
    expect(ended.afterMs).toBeLessThanOrEqual(GRACE_MS + WITHIN_MS);
  });

  it('2. a sync run handed off whose dispatch is lost is dispatched again and completes', async () => {
    const worker = functionName(reliabilityService, 'worker');
    suite.stack.lambda.setFaults({ dropFraction: 1, functions: [worker] });
    const answer = await postJob(
      suite.endpoints.httpApi,
      { operation: 'tally', input: { steps: 30, stepMs: 100 } },
      { prefer: 'wait=1', 'idempotency-key': `handoff-${Date.now()}` },
    );
    const stuckAt = Date.now();
    suite.stack.lambda.setFaults(undefined);
    expect(answer.status).toBe(202);
    const ended = await endOf(answer.body.jobId as string, stuckAt);
    figures.lostHandoff = {
      status: ended.job.status,
      endedAfterMs: ended.afterMs,
      progress: ended.job.progress,
    };
    expect(ended.job.status).toBe('succeeded');
    expect((ended.job.result as { resumedFrom: number }).resumedFrom).toBeGreaterThan(0);
    expect(ended.afterMs).toBeLessThanOrEqual(GRACE_MS + WITHIN_MS + 3_000);
  });

  it('3. a job whose runner crashes on every attempt ends failed with the reason', async () => {
    const answer = await postJob(
      suite.endpoints.httpApi,
      { operation: 'crash', input: {} },
      { prefer: 'respond-async' },
    );
    expect(answer.status).toBe(202);
    const submittedAt = Date.now();
    const ended = await endOf(answer.body.jobId as string, submittedAt, 90_000);
    const crashes = suite
      .executions()
      .filter((e) => e.op === 'crash' && e.jobId === answer.body.jobId).length;
    figures.crashEveryAttempt = {
      status: ended.job.status,
      error: ended.job.error,
      crashes,
      endedAfterMs: ended.afterMs,
    };
    expect(ended.job.status).toBe('failed');
    expect(['DeliveryFailed', 'AttemptsExhausted']).toContain(ended.job.error?.type);
  });

  it('4. a recorded sync run whose result cannot be stored fails its job, and a retry does not run it again', async () => {
    const key = `oversized-${Date.now()}`;
    const first = await postJob(
      suite.endpoints.httpApi,
      { operation: 'oversized', input: {} },
      { 'idempotency-key': key },
    );
    const second = await postJob(
      suite.endpoints.httpApi,
      { operation: 'oversized', input: {} },
      { 'idempotency-key': key },
    );
    const runs = suite.executions().filter((e) => e.op === 'oversized').length;
    figures.resultTooLarge = {
      first: first.status,
      retry: second.status,
      error: first.body.error,
      executions: runs,
    };
    expect(first.status).toBe(422);
    expect(first.body).toMatchObject({ error: { type: 'PayloadTooLarge' } });
    expect(second.status).toBe(422);
    expect(runs).toBe(1);
    const { job } = await endOf(first.body.jobId as string, Date.now());
    expect(job.status).toBe('failed');
  });

  it('5. a recorded sync run notices a cancel and ends cancelled', async () => {
    const key = `cancel-${Date.now()}`;
    const running = postJob(
      suite.endpoints.httpApi,
      { operation: 'tally', input: { steps: 100, stepMs: 100 } },
      { 'idempotency-key': key, prefer: 'wait=20' },
    );
    let jobId: string | undefined;
    while (!jobId) {
      await sleep(200);
      const list = await fetch(`${suite.endpoints.httpApi}/jobs?limit=20`).then(
        (r) => r.json() as Promise<{ jobs: Job[] }>,
      );
      jobId = list.jobs.find((job) => job.clientRequestId === key)?.id;
    }
    const cancelledAt = Date.now();
    const cancel = await fetch(`${suite.endpoints.httpApi}/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    const answer = await running;
    const ended = await endOf(jobId, cancelledAt);
    figures.cancelSyncRun = { answer: answer.status, status: ended.job.status, endedAfterMs: ended.afterMs };
    expect(answer.body).toMatchObject({ error: { type: 'Cancelled' } });
    expect(ended.job.status).toBe('cancelled');
    expect(ended.afterMs).toBeLessThanOrEqual(WITHIN_MS);
  });
});
