import { describe, expect, it } from 'vitest';
import {
  ALLOWED_TRANSITIONS,
  assertTransition,
  canTransition,
  IllegalTransition,
  isTerminal,
  JOB_STATUSES,
  type JobStatus,
} from '../../src/index.js';

/** The status machine as the product defines it, written out independently of the implementation's table. */
const EXPECTED: ReadonlySet<string> = new Set([
  'queued→running',
  'queued→cancelled',
  'running→succeeded',
  'running→failed',
  'running→cancelled',
  'running→queued',
  // Only a replay of an event Lambda gave up on, for a job failed by that (requeueFailedDelivery).
  'failed→queued',
]);

describe('job status machine', () => {
  const pairs = JOB_STATUSES.flatMap((from) =>
    JOB_STATUSES.map((to) => [from, to] as [JobStatus, JobStatus]),
  );

  it('covers all 25 pairs of the five statuses', () => {
    expect(JOB_STATUSES).toEqual(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
    expect(pairs).toHaveLength(25);
  });

  it.each(pairs)('%s → %s is allowed exactly when the product allows it', (from, to) => {
    const allowed = EXPECTED.has(`${from}→${to}`);
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) {
      expect(() => assertTransition(from, to)).not.toThrow();
    } else {
      const error = (() => {
        try {
          assertTransition(from, to, 'job-1');
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(IllegalTransition);
      expect(error).toMatchObject({ code: 'IllegalTransition', from, to, jobId: 'job-1' });
    }
  });

  it('has no way out of a terminal status but the replay of a failed delivery', () => {
    expect(JOB_STATUSES.filter(isTerminal)).toEqual(['succeeded', 'failed', 'cancelled']);
    expect(ALLOWED_TRANSITIONS.succeeded).toEqual([]);
    expect(ALLOWED_TRANSITIONS.cancelled).toEqual([]);
    expect(ALLOWED_TRANSITIONS.failed).toEqual(['queued']);
    for (const status of JOB_STATUSES.filter((s) => !isTerminal(s)))
      expect(ALLOWED_TRANSITIONS[status].length).toBeGreaterThan(0);
  });
});
