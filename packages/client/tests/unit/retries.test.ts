import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BatonJobFailedError,
  BatonProblemError,
  BatonTransportError,
  createClient,
  type JobProgressUpdate,
  type Sleep,
} from '../../src/index.js';
import { backoffDelayMs, parseRetryAfter, retryPolicy } from '../../src/retry.js';
import { closeServer, listenOnLoopback } from '../support/loopback.js';

/**
 * The HTTP transport's retries against a real HTTP server that answers from a script. Waiting is the injected
 * sleep, which records each delay and returns at once: backoff is checked to the millisecond, in no time.
 */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}
type Answer = { status: number; headers?: Record<string, string>; body?: unknown } | 'hang-up';

let server: Server;
let url: string;
let script: Answer[] = [];
let seen: Seen[] = [];
let sleeps: number[] = [];

const sleep: Sleep = async (ms, signal) => {
  signal?.throwIfAborted();
  sleeps.push(ms);
};

const problem = (status: number, slug: string, extra: Record<string, unknown> = {}) => ({
  status,
  headers: { 'content-type': 'application/problem+json' },
  body: { type: `https://baton.dev/problems/${slug}`, title: slug, status, detail: `${slug}!`, ...extra },
});
const job = (status: string, extra: Record<string, unknown> = {}) => ({
  id: 'job-1',
  operation: 'op',
  status,
  attempts: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = script.shift() ?? { status: 500, body: { message: 'script exhausted' } };
      if (answer === 'hang-up') {
        request.socket.destroy();
        return;
      }
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  url = await listenOnLoopback(server);
});

afterAll(async () => {
  await closeServer(server);
});

beforeEach(() => {
  script = [];
  seen = [];
  sleeps = [];
});

const client = (retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number }) =>
  createClient({ target: { http: { url } }, sleep, ...(retry && { retry }) });

describe('retries', () => {
  it('retries 503 and 502 with growing, jittered backoff, keeping the Idempotency-Key', async () => {
    script = [{ status: 503 }, { status: 502 }, { status: 200, body: { status: 'succeeded', result: 42 } }];
    const result = await client({ baseDelayMs: 100 }).run('op', { a: 1 });
    expect(result).toBe(42);
    expect(seen).toHaveLength(3);
    const keys = seen.map((request) => request.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(seen.map((request) => JSON.parse(request.body))).toEqual(
      Array(3).fill({ operation: 'op', input: { a: 1 } }),
    );
    // Full jitter: anything from 0 up to base·2^(n−1).
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(sleeps[0]).toBeLessThan(100);
    expect(sleeps[1]).toBeLessThan(200);
  });

  it('waits what a 429’s Retry-After asks, capped at maxDelayMs', async () => {
    script = [
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 429, headers: { 'retry-after': '120' } },
      { status: 200, body: { status: 'succeeded', result: 'ok' } },
    ];
    await expect(client({ maxDelayMs: 10_000 }).run('op', {})).resolves.toBe('ok');
    expect(sleeps).toEqual([3_000, 10_000]);
  });

  it('honours a Retry-After given as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('gives up after maxAttempts with BatonTransportError naming the last status', async () => {
    script = [{ status: 504 }, { status: 503 }, { status: 503 }, { status: 200, body: {} }];
    const error = await client()
      .run('op', {})
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatonTransportError);
    expect(error).toMatchObject({ status: 503, attempts: 3 });
    // A failure with a status is an answer, not a lost one: no recovery request after it.
    expect(seen).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('never retries a 4xx other than 429, and keeps the problem', async () => {
    script = [
      problem(400, 'validation-error', {
        errors: [{ pointer: '/input/a', detail: 'Expected number', code: 'invalid_type' }],
      }),
    ];
    const error = await client()
      .run('op', { a: 'x' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatonProblemError);
    expect(error).toMatchObject({
      status: 400,
      type: 'https://baton.dev/problems/validation-error',
      detail: 'validation-error!',
      errors: [{ pointer: '/input/a', detail: 'Expected number', code: 'invalid_type' }],
    });
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);

    script = [problem(404, 'not-found'), problem(409, 'conflict'), problem(422, 'idempotency-key-reused')];
    for (const status of [404, 409, 422]) {
      await expect(client().job('x').get()).rejects.toMatchObject({ status });
    }
    expect(seen).toHaveLength(4);
  });

  it('does not retry a run that failed inside the request (a 503 operation-failed): it is the job’s failure', async () => {
    script = [
      problem(503, 'operation-failed', {
        error: { type: 'Busy', message: 'try later', retryable: true },
        jobId: 'job-9',
      }),
    ];
    const error = await client()
      .run('op', {})
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatonJobFailedError);
    expect(error).toMatchObject({
      error: { type: 'Busy', retryable: true },
      job: { id: 'job-9', status: 'failed' },
    });
    expect(seen).toHaveLength(1);
  });

  it('retries a dropped connection, then gives up with BatonTransportError', async () => {
    script = ['hang-up', 'hang-up', 'hang-up'];
    const error = await client()
      .describeOperations()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatonTransportError);
    expect((error as BatonTransportError).status).toBeUndefined();
    expect(seen).toHaveLength(3);
  });

  it('after a sync run’s answer is lost, asks for its job with the same key (sync → async)', async () => {
    script = [
      'hang-up',
      'hang-up',
      { status: 202, headers: { location: '/jobs/job-1' }, body: { jobId: 'job-1', status: 'running' } },
      { status: 200, body: job('succeeded', { result: { n: 1 } }) },
    ];
    await expect(client({ maxAttempts: 2 }).run('op', {})).resolves.toEqual({ n: 1 });
    expect(
      seen.map((request) => `${request.method} ${request.path} ${request.headers.prefer ?? ''}`),
    ).toEqual(['POST /jobs ', 'POST /jobs ', 'POST /jobs respond-async', 'GET /jobs/job-1 ']);
    expect(new Set(seen.slice(0, 3).map((request) => request.headers['idempotency-key'])).size).toBe(1);
  });

  it('bounds full-jitter backoff by base·2^(n−1) and maxDelayMs', () => {
    const policy = { ...retryPolicy({ baseDelayMs: 100, maxDelayMs: 300 }, sleep), random: () => 0.999 };
    expect([1, 2, 3, 4].map((failures) => backoffDelayMs(policy, failures))).toEqual([99, 199, 299, 299]);
    expect(backoffDelayMs({ ...policy, random: () => 0 }, 3)).toBe(0);
  });
});

