import { functionName } from '@baton/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reliabilityService } from './fixtures/service.js';
import {
  FULL,
  forEachLimited,
  postJob,
  type ReliabilityStack,
  startReliabilityStack,
  waitUntilTerminal,
  writeFigures,
} from './stack.js';

/**
 * Duplicates never run a job twice: every job's job-run event is delivered three more times — twice as `Event`,
 * once as `RequestResponse`, at the same time as the real one — and each job must have run exactly once, counted
 * by the operation's own side effect (a line in the tally file), not by log lines.
 */
const JOBS = FULL ? 1_000 : 60;
const EXTRA_DELIVERIES = ['Event', 'Event', 'RequestResponse'] as const;

describe('duplicates: every job-run event delivered 3 extra times', () => {
  let suite: ReliabilityStack;
  beforeAll(async () => {
    suite = await startReliabilityStack();
  }, 120_000);
  afterAll(async () => {
    await suite?.stop();
  });

  it(
    `runs ${JOBS} jobs exactly ${JOBS} times`,
    async () => {
      const started = Date.now();
      const worker = functionName(reliabilityService, 'worker');
      const ids: string[] = [];
      const deliveries = { sent: 0, throttledAndSentAgain: 0, functionErrors: 0 };
      await forEachLimited(
        Array.from({ length: JOBS }, (_, i) => i),
        FULL ? 16 : 8,
        async (i) => {
          const answer = await postJob(
            suite.endpoints.httpApi,
            { operation: 'tally', input: { steps: 2, stepMs: 20 } },
            {
              prefer: 'respond-async',
              'x-correlation-id': `dup-${i}`,
            },
          );
          expect(answer.status).toBe(202);
          const jobId = answer.body.jobId as string;
          ids.push(jobId);
          await Promise.all(
            EXTRA_DELIVERIES.map(async (type) => {
              const { throttled, functionError } = await suite.deliver(worker, jobId, 0, type);
              deliveries.sent += 1;
              deliveries.throttledAndSentAgain += throttled;
              if (functionError) deliveries.functionErrors += 1;
            }),
          );
        },
      );
      const { ended, unfinished, missing } = await waitUntilTerminal(suite.store, ids, {
        timeoutMs: FULL ? 20 * 60_000 : 90_000,
      });
      const runs = new Map<string, number>();
      for (const execution of suite.executions())
        if (execution.jobId) runs.set(execution.jobId, (runs.get(execution.jobId) ?? 0) + 1);
      const runTwice = ids.filter((id) => (runs.get(id) ?? 0) > 1);
      const neverRun = ids.filter((id) => (runs.get(id) ?? 0) === 0);
      const succeeded = [...ended.values()].filter((job) => job.status === 'succeeded').length;
      const figures = {
        jobs: JOBS,
        extraDeliveries: deliveries.sent,
        extraDeliveriesThrottledAndSentAgain: deliveries.throttledAndSentAgain,
        functionErrors: deliveries.functionErrors,
        executions: [...runs.values()].reduce((a, b) => a + b, 0),
        runTwice: runTwice.length,
        neverRun: neverRun.length,
        terminal: ended.size,
        succeeded,
        stuck: unfinished.length,
        lost: missing.length,
        elapsedSeconds: Math.round((Date.now() - started) / 100) / 10,
      };
      writeFigures('duplicates', figures);
      expect(figures).toMatchObject({
        executions: JOBS,
        runTwice: 0,
        neverRun: 0,
        stuck: 0,
        lost: 0,
        succeeded: JOBS,
      });
    },
    FULL ? 30 * 60_000 : 180_000,
  );
});
