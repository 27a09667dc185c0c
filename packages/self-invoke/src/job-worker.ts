import { Logger } from '@aws-lambda-powertools/logger';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import {
  DEFAULT_LEASE_TTL_MS,
  type IdGenerator,
  type JobEvents,
  type JobStore,
  type Registry,
  type RequeueOutcome,
  type RunJobOptions,
  type RunJobOutcome,
  randomIds,
  requeueFailedDelivery,
  runJob,
  type Scheduler,
  systemClock,
} from '@baton/core';
import type { Context } from 'aws-lambda';
import { JobRunEventSchema, unwrapReplay } from './job-run-event.js';
import { LambdaJobDispatcher, sharedLambdaClient } from './lambda-job-dispatcher.js';

export interface JobWorkerOptions
  extends Pick<
    RunJobOptions,
    'maxHops' | 'handoffMarginMs' | 'progressIntervalMs' | 'cancelPollMs' | 'abortGraceMs' | 'leaseTtlMs'
  > {
  readonly registry: Registry;
  readonly store: JobStore;
  readonly logger?: Logger;
  readonly client?: LambdaClient;
  readonly clock?: Scheduler;
  readonly ids?: IdGenerator;
  /** Where the end of each job this worker finishes is announced (`Baton Job Finished`); none, no events. */
  readonly events?: JobEvents;
}

export type JobWorkerResult =
  | { readonly handled: false; readonly reason: 'malformed-event' }
  | {
      readonly handled: true;
      readonly jobId: string;
      readonly hop: number;
      readonly outcome: RunJobOutcome['outcome'];
      /** A replayed event (decision 0015): its name, and whether it put the job back in the queue. */
      readonly replay?: { readonly name: string; readonly requeue: RequeueOutcome['outcome'] };
    };

/**
 * The async door's inbound half: a Lambda handler for job-run events. It validates the event, runs the job
 * (a duplicate delivery is a logged no-op), and — when the job must continue or retry — invokes its own
 * function for the next hop, so continuation hops are always self-invocations. A malformed event is logged
 * and dropped (retrying it could never help); a store failure is thrown, so that Lambda retries the event.
 * A replayed event (the failure bus's replay, wrapped with its name) first puts back in the queue a job that
 * failed because Lambda gave up delivering that hop (`requeueFailedDelivery`), then runs like any delivery.
 */
export function createJobWorker(options: JobWorkerOptions) {
  const logger = options.logger ?? new Logger({ serviceName: 'baton' });
  const client = options.client ?? sharedLambdaClient();
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;

  return async function runJobFromEvent(event: unknown, context: Context): Promise<JobWorkerResult> {
    logger.resetKeys();
    logger.addContext(context);
    const unwrapped = unwrapReplay(event);
    const parsed = parseJobRunEvent(unwrapped.event, logger);
    if (!parsed.success) {
      logger.error('Dropped a malformed job-run event', {
        issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      });
      return { handled: false, reason: 'malformed-event' };
    }
    const { jobId, hop, correlationId } = parsed.data;
    if (correlationId) logger.setCorrelationId(correlationId);
    logger.appendKeys({ jobId, hop, ...(unwrapped.replay !== undefined && { replay: unwrapped.replay }) });

    let replay: { name: string; requeue: RequeueOutcome['outcome'] } | undefined;
    // Who does what to the job, in its history: this function and this invocation.
    const actor = `${context.functionName}/${context.awsRequestId}`;
    if (unwrapped.replay !== undefined) {
      const requeue = await requeueFailedDelivery({ store: options.store, clock, actor }, { jobId, hop });
      if (requeue.outcome === 'requeued') logger.warn('A replay put the job back in the queue');
      else logger.info('A replay found nothing to put back in the queue', { reason: requeue.reason });
      replay = { name: unwrapped.replay, requeue: requeue.outcome };
    }

    const dispatcher = new LambdaJobDispatcher({ client, functionName: context.functionName });
    const outcome = await runJob(
      {
        registry: options.registry,
        store: options.store,
        dispatcher,
        clock,
        ids,
        ...(options.events && { events: options.events }),
      },
      jobId,
      {
        hop,
        actor,
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
        // Lambda keeps an async event's request id across its retries: the failed-event handler matches it.
        invocationId: context.awsRequestId,
        // A retry of a crashed invocation may arrive while the dead runner's lease still runs: wait it out.
        leaseWaitMs: leaseTtlMs + 2_000,
        leaseTtlMs,
        ...definedOnly({
          maxHops: options.maxHops,
          handoffMarginMs: options.handoffMarginMs,
          progressIntervalMs: options.progressIntervalMs,
          cancelPollMs: options.cancelPollMs,
          abortGraceMs: options.abortGraceMs,
        }),
      },
    );
    logOutcome(logger, outcome);
    return { handled: true, jobId, hop, outcome: outcome.outcome, ...(replay && { replay }) };
  };
}

/**
 * Strict, except for the correlation id: an event whose only fault is a correlation id the schema refuses
 * (written before doors checked it) still runs its job, without the id — dropping it would strand the job.
 */
function parseJobRunEvent(event: unknown, logger: Logger) {
  const parsed = JobRunEventSchema.safeParse(event);
  if (parsed.success || typeof event !== 'object' || event === null) return parsed;
  const onlyCorrelationId = parsed.error.issues.every((issue) => issue.path[0] === 'correlationId');
  if (!onlyCorrelationId) return parsed;
  logger.warn('Ignored an invalid correlation id on a job-run event');
  const { correlationId: _ignored, ...rest } = event as Record<string, unknown>;
  return JobRunEventSchema.safeParse(rest);
}

function logOutcome(logger: Logger, outcome: RunJobOutcome): void {
  switch (outcome.outcome) {
    case 'skipped':
      logger.info('Duplicate or stale delivery: nothing to do', { reason: outcome.reason });
      return;
    case 'lease-lost':
      logger.warn('Another runner took the job over; this run recorded nothing');
      return;
    case 'requeued':
      logger.info(`Job passed on to hop ${outcome.nextHop}`, {
        operation: outcome.job.operation,
        reason: outcome.reason,
        attempt: outcome.job.attempts,
        progress: outcome.job.progress?.fraction,
      });
      return;
    case 'failed':
      logger.error('Job failed', { operation: outcome.job.operation, error: outcome.job.error });
      return;
    default:
      logger.info(`Job ${outcome.outcome}`, {
        operation: outcome.job.operation,
        attempt: outcome.job.attempts,
      });
  }
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
