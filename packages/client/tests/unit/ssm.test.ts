import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatonTransportError, createClient } from '../../src/index.js';
import { resolveSsmTarget } from '../../src/ssm-target.js';
import { closeServer, listenOnLoopback } from '../support/loopback.js';

/**
 * A door named by the SSM parameter a Baton CDK construct publishes. The real SSM client talks to a small
 * server speaking SSM's JSON protocol (`X-Amz-Target: AmazonSSM.GetParameter`); the same server is the Baton
 * HTTP door a URL parameter points at.
 */
let server: Server;
let base: string;
const parameters = new Map<string, string>();
let ssmCalls: string[] = [];
let doorCalls: string[] = [];

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      if (target !== undefined) {
        const { Name } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Name: string };
        ssmCalls.push(`${target} ${Name}`);
        const value = parameters.get(Name);
        response.writeHead(value === undefined ? 400 : 200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(
          JSON.stringify(
            value === undefined
              ? { __type: 'ParameterNotFound', message: `Parameter ${Name} not found.` }
              : { Parameter: { Name, Type: 'String', Value: value, Version: 1, DataType: 'text' } },
          ),
        );
        return;
      }
      doorCalls.push(`${request.method} ${request.url}`);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ operations: [{ name: 'checksum', inputSchema: {}, outputSchema: {} }] }));
    });
  });
  base = await listenOnLoopback(server);
});

afterAll(async () => {
  await closeServer(server);
});

beforeEach(() => {
  ssmCalls = [];
  doorCalls = [];
  parameters.clear();
});

const ssmClient = () =>
  new SSMClient({
    endpoint: base,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

describe('a target from an SSM parameter', () => {
  it('takes a URL value as an HTTP door, read once and lazily', async () => {
    parameters.set('/baton/svc/doors/http-api', `${base}/`);
    const ssm = ssmClient();
    const baton = createClient({ target: { ssm: { name: '/baton/svc/doors/http-api', ssm } } });
    try {
      expect(ssmCalls).toEqual([]);
      const first = await baton.describeOperations();
      const second = await baton.describeOperations();
      expect(first.map((operation) => operation.name)).toEqual(['checksum']);
      expect(second).toEqual(first);
      expect(ssmCalls).toEqual(['AmazonSSM.GetParameter /baton/svc/doors/http-api']);
      expect(doorCalls).toEqual(['GET /operations', 'GET /operations']);
    } finally {
      baton.destroy();
      ssm.destroy();
    }
  });

  it('takes a function name or ARN as the Invoke door, in the ARN’s region or the parameter’s', async () => {
    parameters.set('/baton/svc/doors/invoke', 'arn:aws:lambda:us-west-2:123456789012:function:svc-rpc');
    parameters.set('/baton/other/doors/invoke', 'other-rpc');
    const ssm = ssmClient();
    try {
      await expect(resolveSsmTarget({ name: '/baton/svc/doors/invoke', ssm })).resolves.toEqual({
        invoke: {
          functionName: 'arn:aws:lambda:us-west-2:123456789012:function:svc-rpc',
          region: 'us-west-2',
        },
      });
      await expect(resolveSsmTarget({ name: '/baton/other/doors/invoke', ssm })).resolves.toEqual({
        invoke: { functionName: 'other-rpc', region: 'eu-west-1' },
      });
      await expect(
        resolveSsmTarget({ name: '/baton/svc/doors/invoke', ssm, iam: true }),
      ).resolves.not.toHaveProperty('http');
    } finally {
      ssm.destroy();
    }
  });

  it('keeps `iam` for a URL, and tries the look-up again after it failed', async () => {
    const ssm = ssmClient();
    try {
      await expect(
        resolveSsmTarget({ name: '/baton/svc/doors/function-url', ssm, iam: true }),
      ).rejects.toMatchObject({
        name: 'BatonTransportError',
        status: 400,
        cause: { name: 'ParameterNotFound' },
      });
      parameters.set('/baton/svc/doors/function-url', 'https://abc.lambda-url.eu-west-1.on.aws/');
      await expect(
        resolveSsmTarget({ name: '/baton/svc/doors/function-url', ssm, iam: true }),
      ).resolves.toEqual({
        http: { url: 'https://abc.lambda-url.eu-west-1.on.aws/', iam: true },
      });

      parameters.delete('/baton/svc/doors/function-url');
      parameters.set('/baton/late/doors/http-api', base);
      const baton = createClient({ target: { ssm: { name: '/baton/late/doors/http-api', ssm } } });
      parameters.delete('/baton/late/doors/http-api');
      await expect(baton.describeOperations()).rejects.toBeInstanceOf(BatonTransportError);
      parameters.set('/baton/late/doors/http-api', base);
      await expect(baton.describeOperations()).resolves.toHaveLength(1);
      baton.destroy();
    } finally {
      ssm.destroy();
    }
  });
});
