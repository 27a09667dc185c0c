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

/**
 * A job-run event an operator replayed from the failure destination (decision 0015): the original event,
 * wrapped with the replay's name. Only a replay may put back in the queue a job that failed because Lambda gave
 * up delivering it; a stray duplicate of the original event must not turn a failure a client has seen back into
 * a run. The envelope is what the failure bus's replay rule sends (an input transformer around the record's
 * `requestPayload`) and what the local service's replay sends.
 */
export const JobReplayEventSchema = z.strictObject({
  baton: z.literal('job.replay'),
  v: z.literal(1),
  /** The replay's name (EventBridge's `replay-name`, or the local failed event's id): for the logs. */
  replay: z.string().min(1).max(256),
  /** The event that failed: a job-run event, or (a replayed replay that failed again) another envelope. */
  event: z.unknown(),
});

export type JobReplayEvent = z.infer<typeof JobReplayEventSchema>;

/** How deep replays of failed replays may nest before the event is refused (each failure wraps it once more). */
const MAX_REPLAY_DEPTH = 8;

/** The replay envelope around an event that failed; an envelope is re-wrapped, never nested. */
export const toJobReplayEvent = (event: unknown, replay: string): JobReplayEvent => ({
  baton: 'job.replay',
  v: 1,
  replay,
  event: unwrapReplay(event).event,
});

/**
 * The job-run event inside replay envelopes (however deeply a replayed replay that failed again nests them), and
 * the name of the outermost replay; the event as it is when it is no envelope.
 */
export function unwrapReplay(event: unknown): { readonly event: unknown; readonly replay?: string } {
  let replay: string | undefined;
  let inner = event;
  for (let depth = 0; depth < MAX_REPLAY_DEPTH; depth++) {
    const envelope = JobReplayEventSchema.safeParse(inner);
    if (!envelope.success) break;
    replay ??= envelope.data.replay;
    inner = envelope.data.event;
  }
  return replay === undefined ? { event: inner } : { event: inner, replay };
}
