import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  defineOperation,
  defineRegistry,
  randomIds,
  recordFailedDelivery,
  submitJob,
  systemClock,
} from '@baton/core';
import { InMemoryJobDispatcher, InMemoryJobEvents, InMemoryJobStore } from '@baton/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { createJobWorker, toJobReplayEvent, toJobRunEvent, withJobWorker } from '../../src/index.js';
import { startFakeLambdaEndpoint } from '../fixtures/fake-lambda-endpoint.js';
import { lambdaContext } from '../fixtures/lambda-context.js';

const OWNER = 'arn:aws:iam::111122223333:user/alice';

const count = defineOperation({
  name: 'count',
  description: 'Counts to n, a step per checkpoint.',
  input: z.strictObject({ n: z.int().min(1), stepMs: z.int().min(0) }),
  output: z.object({ counted: z.int() }),
  policy: { checkpoints: true },
  run: async ({ n, stepMs }, { resumeFrom, checkpoint, signal }) => {
    let i = (resumeFrom as { i: number } | undefined)?.i ?? 0;
    while (i < n) {
      signal.throwIfAborted();
      i += 1;
      checkpoint({ i });
      await new Promise((resolve) => setTimeout(resolve, stepMs));
    }
    return { counted: i };
  },
});
const registry = defineRegistry([count]);

async function setUp() {
  const endpoint = await startFakeLambdaEndpoint(() => ({ status: 202 }));
  const client = new LambdaClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const store = new InMemoryJobStore();
  const submit = (input: { n: number; stepMs: number }) =>
    submitJob(
      { registry, store, dispatcher: new InMemoryJobDispatcher(), clock: systemClock, ids: randomIds },
      { owner: OWNER, operation: 'count', input, correlationId: 'corr-42' },
    );
  return { endpoint, client, store, submit };
}

