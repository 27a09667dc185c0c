import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  fromRestEvent,
  fromV2Event,
  gatewayReceivedAt,
  NotAnHttpEvent,
  ownerOfIamArn,
} from '../../src/index.js';

/** The fields of a REST (v1) proxy event the door reads, as API Gateway sends them with IAM auth. */
const restEvent = (userArn: string, headers: Record<string, string> = {}) =>
  ({
    httpMethod: 'GET',
    path: '/jobs',
    headers,
    queryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      stage: 'prod',
      requestId: '89f9261a-2765-4d49-b72e-f76726991e44',
      requestTimeEpoch: 1718636305078,
      identity: { userArn },
    },
  }) as unknown as APIGatewayProxyEvent;

/** The fields of an HTTP API (v2) event the door reads, as API Gateway sends them with IAM auth. */
const v2Event = (userArn: string, headers: Record<string, string> = {}) =>
  ({
    version: '2.0',
    rawPath: '/jobs',
    rawQueryString: '',
    headers,
    isBase64Encoded: false,
    requestContext: {
      stage: '$default',
      requestId: 'ZhLNpgotDoEEJUQ=',
      http: { method: 'GET' },
      authorizer: { iam: { userArn } },
      timeEpoch: 1718638781472,
    },
  }) as unknown as APIGatewayProxyEventV2;

describe('the owner of an IAM caller', () => {
  it.each([
    ['arn:aws:sts::123456789012:assumed-role/Admin/aamorosi', 'arn:aws:sts::123456789012:assumed-role/Admin'],
    [
      'arn:aws-cn:sts::123456789012:assumed-role/Reader/i-0abc@example.com',
      'arn:aws-cn:sts::123456789012:assumed-role/Reader',
    ],
    [
      'arn:aws-us-gov:sts::123456789012:assumed-role/AWSReservedSSO_Dev_0123abcd/alice',
      'arn:aws-us-gov:sts::123456789012:assumed-role/AWSReservedSSO_Dev_0123abcd',
    ],
    ['arn:aws:iam::111122223333:user/example-user', 'arn:aws:iam::111122223333:user/example-user'],
    ['arn:aws:iam::111122223333:user/division/team/bob', 'arn:aws:iam::111122223333:user/division/team/bob'],
    ['arn:aws:iam::111122223333:role/orders-service', 'arn:aws:iam::111122223333:role/orders-service'],
    ['arn:aws:sts::111122223333:federated-user/carol', 'arn:aws:sts::111122223333:federated-user/carol'],
  ])('%s is owned by %s', (arn, owner) => {
    expect(ownerOfIamArn(arn)).toBe(owner);
    expect(fromRestEvent(restEvent(arn), 1_000).owner).toBe(owner);
    expect(fromV2Event(v2Event(arn), 1_000).owner).toBe(owner);
  });
});

describe('the correlation id of a request', () => {
  it('is a valid X-Correlation-Id, else the request id — an invalid header is never carried', () => {
    expect(
      fromRestEvent(restEvent('arn:aws:iam::1:user/a', { 'X-Correlation-Id': 'c-1' }), 1).correlationId,
    ).toBe('c-1');
    expect(fromV2Event(v2Event('arn:aws:iam::1:user/a'), 1).correlationId).toBe('ZhLNpgotDoEEJUQ=');
    for (const bad of ['', 'x'.repeat(257), 'a b']) {
      const rest = fromRestEvent(restEvent('arn:aws:iam::1:user/a', { 'X-Correlation-Id': bad }), 1);
      expect(rest.correlationId).toBe('89f9261a-2765-4d49-b72e-f76726991e44');
      // The header itself stays, so the HTTP API can refuse it by name.
      expect(rest.headers['x-correlation-id']).toBe(bad);
      const v2 = fromV2Event(v2Event('arn:aws:iam::1:user/a', { 'x-correlation-id': bad }), 1);
      expect(v2.correlationId).toBe('ZhLNpgotDoEEJUQ=');
    }
  });
});

