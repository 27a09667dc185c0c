import { fromV2Event } from '@baton/http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHandle, type LambdaService, startHttpApiEmulator } from '../../src/index.js';
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

beforeAll(async () => {
  lambda = await startGatewayFunctions();
  api = await startHttpApiEmulator({
    routes: 'any',
    lambdaUrl: lambda.url,
    functionName: 'gateway',
    maxRequestBytes: 1024,
    logs: 'quiet',
  });
  timeoutApi = await startHttpApiEmulator({
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

describe('the payload 2.0 event', () => {
  it('has the keys of a real IAM-authorized HTTP API event, at every level', async () => {
    const event = echoedEvent(await request(`${api.url}/iam`, { method: 'POST' }));
    const sample = sampleEvent('packages/api-gateway/tests/events/http-iam-auth.json');
    const context = sample.requestContext as Record<string, Record<string, unknown>>;
    expect(sortedKeys(event)).toEqual(sortedKeys(sample));
    expect(sortedKeys(event.requestContext)).toEqual(sortedKeys(context));
    expect(sortedKeys(event.requestContext.http)).toEqual(sortedKeys(context.http));
    expect(sortedKeys(event.requestContext.authorizer.iam)).toEqual(sortedKeys(context.authorizer?.iam));
  });

  it('is the $default route of the $default stage, with no stage in the URL', async () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // curl, not fetch: fetch folds repeated headers into one line before sending.
    const response = await curl([
      '-H',
      'Cookie: first=1; second=2',
      '-H',
      'X-Repeated: one',
      '-H',
      'X-Repeated: two',
      `${api.url}/jobs/a%20b?x=1&x=2&y=&z=%2B`,
    ]);
    const event = JSON.parse(response.body);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/jobs/a b',
      rawQueryString: 'x=1&x=2&y=&z=%2B',
      cookies: ['first=1', 'second=2'],
      queryStringParameters: { x: '1,2', y: '', z: '+' },
      isBase64Encoded: false,
      requestContext: {
        routeKey: '$default',
        stage: '$default',
        accountId: '000000000000',
        http: { method: 'GET', path: '/jobs/a b', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
      },
    });
    expect(event.headers['x-repeated']).toBe('one,two');
    expect(event.headers.cookie).toBeUndefined();
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.body).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[A-Za-z0-9+/]{11}=$/);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(event.requestContext.domainName).toBe(
      `${event.requestContext.apiId}.execute-api.us-east-1.amazonaws.com`,
    );
  });

  it('passes headers and parameters named like Object.prototype members as they are', async () => {
    // curl, not fetch: fetch drops a header named __proto__.
    const response = await curl([
      '-H',
      'constructor: c',
      '-H',
      '__proto__: p',
      `${api.url}/echo?constructor=1&toString=3&toString=4`,
    ]);
    expect(response.status).toBe(200);
    const event = JSON.parse(response.body);
    expect(event.queryStringParameters).toEqual({ constructor: '1', toString: '3,4' });
    expect(event.headers.constructor).toBe('c');
    expect(Object.getOwnPropertyDescriptor(event.headers, '__proto__')?.value).toBe('p');
  });

  it('base64-encodes a binary body', async () => {
    const bytes = Buffer.from([1, 2, 3, 250]);
    const event = echoedEvent(
      await request(`${api.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      }),
    );
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, 'base64')).toEqual(bytes);
  });

  it('is an event the HTTP API door accepts, with the caller as owner', async () => {
    const response = await curl([
      '--aws-sigv4',
      'aws:amz:us-east-1:execute-api',
      '--user',
      'KEY1:secret',
      `${api.url}/jobs?limit=2`,
    ]);
    const translated = fromV2Event(JSON.parse(response.body) as APIGatewayProxyEventV2, 1_000);
    expect(translated).toMatchObject({
      method: 'GET',
      path: '/jobs',
      basePath: '',
      query: { limit: '2' },
      owner: 'arn:aws:iam::000000000000:user/KEY1',
    });
  });
});

describe('the response', () => {
  it('uses a proxy result as is: status, headers, cookies as Set-Cookie', async () => {
    const response = await request(`${api.url}/headers`);
    expect(response.status).toBe(201);
    expect(response.text).toBe('headers');
    expect(response.headers.get('x-single')).toBe('one');
    expect(response.headers.getSetCookie()).toEqual(['first=1; Path=/', 'second=2']);
    // Payload 2.0 has no multiValueHeaders: a REST-style member is ignored.
    expect(response.headers.get('x-multi')).toBeNull();
    expect(response.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9+/]{11}=$/);
  });

  it('infers a 200 JSON response from any other value', async () => {
    const object = await request(`${api.url}/value/${encodeURIComponent('{"answer":42}')}`);
    expect(object.status).toBe(200);
    expect(object.headers.get('content-type')).toBe('application/json');
    expect(object.json).toEqual({ answer: 42 });
    const text = await request(`${api.url}/value/${encodeURIComponent('"plain words"')}`);
    expect(text.text).toBe('plain words');
    const number = await request(`${api.url}/value/7`);
    expect(number.text).toBe('7');
  });

  it('answers 503 Service Unavailable at the integration timeout', async () => {
    const response = await request(`${timeoutApi.url}/sleep/8000`);
    expect(response.status).toBe(503);
    expect(response.json).toEqual({ message: 'Service Unavailable' });
    expect(response.elapsedMs).toBeGreaterThanOrEqual(290);
    // Long before the function's 8 s: the gateway does not wait for it (a loose bound, for a busy machine).
    expect(response.elapsedMs).toBeLessThan(6_000);
  });

  it('answers 500 Internal Server Error when the function fails or answers a malformed result', async () => {
    for (const path of ['/throw', '/malformed']) {
      const response = await request(`${api.url}${path}`);
      expect(response.status).toBe(500);
      expect(response.json).toEqual({ message: 'Internal Server Error' });
    }
  });

  it('answers 413 over maxRequestBytes', async () => {
    const response = await request(`${api.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(1025),
    });
    expect(response.status).toBe(413);
    expect(response.json).toEqual({ message: 'Request Entity Too Large' });
    const atCap = await request(`${api.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(1024),
    });
    expect(atCap.status).toBe(200);
  });
});

describe('identity', () => {
  it('names each SigV4 signer, and gives unsigned requests the configured default principal', async () => {
    const other = await startHttpApiEmulator({
      routes: 'any',
      lambdaUrl: lambda.url,
      functionName: 'gateway',
      defaultPrincipalArn: 'arn:aws:iam::123456789012:user/alice',
      logs: 'quiet',
    });
    try {
      const arns: string[] = [];
      for (const key of ['KEY1', 'KEY2']) {
        const response = await curl([
          '--aws-sigv4',
          'aws:amz:us-east-1:execute-api',
          '--user',
          `${key}:secret`,
          `${other.url}/echo`,
        ]);
        arns.push(JSON.parse(response.body).requestContext.authorizer.iam.userArn);
      }
      expect(arns).toEqual(['arn:aws:iam::000000000000:user/KEY1', 'arn:aws:iam::000000000000:user/KEY2']);
      const unsigned = await curl([`${other.url}/echo`]);
      expect(JSON.parse(unsigned.body).requestContext.authorizer.iam).toEqual({
        accessKey: null,
        accountId: '123456789012',
        callerId: 'alice',
        cognitoIdentity: null,
        principalOrgId: null,
        userArn: 'arn:aws:iam::123456789012:user/alice',
        userId: 'alice',
      });
    } finally {
      await other.stop();
    }
  });

  it('leaves the authorizer out with authType NONE', async () => {
    const open = await startHttpApiEmulator({
      routes: 'any',
      lambdaUrl: lambda.url,
      functionName: 'gateway',
      authType: 'NONE',
      logs: 'quiet',
    });
    try {
      const event = echoedEvent(
        await request(`${open.url}/echo`, { headers: { authorization: 'Bearer x' } }),
      );
      expect(event.requestContext.authorizer).toBeUndefined();
      expect(event.headers.authorization).toBe('Bearer x');
    } finally {
      await open.stop();
    }
  });

  it('says which port is in use', async () => {
    await expect(
      startHttpApiEmulator({ lambdaUrl: lambda.url, functionName: 'gateway', port: api.port, logs: 'quiet' }),
    ).rejects.toThrow(`HTTP API emulator: port ${api.port} on 127.0.0.1 is already in use`);
  });
});
