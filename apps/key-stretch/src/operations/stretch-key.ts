import { createHash } from 'node:crypto';
import { defineOperation, defineRegistry } from '@baton/core';
import * as z from 'zod';

const Hex = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * Key stretching: SHA-256 applied to a passphrase and salt `rounds` times over. A few thousand rounds answer at
 * once; tens of millions take minutes, so the work checkpoints every batch and a job survives hand-offs from
 * one invocation to the next: the state is just the round reached and the digest so far.
 */
export const stretchKey = defineOperation({
  name: 'stretch-key',
  description: 'Stretches a passphrase into a 256-bit key by iterated SHA-256 over `rounds` rounds.',
  input: z.strictObject({
    passphrase: z.string().min(1).max(1024),
    salt: z.string().min(1).max(256),
    rounds: z.int().min(1).max(500_000_000),
  }),
  output: z.object({ key: Hex, rounds: z.int() }),
  policy: { checkpoints: true, maxAttempts: 3, timeBudgetMs: 60 * 60_000 },
  run: async ({ passphrase, salt, rounds }, { resumeFrom, checkpoint, progress, signal }) => {
    const state = resumeFrom
      ? z.object({ round: z.int(), digest: Hex }).parse(resumeFrom)
      : { round: 0, digest: createHash('sha256').update(`${salt}\u0000${passphrase}`).digest('hex') };
    let digest = Buffer.from(state.digest, 'hex');
    const batch = 200_000;
    while (state.round < rounds) {
      signal.throwIfAborted();
      const end = Math.min(rounds, state.round + batch);
      for (let round = state.round; round < end; round++)
        digest = createHash('sha256').update(digest).digest();
      state.round = end;
      state.digest = digest.toString('hex');
      checkpoint(state);
      progress(state.round / rounds, `${state.round} of ${rounds} rounds`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { key: state.digest, rounds };
  },
});

export const registry = defineRegistry([stretchKey]);
