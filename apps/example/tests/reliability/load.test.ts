import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countErrors,
  FULL,
  forEachLimited,
  percentile,
  postJobWithRetries,
  type ReliabilityStack,
  startReliabilityStack,
  waitUntilTerminal,
  writeFigures,
} from './stack.js';

/**
 * Load: many jobs from many concurrent clients through the HTTP API door. Nothing is lost: every accepted job
 * ends, each ran exactly once; the figures are the accept latency (202 with Location, from the first send,
 * retries of throttled requests included) at p50 and p99.
 */
const JOBS = FULL ? 10_000 : 150;
const CLIENTS = FULL ? 100 : 20;

describe('load: jobs from concurrent clients', () => {
  let suite: ReliabilityStack;
  beforeAll(async () => {
    suite = await startReliabilityStack();
  }, 120_000);
  afterAll(async () => {
    await suite?.stop();
  });

  it(
    `accepts ${JOBS} jobs from ${CLIENTS} clients and ends every one exactly once`,
    async () => {
      const started = Date.now();
      const ids: string[] = [];
      const latencies: number[] = [];
      const refused: Record<string, number> = {};
      const retried: Record<string, number> = {};
      let retries = 0;
      await forEachLimited(
        Array.from({ length: JOBS }, (_, i) => i),
        CLIENTS,
        async (i) => {
          const answer = await postJobWithRetries(
            suite.endpoints.httpApi,
            { operation: 'tally', input: {} },
            { prefer: 'respond-async', 'idempotency-key': `load-${i}` },
          );
          retries += answer.attempts - 1;
          for (const status of answer.statuses) retried[status] = (retried[status] ?? 0) + 1;
          if (answer.status === 202 && typeof answer.body.jobId === 'string') {
            ids.push(answer.body.jobId);
            latencies.push(answer.ms);
          } else refused[answer.status] = (refused[answer.status] ?? 0) + 1;
        },
      );
      const acceptedAt = Date.now();
      const { ended, unfinished, missing } = await waitUntilTerminal(suite.store, ids, {
        timeoutMs: FULL ? 30 * 60_000 : 120_000,
        pollMs: 1_000,
      });
      const runs = new Map<string, number>();
      for (const execution of suite.executions())
        if (execution.jobId) runs.set(execution.jobId, (runs.get(execution.jobId) ?? 0) + 1);
      const figures = {
        jobs: JOBS,
        clients: CLIENTS,
        accepted: ids.length,
        refused,
        // The door's reserved concurrency (20) is below the clients' 100: throttled requests are sent again.
        throttledAndSentAgain: { count: retries, byStatus: retried },
        acceptLatencyMs: {
          p50: Math.round(percentile(latencies, 50)),
          p99: Math.round(percentile(latencies, 99)),
          max: Math.round(Math.max(...latencies)),
        },
        acceptedPerSecond: Math.round((ids.length / ((acceptedAt - started) / 1000)) * 10) / 10,
        terminal: ended.size,
        succeeded: [...ended.values()].filter((job) => job.status === 'succeeded').length,
        errors: countErrors(ended.values()),
        runTwice: ids.filter((id) => (runs.get(id) ?? 0) > 1).length,
        neverRun: ids.filter((id) => (runs.get(id) ?? 0) === 0).length,
        stuck: unfinished.length,
        lost: missing.length,
        secondsToAllTerminal: Math.round((Date.now() - started) / 100) / 10,
      };
      writeFigures('load', figures);
      expect(figures).toMatchObject({
        accepted: JOBS,
        terminal: JOBS,
        succeeded: JOBS,
        runTwice: 0,
        neverRun: 0,
        stuck: 0,
        lost: 0,
      });
    },
    FULL ? 60 * 60_000 : 240_000,
  );
});
