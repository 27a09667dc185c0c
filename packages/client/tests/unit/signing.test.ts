import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { regionOfUrl } from '../../src/http-transport.js';
import { createClient, type Sleep } from '../../src/index.js';
import { closeServer, listenOnLoopback } from '../support/loopback.js';

/** SigV4 over HTTP, seen from a real server: what is signed, with which scope, and again on each attempt. */
let server: Server;
let url: string;
let seen: IncomingMessage['headers'][] = [];
let statuses: number[] = [];
const sleep: Sleep = async () => {};

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      seen.push(request.headers);
      response.writeHead(statuses.shift() ?? 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ operations: [] }));
    });
  });
  url = await listenOnLoopback(server);
});

afterAll(async () => {
  await closeServer(server);
});

beforeEach(() => {
  seen = [];
  statuses = [];
});

describe('SigV4 signing', () => {
  it('signs with the given credentials, region and service, once per attempt', async () => {
    statuses = [503, 200];
    let asked = 0;
    const baton = createClient({
      target: {
        http: {
          url,
          iam: true,
          region: 'eu-central-1',
          service: 'lambda',
          credentials: async () => {
            asked += 1;
            return { accessKeyId: 'AKIDSIGNING', secretAccessKey: 'secret', sessionToken: 'token' };
          },
        },
      },
      sleep,
    });
    await baton.describeOperations();
    expect(seen).toHaveLength(2);
    for (const headers of seen) {
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDSIGNING\/\d{8}\/eu-central-1\/lambda\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
      );
      expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(headers['x-amz-security-token']).toBe('token');
    }
    expect(asked).toBeGreaterThanOrEqual(1);
  });

  it('sends nothing signed unless asked', async () => {
    await createClient({ target: { http: { url, headers: { 'x-api-key': 'k' } } } }).describeOperations();
    expect(seen[0]?.authorization).toBeUndefined();
    expect(seen[0]?.['x-api-key']).toBe('k');
  });

  it('reads the region from an execute-api or Function URL host', () => {
    expect(regionOfUrl(new URL('https://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod'))).toBe('eu-west-1');
    expect(regionOfUrl(new URL('https://abcdef.lambda-url.ap-southeast-2.on.aws/'))).toBe('ap-southeast-2');
    expect(regionOfUrl(new URL('https://api.example.com/'))).toBeUndefined();
  });
});
