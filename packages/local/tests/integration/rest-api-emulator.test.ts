import { fromRestEvent } from '@baton/http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccessLogEntry,
  type EmulatorHandle,
  type LambdaService,
  startRestApiEmulator,
} from '../../src/index.js';
import {
  curl,
  echoedEvent,
  request,
  sampleEvent,
  sortedKeys,
  startGatewayFunctions,
} from '../support/gateways.js';

let lambda: LambdaService;
let api: EmulatorHandle;
/** The same API with a 300 ms integration timeout, for the timeout test only: a cold start may take longer. */
let timeoutApi: EmulatorHandle;
const accessLog: AccessLogEntry[] = [];

beforeAll(async () => {
  lambda = await startGatewayFunctions();
  api = await startRestApiEmulator({
    routes: 'any',
    lambdaUrl: lambda.url,
    functionName: 'gateway',
    stage: 'local',
    logs: (entry) => accessLog.push(entry),
  });
  timeoutApi = await startRestApiEmulator({
    routes: 'any',
    lambdaUrl: lambda.url,
    functionName: 'gateway',
    integrationTimeoutMs: 300,
    logs: 'quiet',
  });
});

afterAll(async () => {
  await timeoutApi?.stop();
  await api?.stop();
  await lambda?.stop();
});

