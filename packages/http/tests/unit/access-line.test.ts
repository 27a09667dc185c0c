import { Logger } from '@aws-lambda-powertools/logger';
import { fakeLambdaContext } from '@baton/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAccessLine, createInvokeLine } from '../../src/access-line.js';

/** Every line written to stdout while `write` runs, parsed. */
function linesOf(write: () => void): Record<string, unknown>[] {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    write();
  } finally {
    spy.mockRestore();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

const withoutTimestamp = ({ timestamp, ...rest }: Record<string, unknown>) => {
  expect(timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  return rest;
};

const fields = { method: 'POST', path: '/jobs', status: 202, durationMs: 3, location: '/prod/jobs/j-1' };

describe('the access line', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is the line the Powertools Logger prints, key for key and in order, cold start and X-Ray trace included', () => {
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    vi.stubEnv(
      '_X_AMZN_TRACE_ID',
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    );
    const options = {
      serviceName: 'orders',
      sampleRateValue: 0,
      persistentKeys: { team: 'blue', unset: '' },
    };
    const theirs = new Logger(options);
    const ours = createAccessLine(new Logger(options));
    for (const [index, context] of [fakeLambdaContext('api'), fakeLambdaContext('api')].entries()) {
      const [expected] = linesOf(() => {
        theirs.resetKeys();
        theirs.addContext(context);
        theirs.setCorrelationId('corr-1');
        theirs.info('HTTP request', fields);
      });
      const [actual] = linesOf(() => ours(context, 'corr-1', fields));
      expect(actual && withoutTimestamp(actual)).toEqual(expected && withoutTimestamp(expected));
      expect(Object.keys(actual ?? {})).toEqual(Object.keys(expected ?? {}));
      expect(actual?.cold_start).toBe(index === 0);
    }
  });

  it('leaves out what the Logger leaves out: no location, no correlation id, no trace', () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', '');
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'provisioned-concurrency');
    const context = fakeLambdaContext('api');
    const theirs = new Logger({ serviceName: 'orders' });
    const [expected] = linesOf(() => {
      theirs.addContext(context);
      theirs.info('HTTP request', { method: 'GET', path: '/jobs', status: 200, durationMs: 0 });
    });
    const [actual] = linesOf(() =>
      createAccessLine(new Logger({ serviceName: 'orders' }))(context, undefined, {
        method: 'GET',
        path: '/jobs',
        status: 200,
        durationMs: 0,
      }),
    );
    expect(actual && withoutTimestamp(actual)).toEqual(expected && withoutTimestamp(expected));
    expect(Object.keys(actual ?? {})).toEqual(Object.keys(expected ?? {}));
  });

  it('is written at INFO and below, not above', () => {
    const context = fakeLambdaContext('api');
    expect(
      linesOf(() => createAccessLine(new Logger({ logLevel: 'DEBUG' }))(context, 'c', fields)),
    ).toHaveLength(1);
    expect(
      linesOf(() => createAccessLine(new Logger({ logLevel: 'WARN' }))(context, 'c', fields)),
    ).toHaveLength(0);
    expect(
      linesOf(() => createAccessLine(new Logger({ logLevel: 'SILENT' }))(context, 'c', fields)),
    ).toHaveLength(0);
  });

  it('for a direct invoke, is the line the Logger prints after resetKeys, addContext and setCorrelationId, status or none', () => {
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1');
    const options = { serviceName: 'invoker', persistentKeys: { team: 'blue', note: 'a "quoted" \\ line' } };
    const theirs = new Logger(options);
    const ours = createInvokeLine(new Logger(options));
    const statuses = ['succeeded', undefined, 'queued'];
    for (const [index, status] of statuses.entries()) {
      const context = fakeLambdaContext('invoke');
      const correlationId = index === 1 ? undefined : `corr-${index}`;
      const [expected] = linesOf(() => {
        theirs.resetKeys();
        theirs.addContext(context);
        if (correlationId) theirs.setCorrelationId(correlationId);
        theirs.info('Invoke request', { status });
      });
      const [actual] = linesOf(() => ours(context, status, correlationId));
      expect(actual && withoutTimestamp(actual)).toEqual(expected && withoutTimestamp(expected));
      expect(Object.keys(actual ?? {})).toEqual(Object.keys(expected ?? {}));
      expect(actual?.cold_start).toBe(index === 0);
    }
    expect(
      linesOf(() => createInvokeLine(new Logger({ logLevel: 'WARN' }))(fakeLambdaContext('i'), 'x')),
    ).toEqual([]);
  });

  it('has the timestamp the Logger would give it, to the millisecond', () => {
    const context = fakeLambdaContext('api');
    for (const now of [
      Date.UTC(2026, 0, 1, 0, 0, 0, 0),
      Date.UTC(2026, 0, 1, 0, 0, 0, 7),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2026, 5, 1, 12, 0, 1, 42),
    ]) {
      vi.useFakeTimers({ now, toFake: ['Date'] });
      try {
        const [line] = linesOf(() => createAccessLine(new Logger())(context, undefined, fields));
        expect(line?.timestamp).toBe(new Date(now).toISOString());
      } finally {
        vi.useRealTimers();
      }
    }
  });
});