describe('when the gateway received a request', () => {
  const now = 1718638790000;
  it('is requestTimeEpoch for REST and timeEpoch for v2 events', () => {
    expect(gatewayReceivedAt(restEvent('arn:aws:iam::1:user/a'), now)).toBe(1718636305078);
    expect(gatewayReceivedAt(v2Event('arn:aws:iam::1:user/a'), now)).toBe(1718638781472);
  });

  it('is unknown when absent or implausible: in the future, not a finite positive number, not an event', () => {
    const withTime = (value: unknown) => ({ requestContext: { requestTimeEpoch: value } });
    for (const value of [
      undefined,
      null,
      now + 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      0,
      -5,
      '1718636305078',
    ])
      expect(gatewayReceivedAt(withTime(value), now), String(value)).toBeUndefined();
    expect(gatewayReceivedAt(withTime(now), now)).toBe(now);
    for (const event of [null, undefined, true, 1, 'x', [], {}, { requestContext: null }])
      expect(gatewayReceivedAt(event, now)).toBeUndefined();
  });
});

/** The real events the door packages test with (API Gateway's and the Function URL docs' own samples). */
const fixture = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const realRestEvent = (): APIGatewayProxyEvent =>
  fixture('../../../api-gateway/tests/events/rest-iam-auth.json');
const realHttpApiEvent = (): APIGatewayProxyEventV2 =>
  fixture('../../../api-gateway/tests/events/http-iam-auth.json');
const realFunctionUrlEvent = (): APIGatewayProxyEventV2 =>
  fixture('../../../function-url/tests/events/iam-auth.json');

describe('what the doors read from real events', () => {
  it('a REST (v1) event: the stage is the base path, the assumed role the owner', () => {
    expect(fromRestEvent(realRestEvent(), 1_000)).toEqual({
      method: 'POST',
      path: '/iam',
      basePath: '/prod',
      headers: expect.objectContaining({ 'x-forwarded-proto': 'https', host: expect.any(String) }),
      query: {},
      body: undefined,
      owner: 'arn:aws:sts::123456789012:assumed-role/Admin',
      requestId: '89f9261a-2765-4d49-b72e-f76726991e44',
      correlationId: '89f9261a-2765-4d49-b72e-f76726991e44',
      budgetMs: 1_000,
    });
  });

  it('an HTTP API (v2) event on the $default stage', () => {
    expect(fromV2Event(realHttpApiEvent(), 1_000)).toMatchObject({
      method: 'POST',
      path: '/iam',
      basePath: '',
      query: {},
      body: undefined,
      owner: 'arn:aws:sts::123456789012:assumed-role/Admin',
      requestId: 'ZhLNpgotDoEEJUQ=',
    });
  });

  it('a Function URL event, which sends an absent body as null (the last of a repeated parameter wins)', () => {
    const event = realFunctionUrlEvent();
    expect((event as unknown as { body: unknown }).body).toBeNull();
    expect(fromV2Event(event, 1_000)).toMatchObject({
      method: 'POST',
      path: '/',
      basePath: '',
      query: { parameter1: 'value2', parameter2: 'value' },
      body: undefined,
      owner: 'arn:aws:iam::111122223333:user/example-user',
      requestId: 'id',
    });
  });

  it('strips an HTTP API stage from rawPath and decodes a base64 body', () => {
    const event = realHttpApiEvent();
    const request = fromV2Event(
      {
        ...event,
        rawPath: '/beta/jobs',
        body: Buffer.from('{"a":1}').toString('base64'),
        isBase64Encoded: true,
        requestContext: { ...event.requestContext, stage: 'beta' },
      },
      1,
    );
    expect(request).toMatchObject({ path: '/jobs', basePath: '/beta', body: '{"a":1}' });
  });
});

