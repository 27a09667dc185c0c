import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { fromRestEvent, fromV2Event, gatewayReceivedAt, ownerOfIamArn } from '../../src/index.js';

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
