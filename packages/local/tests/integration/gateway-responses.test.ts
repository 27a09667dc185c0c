import { type GatewayResponseDefinition, PROBLEM_GATEWAY_RESPONSES } from '@baton/api-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccessLogEntry,
  type EmulatorHandle,
  type LambdaService,
  startLambdaService,
  startRestApiEmulator,
} from '../../src/index.js';
import { request } from '../support/gateways.js';
import { eventually, fixture } from '../support/helpers.js';
import { minutesAgo, signedFetch } from '../support/sigv4.js';

/**
 * The REST API emulator's own errors, answered through the API's gateway responses — here the problem+json
 * responses the Baton REST API deploys (`PROBLEM_GATEWAY_RESPONSES`), so the laptop answers what the cloud does.
 */

const alice = {
  accessKeyId: 'AKIDALICE',
  secretAccessKey: 'alice-secret',
  principalArn: 'arn:aws:iam::111122223333:user/alice',
};

let lambda: LambdaService;
let api: EmulatorHandle;
/** The same API with a 300 ms integration timeout, for the timeout test only: a cold start may take longer. */
let timeoutApi: EmulatorHandle;
let throttledApi: EmulatorHandle;
let signedApi: EmulatorHandle;
const accessLog: AccessLogEntry[] = [];

beforeAll(async () => {
  lambda = await startLambdaService({
    functions: [
      { name: 'gateway', entry: fixture('gateway'), timeoutSeconds: 10 },
      { name: 'one-at-a-time', entry: fixture('gateway'), timeoutSeconds: 10, reservedConcurrency: 1 },
    ],
    logs: 'quiet',
  });
  const common = {
    lambdaUrl: lambda.url,
    gatewayResponses: PROBLEM_GATEWAY_RESPONSES,
    routes: 'any',
    logs: 'quiet',
  } as const;
  api = await startRestApiEmulator({
    ...common,
    functionName: 'gateway',
    logs: (entry) => accessLog.push(entry),
  });
  timeoutApi = await startRestApiEmulator({ ...common, functionName: 'gateway', integrationTimeoutMs: 300 });
  throttledApi = await startRestApiEmulator({ ...common, functionName: 'one-at-a-time' });
  signedApi = await startRestApiEmulator({
    ...common,
    functionName: 'gateway',
    verifySignatures: true,
    credentials: [alice],
  });
});

afterAll(async () => {
  await Promise.all([api?.stop(), timeoutApi?.stop(), throttledApi?.stop(), signedApi?.stop()]);
  await lambda?.stop();
});

type Problem = {
  type: string;
  title: string;
  status?: number;
  detail: string;
  instance: string;
  responseType: string;
};

/** The configured problem response: status, headers, and a body rendered from the template. */
function expectProblem(
  response: { status: number; headers: Headers; json: unknown },
  expected: { status: number; slug: string; responseType: string; retryAfter?: string; path: string },
): Problem {
  expect(response.status).toBe(expected.status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('retry-after')).toBe(expected.retryAfter ?? null);
  const problem = response.json as Problem;
  const requestId = response.headers.get('x-amzn-requestid');
  expect(problem).toMatchObject({
    type: `https://baton.dev/problems/${expected.slug}`,
    instance: `${expected.path}#${requestId}`,
    responseType: expected.responseType,
  });
  return problem;
}

