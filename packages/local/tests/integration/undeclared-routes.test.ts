import { PROBLEM_GATEWAY_RESPONSES } from '@baton/api-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmulatorHandle,
  type LambdaService,
  startFunctionUrlEmulator,
  startHttpApiEmulator,
  startRestApiEmulator,
} from '../../src/index.js';
import { request, startGatewayFunctions } from '../support/gateways.js';

// The REST and HTTP API emulators serve, by default, the routes Baton's doors declare (HTTP_ROUTES): a request
// no route serves is answered by the gateway, as deployed API Gateway answers it, and the function never runs.

let lambda: LambdaService;
let rest: EmulatorHandle;
let restWithProblems: EmulatorHandle;
let http: EmulatorHandle;
let functionUrl: EmulatorHandle;

beforeAll(async () => {
  lambda = await startGatewayFunctions();
  const common = { lambdaUrl: lambda.url, functionName: 'gateway', logs: 'quiet' } as const;
  [rest, restWithProblems, http, functionUrl] = await Promise.all([
    startRestApiEmulator(common),
    startRestApiEmulator({ ...common, gatewayResponses: PROBLEM_GATEWAY_RESPONSES }),
    startHttpApiEmulator(common),
    startFunctionUrlEmulator(common),
  ]);
});

afterAll(async () => {
  await Promise.all([rest?.stop(), restWithProblems?.stop(), http?.stop(), functionUrl?.stop()]);
  await lambda?.stop();
});

/** Sends the request and says whether the function ran for it. */
async function send(url: string, init: RequestInit = {}) {
  const before = lambda.invocations('gateway').length;
  const answer = await request(url, init);
  return { ...answer, invoked: lambda.invocations('gateway').length > before };
}

describe('the REST API emulator', () => {
  it('answers an undeclared path itself: 403 Missing Authentication Token', async () => {
    for (const path of ['/nope', '/jobs/abc/nope', '/']) {
      const answer = await send(`${rest.url}${path}`);
      expect(answer.status, path).toBe(403);
      expect(answer.json, path).toEqual({ message: 'Missing Authentication Token' });
      expect(answer.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
      expect(answer.invoked, path).toBe(false);
    }
  });

  it('answers a declared path with another method the same way', async () => {
    const answer = await send(`${rest.url}/jobs/abc`, { method: 'DELETE' });
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({ message: 'Missing Authentication Token' });
    expect(answer.invoked).toBe(false);
  });

  it('answers through the MISSING_AUTHENTICATION_TOKEN gateway response Baton deploys', async () => {
    const answer = await send(`${restWithProblems.url}/nope`);
    expect(answer.status).toBe(403);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.json).toMatchObject({ status: 403, title: 'Missing authentication token' });
    expect(answer.invoked).toBe(false);
  });

  it('passes a declared route to the function, a trailing slash included', async () => {
    for (const [method, path] of [
      ['GET', '/jobs'],
      ['GET', '/jobs/abc/'],
      ['POST', '/jobs/abc/cancel'],
    ] as const) {
      const answer = await send(`${rest.url}${path}`, { method });
      expect(answer.status, `${method} ${path}`).toBe(200);
      expect(answer.invoked, `${method} ${path}`).toBe(true);
    }
  });
});

describe('the HTTP API emulator', () => {
  it('answers an undeclared path, or a declared one with another method, itself: 404 Not Found', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/'],
      ['DELETE', '/jobs/abc'],
      ['GET', '/jobs/abc/cancel'],
    ] as const) {
      const answer = await send(`${http.url}${path}`, { method });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.json, `${method} ${path}`).toEqual({ message: 'Not Found' });
      expect(answer.invoked, `${method} ${path}`).toBe(false);
    }
  });

  it('passes a declared route to the function', async () => {
    const answer = await send(`${http.url}/jobs/abc`);
    expect(answer.status).toBe(200);
    expect(answer.invoked).toBe(true);
  });
});

describe('the Function URL emulator', () => {
  it('has no routes: every path reaches the function', async () => {
    const answer = await send(`${functionUrl.url}/nope`);
    expect(answer.status).toBe(200);
    expect(answer.invoked).toBe(true);
  });
});

describe('routes', () => {
  it("'any' lets every path through", async () => {
    const any = await startRestApiEmulator({
      lambdaUrl: lambda.url,
      functionName: 'gateway',
      routes: 'any',
      logs: 'quiet',
    });
    try {
      const answer = await send(`${any.url}/nope`);
      expect(answer.status).toBe(200);
      expect(answer.invoked).toBe(true);
    } finally {
      await any.stop();
    }
  });

  it('are checked when the emulator starts', async () => {
    await expect(
      startHttpApiEmulator({
        lambdaUrl: lambda.url,
        functionName: 'gateway',
        routes: [{ method: 'get', path: '/x' }],
      }),
    ).rejects.toThrow(/routes\[0\]\.method must be an HTTP method/);
  });
});
