import { describe, expect, it } from 'vitest';
import { toFunctionErrorPayload } from '../../src/errors.js';
import { InvocationLog } from '../../src/function-logs.js';

describe('InvocationLog', () => {
  it('tails the last 4 KB as base64', () => {
    const log = new InvocationLog();
    log.append('a'.repeat(5000));
    log.append('END\n');
    const tail = Buffer.from(log.tailBase64(), 'base64').toString('utf8');
    expect(tail).toHaveLength(4096);
    expect(tail.endsWith('aEND\n')).toBe(true);
  });

  it('stays bounded however much a function prints', () => {
    const log = new InvocationLog();
    for (let i = 0; i < 1000; i++) log.append('x'.repeat(1000));
    expect(log.toString().length).toBeLessThanOrEqual(128 * 1024);
  });
});

describe('toFunctionErrorPayload', () => {
  it('uses the error name, message and stack like the Lambda runtime', () => {
    const error = new TypeError('bad');
    expect(toFunctionErrorPayload(error)).toEqual({
      errorType: 'TypeError',
      errorMessage: 'bad',
      trace: error.stack?.split('\n'),
    });
  });

  it('copes with thrown non-errors', () => {
    expect(toFunctionErrorPayload('nope')).toEqual({ errorType: 'string', errorMessage: 'nope', trace: [] });
    expect(toFunctionErrorPayload({ code: 1 })).toEqual({
      errorType: 'Error',
      errorMessage: '{"code":1}',
      trace: [],
    });
  });
});