describe('the REST proxy event', () => {
  it('has the keys of a real IAM-authorized REST event, at every level', async () => {
    const response = await request(`${api.url}/echo`, { method: 'POST' });
    expect(response.status).toBe(200);
    const event = echoedEvent(response);
    const sample = sampleEvent('packages/api-gateway/tests/events/rest-iam-auth.json');
    const sampleContext = sample.requestContext as Record<string, unknown>;
    expect(sortedKeys(event)).toEqual(sortedKeys(sample));
    expect(sortedKeys(event.requestContext)).toEqual(sortedKeys(sampleContext));
    expect(sortedKeys(event.requestContext.identity)).toEqual(sortedKeys(sampleContext.identity));
  });

  it('is a {proxy+} event: the path without the stage, requestContext.path with it', async () => {
    const event = echoedEvent(await request(`${api.url}/jobs/abc%20def`, { headers: { 'X-Custom': 'yes' } }));
    expect(event).toMatchObject({
      resource: '/{proxy+}',
      path: '/jobs/abc%20def',
      httpMethod: 'GET',
      pathParameters: { proxy: 'jobs/abc def' },
      stageVariables: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        resourcePath: '/{proxy+}',
        httpMethod: 'GET',
        path: '/local/jobs/abc%20def',
        stage: 'local',
        protocol: 'HTTP/1.1',
        accountId: '000000000000',
      },
    });
    expect(event.headers['X-Custom']).toBe('yes');
    expect(event.multiValueHeaders['X-Custom']).toEqual(['yes']);
    expect(event.headers['X-Forwarded-Proto']).toBe('http');
    expect(event.headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const context = event.requestContext;
    expect(context.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(context.requestTimeEpoch - Date.now())).toBeLessThan(10_000);
    expect(context.domainName).toBe(`${context.apiId}.execute-api.us-east-1.amazonaws.com`);
    expect(context.domainPrefix).toBe(context.apiId);
    expect(context.identity.sourceIp).toBe('127.0.0.1');
  });

  it("continues a client's trace root, and sends the trace back", async () => {
    const root = '1-66704f11-56b0f1d611b392cb68ad2b83';
    const response = await request(`${api.url}/echo`, {
      headers: { 'x-amzn-trace-id': `Root=${root};Lineage=0a1b2c3d:5` },
    });
    expect(echoedEvent(response).headers['X-Amzn-Trace-Id']).toBe(`Root=${root}`);
    expect(response.headers.get('x-amzn-trace-id')).toBe(`Root=${root}`);
  });

  it('reaches the root resource at the stage itself, with or without the slash', async () => {
    for (const url of [api.url, `${api.url}/`]) {
      const event = echoedEvent(await request(url));
      expect(event).toMatchObject({ resource: '/', path: '/', pathParameters: null });
      expect(event.requestContext.resourcePath).toBe('/');
    }
  });

  it('answers 403 Forbidden outside the stage, without invoking the function', async () => {
    const invocationsBefore = lambda.invocations('gateway').length;
    for (const path of ['/', '/other/jobs', '/localjobs']) {
      const response = await request(`http://127.0.0.1:${api.port}${path}`);
      expect(response.status).toBe(403);
      expect(response.json).toEqual({ message: 'Forbidden' });
      expect(response.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
    }
    expect(lambda.invocations('gateway').length).toBe(invocationsBefore);
  });

  it('keeps single and repeated query parameters apart', async () => {
    const event = echoedEvent(await request(`${api.url}/echo?single=1&multi=a&multi=b&empty&enc=a%26b`));
    expect(event.queryStringParameters).toEqual({ single: '1', multi: 'b', empty: '', enc: 'a&b' });
    expect(event.multiValueQueryStringParameters).toEqual({
      single: ['1'],
      multi: ['a', 'b'],
      empty: [''],
      enc: ['a&b'],
    });
  });

  it('passes headers and parameters named like Object.prototype members as they are', async () => {
    // curl, not fetch: fetch drops a header named __proto__.
    const response = await curl([
      '-H',
      'constructor: c',
      '-H',
      '__proto__: p',
      '-H',
      'hasOwnProperty: h',
      `${api.url}/echo?constructor=1&__proto__=2&toString=3&toString=4`,
    ]);
    expect(response.status).toBe(200);
    const event = JSON.parse(response.body);
    expect(Object.getOwnPropertyNames(event.queryStringParameters).sort()).toEqual([
      '__proto__',
      'constructor',
      'toString',
    ]);
    expect(event.queryStringParameters.toString).toBe('4');
    expect(event.multiValueQueryStringParameters.toString).toEqual(['3', '4']);
    expect(event.multiValueQueryStringParameters.constructor).toEqual(['1']);
    expect(event.headers.constructor).toBe('c');
    expect(event.multiValueHeaders.hasOwnProperty).toEqual(['h']);
    expect(Object.getOwnPropertyDescriptor(event.headers, '__proto__')?.value).toBe('p');
  });

  it('passes text bodies as text and anything else base64', async () => {
    const json = echoedEvent(
      await request(`${api.url}/echo`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '{"name":"ünïcode"}',
      }),
    );
    expect(json).toMatchObject({ body: '{"name":"ünïcode"}', isBase64Encoded: false, httpMethod: 'PUT' });

    const bytes = Buffer.from([0, 159, 146, 150, 255]);
    const binary = echoedEvent(
      await request(`${api.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: bytes,
      }),
    );
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body, 'base64')).toEqual(bytes);
  });

  it('is an event the REST door accepts, with the caller as owner', async () => {
    const event = echoedEvent(
      await request(`${api.url}/jobs?limit=5`, { headers: { 'x-correlation-id': 'corr-1' } }),
    ) as APIGatewayProxyEvent;
    const translated = fromRestEvent(event, 1_000);
    expect(translated).toMatchObject({
      method: 'GET',
      path: '/jobs',
      basePath: '/local',
      query: { limit: '5' },
      owner: 'arn:aws:iam::000000000000:user/local-developer',
      correlationId: 'corr-1',
    });
  });
});

describe('the response', () => {
  it('maps statusCode, headers and multiValueHeaders, and adds the gateway ids', async () => {
    const response = await request(`${api.url}/headers`);
    expect(response.status).toBe(201);
    expect(response.text).toBe('headers');
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('x-single')).toBe('one');
    expect(response.headers.get('x-multi')).toBe('a, b');
    // In both maps: the multi values, and the single one only if it is not among them already.
    expect(response.headers.get('x-both')).toBe('a, b');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-amz-apigw-id')).toMatch(/^[A-Za-z0-9+/]{11}=$/);
  });

  it('decodes a base64 body', async () => {
    const response = await fetch(`${api.url}/binary`);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('answers 504 at the integration timeout, without waiting for the function', async () => {
    const response = await request(`${timeoutApi.url}/sleep/8000`);
    expect(response.status).toBe(504);
    expect(response.text).toBe('{"message":"Endpoint request timed out"}');
    expect(response.elapsedMs).toBeGreaterThanOrEqual(290);
    // Long before the function's 8 s: the gateway does not wait for it (a loose bound, for a busy machine).
    expect(response.elapsedMs).toBeLessThan(6_000);
    // The function is still running: API Gateway does not stop it.
    expect(lambda.stats().gateway?.environments.busy).toBeGreaterThanOrEqual(1);
  });

  it('answers 502 Internal server error when the function fails', async () => {
    const response = await request(`${api.url}/throw`);
    expect(response.status).toBe(502);
    expect(response.json).toEqual({ message: 'Internal server error' });
    expect(response.headers.get('x-amzn-errortype')).toBe('InternalServerErrorException');
  });

  it('answers 502 for a malformed proxy result (a body that is not a string)', async () => {
    const response = await request(`${api.url}/malformed`);
    expect(response.status).toBe(502);
    expect(response.json).toEqual({ message: 'Internal server error' });
    expect(accessLog.at(-1)?.detail).toMatch(/malformed Lambda proxy response: body must be a string/);
  });

  it('answers 413 Request Too Long over 10 MiB, and takes exactly 10 MiB', async () => {
    const over = await request(`${api.url}/big/1`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 97),
    });
    expect(over.status).toBe(413);
    expect(over.json).toEqual({ message: 'Request Too Long' });

    // Exactly at the cap the gateway takes it; Lambda's 6 MB invoke limit then refuses the event (500).
    const at = await request(`${api.url}/big/1`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.alloc(10 * 1024 * 1024, 97),
    });
    expect(at.status).toBe(500);
    expect(accessLog.at(-1)?.detail).toMatch(/RequestEntityTooLargeException/);
  });

  it('logs one access line per request', async () => {
    const before = accessLog.length;
    await request(`${api.url}/echo?x=1`);
    expect(accessLog.slice(before)).toEqual([
      expect.objectContaining({
        emulator: 'rest-api',
        functionName: 'gateway',
        method: 'GET',
        path: '/local/echo',
        status: 200,
        durationMs: expect.any(Number),
      }),
    ]);
  });
});

describe('identity (AWS_IAM)', () => {
  it('names the SigV4 signer: two access keys reach the function as two users', async () => {
    const owners = [];
    for (const key of ['KEY1', 'KEY2']) {
      const response = await curl([
        '--aws-sigv4',
        'aws:amz:us-east-1:execute-api',
        '--user',
        `${key}:secret`,
        `${api.url}/echo`,
      ]);
      expect(response.status).toBe(200);
      const identity = JSON.parse(response.body).requestContext.identity;
      expect(identity).toMatchObject({
        accessKey: key,
        accountId: '000000000000',
        caller: key,
        user: key,
        userArn: `arn:aws:iam::000000000000:user/${key}`,
        userAgent: expect.stringMatching(/^curl\//),
        cognitoIdentityId: null,
      });
      owners.push(identity.userArn);
    }
    expect(new Set(owners).size).toBe(2);
  });

  it('gives plain curl the default local principal', async () => {
    const response = await curl([`${api.url}/echo`]);
    expect(JSON.parse(response.body).requestContext.identity).toMatchObject({
      accessKey: null,
      accountId: '000000000000',
      userArn: 'arn:aws:iam::000000000000:user/local-developer',
      caller: 'local-developer',
    });
  });

  it('refuses a signature scoped to another service or region, and a non-SigV4 Authorization', async () => {
    const wrongService = await curl([
      '--aws-sigv4',
      'aws:amz:us-east-1:lambda',
      '--user',
      'K:s',
      `${api.url}/echo`,
    ]);
    expect(wrongService.status).toBe(403);
    expect(JSON.parse(wrongService.body).message).toMatch(/scoped to correct service: 'execute-api'/);
    const wrongRegion = await curl([
      '--aws-sigv4',
      'aws:amz:eu-west-1:execute-api',
      '--user',
      'K:s',
      `${api.url}/echo`,
    ]);
    expect(wrongRegion.status).toBe(403);
    const bearer = await request(`${api.url}/echo`, { headers: { authorization: 'Bearer token' } });
    expect(bearer.status).toBe(403);
  });
});

describe('starting and stopping', () => {
  it('says which port is in use', async () => {
    await expect(
      startRestApiEmulator({ lambdaUrl: lambda.url, functionName: 'gateway', port: api.port, logs: 'quiet' }),
    ).rejects.toThrow(new RegExp(`port ${api.port} on 127\\.0\\.0\\.1 is already in use`));
  });

  it('refuses bad options and an unknown function before listening', async () => {
    await expect(
      startRestApiEmulator({ lambdaUrl: lambda.url, functionName: 'gateway', port: 70_000 }),
    ).rejects.toThrow(/port must be an integer from 0 \(any free port\) to 65535, got 70000/);
    await expect(
      startRestApiEmulator({ lambdaUrl: lambda.url, functionName: 'gateway', stage: 'has space' }),
    ).rejects.toThrow(/stage must be/);
    await expect(startRestApiEmulator({ lambdaUrl: lambda.url, functionName: 'missing' })).rejects.toThrow(
      /has no function named "missing"/,
    );
    await expect(
      startRestApiEmulator({ lambdaUrl: 'http://127.0.0.1:1', functionName: 'gateway' }),
    ).rejects.toThrow(/Cannot reach the Lambda service at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
  });

  it('stops at once, even with an invocation running', async () => {
    const other = await startRestApiEmulator({
      routes: 'any',
      lambdaUrl: lambda.url,
      functionName: 'gateway',
      integrationTimeoutMs: 10_000,
      logs: 'quiet',
    });
    const pending = fetch(`${other.url}/sleep/2000`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((wake) => setTimeout(wake, 100));
    const started = Date.now();
    await other.stop();
    // Not waiting for the function's 2 s (a loose bound, for a busy machine); the cut is what matters.
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await pending).toBe('cut');
  });
});
