import { Logger } from '@aws-lambda-powertools/logger';
import { fakeLambdaContext } from '@baton/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { type HttpRequest, NotAnHttpEvent, serveHttpEvent } from '../../src/index.js';

const request: HttpRequest = {
  method: 'GET',
  path: '/jobs',
  basePath: '/prod',
  headers: {},
  query: {},
  body: undefined,
  owner: 'arn:aws:iam::111122223333:user/alice',
  requestId: 'req-1',
  budgetMs: 1_000,
};

function setUp() {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { logger: new Logger({ serviceName: 'test' }), context: fakeLambdaContext('api') };
}

describe('serveHttpEvent', () => {
  it('answers an event that is not an HTTP event with 400 problem+json', async () => {
    const { logger, context } = setUp();
    const result = await serveHttpEvent(
      logger,
      context,
      () => {
        throw new NotAnHttpEvent(['path: Required']);
      },
      async () => ({ statusCode: 200, headers: {}, body: '{}' }),
    );
    expect(result).toMatchObject({
      statusCode: 400,
      headers: { 'content-type': 'application/problem+json' },
    });
    expect(JSON.parse(result.body)).toMatchObject({
      type: 'https://baton.dev/problems/bad-event',
      status: 400,
    });
  });

  it('answers anything unexpected — in translation or in the API — with a 500 problem, never a function error', async () => {
    const { logger, context } = setUp();
    const translated = await serveHttpEvent(
      logger,
      context,
      () => {
        throw new TypeError("Cannot use 'in' operator to search for 'version' in null");
      },
      async () => ({ statusCode: 200, headers: {}, body: '{}' }),
    );
    expect(translated).toMatchObject({
      statusCode: 500,
      headers: { 'content-type': 'application/problem+json' },
    });
    expect(JSON.parse(translated.body)).toMatchObject({
      type: 'https://baton.dev/problems/internal-error',
      status: 500,
      instance: context.awsRequestId,
    });
    expect(translated.body).not.toContain('version');

    const served = await serveHttpEvent(
      logger,
      context,
      () => request,
      async () => {
        throw new Error('boom');
      },
    );
    expect(served).toMatchObject({ statusCode: 500 });
    expect(JSON.parse(served.body)).toMatchObject({ status: 500, instance: '/prod/jobs#req-1' });
  });
});

describe('serveHttpEvent: the correlation id', () => {
  function capture() {
    const lines: string[] = [];
    const write = (chunk: unknown) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line.startsWith('{')),
      );
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(write);
    vi.spyOn(process.stderr, 'write').mockImplementation(write);
    return () => lines.splice(0).map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('echoes it in X-Correlation-Id on every answer: results, problems, and the gateway request id when none was sent', async () => {
    capture();
    const logger = new Logger({ serviceName: 'test' });
    const context = fakeLambdaContext('api');
    const answered = await serveHttpEvent(
      logger,
      context,
      () => ({ ...request, correlationId: 'corr-1' }),
      async () => ({ statusCode: 202, headers: { location: '/prod/jobs/j' }, body: '{}' }),
    );
    expect(answered.headers).toMatchObject({ 'x-correlation-id': 'corr-1', location: '/prod/jobs/j' });

    const failed = await serveHttpEvent(
      logger,
      context,
      () => ({ ...request, correlationId: 'corr-2' }),
      async () => {
        throw new Error('boom');
      },
    );
    expect(failed).toMatchObject({ statusCode: 500, headers: { 'x-correlation-id': 'corr-2' } });

    const refused = await serveHttpEvent(
      logger,
      context,
      () => {
        throw new NotAnHttpEvent(['path: Required']);
      },
      async () => ({ statusCode: 200, headers: {}, body: '{}' }),
    );
    expect(refused).toMatchObject({ statusCode: 400, headers: { 'x-correlation-id': context.awsRequestId } });
  });

  it('puts it on every line written while the request is served, user code’s included, and on none after', async () => {
    const drain = capture();
    const logger = new Logger({ serviceName: 'test' });
    const api = async () => {
      logger.info('from the operation');
      return { statusCode: 200, headers: {}, body: '{}' };
    };
    await serveHttpEvent(
      logger,
      fakeLambdaContext('api'),
      () => ({ ...request, correlationId: 'corr-a' }),
      api,
    );
    const second = fakeLambdaContext('api');
    await serveHttpEvent(logger, second, () => ({ ...request, correlationId: 'corr-b' }), api);
    logger.info('between requests');
    const lines = drain();
    expect(lines.map((line) => [line.message, line.correlation_id, line.function_request_id])).toEqual([
      ['from the operation', 'corr-a', expect.any(String)],
      ['HTTP request', 'corr-a', expect.any(String)],
      ['from the operation', 'corr-b', second.awsRequestId],
      ['HTTP request', 'corr-b', second.awsRequestId],
      ['between requests', undefined, second.awsRequestId],
    ]);
  });
});