describe('the job worker handler', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('runs the job an event points to, and treats a duplicate delivery as a no-op', async () => {
    const { endpoint, client, store, submit } = await setUp();
    cleanups.push(endpoint.close, () => client.destroy());
    const worker = createJobWorker({ registry, store, client });
    const { job } = await submit({ n: 3, stepMs: 0 });
    const event = toJobRunEvent({ jobId: job.id, hop: 0, correlationId: 'corr-42' });
    expect(await worker(event, lambdaContext('fn'))).toEqual({
      handled: true,
      jobId: job.id,
      hop: 0,
      outcome: 'succeeded',
    });
    expect((await store.get(job.id))?.result).toEqual({ counted: 3 });
    expect(await worker(event, lambdaContext('fn'))).toMatchObject({ outcome: 'skipped' });
    expect(endpoint.received).toEqual([]);
  });

  it("announces the job's end once, and writes its history in the invocation's name", async () => {
    const { endpoint, client, store, submit } = await setUp();
    cleanups.push(endpoint.close, () => client.destroy());
    const events = new InMemoryJobEvents();
    const worker = createJobWorker({ registry, store, client, events });
    const { job } = await submit({ n: 2, stepMs: 0 });
    const event = toJobRunEvent({ jobId: job.id, hop: 0, correlationId: 'corr-42' });
    const context = lambdaContext('baton-example-worker');
    await worker(event, context);
    await worker(event, lambdaContext('baton-example-worker'));
    expect(events.details).toMatchObject([
      { jobId: job.id, operation: 'count', owner: OWNER, status: 'succeeded', correlationId: 'corr-42' },
    ]);
    const history = (await store.get(job.id))?.history ?? [];
    expect(history.map((entry) => [entry.event, entry.by])).toEqual([
      ['queued', undefined],
      ['claimed', `baton-example-worker/${context.awsRequestId}`],
      ['finished', `baton-example-worker/${context.awsRequestId}`],
    ]);
  });

  it('runs, once, a job Lambda gave up delivering when its event is replayed — and only then', async () => {
    const { endpoint, client, store, submit } = await setUp();
    cleanups.push(endpoint.close, () => client.destroy());
    const worker = createJobWorker({ registry, store, client });
    const { job } = await submit({ n: 2, stepMs: 0 });
    const deps = { store, clock: systemClock, ids: randomIds };
    await recordFailedDelivery(deps, { jobId: job.id, hop: 0, condition: 'RetriesExhausted' });
    const original = toJobRunEvent({ jobId: job.id, hop: 0, correlationId: 'corr-42' });

    // A stray duplicate of the original event is no replay: the failure a client may have seen stands.
    expect(await worker(original, lambdaContext('fn'))).toMatchObject({ outcome: 'skipped' });
    expect(await store.get(job.id)).toMatchObject({ status: 'failed', error: { type: 'DeliveryFailed' } });

    const replayed = toJobReplayEvent(original, 'replay-1');
    expect(await worker(replayed, lambdaContext('fn'))).toEqual({
      handled: true,
      jobId: job.id,
      hop: 0,
      outcome: 'succeeded',
      replay: { name: 'replay-1', requeue: 'requeued' },
    });
    expect(await store.get(job.id)).toMatchObject({
      status: 'succeeded',
      result: { counted: 2 },
      attempts: 1,
    });
    // A second delivery of the replay (or another replay of the same event) finds the job finished. Two at once
    // are the core's tests (requeue-failed-delivery.test.ts), on its fake scheduler.
    expect(await worker(toJobReplayEvent(replayed, 'replay-2'), lambdaContext('fn'))).toMatchObject({
      outcome: 'skipped',
      replay: { name: 'replay-2', requeue: 'ignored' },
    });
  });

  it('continues a job that runs short of time by invoking its own function for the next hop', async () => {
    const { endpoint, client, store, submit } = await setUp();
    cleanups.push(endpoint.close, () => client.destroy());
    const worker = createJobWorker({ registry, store, client, handoffMarginMs: 100 });
    const { job } = await submit({ n: 1000, stepMs: 5 });
    const result = await worker(toJobRunEvent({ jobId: job.id, hop: 4, correlationId: 'corr-42' }), {
      ...lambdaContext('my-service-api', 200),
    });
    expect(result).toMatchObject({ outcome: 'requeued' });
    expect(endpoint.received).toHaveLength(1);
    expect(endpoint.received[0]).toMatchObject({
      functionName: 'my-service-api',
      payload: { baton: 'job.run', v: 1, jobId: job.id, hop: 5, correlationId: 'corr-42' },
    });
    expect((await store.get(job.id))?.checkpoint).toMatchObject({ i: expect.any(Number) });
  });

  it('drops a malformed job-run event with a logged error instead of throwing', async () => {
    const { endpoint, client, store } = await setUp();
    cleanups.push(endpoint.close, () => client.destroy());
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const worker = createJobWorker({ registry, store, client });
    const result = await worker({ baton: 'job.run', v: 1, jobId: 'x', hop: 'one' }, lambdaContext('fn'));
    expect(result).toEqual({ handled: false, reason: 'malformed-event' });
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.level === 'ERROR');
    expect(logged).toMatchObject({ message: 'Dropped a malformed job-run event', function_name: 'fn' });
    expect(logged.issues[0].path).toBe('hop');
  });

  it('logs JSON lines with the Lambda context, correlation id, job id and hop — not inputs or results', async () => {
    const { endpoint, client, store, submit } = await setUp();
    cleanups.push(endpoint.close, () => client.destroy());
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const worker = createJobWorker({ registry, store, client });
    const { job } = await submit({ n: 2, stepMs: 0 });
    await worker(toJobRunEvent({ jobId: job.id, hop: 1, correlationId: 'corr-42' }), lambdaContext('fn'));
    const entries = lines.map((line) => JSON.parse(line));
    const done = entries.find((entry) => entry.message === 'Job succeeded');
    expect(done).toMatchObject({
      jobId: job.id,
      hop: 1,
      operation: 'count',
      correlation_id: 'corr-42',
      function_name: 'fn',
      service: 'baton',
    });
    expect(done.function_request_id).toBeTypeOf('string');
    expect(lines.join('')).not.toContain('"counted"');
  });

  it('composes with a door: job-run events go to the worker, everything else to the door', async () => {
    const { endpoint, client, store, submit } = await setUp();
    cleanups.push(endpoint.close, () => client.destroy());
    const worker = createJobWorker({ registry, store, client });
    const handler = withJobWorker(worker, async (event: { rawPath: string }) => ({
      statusCode: 200,
      body: event.rawPath,
    }));
    const { job } = await submit({ n: 1, stepMs: 0 });
    expect(await handler(toJobRunEvent({ jobId: job.id, hop: 0 }), lambdaContext('fn'))).toMatchObject({
      outcome: 'succeeded',
    });
    expect(await handler({ rawPath: '/jobs' }, lambdaContext('fn'))).toEqual({
      statusCode: 200,
      body: '/jobs',
    });
  });
});
