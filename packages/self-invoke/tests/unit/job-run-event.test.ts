import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JobRunEventSchema, looksLikeJobRunEvent, toJobRunEvent } from '../../src/index.js';

const functionUrlEvent = JSON.parse(
  readFileSync(new URL('../events/function-url.json', import.meta.url), 'utf8'),
);

describe('the job-run event', () => {
  it('carries a pointer to the job, never its input', () => {
    const event = toJobRunEvent({ jobId: 'abc', hop: 3, correlationId: 'c-1' });
    expect(event).toEqual({ baton: 'job.run', v: 1, jobId: 'abc', hop: 3, correlationId: 'c-1' });
    expect(JobRunEventSchema.parse(event)).toEqual(event);
  });

  it('is told apart from AWS events', () => {
    expect(looksLikeJobRunEvent(toJobRunEvent({ jobId: 'abc', hop: 0 }))).toBe(true);
    expect(looksLikeJobRunEvent(functionUrlEvent)).toBe(false);
    expect(looksLikeJobRunEvent({ operation: 'echo', input: {} })).toBe(false);
    for (const other of [null, 'job.run', 42, [], undefined]) expect(looksLikeJobRunEvent(other)).toBe(false);
  });

  it('is validated strictly: unknown keys, another version, a bad hop are refused', () => {
    const valid = toJobRunEvent({ jobId: 'abc', hop: 0 });
    expect(JobRunEventSchema.safeParse({ ...valid, input: { secret: 1 } }).success).toBe(false);
    expect(JobRunEventSchema.safeParse({ ...valid, v: 2 }).success).toBe(false);
    expect(JobRunEventSchema.safeParse({ ...valid, hop: -1 }).success).toBe(false);
    expect(JobRunEventSchema.safeParse({ ...valid, jobId: '' }).success).toBe(false);
  });
});
