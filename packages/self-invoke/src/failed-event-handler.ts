import { Logger } from '@aws-lambda-powertools/logger';
import {
  type FailedDeliveryOutcome,
  type IdGenerator,
  type JobEvents,
  type JobStore,
  randomIds,
  recordFailedDelivery,
  type Scheduler,
  systemClock,
} from '@baton/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { JobRunEventSchema, unwrapReplay } from './job-run-event.js';

/**
 * Lambda's on-failure invocation record (lambda/latest/dg/invocation-async-retain-records), as a Lambda
 * destination delivers it, or as the `detail` of the EventBridge event an EventBridge destination puts on its
 * bus. Only the fields this handler reads are checked.
 */
const InvocationRecord = z.object({
  requestContext: z.object({
    requestId: z.string().min(1).optional(),
    functionArn: z.string().optional(),
    condition: z.string().min(1),
    approximateInvokeCount: z.number().int().nonnegative().optional(),
  }),
  requestPayload: z.unknown(),
  responsePayload: z.unknown().optional(),
});

const EventBridgeEnvelope = z.object({ 'detail-type': z.string(), source: z.string(), detail: z.unknown() });

export interface FailedEventHandlerOptions {
  readonly store: JobStore;
  readonly logger?: Logger;
  readonly clock?: Scheduler;
  readonly ids?: IdGenerator;
  /** Where the end of a job this handler fails is announced (`Baton Job Finished`); none, no events. */
  readonly events?: JobEvents;
}

export type FailedEventResult =
  | { readonly handled: false; readonly reason: 'not-an-invocation-record' | 'not-a-job-run-event' }
  | { readonly handled: true; readonly jobId: string; readonly outcome: FailedDeliveryOutcome };

/**
 * Seed 003's error-handling function: receives the record of an async invocation Lambda gave up on and, if it
 * was a job-run event, marks its job failed at once with the reason (`recordFailedDelivery`). Anything else is
 * logged and left alone. A store error is thrown, so that the delivery of the record is retried.
 */
export function createFailedEventHandler(options: FailedEventHandlerOptions) {
  const logger = options.logger ?? new Logger({ serviceName: 'baton' });
  const deps = {
    store: options.store,
    clock: options.clock ?? systemClock,
    ids: options.ids ?? randomIds,
    ...(options.events && { events: options.events }),
  };

  return async function handleFailedEvent(event: unknown, context: Context): Promise<FailedEventResult> {
    logger.resetKeys();
    logger.addContext(context);
    const envelope = EventBridgeEnvelope.safeParse(event);
    const record = InvocationRecord.safeParse(envelope.success ? envelope.data.detail : event);
    if (!record.success) {
      logger.error('Refused an event that is not a Lambda invocation record', {
        issues: record.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      });
      return { handled: false, reason: 'not-an-invocation-record' };
    }
    const { requestContext, requestPayload, responsePayload } = record.data;
    // A replayed event that failed again is a failure of the same hop: its job is failed (and replayable) again.
    const jobRun = JobRunEventSchema.safeParse(unwrapReplay(requestPayload).event);
    if (!jobRun.success) {
      logger.info('A failed event that is not a job-run event: nothing to record', {
        condition: requestContext.condition,
        functionArn: requestContext.functionArn,
      });
      return { handled: false, reason: 'not-a-job-run-event' };
    }
    const { jobId, hop, correlationId } = jobRun.data;
    if (correlationId) logger.setCorrelationId(correlationId);
    logger.appendKeys({ jobId, hop });
    const lastError = errorMessageOf(responsePayload);
    const actor = `${context.functionName}/${context.awsRequestId}`;
    const outcome = await recordFailedDelivery(
      { ...deps, actor },
      {
        jobId,
        hop,
        condition: requestContext.condition,
        ...(requestContext.requestId !== undefined && { invocationId: requestContext.requestId }),
        ...(requestContext.approximateInvokeCount !== undefined && {
          attempts: requestContext.approximateInvokeCount,
        }),
        ...(lastError !== undefined && { lastError }),
      },
    );
    if (outcome.outcome === 'failed')
      logger.warn('Marked the job of a failed job-run event failed', {
        condition: requestContext.condition,
        error: outcome.job.error,
      });
    else logger.info('A failed job-run event needed no change to its job', { reason: outcome.reason });
    return { handled: true, jobId, outcome };
  };
}

/** Lambda's function error payload (`{ errorType, errorMessage }`), or a plain string. */
function errorMessageOf(payload: unknown): string | undefined {
  if (typeof payload === 'string') return payload.slice(0, 500);
  if (typeof payload === 'object' && payload !== null) {
    const { errorType, errorMessage } = payload as { errorType?: unknown; errorMessage?: unknown };
    const parts = [errorType, errorMessage].filter((part): part is string => typeof part === 'string');
    if (parts.length > 0) return parts.join(': ').slice(0, 500);
  }
  return undefined;
}
