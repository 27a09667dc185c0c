import type { Logger } from '@aws-lambda-powertools/logger';
import { defineOperation, defineRegistry } from '@baton/core';
import { fakeLambdaContext, InMemoryJobDispatcher, InMemoryJobStore } from '@baton/core/testing';
import { createDirectInvokeHandler } from '@baton/direct-invoke';
import { toJobRunEvent } from '@baton/self-invoke';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { wireService } from '../../src/index.js';

/**
 * The wiring's metrics and log lines, through a real door (direct invoke) and the real worker on the in-memory
 * store: real Powertools Logger and Metrics, their output read back from stdout and stderr.
 */

let logger: Logger | undefined;

const ok = defineOperation({
  name: 'ok',
  description: 'Answers at once, and says so through the function’s Logger.',
  input: z.object({}),
  output: z.object({ done: z.boolean() }),
  run: async () => {
    logger?.info('from the operation');
    return { done: true };
  },
});
const boom = defineOperation({
  name: 'boom',
  description: 'Always fails.',
  input: z.object({}),
  output: z.object({}),
  policy: { maxAttempts: 1 },
  run: async () => {
    throw new Error('no');
  },
});
const slow = defineOperation({
  name: 'slow',
  description: 'Takes longer than any test budget; stops when asked.',
  input: z.object({}),
  output: z.object({}),
  policy: { checkpoints: true },
  run: async (_input, { signal, checkpoint }) => {
    checkpoint({ at: 0 });
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    signal.throwIfAborted();
    return {};
  },
});
const registry = defineRegistry([ok, boom, slow]);

let out: string[];

beforeEach(() => {
  vi.stubEnv('JOBS_TABLE', 'test-jobs');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'test-service');
  vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'test-fn');
  out = [];
  const capture = (chunk: unknown) => {
    out.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  logger = undefined;
});

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

/** The JSON lines written since the last call. */
function drain(): Record<string, unknown>[] {
  const lines = out
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'));
  out = [];
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}
const emfOf = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => '_aws' in line) as unknown as Emf[];

function setUp() {
  const store = new InMemoryJobStore();
  const wired = wireService(registry, { store, dispatcher: new InMemoryJobDispatcher() });
  logger = wired.logger;
  const door = createDirectInvokeHandler({
    deps: wired.deps,
    logger: wired.logger,
    defaultCaller: 'alice',
    handoffMarginMs: 3_000,
  });
  return { ...wired, store, door };
}

describe('job metrics (EMF), one line per invocation that changed a job', () => {
  it('counts a submit at the door, then the success, queue delay and run time at the worker', async () => {
    const { door, worker } = setUp();
    const accepted = (await door(
      { operation: 'ok', input: {}, meta: { async: true } },
      fakeLambdaContext('fn'),
    )) as {
      jobId: string;
    };
    const [submitted, ...more] = emfOf(drain());
    expect(more).toEqual([]);
    expect(submitted).toMatchObject({ service: 'test-service', operation: 'ok', JobsSubmitted: 1 });
    expect(submitted?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Baton',
      Dimensions: [['service', 'operation'], ['service']],
      Metrics: [{ Name: 'JobsSubmitted', Unit: 'Count' }],
    });

    await worker(toJobRunEvent({ jobId: accepted.jobId, hop: 0 }), fakeLambdaContext('fn'));
    const [ran, ...again] = emfOf(drain());
    expect(again).toEqual([]);
    expect(ran).toMatchObject({ service: 'test-service', operation: 'ok', JobsSucceeded: 1 });
    expect(ran?.QueueDelay).toEqual(expect.any(Number));
    expect(ran?.RunDuration).toEqual(expect.any(Number));
    expect(ran?._aws.CloudWatchMetrics[0]?.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'QueueDelay', Unit: 'Milliseconds' },
        { Name: 'RunDuration', Unit: 'Milliseconds' },
      ]),
    );

    // Reading a job changes nothing: no metric line.
    await door({ action: 'getJob', v: 1, jobId: accepted.jobId }, fakeLambdaContext('fn'));
    expect(emfOf(drain())).toEqual([]);
  });

  it('counts a failed job, and a cancelled one', async () => {
    const { door, worker } = setUp();
    const failing = (await door(
      { operation: 'boom', input: {}, meta: { async: true } },
      fakeLambdaContext('fn'),
    )) as {
      jobId: string;
    };
    drain();
    await worker(toJobRunEvent({ jobId: failing.jobId, hop: 0 }), fakeLambdaContext('fn'));
    expect(emfOf(drain())).toEqual([expect.objectContaining({ operation: 'boom', JobsFailed: 1 })]);

    const queued = (await door(
      { operation: 'ok', input: {}, meta: { async: true } },
      fakeLambdaContext('fn'),
    )) as {
      jobId: string;
    };
    drain();
    await door({ action: 'cancelJob', v: 1, jobId: queued.jobId }, fakeLambdaContext('fn'));
    const [cancelled, ...more] = emfOf(drain());
    expect(more).toEqual([]);
    expect(cancelled).toMatchObject({ operation: 'ok', JobsCancelled: 1 });
    expect(cancelled).not.toHaveProperty('RunDuration'); // it never ran
  });

  it('counts a sync request that outgrew its budget as submitted and handed off', async () => {
    const { door } = setUp();
    // 3 050 ms left less the 3 000 ms margin: a budget of ~50 ms.
    const answer = await door({ operation: 'slow', input: {} }, fakeLambdaContext('fn', 3_050));
    expect(answer).toMatchObject({ accepted: true, status: 'queued' });
    const [line, ...more] = emfOf(drain());
    expect(more).toEqual([]);
    expect(line).toMatchObject({ operation: 'slow', JobsSubmitted: 1, JobsHandedOff: 1 });
  });

  it('writes no metric line for a sync answer that stored nothing', async () => {
    const { door } = setUp();
    await door({ operation: 'ok', input: {} }, fakeLambdaContext('fn'));
    expect(emfOf(drain())).toEqual([]);
  });
});

