import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Job } from '@baton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeJobEvents } from '../../src/index.js';

const job: Job = {
  id: 'job-1',
  operation: 'report',
  operationVersion: 1,
  input: {},
  owner: 'arn:aws:iam::111122223333:user/alice',
  status: 'failed',
  attempts: 2,
  hop: 1,
  cancelRequested: false,
  correlationId: 'corr-1',
  error: { type: 'Boom', message: 'it broke', retryable: false },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:05.000Z',
  finishedAt: '2026-01-01T00:00:05.000Z',
  expiresAt: '2026-01-08T00:00:00.000Z',
};

/** A stand-in for EventBridge's JSON protocol: records each request, answers what the test says. */
const received: { target: string | undefined; body: Record<string, unknown> }[] = [];
let answer: { status: number; body: unknown } = {
  status: 200,
  body: { FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] },
};
let server: Server;
let endpoint: string;

const readBody = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
};

beforeAll(async () => {
  server = createServer(async (request, response) => {
    received.push({
      target: request.headers['x-amz-target'] as string | undefined,
      body: await readBody(request),
    });
    response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () =>
  new EventBridgeClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });

describe('EventBridgeJobEvents', () => {
  it("puts one 'Baton Job Finished' event with the job's detail on the bus", async () => {
    received.length = 0;
    await new EventBridgeJobEvents({ eventBusName: 'baton-example-events', client: client() }).finished(job);
    expect(received).toHaveLength(1);
    expect(received[0]?.target).toBe('AWSEvents.PutEvents');
    const entries = received[0]?.body.Entries as Record<string, unknown>[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'baton-example-events',
      Source: 'baton',
      DetailType: 'Baton Job Finished',
    });
    expect(JSON.parse(String(entries[0]?.Detail))).toEqual({
      jobId: 'job-1',
      operation: 'report',
      owner: job.owner,
      status: 'failed',
      durationMs: 5_000,
      hops: 2,
      attempts: 2,
      correlationId: 'corr-1',
      error: { type: 'Boom', message: 'it broke', retryable: false },
    });
  });

  it('logs a failed put, or a refused entry, and resolves: the job is never failed by it', async () => {
    const logged: unknown[][] = [];
    const logger = { error: (...args: unknown[]) => logged.push(args) };
    const events = new EventBridgeJobEvents({ eventBusName: 'nope', client: client(), logger });
    answer = {
      status: 400,
      body: { __type: 'ResourceNotFoundException', message: 'Event bus nope does not exist.' },
    };
    await expect(events.finished(job)).resolves.toBeUndefined();
    answer = {
      status: 200,
      body: {
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
      },
    };
    await expect(events.finished(job)).resolves.toBeUndefined();
    expect(logged).toHaveLength(2);
    expect(logged[0]?.[1]).toMatchObject({
      jobId: 'job-1',
      reason: expect.stringContaining('ResourceNotFound'),
    });
    expect(logged[1]?.[1]).toMatchObject({ reason: 'ThrottlingException: slow down' });
  });
});
