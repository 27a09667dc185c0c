import { readFileSync } from 'node:fs';
import {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS as CORE_INTEGRATION_TIMEOUT_MS,
  defineOperation,
  defineRegistry,
  randomIds,
  type Scheduler,
  systemClock,
} from '@baton/core';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  ManualClock,
  testRegistry,
} from '@baton/core/testing';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { API_GATEWAY_INTEGRATION_TIMEOUT_MS, createApiGatewayHandler } from '../../src/index.js';

const load = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../events/${name}`, import.meta.url), 'utf8'));

interface EventOptions {
  readonly headers?: Record<string, string>;
  readonly userArn?: string;
  /** When the gateway received the request (epoch ms); `undefined` drops the field. Default: now. */
  readonly receivedAt?: unknown;
}

/** The real REST (v1) IAM-authorised event, re-aimed at a route of ours and received just now. */
function restEvent(
  method: string,
  path: string,
  body?: unknown,
  options: EventOptions = {},
): APIGatewayProxyEvent {
  const event = load<APIGatewayProxyEvent>('rest-iam-auth.json');
  const { requestTimeEpoch: _, ...requestContext } = event.requestContext;
  const receivedAt = 'receivedAt' in options ? options.receivedAt : Date.now();
  return {
    ...event,
    httpMethod: method,
    path,
    resource: path,
    headers: { ...event.headers, ...options.headers },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    requestContext: {
      ...requestContext,
      httpMethod: method,
      path: `/prod${path}`,
      ...(receivedAt !== undefined && { requestTimeEpoch: receivedAt as number }),
      identity: {
        ...requestContext.identity,
        ...(options.userArn !== undefined && { userArn: options.userArn }),
      },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** The real HTTP API (v2) IAM-authorised event, re-aimed at a route of ours and received just now. */
function httpEvent(
  method: string,
  path: string,
  body?: unknown,
  options: EventOptions = {},
): APIGatewayProxyEventV2 {
  const event = load<APIGatewayProxyEventV2>('http-iam-auth.json');
  const { timeEpoch: _, ...requestContext } = event.requestContext;
  const receivedAt = 'receivedAt' in options ? options.receivedAt : Date.now();
  const authorizer = (requestContext as unknown as { authorizer: { iam: object } }).authorizer;
  return {
    ...event,
    routeKey: `${method} ${path}`,
    rawPath: path,
    headers: { ...event.headers, ...options.headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    requestContext: {
      ...requestContext,
      http: { ...event.requestContext.http, method, path },
      ...(receivedAt !== undefined && { timeEpoch: receivedAt as number }),
      authorizer: {
        iam: { ...authorizer.iam, ...(options.userArn !== undefined && { userArn: options.userArn }) },
      },
    } as APIGatewayProxyEventV2['requestContext'],
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

function setUp(options: { clock?: Scheduler; now?: () => number; registry?: typeof testRegistry } = {}) {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const store = new InMemoryJobStore();
  const dispatcher = new InMemoryJobDispatcher();
  const handler = createApiGatewayHandler({
    deps: {
      registry: options.registry ?? testRegistry,
      store,
      dispatcher,
      clock: options.clock ?? systemClock,
      ids: randomIds,
    },
    ...(options.now && { now: options.now }),
  });
  const invoke = async (
    event: APIGatewayProxyEvent | APIGatewayProxyEventV2,
    remainingMs?: number | Context,
  ) => {
    const context = typeof remainingMs === 'object' ? remainingMs : fakeLambdaContext('api', remainingMs);
    const result = await handler(event, context);
    return { ...result, json: JSON.parse(result.body) };
  };
  return { store, dispatcher, invoke };
}

describe('the API Gateway door, with real event shapes', () => {
  it('serves a REST (v1) event: sync result, owner from the IAM identity, Location under the stage', async () => {
    const { invoke, store } = setUp();
    const sync = await invoke(restEvent('POST', '/jobs', { operation: 'greet', input: { name: 'Ada' } }));
    expect(sync).toMatchObject({ statusCode: 200, json: { result: { greeting: 'hello Ada' } } });

    const accepted = await invoke(
      restEvent('POST', '/jobs', { operation: 'greet', input: { name: 'Ada' }, meta: { async: true } }),
    );
    expect(accepted.statusCode).toBe(202);
    expect(accepted.headers?.location).toBe(`/prod/jobs/${accepted.json.jobId}`);
    expect((await store.get(accepted.json.jobId))?.owner).toBe(
      'arn:aws:sts::123456789012:assumed-role/Admin',
    );
    const polled = await invoke(restEvent('GET', `/jobs/${accepted.json.jobId}`));
    expect(polled).toMatchObject({ statusCode: 200, json: { id: accepted.json.jobId, status: 'queued' } });
  });

  it('serves an HTTP API (v2) event with the IAM authorizer’s caller as owner', async () => {
    const { invoke, store } = setUp();
    const accepted = await invoke(
      httpEvent('POST', '/jobs', { operation: 'greet', input: { name: 'Bo' }, meta: { async: true } }),
    );
    expect(accepted.statusCode).toBe(202);
    expect(accepted.headers?.location).toBe(`/jobs/${accepted.json.jobId}`);
    expect((await store.get(accepted.json.jobId))?.owner).toBe(
      'arn:aws:sts::123456789012:assumed-role/Admin',
    );
  });

  it('hands over before the gateway’s timeout: the budget is the function’s time left less margins', async () => {
    const { invoke } = setUp();
    // 2.4 s left in the function: 2 s kept back for the answer leaves a 0.4 s budget for a 2 s nap.
    const started = Date.now();
    const response = await invoke(
      restEvent('POST', '/jobs', { operation: 'nap', input: { ms: 2_000 } }),
      2_400,
    );
    expect(response.statusCode).toBe(202);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('refuses the SAM template event (base64 body, no identity) with 401 problem+json', async () => {
    const { invoke } = setUp();
    const template = load<APIGatewayProxyEvent>('rest-sam-template.json');
    const event = {
      ...template,
      httpMethod: 'POST',
      path: '/jobs',
      resource: '/jobs',
      queryStringParameters: null,
      body: Buffer.from(JSON.stringify({ operation: 'greet', input: { name: 'x' } })).toString('base64'),
    } as APIGatewayProxyEvent;
    const response = await invoke(event);
    expect(response).toMatchObject({
      statusCode: 401,
      headers: { 'content-type': 'application/problem+json' },
    });
  });

  it.each([
    ['REST', restEvent],
    ['HTTP API', httpEvent],
  ] as const)(
    '%s: an assumed role owns its sessions’ jobs; IAM users and other partitions as expected',
    async (_door, event) => {
      const { invoke, store } = setUp();
      const ownerOf = async (userArn?: string) => {
        const accepted = await invoke(
          event(
            'POST',
            '/jobs',
            { operation: 'greet', input: { name: 'Bo' }, meta: { async: true } },
            { userArn },
          ),
        );
        expect(accepted.statusCode).toBe(202);
        return (await store.get(accepted.json.jobId))?.owner;
      };
      // The fixture's caller is a session of the Admin role: the session name is the caller's own choice.
      expect(await ownerOf()).toBe('arn:aws:sts::123456789012:assumed-role/Admin');
      expect(await ownerOf('arn:aws:sts::123456789012:assumed-role/Admin/someone-else')).toBe(
        'arn:aws:sts::123456789012:assumed-role/Admin',
      );
      expect(await ownerOf('arn:aws-cn:sts::123456789012:assumed-role/Reader/s1')).toBe(
        'arn:aws-cn:sts::123456789012:assumed-role/Reader',
      );
      expect(await ownerOf('arn:aws-us-gov:sts::123456789012:assumed-role/Reader/s1')).toBe(
        'arn:aws-us-gov:sts::123456789012:assumed-role/Reader',
      );
      expect(await ownerOf('arn:aws:iam::111122223333:user/example-user')).toBe(
        'arn:aws:iam::111122223333:user/example-user',
      );
      // So a session sees the jobs another session of the same role started.
      const mine = await invoke(
        event('POST', '/jobs', { operation: 'greet', input: { name: 'Bo' }, meta: { async: true } }),
      );
      const other = await invoke(
        event('GET', `/jobs/${mine.json.jobId}`, undefined, {
          userArn: 'arn:aws:sts::123456789012:assumed-role/Admin/another-session',
        }),
      );
      expect(other.statusCode).toBe(200);
    },
  );

  it.each([
    ['REST', restEvent],
    ['HTTP API', httpEvent],
  ] as const)(
    '%s: refuses a bad X-Correlation-Id with 400 naming the header, and passes a good one on',
    async (_door, event) => {
      const { invoke, dispatcher } = setUp();
      const body = { operation: 'greet', input: { name: 'Bo' }, meta: { async: true } };
      for (const bad of ['', 'x'.repeat(257), 'two words', 'caf\u00e9']) {
        const refused = await invoke(event('POST', '/jobs', body, { headers: { 'X-Correlation-Id': bad } }));
        expect(refused, JSON.stringify(bad)).toMatchObject({
          statusCode: 400,
          headers: { 'content-type': 'application/problem+json' },
          json: { status: 400, errors: [{ pointer: '/headers/x-correlation-id' }] },
        });
      }
      expect(dispatcher.dispatched).toEqual([]);
      const accepted = await invoke(
        event('POST', '/jobs', body, { headers: { 'X-Correlation-Id': 'order-42' } }),
      );
      expect(accepted.statusCode).toBe(202);
      expect(dispatcher.dispatched).toMatchObject([
        { jobId: accepted.json.jobId, correlationId: 'order-42' },
      ]);
      // Absent: the request id, as before.
      await invoke(event('POST', '/jobs', body));
      expect(dispatcher.dispatched[1]?.correlationId).toMatch(
        /^(89f9261a-2765-4d49-b72e-f76726991e44|ZhLNpgotDoEEJUQ=)$/,
      );
    },
  );

  it.each([
    ['REST', restEvent],
    ['HTTP API', httpEvent],
  ] as const)(
    '%s: answers a malformed percent-escape in the path with 400 problem+json',
    async (_door, event) => {
      const { invoke } = setUp();
      for (const [method, path] of [
        ['GET', '/jobs/%ZZ'],
        ['POST', '/jobs/%E0%A4%A/cancel'],
      ] as const) {
        expect(await invoke(event(method, path)), `${method} ${path}`).toMatchObject({
          statusCode: 400,
          headers: { 'content-type': 'application/problem+json' },
          json: { type: 'https://baton.dev/problems/malformed-path', status: 400 },
        });
      }
    },
  );

  it.each([[null], [true], [1], ['x'], [[]], [{}]])(
    'answers a direct invoke with payload %j with a 400 problem',
    async (payload) => {
      const { invoke } = setUp();
      expect(await invoke(payload as unknown as APIGatewayProxyEvent)).toMatchObject({
        statusCode: 400,
        headers: { 'content-type': 'application/problem+json' },
        json: { type: 'https://baton.dev/problems/bad-event', status: 400 },
      });
    },
  );

  describe('counts the sync budget from when the gateway received the request', () => {
    const NOW = Date.parse('2026-03-01T12:00:00.000Z');
    // A context whose deadline does not move: only the budget under test varies.
    const context = (remainingMs = 900_000): Context => ({
      ...fakeLambdaContext('api'),
      getRemainingTimeInMillis: () => remainingMs,
    });
    const remainingFor = async (
      event: APIGatewayProxyEvent | APIGatewayProxyEventV2,
      remainingMs?: number,
    ) => {
      const { invoke } = setUp({
        clock: new ManualClock(NOW),
        now: () => NOW,
        registry: budgetRegistry as unknown as typeof testRegistry,
      });
      const response = await invoke(event, context(remainingMs));
      expect(response.statusCode).toBe(200);
      return response.json.result.remainingMs as number;
    };
    const rest = (receivedAt: unknown) => restEvent('POST', '/jobs', { operation: 'budget' }, { receivedAt });
    const http = (receivedAt: unknown) => httpEvent('POST', '/jobs', { operation: 'budget' }, { receivedAt });

    it('a 5 s cold start leaves 29 − 3 − 5 = 21 s (REST requestTimeEpoch, HTTP API timeEpoch)', async () => {
      // runInline keeps 1 s of a 21 s budget back for the operation to stop in.
      expect(await remainingFor(rest(NOW - 5_000))).toBe(20_000);
      expect(await remainingFor(http(NOW - 5_000))).toBe(20_000);
      expect(await remainingFor(rest(NOW))).toBe(25_000);
    });

    it('never more than the function has left less its margin, never negative', async () => {
      // 10 s left in the function, 2 s kept back: 8 s, of which runInline keeps 0.8 s back.
      expect(await remainingFor(rest(NOW - 5_000), 10_000)).toBe(7_200);
      expect(await remainingFor(http(NOW - 40_000))).toBe(0);
    });

    it('falls back to the handler-start budget when the time is absent or implausible', async () => {
      for (const receivedAt of [
        undefined,
        NOW + 60_000,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        '1718636305078',
        0,
      ]) {
        expect(await remainingFor(rest(receivedAt)), `REST ${String(receivedAt)}`).toBe(25_000);
        expect(await remainingFor(http(receivedAt)), `HTTP API ${String(receivedAt)}`).toBe(25_000);
      }
    });
  });

  it('re-exports the integration timeout from @baton/core', () => {
    expect(API_GATEWAY_INTEGRATION_TIMEOUT_MS).toBe(CORE_INTEGRATION_TIMEOUT_MS);
  });

  it('answers malformed JSON and events it cannot read with problem+json 400, never a crash', async () => {
    const { invoke } = setUp();
    expect(await invoke(restEvent('POST', '/jobs', '{oops'))).toMatchObject({
      statusCode: 400,
      json: { status: 400 },
    });
    expect(await invoke({ hello: 'world' } as unknown as APIGatewayProxyEvent)).toMatchObject({
      statusCode: 400,
      json: { type: 'https://baton.dev/problems/bad-event' },
    });
  });
});
