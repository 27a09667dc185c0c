import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { type Job, randomIds, submitJob, systemClock } from '@baton/core';
import { createJobsTable, DynamoDbJobStore } from '@baton/dynamodb';
import {
  type EmbeddedDynamoDb,
  type LambdaService,
  startEmbeddedDynamoDb,
  startLambdaService,
} from '@baton/local';
import { LambdaJobDispatcher } from '@baton/self-invoke';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../fixtures/self-invoke-loop/operations.js';

/**
 * The self-invoke loop end to end, on this machine: the real Lambda SDK dispatches Event invocations to the
 * local Lambda service, whose execution environments run the worker bundle, which stores jobs in the
 * embedded DynamoDB through the real DynamoDB adapter and invokes itself for every further hop.
 */
const TABLE = 'baton-jobs-e2e';
const OWNER = 'arn:aws:iam::111122223333:user/e2e';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const workerEntry = new URL('../fixtures/self-invoke-loop/worker.ts', import.meta.url).pathname;

let dynamo: EmbeddedDynamoDb;
let service: LambdaService;
let dynamoClient: DynamoDBClient;
let lambda: LambdaClient;
let store: DynamoDbJobStore;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
  await createJobsTable(dynamoClient, TABLE);
  store = new DynamoDbJobStore({ client: dynamoClient, tableName: TABLE });
  const environment = {
    JOBS_TABLE: TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    // A 3 s invocation hands over 2 s before its end: about one second of work per hop.
    BATON_HANDOFF_MARGIN_MS: '2000',
    BATON_LEASE_TTL_MS: '1500',
    BATON_PROGRESS_INTERVAL_MS: '200',
  };
  service = await startLambdaService({
    functions: [
      { name: 'worker', entry: workerEntry, timeoutSeconds: 3, memoryMb: 256, environment },
      {
        name: 'short-worker',
        entry: workerEntry,
        timeoutSeconds: 3,
        memoryMb: 256,
        environment: { ...environment, BATON_MAX_HOPS: '2' },
      },
    ],
    // Lambda's async retry backoff (1 min, then 2) becomes 0.6 s and 1.2 s.
    timeScale: 0.01,
    logs: 'quiet',
  });
  lambda = new LambdaClient({ endpoint: service.url, region: 'us-east-1', credentials, maxAttempts: 1 });
}, 120_000);

afterAll(async () => {
  lambda?.destroy();
  dynamoClient?.destroy();
  await service?.stop();
  await dynamo?.stop();
});

function submitTo(functionName: string, operation: string, input: unknown) {
  const dispatcher = new LambdaJobDispatcher({ client: lambda, functionName });
  return submitJob(
    { registry, store, dispatcher, clock: systemClock, ids: randomIds },
    { owner: OWNER, operation, input, correlationId: `e2e-${operation}` },
  );
}

async function waitForJob(id: string, until: (job: Job) => boolean, timeoutMs = 30_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await store.get(id);
    if (job && until(job)) return job;
    if (Date.now() > deadline) throw new Error(`Job ${id} is still ${job?.status} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

const terminal = (job: Job) => ['succeeded', 'failed', 'cancelled'].includes(job.status);
/** The invocations of a function since `mark` (tests here run one at a time). */
const invocationsSince = (functionName: string, mark: number) =>
  service.invocations(functionName).slice(mark);

describe('the self-invoke loop through the local Lambda service', () => {
  it('runs a submitted job in its own self-invoked environment to succeeded', async () => {
    const mark = service.invocations('worker').length;
    const { job } = await submitTo('worker', 'tally', { steps: 4, stepMs: 0 });
    const done = await waitForJob(job.id, terminal);
    expect(done).toMatchObject({ status: 'succeeded', result: { sum: 10, invocations: 1 }, attempts: 1 });
    await service.waitForIdle();
    expect(invocationsSince('worker', mark)).toMatchObject([
      { invocationType: 'Event', ok: true, chainPosition: 1 },
    ]);
  });

  it('completes a job that needs three hops from its checkpoints', async () => {
    const mark = service.invocations('worker').length;
    const { job } = await submitTo('worker', 'tally', { steps: 25, stepMs: 100 });
    const done = await waitForJob(job.id, terminal);
    expect(done.status).toBe('succeeded');
    const result = done.result as { sum: number; invocations: number };
    expect(result.sum).toBe((25 * 26) / 2);
    expect(result.invocations).toBeGreaterThanOrEqual(3);
    // Every hop was its own invocation, each made by the one before it: one chain of self-invocations.
    await service.waitForIdle();
    const hops = invocationsSince('worker', mark);
    expect(hops).toHaveLength(result.invocations);
    expect(hops.map((hop) => hop.chainPosition)).toEqual(hops.map((_, index) => index + 1));
    expect(new Set(hops.map((hop) => hop.requestId)).size).toBe(hops.length);
    expect(done.attempts).toBe(1);
  });

  it('fails a job that needs more than maxHops hops, keeping its checkpoint', async () => {
    const mark = service.invocations('short-worker').length;
    const { job } = await submitTo('short-worker', 'tally', { steps: 100, stepMs: 100 });
    const done = await waitForJob(job.id, terminal);
    expect(done).toMatchObject({ status: 'failed', error: { type: 'MaxHopsExceeded', retryable: false } });
    expect((done.checkpoint as { step: number }).step).toBeGreaterThan(0);
    await service.waitForIdle();
    // hop 0, 1 and 2 ran; the third handoff would have been hop 3 > maxHops 2, so the job failed instead.
    expect(invocationsSince('short-worker', mark)).toHaveLength(3);
  });

  it('recovers and completes a job whose environment was killed mid-run', async () => {
    const mark = service.invocations('worker').length;
    const { job } = await submitTo('worker', 'slow', { ms: 1_200 });
    await waitForJob(job.id, (stored) => stored.status === 'running', 10_000);
    expect(await service.killEnvironments('worker')).toBeGreaterThanOrEqual(1);
    const done = await waitForJob(job.id, terminal, 30_000);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, result: { attempt: 2 } });
    expect(service.failedEvents('worker')).toEqual([]);
    await service.waitForIdle();
    // The killed invocation, then Lambda's retry of the same event, which waited out the dead runner's lease.
    expect(invocationsSince('worker', mark)).toMatchObject([
      { ok: false, cause: 'killed', attempt: 1 },
      { ok: true, attempt: 2 },
    ]);
  });
});