describe('with the Baton problem gateway responses', () => {
  it('a throttled function (reserved concurrency used up) is INTEGRATION_FAILURE: 503 + Retry-After', async () => {
    // Holds the only environment for 3 s: ample time for the next request to arrive while it is busy.
    const holding = request(`${throttledApi.url}/sleep/3000`);
    await eventually(() => lambda.stats()['one-at-a-time']?.environments.busy === 1);
    const response = await request(`${throttledApi.url}/jobs`);
    const problem = expectProblem(response, {
      status: 503,
      slug: 'service-unavailable',
      responseType: 'INTEGRATION_FAILURE',
      retryAfter: '2',
      path: '/local/jobs',
    });
    expect(problem).toMatchObject({
      title: 'The service is unavailable',
      status: 503,
      detail: 'Internal server error',
    });
    expect(response.headers.get('x-amzn-errortype')).toBe('InternalServerErrorException');
    expect((await holding).status).toBe(200);
    expect(lambda.stats()['one-at-a-time']?.throttles).toBeGreaterThanOrEqual(1);
  });

  it('an event too large for Lambda (6 MB) is INTEGRATION_FAILURE too', async () => {
    const response = await request(`${api.url}/big/1`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.alloc(7 * 1024 * 1024, 97),
    });
    expectProblem(response, {
      status: 503,
      slug: 'service-unavailable',
      responseType: 'INTEGRATION_FAILURE',
      retryAfter: '2',
      path: '/local/big/1',
    });
    expect(accessLog.at(-1)?.detail).toMatch(
      /RequestEntityTooLargeException.*gateway response INTEGRATION_FAILURE/,
    );
  });

  it('a response over 6 MB is a function error: DEFAULT_5XX keeps API Gateway’s 502', async () => {
    const response = await request(`${api.url}/big/${7 * 1024 * 1024}`);
    const problem = expectProblem(response, {
      status: 502,
      slug: 'gateway-error',
      responseType: 'DEFAULT_5XX',
      path: `/local/big/${7 * 1024 * 1024}`,
    });
    expect(problem.status).toBeUndefined();
    expect(problem.detail).toBe('Internal server error');
    expect(accessLog.at(-1)?.detail).toMatch(/Function\.ResponseSizeTooLarge/);
  });

  it('an integration timeout is INTEGRATION_TIMEOUT: 504', async () => {
    const response = await request(`${timeoutApi.url}/sleep/3000`);
    const problem = expectProblem(response, {
      status: 504,
      slug: 'integration-timeout',
      responseType: 'INTEGRATION_TIMEOUT',
      path: '/local/sleep/3000',
    });
    expect(problem.detail).toBe('Endpoint request timed out');
    expect(response.headers.get('x-amzn-trace-id')).toMatch(/^Root=1-/);
  });

  it('a request over 10 MiB is REQUEST_TOO_LARGE: 413', async () => {
    const response = await request(`${api.url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 97),
    });
    const problem = expectProblem(response, {
      status: 413,
      slug: 'payload-too-large',
      responseType: 'REQUEST_TOO_LARGE',
      path: '/local/jobs',
    });
    expect(problem.detail).toBe('Request Too Long');
  });

  it('an unsigned request is MISSING_AUTHENTICATION_TOKEN when signatures are verified', async () => {
    const response = await request(`${signedApi.url}/jobs`);
    const problem = expectProblem(response, {
      status: 403,
      slug: 'missing-authentication-token',
      responseType: 'MISSING_AUTHENTICATION_TOKEN',
      path: '/local/jobs',
    });
    expect(problem.detail).toMatch(/not signed with AWS Signature Version 4/);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('a wrong secret, a changed body and a stale date are INVALID_SIGNATURE; an unknown key ACCESS_DENIED', async () => {
    const url = `${signedApi.url}/echo`;
    const body = JSON.stringify({ amount: 1 });
    const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
    const wrongSecret = await signedFetch(url, post, {
      key: { accessKeyId: alice.accessKeyId, secretAccessKey: 'not-her-secret' },
      service: 'execute-api',
    });
    expect(
      expectProblem(wrongSecret, {
        status: 403,
        slug: 'invalid-signature',
        responseType: 'INVALID_SIGNATURE',
        path: '/local/echo',
      }).detail,
    ).toMatch(/^The request signature we calculated does not match the signature you provided/);

    const tampered = await signedFetch(url, post, {
      key: alice,
      service: 'execute-api',
      sendBody: JSON.stringify({ amount: 9 }),
    });
    expectProblem(tampered, {
      status: 403,
      slug: 'invalid-signature',
      responseType: 'INVALID_SIGNATURE',
      path: '/local/echo',
    });

    const stale = await signedFetch(url, post, {
      key: alice,
      service: 'execute-api',
      signingDate: minutesAgo(16),
    });
    expect(
      expectProblem(stale, {
        status: 403,
        slug: 'invalid-signature',
        responseType: 'INVALID_SIGNATURE',
        path: '/local/echo',
      }).detail,
    ).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );

    const unknown = await signedFetch(url, post, {
      key: { accessKeyId: 'AKIDMALLORY', secretAccessKey: 'whatever' },
      service: 'execute-api',
    });
    expect(
      expectProblem(unknown, {
        status: 403,
        slug: 'access-denied',
        responseType: 'ACCESS_DENIED',
        path: '/local/echo',
      }).detail,
    ).toBe('The security token included in the request is invalid.');

    // None of them reached the function; the properly signed request does, as its principal.
    const accepted = await signedFetch(url, post, { key: alice, service: 'execute-api' });
    expect(accepted.status).toBe(200);
    expect(
      (accepted.json as { requestContext: { identity: unknown } }).requestContext.identity,
    ).toMatchObject({
      accessKey: 'AKIDALICE',
      accountId: '111122223333',
      userArn: alice.principalArn,
    });
  });
});

describe('the fallback rules', () => {
  /** An API with these gateway responses; a 300 ms integration timeout only where a test wants the timeout. */
  const fallbackApi = async (gatewayResponses: GatewayResponseDefinition[], integrationTimeoutMs = 29_000) =>
    startRestApiEmulator({
      routes: 'any',
      lambdaUrl: lambda.url,
      functionName: 'gateway',
      integrationTimeoutMs,
      gatewayResponses,
      logs: 'quiet',
    });

  it('a type without a definition takes DEFAULT_5XX’s headers and body, and API Gateway’s status', async () => {
    const other = await fallbackApi(
      [
        {
          type: 'DEFAULT_5XX',
          responseHeaders: {
            'Access-Control-Allow-Origin': "'*'",
            'X-Echo': 'method.request.header.x-client',
          },
          template:
            '{"fallback":$context.error.messageString,"type":"$context.error.responseType","at":"$context.resourcePath"}',
        },
      ],
      300,
    );
    try {
      const response = await request(`${other.url}/sleep/3000`, { headers: { 'x-client': 'c1' } });
      expect(response.status).toBe(504);
      expect(response.json).toEqual({
        fallback: 'Endpoint request timed out',
        type: 'INTEGRATION_TIMEOUT',
        at: '/{proxy+}',
      });
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('x-echo')).toBe('c1');
      expect(response.headers.get('content-type')).toBe('application/json');
      // A 4xx is not DEFAULT_5XX's business: API Gateway's own 413.
      const tooLarge = await request(`${other.url}/jobs`, {
        method: 'POST',
        body: Buffer.alloc(10 * 1024 * 1024 + 1, 97),
      });
      expect(tooLarge).toMatchObject({ status: 413, json: { message: 'Request Too Long' } });
    } finally {
      await other.stop();
    }
  });

  it('a status on DEFAULT_4XX changes every 4xx it covers; a specific definition without one has the type’s status', async () => {
    const other = await fallbackApi([
      { type: 'DEFAULT_4XX', statusCode: '400', responseHeaders: {}, template: '{"fallback":true}' },
      {
        type: 'INTEGRATION_FAILURE',
        responseHeaders: {},
        template: '{"failure":$context.error.messageString}',
      },
    ]);
    try {
      const tooLarge = await request(`${other.url}/jobs`, {
        method: 'POST',
        body: Buffer.alloc(10 * 1024 * 1024 + 1, 97),
      });
      expect(tooLarge).toMatchObject({ status: 400, json: { fallback: true } });
      // INTEGRATION_FAILURE's documented status is 504: a definition without statusCode answers it, not the 500
      // API Gateway answers while the type is not customised.
      const refused = await request(`${other.url}/big/1`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: Buffer.alloc(7 * 1024 * 1024, 97),
      });
      expect(refused).toMatchObject({ status: 504, json: { failure: 'Internal server error' } });
    } finally {
      await other.stop();
    }
  });

  it('without definitions, API Gateway’s own answers; outside the stage no gateway response applies', async () => {
    const other = await fallbackApi([]);
    try {
      const refused = await request(`${other.url}/big/1`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: Buffer.alloc(7 * 1024 * 1024, 97),
      });
      expect(refused).toMatchObject({ status: 500, json: { message: 'Internal server error' } });
      expect(refused.headers.get('x-amzn-errortype')).toBe('InternalServerErrorException');
    } finally {
      await other.stop();
    }
    const outside = await request(`http://127.0.0.1:${api.port}/other/jobs`);
    expect(outside).toMatchObject({ status: 403, json: { message: 'Forbidden' } });
  });

  it('refuses definitions it cannot serve, before listening', async () => {
    await expect(
      fallbackApi([{ type: 'NOT_A_TYPE' as 'DEFAULT_4XX', responseHeaders: {}, template: '{}' }]),
    ).rejects.toThrow(/gatewayResponses\[0\]\.type must be a gateway response type/);
    await expect(
      fallbackApi([{ type: 'THROTTLED', statusCode: '4xx', responseHeaders: {}, template: '{}' }]),
    ).rejects.toThrow(/gatewayResponses\[0\]\.statusCode must be a status code/);
    await expect(
      fallbackApi([
        { type: 'THROTTLED', responseHeaders: {}, template: '{}' },
        { type: 'THROTTLED', responseHeaders: {}, template: '{}' },
      ]),
    ).rejects.toThrow(/THROTTLED is defined twice/);
  });
});
