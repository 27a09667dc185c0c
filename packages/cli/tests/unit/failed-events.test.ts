import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLambdaService } from '@baton/local';
import { afterEach, describe, expect, it } from 'vitest';
import {
  awsFailedEvents,
  FailedEventNotFound,
  failedEventsParameterNames,
  localFailedEvents,
} from '../../src/failed-events.js';

interface Received {
  method: string;
  url: string;
  target: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

type Answer = { status?: number; body: unknown };

/** A node:http server answering JSON the way the real service does; it keeps every request it got. */
async function fakeService(answer: (request: Received) => Answer) {
  const received: Received[] = [];
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const got: Received = {
      method: request.method ?? '',
      url: request.url ?? '',
      target: request.headers['x-amz-target'] as string | undefined,
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    received.push(got);
    const { status = 200, body } = answer(got);
    const text = JSON.stringify(body);
    response
      .writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': String(Buffer.byteLength(text)),
        'x-amzn-requestid': 'req-1',
      })
      .end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const LOG_GROUP = 'Reports-FailuresLogs1234-abcdef';
const ARCHIVE_ARN = 'arn:aws:events:eu-west-1:111122223333:archive/staging-reports-failures';
const BUS_ARN = 'arn:aws:events:eu-west-1:111122223333:event-bus/staging-reports-failures';

/** A line of the failed-events log group: the EventBridge event Lambda's destination put on the bus. */
const logLine = (id: string, time: string, requestPayload: unknown) =>
  JSON.stringify({
    version: '0',
    id,
    'detail-type': 'Lambda Function Invocation Result - Failure',
    source: 'lambda',
    account: '111122223333',
    time,
    region: 'eu-west-1',
    resources: [BUS_ARN],
    detail: {
      version: '1.0',
      timestamp: time.replace('Z', '.250Z'),
      requestContext: {
        requestId: 'r-1',
        functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:staging-reports-api:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error', errorMessage: 'not configured yet' },
    },
  });

async function awsFakes() {
  const ssm = await fakeService((request) => {
    const { Names } = JSON.parse(request.body) as { Names: string[] };
    const values: Record<string, string> = {
      '/baton/staging-reports/failed-events/log-group': LOG_GROUP,
      '/baton/staging-reports/failed-events/archive': ARCHIVE_ARN,
      '/baton/staging-reports/failed-events/bus': BUS_ARN,
    };
    return {
      body: {
        Parameters: Names.filter((name) => values[name]).map((Name) => ({
          Name,
          Type: 'String',
          Value: values[Name],
          Version: 1,
        })),
        InvalidParameters: Names.filter((name) => !values[name]),
      },
    };
  });
  const lines = [
    logLine('ev-2', '2026-12-03T06:00:05Z', {
      baton: 'job.replay',
      v: 1,
      replay: 'r',
      event: { baton: 'job.run', v: 1, jobId: 'job-b', hop: 1 },
    }),
    logLine('ev-1', '2026-12-03T05:00:00Z', { baton: 'job.run', v: 1, jobId: 'job-a', hop: 0 }),
    'not json: ignored',
  ];
  const logs = await fakeService((request) => {
    const { nextToken, filterPattern } = JSON.parse(request.body) as {
      nextToken?: string;
      filterPattern?: string;
    };
    // Two pages, to show the client follows nextToken.
    const page = nextToken === undefined ? lines.slice(0, 1) : lines.slice(1);
    const matching = filterPattern ? lines.filter((line) => line.includes(JSON.parse(filterPattern))) : page;
    return {
      body: {
        events: matching.map((message, index) => ({
          logStreamName: 's',
          timestamp: Date.parse('2026-12-03T06:00:06Z'),
          message,
          ingestionTime: 1,
          eventId: String(index),
        })),
        ...(nextToken === undefined && !filterPattern && { nextToken: 'page-2' }),
      },
    };
  });
  const events = await fakeService(() => ({
    body: { ReplayArn: 'arn:aws:events:eu-west-1:111122223333:replay/x', State: 'STARTING' },
  }));
  closers.push(ssm.close, logs.close, events.close);
  const source = awsFailedEvents({
    serviceName: 'reports',
    prefix: 'staging',
    region: 'eu-west-1',
    credentials,
    endpoints: { ssm: ssm.url, logs: logs.url, events: events.url },
    now: () => Date.parse('2026-12-03T07:00:00Z'),
  });
  return { ssm, logs, events, source };
}

describe('awsFailedEvents: the failure bus of a deployed service', () => {
  it('lists the failed-events log group found through the SSM parameters, oldest first', async () => {
    const { ssm, logs, source } = await awsFakes();
    expect(await source.list()).toEqual([
      {
        id: 'ev-1',
        functionName: 'staging-reports-api',
        failedAt: '2026-12-03T05:00:00.250Z',
        reason: 'RetriesExhausted',
        attempts: 3,
        jobId: 'job-a',
        hop: 0,
        error: 'Error: not configured yet',
      },
      expect.objectContaining({ id: 'ev-2', jobId: 'job-b', hop: 1 }),
    ]);
    expect(ssm.received.map((r) => [r.target, JSON.parse(r.body)])).toEqual([
      [
        'AmazonSSM.GetParameters',
        {
          Names: [
            '/baton/staging-reports/failed-events/log-group',
            '/baton/staging-reports/failed-events/archive',
            '/baton/staging-reports/failed-events/bus',
          ],
        },
      ],
    ]);
    expect(logs.received.map((r) => [r.target, JSON.parse(r.body)])).toEqual([
      [
        'Logs_20140328.FilterLogEvents',
        { logGroupName: LOG_GROUP, startTime: Date.parse('2026-11-03T07:00:00Z') },
      ],
      [
        'Logs_20140328.FilterLogEvents',
        { logGroupName: LOG_GROUP, startTime: Date.parse('2026-11-03T07:00:00Z'), nextToken: 'page-2' },
      ],
    ]);
    // Signed by the SDK, for the region asked.
    expect(String(logs.received[0]?.headers.authorization)).toContain('/eu-west-1/logs/aws4_request');
  });

  it('replays the archive over a window around the event, to the failure bus', async () => {
    const { logs, events, source } = await awsFakes();
    const replayed = await source.replay('ev-2');
    expect(replayed.id).toBe('ev-2');
    expect(replayed.detail).toContain('STARTING');
    expect(JSON.parse(logs.received[0]?.body ?? '{}')).toMatchObject({
      logGroupName: LOG_GROUP,
      filterPattern: '"ev-2"',
    });
    expect(events.received).toHaveLength(1);
    const [request] = events.received;
    expect(request?.target).toBe('AWSEvents.StartReplay');
    const body = JSON.parse(request?.body ?? '{}');
    expect(body).toEqual({
      ReplayName: expect.stringMatching(/^baton-ev2-\d+$/),
      Description: 'baton failed replay ev-2',
      EventSourceArn: ARCHIVE_ARN,
      // The SDK sends epoch seconds: a minute each side of the event's time.
      EventStartTime: Date.parse('2026-12-03T05:59:05Z') / 1000,
      EventEndTime: Date.parse('2026-12-03T06:01:05Z') / 1000,
      Destination: { Arn: BUS_ARN },
    });
    expect(body.ReplayName.length).toBeLessThanOrEqual(64);
  });

  it('says clearly when the event is not in the log, or the service publishes no failure destination', async () => {
    const { events, source } = await awsFakes();
    await expect(source.replay('ev-404')).rejects.toBeInstanceOf(FailedEventNotFound);
    expect(events.received).toEqual([]);
    const { ssm } = await awsFakes();
    const other = awsFailedEvents({
      serviceName: 'other',
      region: 'eu-west-1',
      credentials,
      endpoints: { ssm: ssm.url, logs: 'http://127.0.0.1:9', events: 'http://127.0.0.1:9' },
    });
    await expect(other.list()).rejects.toThrow(/\/baton\/other\/failed-events\/log-group.*not found/);
  });

  it('names its parameters as BatonService publishes them', () => {
    expect(failedEventsParameterNames('reports')).toEqual({
      logGroup: '/baton/reports/failed-events/log-group',
      archive: '/baton/reports/failed-events/archive',
      bus: '/baton/reports/failed-events/bus',
    });
  });
});

describe('localFailedEvents: the failure destination of `baton dev`', () => {
  it('lists through GET /_baton/failed-events and replays through POST …/{id}/replay, signed when asked', async () => {
    const invoke = await fakeService((request) => {
      if (request.method === 'GET' && request.url === '/_baton/failed-events') {
        return {
          body: {
            failedEvents: [
              {
                id: 'f-1',
                functionName: 'reports-api',
                functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:reports-api',
                requestId: 'r-1',
                payload: { baton: 'job.run', v: 1, jobId: 'job-a', hop: 0 },
                reason: 'RetriesExhausted',
                error: { errorType: 'Error', errorMessage: 'broken', trace: [] },
                attempts: 3,
                acceptedAt: '2026-12-03T06:00:00.000Z',
                failedAt: '2026-12-03T06:00:03.000Z',
                traceHeader: 'Root=1',
              },
            ],
          },
        };
      }
      if (request.method === 'POST' && request.url === '/_baton/failed-events/f-1/replay')
        return { status: 202, body: { id: 'f-1', requestId: 'r-2' } };
      return {
        status: 404,
        body: { Type: 'User', Message: 'No failed event with id nope: replayed already' },
      };
    });
    closers.push(invoke.close);
    const source = localFailedEvents(invoke.url, credentials);
    expect(await source.list()).toEqual([
      {
        id: 'f-1',
        functionName: 'reports-api',
        failedAt: '2026-12-03T06:00:03.000Z',
        reason: 'RetriesExhausted',
        attempts: 3,
        jobId: 'job-a',
        hop: 0,
        error: 'Error: broken',
      },
    ]);
    expect(await source.replay('f-1')).toEqual({ id: 'f-1', detail: expect.stringContaining('r-2') });
    await expect(source.replay('nope')).rejects.toThrow(FailedEventNotFound);
    await expect(source.replay('nope')).rejects.toThrow(/replayed already/);
    expect(String(invoke.received[0]?.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/lambda\/aws4_request/,
    );

    const unsigned = localFailedEvents(invoke.url);
    await unsigned.list();
    expect(invoke.received.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('is let in by a local service that checks signatures, with the credentials it was given', async () => {
    const lambda = await startLambdaService({
      functions: [],
      logs: 'quiet',
      verifySignatures: true,
      credentials: [{ ...credentials, principalArn: 'arn:aws:iam::111122223333:user/ops' }],
    });
    closers.push(() => lambda.stop());
    expect(await localFailedEvents(lambda.url, credentials).list()).toEqual([]);
    await expect(localFailedEvents(lambda.url).list()).rejects.toThrow(/answered 403/);
    await expect(localFailedEvents(lambda.url, credentials).replay('gone')).rejects.toBeInstanceOf(
      FailedEventNotFound,
    );
  });

  it('says so when nothing listens there', async () => {
    await expect(localFailedEvents('http://127.0.0.1:9').list()).rejects.toThrow(/baton dev/);
  });
});
