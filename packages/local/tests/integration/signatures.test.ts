import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmulatorHandle,
  type LambdaService,
  type LocalCredential,
  startFunctionUrlEmulator,
  startHttpApiEmulator,
  startLambdaService,
  startRestApiEmulator,
} from '../../src/index.js';
import { curl, request } from '../support/gateways.js';
import { fixture } from '../support/helpers.js';
import { minutesAgo, presignedUrl, signedFetch } from '../support/sigv4.js';

/**
 * Signature verification, as every door does it off loopback. Tests never listen on another address: they turn
 * verification on explicitly (`verifySignatures: true`) on 127.0.0.1, and check that a non-loopback host
 * without credentials is refused before anything listens.
 */

const alice: LocalCredential = {
  accessKeyId: 'AKIDALICE',
  secretAccessKey: 'alice-secret',
  principalArn: 'arn:aws:iam::111122223333:user/alice',
};
const bob: LocalCredential = {
  accessKeyId: 'AKIDBOB',
  secretAccessKey: 'bob-secret',
  principalArn: 'arn:aws:iam::111122223333:role/bob',
};
const credentials = [alice, bob];
const verified = { verifySignatures: true, credentials } as const;

let lambda: LambdaService;
let rest: EmulatorHandle;
let http: EmulatorHandle;
let url: EmulatorHandle;
const clients: LambdaClient[] = [];

/** The real SDK client; one attempt, so a refusal is seen as it is (no retry, no clock-skew correction). */
function client(key: { accessKeyId: string; secretAccessKey: string }, systemClockOffset = 0): LambdaClient {
  const created = new LambdaClient({
    endpoint: lambda.url,
    region: 'us-east-1',
    credentials: key,
    maxAttempts: 1,
    systemClockOffset,
  });
  clients.push(created);
  return created;
}