describe('waiting on a job', () => {
  it('polls with growing intervals, honours Retry-After, reports each change and resolves with the result', async () => {
    script = [
      { status: 202, headers: { 'retry-after': '2' }, body: { jobId: 'job-1', status: 'queued' } },
      { status: 200, headers: { 'retry-after': '2' }, body: job('queued') },
      {
        status: 200,
        headers: { 'retry-after': '2' },
        body: job('running', { progress: { fraction: 0.25, message: 'a quarter' } }),
      },
      {
        status: 200,
        headers: { 'retry-after': '2' },
        body: job('running', { progress: { fraction: 0.25, message: 'a quarter' } }),
      },
      { status: 200, body: job('succeeded', { result: 'done', progress: { fraction: 1 } }) },
    ];
    const updates: JobProgressUpdate[] = [];
    const result = await client().run('op', {}, { onProgress: (update) => updates.push(update) });
    expect(result).toBe('done');
    // Retry-After (2 s) is the least wait while the job runs; the client's own interval grows under it.
    expect(sleeps).toEqual([2_000, 2_000, 2_000]);
    expect(updates.map((update) => [update.status, update.fraction, update.message])).toEqual([
      ['queued', undefined, undefined],
      ['running', 0.25, 'a quarter'],
      ['succeeded', 1, undefined],
    ]);
    expect(updates.at(-1)?.etaMs).toBe(0);
  });

  it('uses the caller’s poll interval, growing to a cap, when one is given', async () => {
    script = [
      ...Array.from({ length: 12 }, () => ({
        status: 200,
        headers: { 'retry-after': '2' },
        body: job('running'),
      })),
      { status: 200, body: job('succeeded', { result: 1 }) },
    ];
    await expect(client().job('job-1').wait({ pollIntervalMs: 100 })).resolves.toBe(1);
    expect(sleeps.slice(0, 4)).toEqual([100, 150, 225, 338]);
    expect(Math.max(...sleeps)).toBe(5_000);
    expect(sleeps).toEqual([...sleeps].sort((a, b) => a - b));
  });

  it('throws BatonJobFailedError with the job’s error', async () => {
    script = [
      {
        status: 200,
        body: job('failed', { error: { type: 'Boom', message: 'it broke', retryable: false } }),
      },
    ];
    const error = await client()
      .job('job-1')
      .wait()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatonJobFailedError);
    expect(error).toMatchObject({
      error: { type: 'Boom', message: 'it broke' },
      job: { id: 'job-1', status: 'failed' },
    });
  });

  it('stops waiting when the signal aborts, with the signal’s reason, and does not cancel the job', async () => {
    script = [{ status: 200, body: job('running') }];
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const aborting: Sleep = async () => {
      controller.abort(reason);
      throw reason;
    };
    const baton = createClient({ target: { http: { url } }, sleep: aborting });
    await expect(baton.job('job-1').wait({ signal: controller.signal })).rejects.toBe(reason);
    expect(seen.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /jobs/job-1']);
  });

  it('answers a run in async mode with a handle that has not waited', async () => {
    script = [
      { status: 202, headers: { location: '/jobs/job-1' }, body: { jobId: 'job-1', status: 'queued' } },
    ];
    const handle = await client().run('op', {}, { mode: 'async', clientRequestId: 'my-key' });
    expect(handle).toMatchObject({ id: 'job-1', operation: 'op' });
    expect(seen[0]?.headers).toMatchObject({ prefer: 'respond-async', 'idempotency-key': 'my-key' });
    expect(seen).toHaveLength(1);
  });

  it('lists jobs page by page, following the cursor only as far as the iteration goes', async () => {
    script = [
      {
        status: 200,
        body: { jobs: [job('succeeded', { id: 'a' }), job('failed', { id: 'b' })], nextCursor: 'c1' },
      },
      { status: 200, body: { jobs: [job('succeeded', { id: 'c' })] } },
    ];
    const ids: string[] = [];
    for await (const listed of client().listJobs({ limit: 2, status: 'succeeded' })) ids.push(listed.id);
    expect(ids).toEqual(['a', 'c']);
    expect(seen.map((request) => request.path)).toEqual(['/jobs?limit=2', '/jobs?limit=2&cursor=c1']);

    seen = [];
    script = [{ status: 200, body: { jobs: [job('running', { id: 'x' })], nextCursor: 'more' } }];
    for await (const _first of client().listJobs()) break;
    expect(seen).toHaveLength(1);
  });
});
