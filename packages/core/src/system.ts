import { randomBytes } from 'node:crypto';
import type { IdGenerator, Scheduler } from './ports.js';

/** The wall clock and the event loop's timers. */
export const systemClock: Scheduler = {
  now: () => Date.now(),
  schedule: (callback, ms) => {
    const timer = setTimeout(callback, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * Ids from the operating system's CSPRNG: 128 bits, base64url (22 characters). A job id is the only key to
 * a job besides its owner, so it must not be guessable; 128 bits is well above the 96 required. A job id never
 * starts with `-` or `_`: one starting with `-` reads as an option to every command line it is pasted into
 * (`baton jobs watch -TUb…`); such draws are thrown away (2 in 64), which leaves about 127.95 bits.
 */
export const randomIds: IdGenerator = {
  jobId: () => {
    for (;;) {
      const id = randomBytes(16).toString('base64url');
      if (id[0] !== '-' && id[0] !== '_') return id;
    }
  },
  leaseHolder: () => randomBytes(12).toString('base64url'),
};