describe('the owner of a request authorised by an authorizer', () => {
  const restWith = (authorizer: unknown) => {
    const event = realRestEvent();
    return {
      ...event,
      requestContext: { ...event.requestContext, identity: { userArn: null }, authorizer },
    } as unknown as APIGatewayProxyEvent;
  };
  const v2With = (authorizer: unknown) => {
    const event = realHttpApiEvent();
    return { ...event, requestContext: { ...event.requestContext, authorizer } } as APIGatewayProxyEventV2;
  };

  it('REST: a Lambda authorizer’s principalId, else a Cognito user pool’s sub claim, else none', () => {
    // As API Gateway sends them: a Lambda authorizer's context is flattened next to principalId.
    expect(
      fromRestEvent(restWith({ principalId: 'user-7', integrationLatency: 12, tenant: 't' }), 1).owner,
    ).toBe('user-7');
    expect(fromRestEvent(restWith({ claims: { sub: 'c0ffee', email: 'a@example.com' } }), 1).owner).toBe(
      'c0ffee',
    );
    expect(fromRestEvent(restWith(null), 1).owner).toBeUndefined();
    expect(fromRestEvent(restWith(undefined), 1).owner).toBeUndefined();
  });

  it('HTTP API: IAM, else a Lambda authorizer’s principalId, else a JWT authorizer’s sub claim, else none', () => {
    expect(fromV2Event(v2With({ lambda: { principalId: 'user-7', tenant: 't' } }), 1).owner).toBe('user-7');
    expect(fromV2Event(v2With({ jwt: { claims: { sub: 'c0ffee' }, scopes: null } }), 1).owner).toBe('c0ffee');
    expect(fromV2Event(v2With({ jwt: { claims: { sub: 'c0ffee' }, scopes: ['jobs'] } }), 1).owner).toBe(
      'c0ffee',
    );
    expect(fromV2Event(v2With({ lambda: null }), 1).owner).toBeUndefined();
    expect(fromV2Event(v2With(undefined), 1).owner).toBeUndefined();
  });
});

describe('an event the doors refuse', () => {
  const refused = (translate: () => unknown) => expect(translate).toThrow(NotAnHttpEvent);
  it('lacks a field the door reads, or is not payload 2.0 at a v2 door', () => {
    const rest = realRestEvent();
    const { path: _path, ...noPath } = rest;
    refused(() => fromRestEvent(noPath as APIGatewayProxyEvent, 1));
    refused(() =>
      fromRestEvent({ ...rest, requestContext: { ...rest.requestContext, requestId: 7 } } as never, 1),
    );
    const v2 = realHttpApiEvent();
    refused(() => fromV2Event({ ...v2, version: '1.0' }, 1));
    const { http: _http, ...noHttp } = v2.requestContext;
    refused(() => fromV2Event({ ...v2, requestContext: noHttp } as never, 1));
    refused(() => fromV2Event({ ...v2, isBase64Encoded: 'yes' } as never, 1));
  });

  it('lacks what API Gateway always sends, or says what it never does (the parser’s schemas are stricter here)', () => {
    const rest = realRestEvent();
    const { isBase64Encoded: _b64, ...noBase64Flag } = rest;
    refused(() => fromRestEvent(noBase64Flag as APIGatewayProxyEvent, 1));
    refused(() => fromRestEvent({ ...rest, httpMethod: 'TRACE' }, 1));
    const { identity: _identity, ...noIdentity } = rest.requestContext;
    refused(() => fromRestEvent({ ...rest, requestContext: noIdentity } as APIGatewayProxyEvent, 1));
    // An authorizer is a Lambda authorizer's (principalId) or a Cognito user pool's (claims), never neither.
    refused(() => fromRestEvent({ ...rest, requestContext: { ...rest.requestContext, authorizer: {} } }, 1));
    const v2 = realHttpApiEvent();
    const { headers: _headers, ...noHeaders } = v2;
    refused(() => fromV2Event(noHeaders as APIGatewayProxyEventV2, 1));
    const { rawQueryString: _query, ...noQuery } = v2;
    refused(() => fromV2Event(noQuery as APIGatewayProxyEventV2, 1));
    const { stage: _stage, ...noStage } = v2.requestContext;
    refused(() => fromV2Event({ ...v2, requestContext: noStage } as never, 1));
    const http = { ...v2.requestContext.http, method: 'get' };
    refused(() => fromV2Event({ ...v2, requestContext: { ...v2.requestContext, http } }, 1));
  });
});
