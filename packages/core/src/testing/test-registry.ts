import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { defineOperation, OperationError } from '../operation.js';
import { defineRegistry } from '../registry.js';

/**
 * A small registry for adapter tests: one operation that answers at once, one that checkpoints while it
 * sleeps (to outgrow a budget), and one that fails.
 */
export const testRegistry = defineRegistry([
  defineOperation({
    name: 'greet',
    description: 'Greets someone.',
    input: z.strictObject({ name: z.string().min(1), times: z.int().min(1).max(3).default(1) }),
    output: z.object({ greeting: z.string() }),
    run: async ({ name, times }) => ({ greeting: `hello ${name}`.repeat(times) }),
  }),
  defineOperation({
    name: 'nap',
    description: 'Sleeps in 5 ms steps, checkpointing each.',
    input: z.strictObject({ ms: z.int().min(0) }),
    output: z.object({ slept: z.int() }),
    policy: { checkpoints: true },
    run: async ({ ms }, { signal, checkpoint, resumeFrom }) => {
      let slept = (resumeFrom as { slept: number } | undefined)?.slept ?? 0;
      while (slept < ms) {
        signal.throwIfAborted();
        await sleep(5);
        slept += 5;
        checkpoint({ slept });
      }
      return { slept };
    },
  }),
  defineOperation({
    name: 'refuse',
    description: 'Always fails, not retryably.',
    input: z.strictObject({}),
    output: z.null(),
    run: async () => {
      throw new OperationError('no such customer', { type: 'CustomerNotFound' });
    },
  }),
]);
