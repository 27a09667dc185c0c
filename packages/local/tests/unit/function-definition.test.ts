import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InvalidFunctionDefinition,
  parseFunctionName,
  resolveFunctionDefinition,
} from '../../src/function-definition.js';

const service = {
  region: 'eu-west-1',
  accountId: '123456789012',
  baseDir: '/srv/app',
  defaultConcurrency: 5,
};

describe('resolveFunctionDefinition', () => {
  it("applies Lambda's defaults", () => {
    const fn = resolveFunctionDefinition({ name: 'worker', entry: 'src/worker.ts' }, service);
    expect(fn).toEqual({
      name: 'worker',
      arn: 'arn:aws:lambda:eu-west-1:123456789012:function:worker',
      entryPath: '/srv/app/src/worker.ts',
      handler: 'handler',
      timeoutSeconds: 3,
      memoryMb: 128,
      concurrencyLimit: 5,
      environment: {},
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 21_600,
      recursiveLoop: 'Terminate',
    });
    expect(isAbsolute(fn.entryPath)).toBe(true);
  });

  it('takes reserved concurrency over the service default, zero included', () => {
    expect(
      resolveFunctionDefinition({ name: 'f', entry: 'f.ts', reservedConcurrency: 0 }, service)
        .concurrencyLimit,
    ).toBe(0);
  });

  it('lists every problem of an invalid definition', () => {
    const attempt = () =>
      resolveFunctionDefinition(
        {
          name: 'bad name!',
          entry: 'f.ts',
          timeoutSeconds: 901,
          memoryMb: 64,
          async: { maximumRetryAttempts: 3, maximumEventAgeSeconds: 30 },
          recursiveLoop: 'Sometimes' as 'Allow',
        },
        service,
      );
    expect(attempt).toThrow(InvalidFunctionDefinition);
    try {
      attempt();
    } catch (error) {
      expect((error as InvalidFunctionDefinition).problems).toHaveLength(6);
    }
  });

  it('accepts a fractional timeout (local-only, for fast timeout tests)', () => {
    expect(
      resolveFunctionDefinition({ name: 'f', entry: 'f.ts', timeoutSeconds: 0.25 }, service).timeoutSeconds,
    ).toBe(0.25);
  });
});

describe('parseFunctionName', () => {
  it.each([
    ['my-fn', { name: 'my-fn' }],
    ['my-fn:live', { name: 'my-fn', qualifier: 'live' }],
    ['123456789012:function:my-fn', { name: 'my-fn' }],
    ['123456789012:function:my-fn:$LATEST', { name: 'my-fn', qualifier: '$LATEST' }],
    ['arn:aws:lambda:us-east-1:123456789012:function:my-fn', { name: 'my-fn' }],
    ['arn:aws:lambda:us-east-1:123456789012:function:my-fn:7', { name: 'my-fn', qualifier: '7' }],
  ])('%s', (raw, expected) => {
    expect(parseFunctionName(raw)).toEqual(expected);
  });
});
