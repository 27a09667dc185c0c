import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { executeOperation, LazyAbortController } from '../../src/execute-operation.js';
import { defineOperation, type OperationContext } from '../../src/index.js';

/** The context an operation runs with is a plain-looking object: these hold its shape, whatever makes it. */
describe('the context an operation runs with', () => {
  it('has its keys own and enumerable, in order, its signal read when read, and can be destructured or spread', async () => {
    const seen: { keys: string[]; spread: OperationContext | undefined; progress: number[] } = {
      keys: [],
      spread: undefined,
      progress: [],
    };
    const operation = defineOperation({
      name: 'inspect',
      description: 'Looks at its context.',
      input: z.object({}),
      output: z.object({ aborted: z.boolean(), remaining: z.number() }),
      run: async (_input, context) => {
        seen.keys = Object.keys(context);
        seen.spread = { ...context };
        const { progress, checkpoint, remainingTimeMs, signal } = context;
        progress(2);
        progress(Number.NaN);
        checkpoint({ at: 1 });
        return { aborted: signal.aborted, remaining: remainingTimeMs() };
      },
    });
    const controller = new LazyAbortController();
    const checkpoints: unknown[] = [];
    const execution = await executeOperation(
      operation,
      {},
      {
        resumeFrom: { at: 0 },
        attempt: 2,
        jobId: 'j-1',
        remainingTimeMs: () => 42,
        onProgress: (fraction) => seen.progress.push(fraction),
        onCheckpoint: (state) => checkpoints.push(state),
        controller,
        graceMs: 10,
        schedule: () => () => {},
      },
    );
    expect(execution).toEqual({ kind: 'returned', output: { aborted: false, remaining: 42 } });
    expect(seen.keys).toEqual([
      'resumeFrom',
      'attempt',
      'jobId',
      'signal',
      'remainingTimeMs',
      'progress',
      'checkpoint',
    ]);
    expect(seen.spread?.signal).toBeInstanceOf(AbortSignal);
    expect(seen.spread).toMatchObject({ resumeFrom: { at: 0 }, attempt: 2, jobId: 'j-1' });
    expect(seen.progress).toEqual([1]);
    expect(checkpoints).toEqual([{ at: 1 }]);
  });
});
