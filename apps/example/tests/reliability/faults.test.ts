import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal } from '@baton/core';
import { functionName } from '@baton/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reliabilityService } from './fixtures/service.js';
import {
  countErrors,
  type Execution,
  FULL,
  forEachLimited,
  postJob,
  postJobWithRetries,
  type ReliabilityStack,
  SEED,
  startReliabilityStack,
  waitUntilTerminal,
  writeFigures,
} from './stack.js';

/**
 * Faults: a tenth of the worker's environments killed mid-invocation and a tenth of its events dropped, and a
 * tenth of the door's environments killed too (the client retries a 5xx with its Idempotency-Key, as it should).
 * Every job must end; checkpointing jobs resume from their last checkpoint, not from scratch.
 */
const JOBS = FULL ? 500 : 40;
const STEPS = 40;
const STEP_MS = 100;

function executionsByJob(executions: readonly Execution[]): Map<string, Execution[]> {
  const byJob = new Map<string, Execution[]>();
  for (const e of executions) byJob.set(e.jobId as string, [...(byJob.get(e.jobId as string) ?? []), e]);
  for (const runs of byJob.values()) runs.sort((a, b) => a.at - b.at);
  return byJob;
}

describe('faults: killed environments and dropped events', () => {
  let suite: ReliabilityStack;
  beforeAll(async () => {
    suite = await startReliabilityStack({
      // Lambda's async retries (1 and 2 minutes) at a twentieth in the reduced run (a tenth at full size):
      // dropped and failed events wait for them.
      timeScale: FULL ? 0.1 : 0.05,
      faults: {
        killFraction: 0.1,
        dropFraction: 0.1,
        seed: SEED,
        functions: [functionName(reliabilityService, 'worker'), functionName(reliabilityService, 'api')],
      },
    });
  }, 120_000);
  afterAll(async () => {
    await suite?.stop();
  });

  it(
    `ends all ${JOBS} jobs, resuming checkpointing ones from their checkpoint`,
    async () => {
      const started = Date.now();
      const ids = new Set<string>();
      const clientRetries = { count: 0, statuses: {} as Record<string, number> };
      await forEachLimited(
        Array.from({ length: JOBS }, (_, i) => i),
        8,
        async (i) => {
          const answer = await postJobWithRetries(
            suite.endpoints.httpApi,
            { operation: 'tally', input: { steps: STEPS, stepMs: STEP_MS } },
            { prefer: 'respond-async', 'idempotency-key': `fault-${i}` },
          );
          clientRetries.count += answer.attempts - 1;
          for (const status of answer.statuses)
            clientRetries.statuses[status] = (clientRetries.statuses[status] ?? 0) + 1;
          if (answer.status === 202) {
            ids.add(answer.body.jobId as string);
            return;
          }
          throw new Error(`job ${i} was never accepted`);
        },
      );
      // One more job whose environment is killed mid-run for certain: the resume from its checkpoint is shown
      // whatever the random draws did.
      const probe = await postJob(
        suite.endpoints.httpApi,
        { operation: 'tally', input: { steps: STEPS, stepMs: STEP_MS } },
        { prefer: 'respond-async', 'idempotency-key': 'fault-probe' },
      );
      const probeId = probe.body.jobId as string;
      ids.add(probeId);
      for (;;) {
        const job = await suite.store.get(probeId);
        if ((job?.progress?.fraction ?? 0) >= 0.25 && job?.status === 'running') break;
        if (job && isTerminal(job.status))
          throw new Error(
            `the probe job ended ${job.status} before it could be killed: ${JSON.stringify(job.error)}`,
          );
        await sleep(100);
      }
      const probeKilled = await suite.stack.lambda.killEnvironments(
        functionName(reliabilityService, 'worker'),
      );
      const { ended, unfinished, missing } = await waitUntilTerminal(suite.store, [...ids], {
        timeoutMs: FULL ? 30 * 60_000 : 150_000,
        pollMs: FULL ? 1_000 : 250,
      });
      const executions = suite.executions().filter((e) => e.op === 'tally' && e.jobId && ids.has(e.jobId));
      const resumed = executions.filter((e) => (e.from ?? 0) > 0);
      const byJob = new Map<string, number>();
      for (const e of executions) byJob.set(e.jobId as string, (byJob.get(e.jobId as string) ?? 0) + 1);
      const stats = suite.stack.lambda.faultStats();
      const statuses: Record<string, number> = {};
      for (const job of ended.values()) statuses[job.status] = (statuses[job.status] ?? 0) + 1;
      const figures = {
        jobs: JOBS + 1,
        accepted: ids.size,
        probe: {
          jobId: probeId,
          environmentsKilled: probeKilled,
          executions: executions
            .filter((e) => e.jobId === probeId)
            .map((e) => ({ attempt: e.attempt, fromStep: e.from })),
        },
        steps: STEPS,
        stepMs: STEP_MS,
        faults: { killFraction: 0.1, dropFraction: 0.1, seed: SEED },
        injected: {
          worker: stats.byFunction[functionName(reliabilityService, 'worker')],
          api: stats.byFunction[functionName(reliabilityService, 'api')],
        },
        clientRetries,
        terminal: ended.size,
        terminalPercent: Math.round((ended.size / ids.size) * 1000) / 10,
        statuses,
        errors: countErrors(ended.values()),
        executions: executions.length,
        jobsRunMoreThanOnce: [...byJob.values()].filter((n) => n > 1).length,
        resumedFromCheckpoint: resumed.length,
        resumeExamples: resumed
          .slice(0, 5)
          .map((e) => ({ jobId: e.jobId, attempt: e.attempt, fromStep: e.from })),
        stuck: unfinished.length,
        lost: missing.length,
        elapsedSeconds: Math.round((Date.now() - started) / 100) / 10,
      };
      writeFigures('faults', figures);
      expect(figures).toMatchObject({ accepted: JOBS + 1, terminal: JOBS + 1, stuck: 0, lost: 0 });
      expect((stats.byFunction[functionName(reliabilityService, 'worker')]?.killed ?? 0) > 0).toBe(true);
      // The probe was killed a quarter of the way in, after a checkpoint was stored: it resumed from there.
      const probeRuns = figures.probe.executions;
      expect(probeRuns.length).toBeGreaterThanOrEqual(2);
      expect(probeRuns.at(-1)?.fromStep ?? 0).toBeGreaterThan(0);
      expect(ended.get(probeId)?.status).toBe('succeeded');
      // No execution ever went back: each started at or after the step the one before it started at.
      for (const runs of executionsByJob(executions).values())
        for (let i = 1; i < runs.length; i++)
          expect(runs[i]?.from ?? 0).toBeGreaterThanOrEqual(runs[i - 1]?.from ?? 0);
    },
    FULL ? 40 * 60_000 : 240_000,
  );
});
