import { readFileSync } from 'node:fs';
import { randomIds, systemClock } from '@baton/core';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  testRegistry,
} from '@baton/core/testing';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
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

function setUp() {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const store = new InMemoryJobStore();
  const dispatcher = new InMemoryJobDispatcher();
  const handler = createFunctionUrlHandler({
    deps: { registry: testRegistry, store, dispatcher, clock: systemClock, ids: randomIds },
    handoffMarginMs: 300,
  });
  const invoke = async (event: APIGatewayProxyEventV2, remainingMs?: number) => {
    const result = await handler(event, fakeLambdaContext('url', remainingMs));
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
