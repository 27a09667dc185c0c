import { randomIds, systemClock } from '@baton/core';
import { InMemoryJobDispatcher, InMemoryJobStore, testRegistry } from '@baton/core/testing';
import { describe, expect, it } from 'vitest';
import { createHttpApi, type HttpRequest, toJsonPointer } from '../../src/index.js';

const ALICE = 'arn:aws:iam::111122223333:user/alice';
const BOB = 'arn:aws:iam::111122223333:user/bob';

const registry = testRegistry;

function setUp(budgetMs = 2_000) {
  const store = new InMemoryJobStore();
  const dispatcher = new InMemoryJobDispatcher();
  const api = createHttpApi({
    deps: { registry, store, dispatcher, clock: systemClock, ids: randomIds },
    maxBodyBytes: 10_000,
  });
  let n = 0;
  const call = (method: string, path: string, body?: unknown, extra: Partial<HttpRequest> = {}) =>
    api({
      method,
      path,
      basePath: '/prod',
      headers: {},
      query: {},
      body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
      owner: ALICE,
      requestId: `req-${++n}`,
      budgetMs,
      ...extra,
    }).then((response) => ({ ...response, json: JSON.parse(response.body) }));
  return { store, dispatcher, call };
}

describe('the HTTP API shared by every HTTP door', () => {
  it('answers a sync request with its result', async () => {
    const { call } = setUp();
    const response = await call('POST', '/jobs', { operation: 'greet', input: { name: 'Ada' } });
    expect(response).toMatchObject({
      statusCode: 200,
      json: { status: 'succeeded', result: { greeting: 'hello Ada' } },
    });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
  });

  it('answers an async request with 202, Location (with the stage) and Retry-After', async () => {
    const { call } = setUp();
    const response = await call('POST', '/jobs', {
      operation: 'greet',
      input: { name: 'Ada' },
      meta: { async: true },
    });
    expect(response.statusCode).toBe(202);
    const { jobId } = response.json;
    expect(response.json).toEqual({
      jobId,
      status: 'queued',
      links: { self: `/prod/jobs/${jobId}`, cancel: `/prod/jobs/${jobId}/cancel` },
    });
    expect(response.headers).toMatchObject({ location: `/prod/jobs/${jobId}`, 'retry-after': '2' });
    const polled = await call('GET', `/jobs/${jobId}`);
    expect(polled).toMatchObject({
      statusCode: 200,
      json: { id: jobId, status: 'queued', operation: 'greet' },
    });
    expect(polled.json).not.toHaveProperty('input');
    expect(polled.json).not.toHaveProperty('owner');
  });

  it('honours Prefer: respond-async and wait=N, and says so in Preference-Applied', async () => {
    const { call } = setUp();
    const asyncResponse = await call(
      'POST',
      '/jobs',
      { operation: 'greet', input: { name: 'Ada' } },
      { headers: { prefer: 'respond-async' } },
    );
    expect(asyncResponse.statusCode).toBe(202);
    expect(asyncResponse.headers['preference-applied']).toBe('respond-async');

    const waited = await call(
      'POST',
      '/jobs',
      { operation: 'nap', input: { ms: 500 } },
      { headers: { prefer: 'wait=0' } },
    );
    expect(waited.statusCode).toBe(202);
    expect(waited.headers['preference-applied']).toBe('wait=0');
  });

  it('hands over a sync request that outgrows the budget: 202, never a timeout', async () => {
    const { call, store } = setUp(100);
    const response = await call('POST', '/jobs', { operation: 'nap', input: { ms: 1_000 } });
    expect(response.statusCode).toBe(202);
    const job = await store.get(response.json.jobId);
    expect(job?.checkpoint).toMatchObject({ slept: expect.any(Number) });
  });

  it('treats Idempotency-Key as clientRequestId, and refuses the two when they differ', async () => {
    const { call } = setUp();
    const body = { operation: 'greet', input: { name: 'Ada' }, meta: { async: true } };
    const first = await call('POST', '/jobs', body, { headers: { 'idempotency-key': 'order-1' } });
    const again = await call('POST', '/jobs', { ...body, meta: { async: true, clientRequestId: 'order-1' } });
    expect(again.json.jobId).toBe(first.json.jobId);
    const reused = await call(
      'POST',
      '/jobs',
      { ...body, input: { name: 'Bob' } },
      { headers: { 'idempotency-key': 'order-1' } },
    );
    expect(reused).toMatchObject({
      statusCode: 422,
      json: { type: 'https://baton.dev/problems/idempotency-key-reused' },
    });
    const differ = await call(
      'POST',
      '/jobs',
      { ...body, meta: { clientRequestId: 'a' } },
      { headers: { 'idempotency-key': 'b' } },
    );
    expect(differ).toMatchObject({
      statusCode: 400,
      json: { errors: [{ pointer: '/meta/clientRequestId' }] },
    });
  });

  it('answers bad requests with problem+json 4xx and JSON pointers to the bad fields', async () => {
    const { call } = setUp();
    const malformed = await call('POST', '/jobs', '{"operation": "greet",');
    expect(malformed).toMatchObject({
      statusCode: 400,
      headers: { 'content-type': 'application/problem+json' },
      json: {
        type: 'https://baton.dev/problems/malformed-json',
        title: expect.any(String),
        status: 400,
        instance: expect.stringContaining('/prod/jobs'),
      },
    });
    const unknown = await call('POST', '/jobs', { operation: 'fly', input: {} });
    expect(unknown).toMatchObject({
      statusCode: 400,
      json: { errors: [{ pointer: '/operation' }], knownOperations: ['greet', 'nap', 'refuse'] },
    });
    const badInput = await call('POST', '/jobs', {
      operation: 'greet',
      input: { name: '', times: 9, extra: 1 },
    });
    expect(badInput.statusCode).toBe(400);
    expect(badInput.json.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/input',
      '/input/name',
      '/input/times',
    ]);
    const badMeta = await call('POST', '/jobs', {
      operation: 'greet',
      input: { name: 'a' },
      meta: { async: 'yes', colour: 1 },
    });
    expect(badMeta.json.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/meta',
      '/meta/async',
    ]);
    const tooBig = await call('POST', '/jobs', { operation: 'greet', input: { name: 'x'.repeat(20_000) } });
    expect(tooBig).toMatchObject({
      statusCode: 413,
      json: { type: 'https://baton.dev/problems/payload-too-large' },
    });
    const failed = await call('POST', '/jobs', { operation: 'refuse', input: {} });
    expect(failed).toMatchObject({
      statusCode: 422,
      json: { error: { type: 'CustomerNotFound', retryable: false } },
    });
  });

  it("scopes jobs to their owner: another owner's job is 404, and a request without identity is 401", async () => {
    const { call } = setUp();
    const { json } = await call('POST', '/jobs', {
      operation: 'greet',
      input: { name: 'Ada' },
      meta: { async: true },
    });
    expect((await call('GET', `/jobs/${json.jobId}`, undefined, { owner: BOB })).statusCode).toBe(404);
    expect((await call('POST', `/jobs/${json.jobId}/cancel`, undefined, { owner: BOB })).statusCode).toBe(
      404,
    );
    expect((await call('GET', '/jobs', undefined, { owner: BOB })).json.jobs).toEqual([]);
    expect((await call('GET', '/jobs', undefined, { owner: undefined })).statusCode).toBe(401);
  });

  it('lists, cancels and describes', async () => {
    const { call } = setUp();
    for (const name of ['a', 'b', 'c'])
      await call('POST', '/jobs', { operation: 'greet', input: { name }, meta: { async: true } });
    const first = await call('GET', '/jobs', undefined, { query: { limit: '2' } });
    expect(first.json.jobs).toHaveLength(2);
    expect(first.json.links.next).toMatch(/^\/prod\/jobs\?limit=2&cursor=/);
    const second = await call('GET', '/jobs', undefined, {
      query: { limit: '2', cursor: first.json.nextCursor },
    });
    expect(second.json.jobs).toHaveLength(1);
    expect((await call('GET', '/jobs', undefined, { query: { limit: 'lots' } })).statusCode).toBe(400);

    const cancelled = await call('POST', `/jobs/${second.json.jobs[0].id}/cancel`);
    expect(cancelled).toMatchObject({ statusCode: 200, json: { status: 'cancelled' } });
    expect((await call('POST', `/jobs/${second.json.jobs[0].id}/cancel`)).statusCode).toBe(200);

    const operations = await call('GET', '/operations');
    expect(operations.json.operations.map((o: { name: string }) => o.name)).toEqual([
      'greet',
      'nap',
      'refuse',
    ]);
    expect(operations.json.operations[0].inputSchema.properties.name).toEqual({
      type: 'string',
      minLength: 1,
    });
  });

  it('answers unknown routes with 404 and wrong methods with 405 + Allow', async () => {
    const { call } = setUp();
    expect((await call('GET', '/nowhere')).statusCode).toBe(404);
    const wrong = await call('DELETE', '/jobs');
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('POST, GET');
  });

  it('refuses an X-Correlation-Id that is empty, too long or not visible ASCII with 400 naming the header', async () => {
    const cases: [string, string][] = [
      ['', 'too_small'],
      ['x'.repeat(257), 'too_big'],
      ['has space', 'invalid_format'],
      ['tab\there', 'invalid_format'],
      ['caf\u00e9', 'invalid_format'],
    ];
    for (const [header, code] of cases) {
      const { call, store, dispatcher } = setUp();
      const response = await call(
        'POST',
        '/jobs',
        { operation: 'greet', input: { name: 'Ada' }, meta: { async: true } },
        { headers: { 'x-correlation-id': header }, correlationId: header },
      );
      expect(response, JSON.stringify(header)).toMatchObject({
        statusCode: 400,
        headers: { 'content-type': 'application/problem+json' },
        json: {
          type: 'https://baton.dev/problems/validation-error',
          status: 400,
          detail: expect.stringContaining('X-Correlation-Id'),
          errors: [{ pointer: '/headers/x-correlation-id', code }],
        },
      });
      expect(dispatcher.dispatched).toEqual([]);
      expect((await store.listByOwner(ALICE, { limit: 10 })).jobs).toEqual([]);
    }
    const longest = 'x'.repeat(256);
    const { call, dispatcher } = setUp();
    const accepted = await call(
      'POST',
      '/jobs',
      { operation: 'greet', input: { name: 'Ada' }, meta: { async: true } },
      { headers: { 'x-correlation-id': longest }, correlationId: longest },
    );
    expect(accepted.statusCode).toBe(202);
    expect(dispatcher.dispatched).toMatchObject([{ correlationId: longest }]);
  });

  it('answers a malformed percent-escape in the path with 400 problem+json, not a 500', async () => {
    const { call } = setUp();
    for (const [method, path] of [
      ['GET', '/jobs/%ZZ'],
      ['POST', '/jobs/%E0%A4%A/cancel'],
      ['GET', '/jobs/%'],
    ] as const) {
      expect(await call(method, path), `${method} ${path}`).toMatchObject({
        statusCode: 400,
        headers: { 'content-type': 'application/problem+json' },
        json: {
          type: 'https://baton.dev/problems/malformed-path',
          status: 400,
          instance: expect.stringContaining(path),
          errors: [{ pointer: '/path' }],
        },
      });
    }
    // A well-formed escape still reaches the use case: an unknown id is 404.
    expect((await call('GET', '/jobs/a%20b')).statusCode).toBe(404);
  });

  it('escapes JSON pointers as RFC 6901 says', () => {
    expect(toJsonPointer(['input', 'a/b', 'c~d', 0])).toBe('/input/a~1b/c~0d/0');
  });
});