const payloadOf = (response: { Payload?: Uint8Array }) =>
  JSON.parse(Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8') || 'null');

beforeAll(async () => {
  lambda = await startLambdaService({
    functions: [
      { name: 'echo', entry: fixture('echo') },
      { name: 'gateway', entry: fixture('gateway'), timeoutSeconds: 10 },
      { name: 'calls-other', entry: fixture('invoke-other'), timeoutSeconds: 10 },
    ],
    logs: 'quiet',
    ...verified,
  });
  // The emulators sign their own invokes with the first credential: the verifying Lambda service lets them in.
  const common = { lambdaUrl: lambda.url, functionName: 'gateway', logs: 'quiet', ...verified } as const;
  [rest, http, url] = await Promise.all([
    startRestApiEmulator({ ...common, routes: 'any' }),
    startHttpApiEmulator({ ...common, routes: 'any' }),
    startFunctionUrlEmulator(common),
  ]);
});

afterAll(async () => {
  for (const created of clients) created.destroy();
  await Promise.all([rest?.stop(), http?.stop(), url?.stop()]);
  await lambda?.stop();
});

describe('the Invoke API', () => {
  it('accepts a call the real SDK signed with a configured credential', async () => {
    const response = await client(alice).send(
      new InvokeCommand({ FunctionName: 'echo', Payload: '{"n":1}' }),
    );
    expect(response.StatusCode).toBe(200);
    expect(payloadOf(response)).toEqual({ echo: { n: 1 } });
  });

  it('refuses a wrong secret, an unknown key and a stale date with 403, as Lambda does', async () => {
    const refusal = async (sdk: LambdaClient) => {
      try {
        await sdk.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{}' }));
      } catch (error) {
        const { name, message, $metadata } = error as Error & { $metadata: { httpStatusCode?: number } };
        return { name, message, status: $metadata.httpStatusCode };
      }
      throw new Error('the call was accepted');
    };
    expect(await refusal(client({ accessKeyId: alice.accessKeyId, secretAccessKey: 'guess' }))).toEqual({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/^The request signature we calculated does not match/),
      status: 403,
    });
    expect(await refusal(client({ accessKeyId: 'AKIDMALLORY', secretAccessKey: 'x' }))).toEqual({
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
      status: 403,
    });
    expect(await refusal(client(alice, -16 * 60_000))).toEqual({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/^Signature expired: .* - 15 min\.\)$/),
      status: 403,
    });
    expect(lambda.invocations('echo').every((record) => record.ok)).toBe(true);
    expect(lambda.invocations('echo')).toHaveLength(1);
  });

  it('refuses a changed body and an unsigned call', async () => {
    const target = `${lambda.url}/2015-03-31/functions/echo/invocations`;
    const tampered = await signedFetch(
      target,
      { method: 'POST', body: '{"amount":1}' },
      { key: alice, service: 'lambda', sendBody: '{"amount":9}' },
    );
    expect(tampered.status).toBe(403);
    expect(tampered.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    // With the body's hash as a signed header, the header itself must match the body.
    const hashed = await signedFetch(
      target,
      { method: 'POST', body: '{"amount":1}' },
      { key: alice, service: 'lambda', sendBody: '{"amount":9}', contentSha256: true },
    );
    expect(hashed.status).toBe(403);
    expect(hashed.json).toMatchObject({ Message: expect.stringMatching(/x-amz-content-sha256/) });
    const unsigned = await request(target, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const signed = await signedFetch(
      target,
      { method: 'POST', body: '{"amount":1}' },
      { key: alice, service: 'lambda' },
    );
    expect(signed).toMatchObject({ status: 200, json: { echo: { amount: 1 } } });
  });

  it('checks the callers of the failed-events routes as it checks invokes', async () => {
    const list = `${lambda.url}/_baton/failed-events?functionName=echo`;
    const unsigned = await request(list, { method: 'GET' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const wrong = await signedFetch(
      list,
      {},
      { key: { ...alice, secretAccessKey: 'guess' }, service: 'lambda' },
    );
    expect(wrong.status).toBe(403);
    expect(await signedFetch(list, {}, { key: alice, service: 'lambda' })).toMatchObject({
      status: 200,
      json: { failedEvents: [] },
    });
    const replay = `${lambda.url}/_baton/failed-events/nope/replay`;
    expect((await request(replay, { method: 'POST' })).status).toBe(403);
    expect(await signedFetch(replay, { method: 'POST' }, { key: bob, service: 'lambda' })).toMatchObject({
      status: 404,
      json: { Message: expect.stringMatching(/^No failed event with id nope/) },
    });
  });

  it('lets a function call a function with the credentials of its environment', async () => {
    const response = await client(bob).send(
      new InvokeCommand({
        FunctionName: 'calls-other',
        Payload: JSON.stringify({ target: 'echo', payload: { via: 'sdk' } }),
      }),
    );
    expect(response.FunctionError).toBeUndefined();
    expect(payloadOf(response)).toEqual({
      statusCode: 200,
      functionError: null,
      payload: { echo: { via: 'sdk' } },
    });
  });
});

describe('the HTTP doors', () => {
  const doors = () =>
    [
      { name: 'REST API', base: rest.url, service: 'execute-api' as const, identity: restIdentity },
      { name: 'HTTP API', base: http.url, service: 'execute-api' as const, identity: v2Identity },
      { name: 'Function URL', base: url.url, service: 'lambda' as const, identity: v2Identity },
    ] as const;

  it('each names the verified caller by its configured principal', async () => {
    for (const door of doors()) {
      const body = JSON.stringify({ hello: door.name });
      for (const key of [alice, bob]) {
        const response = await signedFetch(
          `${door.base}/echo?q=1`,
          { method: 'POST', headers: { 'content-type': 'application/json' }, body },
          { key, service: door.service },
        );
        expect(response.status, door.name).toBe(200);
        expect(door.identity(response.json), door.name).toMatchObject({
          accessKey: key.accessKeyId,
          accountId: '111122223333',
          userArn: key.principalArn,
        });
      }
    }
  });

  it('each refuses an unsigned request, a wrong secret, a changed body and a stale date with 403', async () => {
    for (const door of doors()) {
      const target = `${door.base}/echo`;
      const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' };
      const unsigned = await request(target, { method: 'POST', body: '{"n":1}' });
      const wrongSecret = await signedFetch(target, post, {
        key: { accessKeyId: alice.accessKeyId, secretAccessKey: 'guess' },
        service: door.service,
      });
      const tampered = await signedFetch(target, post, {
        key: alice,
        service: door.service,
        sendBody: '{"n":2}',
      });
      const stale = await signedFetch(target, post, {
        key: alice,
        service: door.service,
        signingDate: minutesAgo(16),
      });
      for (const refused of [unsigned, wrongSecret, tampered, stale])
        expect(refused.status, door.name).toBe(403);
      const message = (response: { json: unknown }) => {
        const body = response.json as { message?: string; Message?: string };
        return body.message ?? body.Message;
      };
      expect(message(unsigned), door.name).toBe('Missing Authentication Token');
      expect(message(wrongSecret), door.name).toMatch(/^The request signature we calculated does not match/);
      expect(message(tampered), door.name).toMatch(/^The request signature we calculated does not match/);
      expect(message(stale), door.name).toMatch(/^Signature expired/);
    }
  });

  it('the REST API answers with API Gateway’s error types when it customises nothing', async () => {
    const wrongSecret = await signedFetch(
      `${rest.url}/echo`,
      {},
      { key: { accessKeyId: alice.accessKeyId, secretAccessKey: 'guess' }, service: 'execute-api' },
    );
    expect(wrongSecret.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    const unsigned = await request(`${rest.url}/echo`);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('accepts curl --aws-sigv4 (an independent signer) and a presigned URL', async () => {
    const signed = await curl([
      '--aws-sigv4',
      'aws:amz:us-east-1:execute-api',
      '--user',
      `${alice.accessKeyId}:${alice.secretAccessKey}`,
      '-H',
      'content-type: application/json',
      '-d',
      '{"from":"curl"}',
      `${rest.url}/echo`,
    ]);
    expect(signed.status).toBe(200);
    expect(JSON.parse(signed.body).requestContext.identity.userArn).toBe(alice.principalArn);
    const wrong = await curl([
      '--aws-sigv4',
      'aws:amz:us-east-1:execute-api',
      '--user',
      'AKIDALICE:guess',
      `${rest.url}/echo`,
    ]);
    expect(wrong.status).toBe(403);

    const presigned = await presignedUrl(`${http.url}/echo?x=1`, { key: bob, service: 'execute-api' });
    const response = await request(presigned);
    expect(response.status).toBe(200);
    expect(v2Identity(response.json)).toMatchObject({ userArn: bob.principalArn });
    const expired = await presignedUrl(`${http.url}/echo`, {
      key: bob,
      service: 'execute-api',
      signingDate: minutesAgo(10),
      expiresIn: 60,
    });
    expect((await request(expired)).status).toBe(403);
  });
});

describe('off loopback', () => {
  it('refuses to start without credentials, saying what to pass, before listening', async () => {
    await expect(
      startLambdaService({
        functions: [{ name: 'echo', entry: fixture('echo') }],
        host: '0.0.0.0',
        logs: 'quiet',
      }),
    ).rejects.toThrow(
      'Lambda service: 0.0.0.0 is not a loopback address, so every request must carry a SigV4 signature that is checked, and there are no credentials to check it against. Pass credentials: [{ accessKeyId, secretAccessKey, principalArn }], or listen on 127.0.0.1.',
    );
    for (const start of [startRestApiEmulator, startHttpApiEmulator, startFunctionUrlEmulator]) {
      await expect(
        start({ lambdaUrl: lambda.url, functionName: 'gateway', host: '0.0.0.0' }),
      ).rejects.toThrow(/0\.0\.0\.0 is not a loopback address.*Pass credentials/);
      await expect(
        start({
          lambdaUrl: lambda.url,
          functionName: 'gateway',
          host: '192.0.2.10',
          credentials,
          verifySignatures: false,
        }),
      ).rejects.toThrow(/verifySignatures cannot be false on 192\.0\.2\.10/);
    }
  });

  it('checks the credentials it is given', async () => {
    await expect(
      startRestApiEmulator({
        lambdaUrl: lambda.url,
        functionName: 'gateway',
        verifySignatures: true,
        credentials: [{ accessKeyId: 'K/1', secretAccessKey: 's', principalArn: alice.principalArn }],
      }),
    ).rejects.toThrow(/credentials\[0\]\.accessKeyId must be/);
    await expect(
      startRestApiEmulator({
        lambdaUrl: lambda.url,
        functionName: 'gateway',
        verifySignatures: true,
        credentials: [{ ...alice, principalArn: 'alice' }],
      }),
    ).rejects.toThrow(/credentials\[0\]\.principalArn must be an IAM or STS ARN/);
    await expect(
      startRestApiEmulator({ lambdaUrl: lambda.url, functionName: 'gateway', verifySignatures: true }),
    ).rejects.toThrow(/verifySignatures needs credentials/);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: echoed events are probed field by field
function restIdentity(json: any) {
  return json.requestContext.identity;
}

// biome-ignore lint/suspicious/noExplicitAny: as above
function v2Identity(json: any) {
  return json.requestContext.authorizer.iam;
}
