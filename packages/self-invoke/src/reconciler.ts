import { Logger } from '@aws-lambda-powertools/logger';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import {
  type IdGenerator,
  type JobEvents,
  type JobStore,
  type ReconcileJobsOptions,
  type ReconcileReport,
  type Registry,
  randomIds,
  reconcileJobs,
  type Scheduler,
  systemClock,
} from '@baton/core';
import type { Context } from 'aws-lambda';
import { LambdaJobDispatcher, sharedLambdaClient } from './lambda-job-dispatcher.js';

export interface ReconcilerOptions extends ReconcileJobsOptions {
  readonly registry: Registry;
  readonly store: JobStore;
  /** The function that runs recovered jobs (the worker, or a self-invoking door's function). */
  readonly jobsFunction: string | (() => string);
  readonly logger?: Logger;
  readonly client?: LambdaClient;
  readonly clock?: Scheduler;
  readonly ids?: IdGenerator;
  /** Where the end of a job the reconciler fails or cancels is announced; none, no events. */
  readonly events?: JobEvents;
}

/**
 * The reconciler as a Lambda handler, for a schedule (EventBridge, every minute) or the local stack's timer:
 * one bounded pass of `reconcileJobs`, logged with its counts. The event is not read — a schedule's event
 * carries nothing the pass needs — so a manual `aws lambda invoke` runs a pass too.
 */
export function createReconciler(options: ReconcilerOptions) {
  const logger = options.logger ?? new Logger({ serviceName: 'baton' });
  const { registry, store } = options;
  const dispatcher = new LambdaJobDispatcher({
    functionName: options.jobsFunction,
    client: options.client ?? sharedLambdaClient(),
  });
  const deps = {
    registry,
    store,
    dispatcher,
    clock: options.clock ?? systemClock,
    ids: options.ids ?? randomIds,
    ...(options.events && { events: options.events }),
  };

  return async function reconcile(_event: unknown, context: Context): Promise<ReconcileReport> {
    logger.resetKeys();
    logger.addContext(context);
    const report = await reconcileJobs(
      { ...deps, actor: `${context.functionName}/${context.awsRequestId}` },
      options,
    );
    const acted = report.redispatched + report.requeued + report.failed + report.cancelled;
    if (report.errors > 0) logger.warn('Reconciled jobs, with errors', { ...report });
    else if (acted > 0) logger.info('Reconciled jobs', { ...report });
    else logger.debug('Reconciled jobs: nothing to do', { ...report });
    return report;
  };
}
