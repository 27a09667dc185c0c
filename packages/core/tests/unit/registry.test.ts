import { describe, expect, expectTypeOf, it } from 'vitest';
import * as z from 'zod';
import {
  defineOperation,
  defineRegistry,
  type InputOf,
  type OperationNameOf,
  type OutputOf,
  UnknownOperation,
  ValidationError,
} from '../../src/index.js';
import { registry } from '../fixtures/operations.js';

describe('operation registry', () => {
  it('lets a client infer each operation’s input and output types', () => {
    expectTypeOf<OperationNameOf<typeof registry>>().toEqualTypeOf<
      'echo' | 'sum-batches' | 'flaky' | 'rejects' | 'until-aborted' | 'bad-output'
    >();
    expectTypeOf<InputOf<typeof registry, 'echo'>>().toEqualTypeOf<{
      message: string;
      repeat?: number | undefined;
    }>();
    expectTypeOf<OutputOf<typeof registry, 'echo'>>().toEqualTypeOf<{ echoed: string }>();
    expectTypeOf<OutputOf<typeof registry, 'sum-batches'>>().toEqualTypeOf<{
      total: number;
      resumes: number;
    }>();
  });

  it('validates input and applies schema defaults', () => {
    const parsed = registry.parseInput('echo', { message: 'hi' });
    expect(parsed.operation.name).toBe('echo');
    expect(parsed.input).toEqual({ message: 'hi', repeat: 1 });
  });

  it('names every failing path, under `input`', () => {
    let error: unknown;
    try {
      registry.parseInput('echo', { message: '', repeat: 9, extra: true });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues;
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([['input', 'message'], ['input', 'repeat'], ['input']]),
    );
    expect(issues.find((issue) => issue.path.length === 1)?.code).toBe('unrecognized_keys');
  });

  it('refuses an unknown operation, naming the known ones', () => {
    expect(() => registry.parseInput('nope', {})).toThrow(UnknownOperation);
    expect(() => registry.get('nope')).toThrow(/Known operations: echo, sum-batches/);
  });

  it('describes operations with JSON Schemas generated from zod', () => {
    const echo = registry.describe().find((operation) => operation.name === 'echo');
    expect(echo).toMatchObject({
      version: 1,
      description: 'Returns its message.',
      inputSchema: {
        type: 'object',
        properties: { message: { type: 'string', minLength: 1, maxLength: 100 } },
        required: ['message'],
        additionalProperties: false,
      },
      outputSchema: { type: 'object', properties: { echoed: { type: 'string' } } },
    });
    expect(registry.describe()).toBe(registry.describe());
  });

  it('refuses bad definitions: duplicate names, bad names, bad policies', () => {
    const op = (name: string, policy = {}) =>
      defineOperation({
        name,
        description: '',
        input: z.object({}),
        output: z.null(),
        policy,
        run: async () => null,
      });
    expect(() => defineRegistry([op('a'), op('a')])).toThrow(/registered twice/);
    expect(() => op('Not Valid')).toThrow(/lower-case/);
    expect(() => op('ok', { maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => op('ok', { timeBudgetMs: 0 })).toThrow(/timeBudgetMs/);
    expect(op('report.build').policy).toEqual({ maxAttempts: 3, checkpoints: false, timeBudgetMs: 900_000 });
  });
});