describe('the correlation id on every log line, and on none after its request', () => {
  it('puts the caller’s id on the operation’s own lines at the door, then clears it', async () => {
    const { door, logger: wiredLogger } = setUp();
    await door(
      { operation: 'ok', input: {} },
      fakeLambdaContext('fn', 900_000, { custom: { caller: 'bob', correlationId: 'corr-first' } }),
    );
    const first = drain().filter(
      (line) => line.message === 'from the operation' || line.message === 'Invoke request',
    );
    expect(first).toEqual([
      expect.objectContaining({ message: 'from the operation', correlation_id: 'corr-first' }),
      expect.objectContaining({ message: 'Invoke request', correlation_id: 'corr-first' }),
    ]);

    // The next request names none: its lines carry its own request id, never the previous request's id.
    const second = fakeLambdaContext('fn');
    await door({ operation: 'ok', input: {} }, second);
    const lines = drain().filter((line) => line.message === 'from the operation');
    expect(lines).toEqual([
      expect.objectContaining({
        correlation_id: second.awsRequestId,
        function_request_id: second.awsRequestId,
      }),
    ]);

    // A line written between requests (a timer, a forgotten promise) carries no request's id.
    wiredLogger.info('between requests');
    expect(drain().find((line) => line.message === 'between requests')).not.toHaveProperty('correlation_id');
  });

  it('refuses an invalid correlation id in the client context, as the HTTP doors refuse the header', async () => {
    const { door } = setUp();
    const answer = await door(
      { operation: 'ok', input: {} },
      fakeLambdaContext('fn', 900_000, { custom: { correlationId: 'has spaces' } }),
    );
    expect(answer).toMatchObject({
      status: 400,
      errors: [{ pointer: '/clientContext/custom/correlationId' }],
    });
  });

  it('stores the id on the job, shows it in the job view, and the worker’s lines carry it', async () => {
    const { door, worker, logger: wiredLogger } = setUp();
    const context = fakeLambdaContext('fn', 900_000, {
      custom: { caller: 'bob', correlationId: 'corr-job' },
    });
    const accepted = (await door({ operation: 'ok', input: {}, meta: { async: true } }, context)) as {
      jobId: string;
    };
    const view = await door({ action: 'getJob', v: 1, jobId: accepted.jobId }, context);
    expect(view).toMatchObject({ correlationId: 'corr-job' });
    drain();

    await worker(
      toJobRunEvent({ jobId: accepted.jobId, hop: 0, correlationId: 'corr-job' }),
      fakeLambdaContext('fn'),
    );
    const lines = drain().filter((line) => !('_aws' in line));
    expect(lines.find((line) => line.message === 'from the operation')).toMatchObject({
      correlation_id: 'corr-job',
      jobId: accepted.jobId,
    });
    expect(lines.every((line) => line.correlation_id === 'corr-job')).toBe(true);

    wiredLogger.info('after the job');
    expect(drain().find((line) => line.message === 'after the job')).not.toHaveProperty('correlation_id');
  });
});

describe('the reconciler’s pass', () => {
  it('is published under the service alone, with the jobs it moved on', async () => {
    const { createJobMetrics } = await import('../../src/job-metrics.js');
    const metrics = createJobMetrics();
    metrics.reconciled({
      examined: 3,
      redispatched: 1,
      requeued: 1,
      failed: 0,
      cancelled: 0,
      skipped: 1,
      errors: 0,
    });
    metrics.count('JobsFailed', 'ok');
    metrics.count('JobsFailed', 'boom');
    metrics.flush();
    const [line, ...more] = emfOf(drain());
    expect(more).toEqual([]);
    expect(line).toMatchObject({ service: 'test-service', JobsReconciled: 2, JobsFailed: 2 });
    expect(line).not.toHaveProperty('operation');
    expect(line?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    // Nothing counted since: no second line.
    metrics.flush();
    expect(emfOf(drain())).toEqual([]);
  });
});
