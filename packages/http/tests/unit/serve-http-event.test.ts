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
