import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type Endpoints, type RunningService, startService } from '@baton/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { service } from '../../baton.config.js';
import { expectedReport } from '../fixtures/expected-report.js';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The example service end to end on this machine: plain HTTP against the local API Gateway and Function URL
 * emulators, the real Lambda SDK against the local Invoke API, the real handlers, the embedded DynamoDB.
 */
let stack: RunningService;
let endpoints: Endpoints;
let lambda: LambdaClient;

beforeAll(async () => {
  stack = await startService(service, { appDir, basePort: 0, logs: 'quiet' });
  endpoints = stack.endpoints;
  lambda = new LambdaClient({
    endpoint: endpoints.invoke,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}, 120_000);

afterAll(async () => {
  lambda?.destroy();
  await stack?.stop();
});

type Door = 'restApi' | 'httpApi' | 'functionUrl';
const DOORS: Door[] = ['restApi', 'httpApi', 'functionUrl'];

/** The base URL of a door: the example serves every one. */
function urlOf(door: Door): string {
  const url = endpoints[door];
  if (url === undefined) throw new Error(`The example service has no ${door} door.`);
  return url;
}

/** A SigV4 Authorization header as `curl --aws-sigv4` sends it: locally its access key names the caller. */
const signedAs = (accessKey: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/20261123/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
  'x-amz-date': '20261123T120000Z',
});

async function call(
  door: Door,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${urlOf(door)}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

/** Follows a Location (a path on the API's origin) until the job is finished. */
async function pollUntilDone(
  door: Door,
  location: string,
  timeoutMs = 60_000,
  headers: Record<string, string> = {},
) {
  const origin = new URL(urlOf(door)).origin;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${origin}${location}`, { headers });
    const job = (await response.json()) as { status: string };
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`still ${job.status} after ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function invoke(payload: unknown) {
  const response = await lambda.send(
    new InvokeCommand({
      FunctionName: endpoints.functions.rpc,
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  return {
    functionError: response.FunctionError,
    json: JSON.parse(new TextDecoder().decode(response.Payload)),
  };
}

describe('every door of the example service, on this machine', () => {
  it.each(DOORS)('%s answers a quick operation synchronously', async (door) => {
    const response = await call(door, 'POST', '/jobs', { operation: 'checksum', input: { text: 'hello' } });
    expect(response).toMatchObject({
      status: 200,
      json: {
        status: 'succeeded',
        result: { digest: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', bytes: 5 },
      },
    });
  });

  it('direct invoke (real Lambda SDK) answers synchronously, and returns problems as payloads', async () => {
    expect(await invoke({ operation: 'checksum', input: { text: 'hello' } })).toMatchObject({
      functionError: undefined,
      json: { status: 'succeeded', result: { bytes: 5 } },
    });
    const bad = await invoke({ operation: 'checksum', input: { text: 42 } });
    expect(bad.functionError).toBeUndefined();
    expect(bad.json).toMatchObject({ status: 400, errors: [{ pointer: '/input/text' }] });
  });

  it('runs an async job: 202 + Location → poll → the verifiable result', async () => {
    const input = { records: 200_000, batchSize: 20_000, seed: 5 };
    const accepted = await call(
      'httpApi',
      'POST',
      '/jobs',
      { operation: 'report', input },
      { prefer: 'respond-async' },
    );
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('preference-applied')).toBe('respond-async');
    expect(accepted.headers.get('retry-after')).toBeTruthy();
    const location = accepted.headers.get('location') as string;
    expect(location).toBe(`/jobs/${accepted.json.jobId}`);
    const job = await pollUntilDone('httpApi', location);
    expect(job).toMatchObject({ status: 'succeeded', result: expectedReport(200_000, 5) });
  });

  it('direct invoke runs an async job and answers job actions', async () => {
    const accepted = await invoke({ operation: 'wait', input: { seconds: 1 }, meta: { async: true } });
    expect(accepted.json).toMatchObject({ accepted: true, status: 'queued' });
    let job = (await invoke({ action: 'getJob', v: 1, jobId: accepted.json.jobId })).json;
    for (let i = 0; i < 40 && job.status !== 'succeeded'; i++) {
      await sleep(250);
      job = (await invoke({ action: 'getJob', v: 1, jobId: accepted.json.jobId })).json;
    }
    expect(job).toMatchObject({ status: 'succeeded', result: { waitedSeconds: 1 } });
  });

  // Work that outgrows the REST API's 29 s (202 before it, never 504, then completed): outgrown-door.test.ts in
  // tests/reliability, at full size (a 35-second wait) under `pnpm test:reliability`, at a fifth of it here.

  it('returns the same job for an idempotent resubmit, and 422 for the key reused with another input', async () => {
    const body = { operation: 'wait', input: { seconds: 2 }, meta: { async: true } };
    const first = await call('functionUrl', 'POST', '/jobs', body, { 'idempotency-key': 'order-17' });
    const again = await call('functionUrl', 'POST', '/jobs', body, { 'idempotency-key': 'order-17' });
    expect(first.status).toBe(202);
    expect(again.json.jobId).toBe(first.json.jobId);
    const other = await call(
      'functionUrl',
      'POST',
      '/jobs',
      { ...body, input: { seconds: 3 } },
      { 'idempotency-key': 'order-17' },
    );
    expect(other).toMatchObject({
      status: 422,
      json: { type: 'https://baton.dev/problems/idempotency-key-reused' },
    });
  });

  it('cancels a running job', async () => {
    const accepted = await call('restApi', 'POST', '/jobs', {
      operation: 'wait',
      input: { seconds: 60 },
      meta: { async: true },
    });
    const location = accepted.headers.get('location') as string;
    const origin = new URL(urlOf('restApi')).origin;
    for (let i = 0; i < 40; i++) {
      const job = (await (await fetch(`${origin}${location}`)).json()) as { status: string };
      if (job.status === 'running') break;
      await sleep(100);
    }
    const cancel = await call('restApi', 'POST', `/jobs/${accepted.json.jobId}/cancel`);
    expect([200, 202]).toContain(cancel.status);
    expect(cancel.json.cancelRequested).toBe(true);
    expect(await pollUntilDone('restApi', location, 20_000)).toMatchObject({ status: 'cancelled' });
  });

  it("answers 404 for another owner's job, as for a missing one", async () => {
    const mine = await call(
      'httpApi',
      'POST',
      '/jobs',
      { operation: 'wait', input: { seconds: 1 }, meta: { async: true } },
      signedAs('KEYALICE'),
    );
    expect(
      (await call('httpApi', 'GET', `/jobs/${mine.json.jobId}`, undefined, signedAs('KEYALICE'))).status,
    ).toBe(200);
    const theirs = await call('httpApi', 'GET', `/jobs/${mine.json.jobId}`, undefined, signedAs('KEYBOB'));
    expect(theirs).toMatchObject({ status: 404, json: { status: 404, title: 'Not found' } });
    expect(theirs.headers.get('content-type')).toBe('application/problem+json');
    expect((await call('httpApi', 'GET', '/jobs', undefined, signedAs('KEYBOB'))).json.jobs).toEqual([]);
  });

  it.each(DOORS)('%s answers bad requests with problem+json 4xx', async (door) => {
    const cases: [unknown, number, string][] = [
      ['{"operation": "checksum",', 400, 'malformed-json'],
      [{ operation: 'teleport', input: {} }, 400, 'unknown-operation'],
      [{ operation: 'wait', input: { seconds: 0 } }, 400, 'validation-error'],
      [{ operation: 'checksum', input: { text: 'x'.repeat(2 * 1024 * 1024) } }, 413, 'payload-too-large'],
    ];
    for (const [body, status, type] of cases) {
      const response = await call(door, 'POST', '/jobs', body);
      expect(response.status, `${door}: ${type}`).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.json).toMatchObject({
        type: `https://baton.dev/problems/${type}`,
        status,
        title: expect.any(String),
      });
    }
    const invalid = await call(door, 'POST', '/jobs', { operation: 'wait', input: { seconds: 0 } });
    expect(invalid.json.errors).toEqual([expect.objectContaining({ pointer: '/input/seconds' })]);
  });
});
