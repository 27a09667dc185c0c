import { CORRELATION_ID_MAX_LENGTH, type DispatchMessage, isValidCorrelationId } from '@baton/core';
import * as z from 'zod';

/**
 * The self-invoke event: a pointer to a stored job, never its input (the input lives in the job store;
 * async payloads are capped at 1 MB). `baton` is the discriminator that tells this event from any AWS event
 * arriving at the same handler; `v` lets a newer worker refuse an event it does not understand.
 */
export const JobRunEventSchema = z.strictObject({
  baton: z.literal('job.run'),
  v: z.literal(1),
  jobId: z.string().min(1).max(128),
  hop: z.int().min(0).max(100_000),
  correlationId: z.string().min(1).max(CORRELATION_ID_MAX_LENGTH).optional(),
});

export type JobRunEvent = z.infer<typeof JobRunEventSchema>;

/** True for anything that claims to be a job-run event (valid or not); AWS events never carry `baton`. */
export const looksLikeJobRunEvent = (event: unknown): event is { baton: unknown } =>
  typeof event === 'object' && event !== null && !Array.isArray(event) && 'baton' in event;

/** The event for a dispatch. A correlation id the worker would refuse is left out rather than strand the job. */
export const toJobRunEvent = (message: DispatchMessage): JobRunEvent => ({
  baton: 'job.run',
  v: 1,
  jobId: message.jobId,
  hop: message.hop,
  ...(message.correlationId !== undefined &&
    isValidCorrelationId(message.correlationId) && { correlationId: message.correlationId }),
});
