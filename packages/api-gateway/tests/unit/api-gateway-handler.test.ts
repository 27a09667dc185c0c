import { readFileSync } from 'node:fs';
import { randomIds, systemClock } from '@baton/core';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  testRegistry,
} from '@baton/core/testing';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createApiGatewayHandler } from '../../src/index.js';

const load = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../events/${name}`, import.meta.url), 'utf8'));

/** The real REST (v1) IAM-authorised event, re-aimed at a route of ours. */
function restEvent(method: string, path: string, body?: unknown): APIGatewayProxyEvent {
  const event = load<APIGatewayProxyEvent>('rest-iam-auth.json');
  return {
    ...event,
    httpMethod: method,
    path,
    resource: path,
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    requestContext: { ...event.requestContext, httpMethod: method, path: `/prod${path}` },
  };
}

/** The real HTTP API (v2) IAM-authorised event, re-aimed at a route of ours. */
function httpEvent(method: string, path: string, body?: unknown): APIGatewayProxyEventV2 {
  const event = load<APIGatewayProxyEventV2>('http-iam-auth.json');
  return {
    ...event,
    routeKey: `${method} ${path}`,
    rawPath: path,
    ...(body !== undefined && { body: JSON.stringify(body) }),
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method, path } },
  };
}

function setUp() {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const store = new InMemoryJobStore();
  const handler = createApiGatewayHandler({
    deps: {
      registry: testRegistry,
      store,
      dispatcher: new InMemoryJobDispatcher(),
      clock: systemClock,
      ids: randomIds,
    },
  });
  const invoke = async (event: APIGatewayProxyEvent | APIGatewayProxyEventV2, remainingMs?: number) => {
    const result = await handler(event, fakeLambdaContext('api', remainingMs));
    return { ...result, json: JSON.parse(result.body) };
  };
  return { store, invoke };
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
      'arn:aws:sts::123456789012:assumed-role/Admin/aamorosi',
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
      'arn:aws:sts::123456789012:assumed-role/Admin/aamorosi',
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
