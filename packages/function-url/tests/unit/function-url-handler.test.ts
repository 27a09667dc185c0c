import { readFileSync } from 'node:fs';
import { defineOperation, defineRegistry, randomIds, type Scheduler, systemClock } from '@baton/core';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  ManualClock,
  testRegistry,
} from '@baton/core/testing';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { createFunctionUrlHandler } from '../../src/index.js';

/** The real Function URL IAM event, re-aimed at a route of ours. */
function urlEvent(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  const event = JSON.parse(readFileSync(new URL('../events/iam-auth.json', import.meta.url), 'utf8'));
  return {
    ...event,
    rawPath: path,
    rawQueryString: '',
    queryStringParameters: undefined,
    headers: { ...event.headers, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method, path } },
  };
}

/** Reports how long its run may take: what the door's budget left it (runInline keeps a tenth, ≤ 1 s, back). */
const budgetRegistry = defineRegistry([
  defineOperation({
    name: 'budget',
    description: 'Reports its remaining time.',
    input: z.strictObject({}),
    output: z.object({ remainingMs: z.number() }),
    run: async (_input, { remainingTimeMs }) => ({ remainingMs: remainingTimeMs() }),
  }),
]);

function setUp(options: { clock?: Scheduler; registry?: typeof testRegistry } = {}) {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const store = new InMemoryJobStore();
  const dispatcher = new InMemoryJobDispatcher();
  const handler = createFunctionUrlHandler({
    deps: {
      registry: options.registry ?? testRegistry,
      store,
      dispatcher,
      clock: options.clock ?? systemClock,
      ids: randomIds,
    },
    handoffMarginMs: 300,
  });
  const invoke = async (event: APIGatewayProxyEventV2, remainingMs?: number | Context) => {
    const context = typeof remainingMs === 'object' ? remainingMs : fakeLambdaContext('url', remainingMs);
    const result = await handler(event, context);
    return { ...result, json: JSON.parse(result.body) };
  };
  return { store, dispatcher, invoke };
}

describe('the Function URL door, with the real event shape', () => {
  it('serves sync and async requests, the IAM user as owner', async () => {
    const { invoke, store, dispatcher } = setUp();
    expect(
      await invoke(urlEvent('POST', '/jobs', { operation: 'greet', input: { name: 'Ada', times: 2 } })),
    ).toMatchObject({
      statusCode: 200,
      json: { status: 'succeeded', result: { greeting: 'hello Adahello Ada' } },
    });
    const accepted = await invoke(
      urlEvent('POST', '/jobs', { operation: 'greet', input: { name: 'Ada' } }, { prefer: 'respond-async' }),
    );
    expect(accepted).toMatchObject({
      statusCode: 202,
      headers: { location: `/jobs/${accepted.json.jobId}`, 'preference-applied': 'respond-async' },
    });
    expect((await store.get(accepted.json.jobId))?.owner).toBe('arn:aws:iam::111122223333:user/example-user');
    expect(dispatcher.dispatched).toHaveLength(1);
  });

  it('hands work over before the function times out', async () => {
    const { invoke, dispatcher } = setUp();
    const response = await invoke(urlEvent('POST', '/jobs', { operation: 'nap', input: { ms: 2_000 } }), 500);
    expect(response.statusCode).toBe(202);
    expect(dispatcher.dispatched).toEqual([{ jobId: response.json.jobId, hop: 0, correlationId: 'id' }]);
  });

  it('refuses a bad X-Correlation-Id with 400 naming the header, and passes a good one on', async () => {
    const { invoke, dispatcher } = setUp();
    const body = { operation: 'greet', input: { name: 'Ada' }, meta: { async: true } };
    for (const bad of ['', 'x'.repeat(257), 'two words']) {
      expect(await invoke(urlEvent('POST', '/jobs', body, { 'x-correlation-id': bad }))).toMatchObject({
        statusCode: 400,
        headers: { 'content-type': 'application/problem+json' },
        json: { status: 400, errors: [{ pointer: '/headers/x-correlation-id' }] },
      });
    }
    expect(dispatcher.dispatched).toEqual([]);
    const accepted = await invoke(urlEvent('POST', '/jobs', body, { 'x-correlation-id': 'order-42' }));
    expect(dispatcher.dispatched).toEqual([
      { jobId: accepted.json.jobId, hop: 0, correlationId: 'order-42' },
    ]);
  });

  it('answers a malformed percent-escape in the path with 400 problem+json', async () => {
    const { invoke } = setUp();
    for (const [method, path] of [
      ['GET', '/jobs/%ZZ'],
      ['POST', '/jobs/%E0%A4%A/cancel'],
    ] as const) {
      expect(await invoke(urlEvent(method, path)), `${method} ${path}`).toMatchObject({
        statusCode: 400,
        headers: { 'content-type': 'application/problem+json' },
        json: { type: 'https://baton.dev/problems/malformed-path', status: 400 },
      });
    }
  });

  it.each([[null], [true], [1], ['x'], [[]], [{}]])(
    'answers a direct invoke with payload %j with a 400 problem',
    async (payload) => {
      const { invoke } = setUp();
      expect(await invoke(payload as unknown as APIGatewayProxyEventV2)).toMatchObject({
        statusCode: 400,
        headers: { 'content-type': 'application/problem+json' },
        json: { type: 'https://baton.dev/problems/bad-event', status: 400 },
      });
    },
  );

  it('budgets the function’s remaining time less its margin, whenever the request arrived', async () => {
    const now = Date.parse('2026-03-01T12:00:00.000Z');
    for (const timeEpoch of [now, now - 20_000, now - 60_000]) {
      const { invoke } = setUp({
        clock: new ManualClock(now),
        registry: budgetRegistry as unknown as typeof testRegistry,
      });
      const event = urlEvent('POST', '/jobs', { operation: 'budget' });
      const response = await invoke(
        { ...event, requestContext: { ...event.requestContext, timeEpoch } },
        { ...fakeLambdaContext('url'), getRemainingTimeInMillis: () => 60_300 },
      );
      // 60.3 s left less the 0.3 s margin: 60 s, of which runInline keeps 1 s back.
      expect(response.json.result, String(timeEpoch)).toEqual({ remainingMs: 59_000 });
    }
  });

  it('lists operations with their JSON Schemas, and refuses an unknown route with 404 problem+json', async () => {
    const { invoke } = setUp();
    const operations = await invoke(urlEvent('GET', '/operations'));
    expect(operations.json.operations.map((o: { name: string }) => o.name)).toEqual([
      'greet',
      'nap',
      'refuse',
    ]);
    expect(await invoke(urlEvent('GET', '/my/path'))).toMatchObject({
      statusCode: 404,
      headers: { 'content-type': 'application/problem+json' },
    });
  });
});
