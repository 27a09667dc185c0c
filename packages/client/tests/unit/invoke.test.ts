import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatonProblemError, BatonTransportError, createClient, type Sleep } from '../../src/index.js';
import { closeServer, listenOnLoopback } from '../support/loopback.js';

/**
 * The Invoke transport through the real Lambda client, against a server speaking the Lambda Invoke API
 * (`POST /2015-03-31/functions/<name>/invocations`) from a script.
 */
interface Seen {
  readonly path: string;
  readonly clientContext: unknown;
  readonly payload: Record<string, unknown>;
}
type Answer = { status: number; headers?: Record<string, string>; body: unknown };

let server: Server;
let endpoint: string;
let script: Answer[] = [];
let seen: Seen[] = [];
let sleeps: number[] = [];
const sleep: Sleep = async (ms) => {
  sleeps.push(ms);
};

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const context = request.headers['x-amz-client-context'];
      seen.push({
        path: request.url ?? '',
        clientContext:
          typeof context === 'string'
            ? JSON.parse(Buffer.from(context, 'base64').toString('utf8'))
            : undefined,
        payload: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      const answer = script.shift() ?? { status: 200, body: { status: 'succeeded', result: null } };
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(JSON.stringify(answer.body));
    });
  });
  endpoint = await listenOnLoopback(server);
});

afterAll(async () => {
  await closeServer(server);
});

beforeEach(() => {
  script = [];
  seen = [];
  sleeps = [];
});

const client = () =>
  createClient({
    target: {
      invoke: {
        functionName: 'svc-rpc',
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        caller: 'billing',
      },
    },
    sleep,
  });

const throttled: Answer = {
  status: 429,
  headers: { 'x-amzn-errortype': 'TooManyRequestsException' },
  body: {
    Type: 'User',
    message: 'Rate exceeded',
    Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
  },
};

describe('the Invoke transport', () => {
  it('sends the run with its clientRequestId and caller, the same on every retry of a throttled call', async () => {
    script = [throttled, { status: 200, body: { status: 'succeeded', result: { ok: 1 }, jobId: 'j' } }];
    const baton = client();
    try {
      await expect(baton.run('op', { a: 1 })).resolves.toEqual({ ok: 1 });
    } finally {
      baton.destroy();
    }
    expect(seen).toHaveLength(2);
    expect(seen[0]?.path).toBe('/2015-03-31/functions/svc-rpc/invocations');
    expect(seen[0]?.clientContext).toEqual({ custom: { caller: 'billing' } });
    const [first, second] = seen.map((request) => request.payload);
    expect(first).toEqual({
      operation: 'op',
      input: { a: 1 },
      meta: { clientRequestId: expect.any(String) },
    });
    expect(second).toEqual(first);
    expect(sleeps).toHaveLength(1);
  });

  it('asks for a job with meta.async, and uses the versioned job actions', async () => {
    script = [
      { status: 200, body: { jobId: 'j1', status: 'queued', accepted: true } },
      { status: 200, body: { id: 'j1', operation: 'op', status: 'running', createdAt: 'c', updatedAt: 'u' } },
      {
        status: 200,
        body: { id: 'j1', operation: 'op', status: 'cancelled', createdAt: 'c', updatedAt: 'u' },
      },
      { status: 200, body: { jobs: [], nextCursor: 'n' } },
      { status: 200, body: { jobs: [] } },
      { status: 200, body: { operations: [{ name: 'op', inputSchema: {}, outputSchema: {} }] } },
    ];
    const baton = client();
    try {
      const job = await baton.run('op', {}, { mode: 'async', clientRequestId: 'key-1' });
      expect(job.id).toBe('j1');
      await expect(job.get()).resolves.toMatchObject({ status: 'running' });
      await expect(job.cancel()).resolves.toMatchObject({ status: 'cancelled' });
      for await (const _ of baton.listJobs({ limit: 5 })) throw new Error('no jobs expected');
      await expect(baton.describeOperations()).resolves.toHaveLength(1);
    } finally {
      baton.destroy();
    }
    expect(seen.map((request) => request.payload)).toEqual([
      { operation: 'op', input: {}, meta: { clientRequestId: 'key-1', async: true } },
      { action: 'getJob', v: 1, jobId: 'j1' },
      { action: 'cancelJob', v: 1, jobId: 'j1' },
      { action: 'listJobs', v: 1, limit: 5 },
      { action: 'listJobs', v: 1, limit: 5, cursor: 'n' },
      { action: 'describeOperations', v: 1 },
    ]);
  });

  it('turns a problem payload into BatonProblemError, unretried', async () => {
    script = [
      {
        status: 200,
        body: {
          type: 'https://baton.dev/problems/unknown-operation',
          title: 'No such operation',
          status: 400,
          detail: "Unknown operation 'nope'.",
          instance: 'req-1',
          errors: [{ pointer: '/operation', detail: 'Unknown', code: 'unknown_operation' }],
          knownOperations: ['op'],
        },
      },
    ];
    const error = await client()
      .run('nope', {})
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatonProblemError);
    expect(error).toMatchObject({ status: 400, errors: [{ pointer: '/operation' }] });
    expect((error as BatonProblemError).problem.knownOperations).toEqual(['op']);
    expect(seen).toHaveLength(1);
  });

  it('gives up on a call throttled every time with BatonTransportError', async () => {
    script = [throttled, throttled, throttled];
    const error = await client()
      .job('j')
      .get()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatonTransportError);
    expect(error).toMatchObject({ status: 429, attempts: 3 });
    expect(seen).toHaveLength(3);
  });

  it('never retries a 4xx of the Lambda API other than 429', async () => {
    script = [
      {
        status: 404,
        headers: { 'x-amzn-errortype': 'ResourceNotFoundException' },
        body: { Type: 'User', message: 'Function not found' },
      },
    ];
    const error = await client()
      .run('op', {})
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatonTransportError);
    expect(error).toMatchObject({ status: 404 });
    expect(seen).toHaveLength(1);
  });
});
