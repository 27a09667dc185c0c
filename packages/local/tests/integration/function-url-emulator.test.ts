import { fromV2Event } from '@baton/http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHandle, type LambdaService, startFunctionUrlEmulator } from '../../src/index.js';
import {
  curl,
  echoedEvent,
  request,
  sampleEvent,
  sortedKeys,
  startGatewayFunctions,
} from '../support/gateways.js';

let lambda: LambdaService;
let url: EmulatorHandle;
let shortUrl: EmulatorHandle;

beforeAll(async () => {
  lambda = await startGatewayFunctions();
  url = await startFunctionUrlEmulator({ lambdaUrl: lambda.url, functionName: 'gateway', logs: 'quiet' });
  // No timeoutSeconds: read from the Lambda service (0.5 s).
  shortUrl = await startFunctionUrlEmulator({
    lambdaUrl: lambda.url,
    functionName: 'gateway-short',
    logs: 'quiet',
  });
});

afterAll(async () => {
  await Promise.all([url?.stop(), shortUrl?.stop()]);
  await lambda?.stop();
});

describe('the Function URL event', () => {
  it('has the keys of a real IAM-authorized Function URL event, at every level', async () => {
    const event = echoedEvent(
      await request(`${url.url}/?parameter1=value1&parameter1=value2&parameter2=value`, {
        method: 'POST',
        headers: { cookie: 'cookie1; cookie2', header1: 'value1' },
      }),
    );
    const sample = sampleEvent('packages/function-url/tests/events/iam-auth.json');
    const context = sample.requestContext as Record<string, Record<string, unknown>>;
    expect(sortedKeys(event)).toEqual(sortedKeys(sample));
    expect(sortedKeys(event.requestContext)).toEqual(sortedKeys(context));
    expect(sortedKeys(event.requestContext.http)).toEqual(sortedKeys(context.http));
    expect(sortedKeys(event.requestContext.authorizer.iam)).toEqual(sortedKeys(context.authorizer?.iam));
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/',
      rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
      cookies: ['cookie1', 'cookie2'],
      queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
      body: null,
      pathParameters: null,
      stageVariables: null,
      isBase64Encoded: false,
      requestContext: { routeKey: '$default', stage: '$default', authentication: null },
    });
    const { domainName, domainPrefix, apiId, requestId } = event.requestContext;
    expect(domainName).toMatch(/^[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws$/);
    expect(domainPrefix).toBe(apiId);
    expect(domainName.startsWith(`${apiId}.`)).toBe(true);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps the path percent-encoded, as Function URLs do', async () => {
    const event = echoedEvent(await request(`${url.url}/jobs/a%20b`));
    expect(event.rawPath).toBe('/jobs/a%20b');
  });

  it('is an event the Function URL door accepts, with the SigV4 signer as owner', async () => {
    const response = await curl([
      '--aws-sigv4',
      'aws:amz:us-east-1:lambda',
      '--user',
      'KEY2:s',
      `${url.url}/jobs`,
    ]);
    const translated = fromV2Event(JSON.parse(response.body) as APIGatewayProxyEventV2, 1_000);
    expect(translated).toMatchObject({
      path: '/jobs',
      basePath: '',
      owner: 'arn:aws:iam::000000000000:user/KEY2',
    });
  });

  it('wants signatures scoped to the lambda service, and gives plain curl the default principal', async () => {
    const apiGatewayScoped = await curl([
      '--aws-sigv4',
      'aws:amz:us-east-1:execute-api',
      '--user',
      'KEY1:s',
      `${url.url}/echo`,
    ]);
    expect(apiGatewayScoped.status).toBe(403);
    expect(JSON.parse(apiGatewayScoped.body).Message).toMatch(/scoped to correct service: 'lambda'/);
    const plain = await curl([`${url.url}/echo`]);
    expect(JSON.parse(plain.body).requestContext.authorizer.iam.userArn).toBe(
      'arn:aws:iam::000000000000:user/local-developer',
    );
  });
});

describe('the response', () => {
  it('answers a proxy result and infers the rest, as payload 2.0', async () => {
    const headers = await request(`${url.url}/headers`);
    expect(headers.status).toBe(201);
    expect(headers.headers.getSetCookie()).toEqual(['first=1; Path=/', 'second=2']);
    expect(headers.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const inferred = await request(`${url.url}/value/${encodeURIComponent('[1,2]')}`);
    expect(inferred.status).toBe(200);
    expect(inferred.json).toEqual([1, 2]);
    const binary = await fetch(`${url.url}/binary`);
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('waits as long as the function may run, then answers 502', async () => {
    const within = await request(`${url.url}/sleep/700`);
    expect(within.status).toBe(200);
    expect(within.text).toBe('woke up');

    const timedOut = await request(`${shortUrl.url}/sleep/8000`);
    expect(timedOut.status).toBe(502);
    expect(timedOut.text).toBe('Internal Server Error');
    expect(timedOut.elapsedMs).toBeGreaterThanOrEqual(450);
    // At the function's 0.5 s timeout (plus a cold start), long before its 8 s sleep: a loose bound for a busy machine.
    expect(timedOut.elapsedMs).toBeLessThan(6_000);
  });

  it('answers 502 Internal Server Error when the function fails', async () => {
    const response = await request(`${url.url}/throw`);
    expect(response.status).toBe(502);
    expect(response.text).toBe('Internal Server Error');
  });

  it('answers 502 for a response over 6 MB (BUFFERED), and passes one just under', async () => {
    const over = await request(`${url.url}/big/${6 * 1024 * 1024 + 1}`);
    expect(over.status).toBe(502);
    expect(over.text).toBe('Internal Server Error');
    const under = await request(`${url.url}/big/${5 * 1024 * 1024}`);
    expect(under.status).toBe(200);
    expect(under.text.length).toBe(5 * 1024 * 1024);
  });

  it('answers 502 over a smaller maxResponseBytes too', async () => {
    const capped = await startFunctionUrlEmulator({
      lambdaUrl: lambda.url,
      functionName: 'gateway',
      maxResponseBytes: 1000,
      logs: 'quiet',
    });
    try {
      expect((await request(`${capped.url}/big/2000`)).status).toBe(502);
      expect((await request(`${capped.url}/big/10`)).status).toBe(200);
    } finally {
      await capped.stop();
    }
  });

  it('answers 413 for a request over 6 MB', async () => {
    const response = await request(`${url.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(6 * 1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(response.json).toEqual({
      Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    });
  });

  it('says which port is in use', async () => {
    await expect(
      startFunctionUrlEmulator({
        lambdaUrl: lambda.url,
        functionName: 'gateway',
        port: url.port,
        logs: 'quiet',
      }),
    ).rejects.toThrow(`Function URL emulator: port ${url.port} on 127.0.0.1 is already in use`);
  });
});
