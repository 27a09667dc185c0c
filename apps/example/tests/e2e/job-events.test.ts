import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type RunningService, startService } from '@baton/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { service } from '../../baton.config.js';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OWNER = 'arn:aws:iam::123456789012:user/job-events-test';
/** Each invocation of a job runner hands a checkpointing job over 1.5 s after it starts: a job of hops, quickly. */
const HOP_MS = 1_500;

/**
 * `Baton Job Finished` events and job histories, end to end: the real handlers put their events with the real
 * EventBridge client, pointed at the local Invoke API, which keeps them for `GET /_baton/events`.
 */
let stack: RunningService;
let lambda: LambdaClient;

interface BusEvent {
  id: string;
  time: string;
  source: string;
  'detail-type': string;
  detail: { jobId: string; operation: string; owner: string; status: string; hops: number; attempts: number };
  eventBusName: string;
}
interface HistoryEntry {
  event: string;
  status: string;
  hop?: number;
  attempt?: number;
  by?: string;
}

beforeAll(async () => {
  stack = await startService(service, {
    appDir,
    basePort: 0,
    logs: 'quiet',
    defaultCaller: OWNER,
    environment: { BATON_HANDOFF_MARGIN_MS: String(service.functions.worker.timeoutSeconds * 1000 - HOP_MS) },
  });
  lambda = new LambdaClient({
    endpoint: stack.endpoints.invoke,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}, 120_000);

afterAll(async () => {
  lambda?.destroy();
  await stack?.stop();
});

async function invoke(payload: unknown): Promise<Record<string, unknown>> {
  const response = await lambda.send(
    new InvokeCommand({
      FunctionName: stack.endpoints.functions.rpc,
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  return JSON.parse(new TextDecoder().decode(response.Payload));
}

type HttpDoor = 'restApi' | 'httpApi' | 'functionUrl';

/**
 * A SigV4 Authorization header as `curl --aws-sigv4` sends it (a Function URL's is scoped to `lambda`): locally (loopback, unchecked) its access key names
 * the caller, `arn:aws:iam::<account>:user/<access key>`, so each door's jobs have an owner of their own.
 */
const signedAs = (door: HttpDoor) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=events-${door}/20261123/us-east-1/${door === 'functionUrl' ? 'lambda' : 'execute-api'}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
  'x-amz-date': '20261123T120000Z',
});
const ownerOf = (door: HttpDoor | 'invoke') =>
  door === 'invoke' ? OWNER : expect.stringMatching(new RegExp(`^arn:aws:iam::\\d{12}:user/events-${door}$`));

/** Submits a job through a door and returns its id. */
async function submit(door: HttpDoor | 'invoke', operation: string, input: unknown): Promise<string> {
  if (door === 'invoke') {
    const accepted = await invoke({ operation, input, meta: { async: true } });
    return String(accepted.jobId);
  }
  const response = await fetch(`${stack.endpoints[door]}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', prefer: 'respond-async', ...signedAs(door) },
    body: JSON.stringify({ operation, input }),
  });
  expect(response.status).toBe(202);
  return String(((await response.json()) as { jobId: string }).jobId);
}

/** The job with its history, through the door it was submitted by. */
async function jobWithHistory(door: HttpDoor | 'invoke', jobId: string) {
  if (door === 'invoke') return invoke({ action: 'getJob', v: 1, jobId, history: true });
  const response = await fetch(`${stack.endpoints[door]}/jobs/${jobId}?history=1`, {
    headers: signedAs(door),
  });
  return (await response.json()) as Record<string, unknown>;
}

async function untilFinished(door: HttpDoor | 'invoke', jobId: string) {
  for (let i = 0; i < 200; i++) {
    const job = await jobWithHistory(door, jobId);
    if (['succeeded', 'failed', 'cancelled'].includes(String(job.status))) return job;
    await sleep(50);
  }
  throw new Error(`Job ${jobId} did not finish.`);
}

async function events(): Promise<BusEvent[]> {
  const response = await fetch(`${stack.endpoints.invoke}/_baton/events`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: BusEvent[] }).events;
}

/** The events of one job, once it has one, and after a moment more (a second one would show by then). */
async function eventsOf(jobId: string): Promise<BusEvent[]> {
  for (let i = 0; i < 100; i++) {
    if ((await events()).some((event) => event.detail.jobId === jobId)) break;
    await sleep(50);
  }
  await sleep(300);
  return (await events()).filter((event) => event.detail.jobId === jobId);
}

const DOORS: (HttpDoor | 'invoke')[] = ['restApi', 'httpApi', 'functionUrl', 'invoke'];

describe('a `Baton Job Finished` event is observed for a job finished through each door', () => {
  it.concurrent.each(DOORS)('through %s: one event with its job, and the job history', async (door) => {
    const jobId = await submit(door, 'checksum', { text: `hello from ${door}` });
    const job = await untilFinished(door, jobId);
    expect(job.status).toBe('succeeded');
    const history = job.history as HistoryEntry[];
    expect(history.map((entry) => [entry.event, entry.status])).toEqual([
      ['queued', 'queued'],
      ['claimed', 'running'],
      ['finished', 'succeeded'],
    ]);
    expect(history[1]).toMatchObject({
      hop: 0,
      attempt: 1,
      by: expect.stringMatching(/^baton-example-\w+\/.+/),
    });

    const found = await eventsOf(jobId);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      source: 'baton',
      'detail-type': 'Baton Job Finished',
      eventBusName: 'baton-example-events',
      detail: {
        jobId,
        operation: 'checksum',
        owner: ownerOf(door),
        status: 'succeeded',
        hops: 1,
        attempts: 1,
      },
    });
    expect(found[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('a job of several hops: handed-off and checkpoint entries, by the invocation that ran each hop', async () => {
    const jobId = await submit('httpApi', 'wait', { seconds: 3 });
    const job = await untilFinished('httpApi', jobId);
    expect(job).toMatchObject({ status: 'succeeded', result: { waitedSeconds: 3 } });
    const history = job.history as HistoryEntry[];
    const handedOff = history.filter((entry) => entry.event === 'handed-off');
    expect(handedOff.length).toBeGreaterThanOrEqual(1);
    const claims = history.filter((entry) => entry.event === 'claimed');
    expect(claims).toHaveLength(handedOff.length + 1);
    expect(claims.map((entry) => entry.hop)).toEqual(claims.map((_, hop) => hop));
    const checkpoints = history.filter((entry) => entry.event === 'checkpoint');
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    // At most one checkpoint entry a hop, though the job checkpoints every second.
    expect(new Set(checkpoints.map((entry) => entry.hop)).size).toBe(checkpoints.length);
    // Every entry after the door's names the worker's invocation that wrote it, one invocation a hop.
    for (const entry of history.slice(1)) expect(entry.by).toMatch(/^baton-example-worker\/.+/);
    expect(new Set(claims.map((entry) => entry.by)).size).toBe(claims.length);
    expect(history.at(-1)).toMatchObject({ event: 'finished', status: 'succeeded', hop: claims.length - 1 });

    const found = await eventsOf(jobId);
    expect(found).toHaveLength(1);
    expect(found[0]?.detail).toMatchObject({
      jobId,
      operation: 'wait',
      status: 'succeeded',
      hops: claims.length,
    });
  });

  it('without the flag, the job view has no history, as before', async () => {
    const jobId = await submit('httpApi', 'checksum', { text: 'plain' });
    await untilFinished('httpApi', jobId);
    const plain = (await (
      await fetch(`${stack.endpoints.httpApi}/jobs/${jobId}`, { headers: signedAs('httpApi') })
    ).json()) as object;
    expect(plain).not.toHaveProperty('history');
    expect(await invoke({ action: 'getJob', v: 1, jobId })).not.toHaveProperty('history');
  });
});
