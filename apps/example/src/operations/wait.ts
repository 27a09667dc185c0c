import { setTimeout as sleep } from 'node:timers/promises';
import { defineOperation } from '@baton/core';
import * as z from 'zod';

/**
 * The classic long job: waits the given number of seconds. It checkpoints every second, so a request that
 * outgrows its door, or a job that outgrows its invocation, resumes where it left off instead of restarting.
 */
export const wait = defineOperation({
  name: 'wait',
  description: 'Waits the given number of seconds (1 to 900), reporting progress every second.',
  input: z.strictObject({ seconds: z.int().min(1).max(900) }),
  output: z.object({ waitedSeconds: z.int() }),
  policy: { checkpoints: true, maxAttempts: 3, timeBudgetMs: 20 * 60_000 },
  run: async ({ seconds }, { resumeFrom, checkpoint, progress, signal }) => {
    const totalMs = seconds * 1000;
    let waitedMs = (resumeFrom as { waitedMs: number } | undefined)?.waitedMs ?? 0;
    while (waitedMs < totalMs) {
      const step = Math.min(1000, totalMs - waitedMs);
      await sleep(step, undefined, { signal });
      waitedMs += step;
      checkpoint({ waitedMs });
      progress(waitedMs / totalMs, `${Math.floor(waitedMs / 1000)} of ${seconds} s`);
    }
    return { waitedSeconds: seconds };
  },
});
