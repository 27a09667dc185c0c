import { describe, expect, it } from 'vitest';
import { formatRequestTime, isTextContentType, queryPairs, stableId } from '../../src/front-door.js';
import { parseRestProxyResult, parseV2ProxyResult } from '../../src/proxy-result.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('parseRestProxyResult', () => {
  it('reads a proxy result, stringifying scalar header values', () => {
    expect(
      parseRestProxyResult(
        json({
          statusCode: 404,
          headers: { 'x-n': 1, 'x-b': true },
          multiValueHeaders: { 'x-m': ['a', 2] },
          body: 'no',
        }),
      ),
    ).toEqual({
      ok: true,
      result: {
        statusCode: 404,
        headers: { 'x-n': '1', 'x-b': 'true' },
        multiValueHeaders: { 'x-m': ['a', '2'] },
        body: 'no',
        isBase64Encoded: false,
      },
    });
  });

  it('calls malformed what API Gateway calls malformed', () => {
    const reason = (value: unknown) => {
      const parsed = parseRestProxyResult(Buffer.isBuffer(value) ? value : json(value));
      return parsed.ok ? 'ok' : parsed.reason;
    };
    expect(reason(Buffer.from('not json'))).toMatch(/did not answer JSON/);
    expect(reason('just a string')).toMatch(/not an object/);
    expect(reason({ body: 'no status' })).toMatch(/statusCode/);
    expect(reason({ statusCode: 99 })).toMatch(/statusCode/);
    expect(reason({ statusCode: 200, body: { an: 'object' } })).toMatch(/body must be a string, got object/);
    expect(reason({ statusCode: 200, headers: { 'x-a': ['list'] } })).toMatch(/header x-a/);
    expect(reason({ statusCode: 200, multiValueHeaders: { 'x-a': 'flat' } })).toMatch(
      /multiValueHeaders.x-a/,
    );
    expect(reason({ statusCode: 200, isBase64Encoded: 'yes' })).toMatch(/isBase64Encoded/);
    expect(reason({ statusCode: '201' })).toBe('ok');
  });
});

describe('parseV2ProxyResult', () => {
  it('uses an object with statusCode as a proxy result', () => {
    expect(parseV2ProxyResult(json({ statusCode: 204, cookies: ['a=1'] }))).toEqual({
      ok: true,
      result: { statusCode: 204, headers: {}, cookies: ['a=1'], body: null, isBase64Encoded: false },
    });
  });

  it('infers 200 application/json from any other JSON value', () => {
    const inferred = (value: unknown) => {
      const parsed = parseV2ProxyResult(json(value));
      return parsed.ok ? parsed.result : undefined;
    };
    expect(inferred({ message: 'hi' })).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"hi"}',
    });
    expect(inferred('hello')?.body).toBe('hello');
    expect(inferred([1])?.body).toBe('[1]');
    expect(inferred(null)?.body).toBe('null');
  });
});

describe('event helpers', () => {
  it('formats request times as API Gateway does', () => {
    expect(formatRequestTime(Date.UTC(2024, 5, 17, 14, 58, 25, 78))).toBe('17/Jun/2024:14:58:25 +0000');
    expect(formatRequestTime(Date.UTC(2020, 2, 2, 3, 4, 5))).toBe('02/Mar/2020:03:04:05 +0000');
  });

  it('splits query strings into decoded pairs', () => {
    expect(queryPairs('')).toEqual([]);
    expect(queryPairs('a=1&a=2&flag&e=%3D%26&&p=a+b')).toEqual([
      ['a', '1'],
      ['a', '2'],
      ['flag', ''],
      ['e', '=&'],
      ['p', 'a+b'],
    ]);
  });

  it('tells text content types from binary ones', () => {
    for (const type of [
      'text/plain',
      'application/json; charset=utf-8',
      'application/problem+json',
      'image/svg+xml',
    ]) {
      expect(isTextContentType(type)).toBe(true);
    }
    for (const type of [undefined, 'image/png', 'application/octet-stream', 'application/pdf']) {
      expect(isTextContentType(type)).toBe(false);
    }
  });

  it('derives stable ids', () => {
    expect(stableId('rest-api:api', 10)).toMatch(/^[a-z0-9]{10}$/);
    expect(stableId('rest-api:api', 10)).toBe(stableId('rest-api:api', 10));
    expect(stableId('rest-api:api', 10)).not.toBe(stableId('rest-api:other', 10));
  });
});
