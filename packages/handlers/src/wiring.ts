import { Logger } from '@aws-lambda-powertools/logger';
import { type Registry, randomIds, type ServeRequestDeps, systemClock } from '@baton/core';
import { DynamoDbJobStore } from '@baton/dynamodb';
import {
  createFailedEventHandler,
  createJobWorker,
  createReconciler,
  LambdaJobDispatcher,
  ownFunctionName,
  readSettings,
} from '@baton/self-invoke';

/**
 * The adapters every door and worker of a service uses, built once per execution environment (call it at module
 * scope) from the environment the service definition gives each function (@baton/service's
 * functionEnvironment, set alike by the local runner and the CDK constructs). A bad setting stops the cold
 * start with a message naming it.
 */
export function wireService(registry: Registry) {
  const settings = readSettings();
  const logger = new Logger();
  const store = new DynamoDbJobStore({ tableName: settings.jobsTable });
  // Jobs go to the configured worker, or to this very function (read at dispatch time, from Lambda's env).
  const dispatcher = new LambdaJobDispatcher({ functionName: settings.jobsFunction ?? ownFunctionName });
  const deps: ServeRequestDeps = {
    registry,
    store,
    dispatcher,
    clock: systemClock,
    ids: randomIds,
    retentionMs: settings.retentionMs,
  };
  const worker = createJobWorker({
    registry,
    store,
    logger,
    maxHops: settings.maxHops,
    leaseTtlMs: settings.leaseTtlMs,
    ...(settings.handoffMarginMs !== undefined && { handoffMarginMs: settings.handoffMarginMs }),
  });
  return { deps, worker, logger, settings };
}

/** The reconciler as a handler: the store, and the function recovered jobs are sent to. */
export function wireReconciler(registry: Registry) {
  const settings = readSettings();
  return createReconciler({
    registry,
    store: new DynamoDbJobStore({ tableName: settings.jobsTable }),
    jobsFunction: settings.jobsFunction ?? ownFunctionName,
    logger: new Logger(),
    maxHops: settings.maxHops,
    ...(settings.reconcileGraceMs !== undefined && { graceMs: settings.reconcileGraceMs }),
    ...(settings.reconcileBatchSize !== undefined && { limit: settings.reconcileBatchSize }),
  });
}

/** The failed-event handler as a handler: it needs the store only. */
export function wireFailedEventHandler() {
  const settings = readSettings();
  return createFailedEventHandler({
    store: new DynamoDbJobStore({ tableName: settings.jobsTable }),
    logger: new Logger(),
  });
}
