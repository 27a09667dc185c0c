import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import {
  type JobDispatcher,
  type JobStore,
  type Registry,
  randomIds,
  type ServeRequestDeps,
  systemClock,
} from '@baton/core';
import { DynamoDbJobStore } from '@baton/dynamodb';
import { EventBridgeJobEvents } from '@baton/eventbridge';
import {
  createFailedEventHandler,
  createJobWorker,
  createReconciler,
  LambdaJobDispatcher,
  ownFunctionName,
  readSettings,
  sharedLambdaClient,
} from '@baton/self-invoke';
import type { Context } from 'aws-lambda';
import { attachRequestObserver, createJobMetrics, type JobMetrics } from './job-metrics.js';
import { traceClients, tracingWanted } from './tracing.js';

/** Adapters to use instead of the ones the environment names: for tests, and for a service's own choices. */
export interface WiringAdapters {
  readonly store?: JobStore;
  readonly dispatcher?: JobDispatcher;
  /** The Lambda client the worker and the reconciler dispatch jobs with. */
  readonly lambdaClient?: LambdaClient;
}

/**
 * The job store of a function, its writes counted by the function's metrics. Where traces are recorded, its
 * DynamoDB client (and the Lambda client jobs are dispatched with) is traced.
 */
function observedStore(tableName: string, metrics: JobMetrics, logger: Logger) {
  if (!tracingWanted()) return metrics.observe(new DynamoDbJobStore({ tableName }));
  const client = new DynamoDBClient({});
  void traceClients([client, sharedLambdaClient()], (message) => logger.warn(message));
  return metrics.observe(new DynamoDbJobStore({ tableName, client }));
}

/**
 * A handler that flushes the function's metrics once at the end of every invocation, and leaves the Logger
 * holding no request's keys (a later line outside any request must not carry this one's correlation id).
 */
function flushingMetrics<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  metrics: JobMetrics,
  logger: Logger,
  count?: (result: R) => void,
) {
  return async (event: E, context: Context): Promise<R> => {
    try {
      const result = await handler(event, context);
      count?.(result);
      return result;
    } finally {
      metrics.flush();
      logger.resetKeys();
    }
  };
}

/** Finished jobs are announced on the bus BATON_EVENT_BUS names; without it, not at all. */
const jobEvents = (settings: { eventBus?: string }, logger: Logger) =>
  settings.eventBus === undefined
    ? {}
    : {
        events: new EventBridgeJobEvents({
          eventBusName: settings.eventBus,
          logger,
          ...(tracingWanted() && { client: tracedEventBridgeClient(logger) }),
        }),
      };

/** Where traces are recorded, the one EventBridge client of the environment, traced (see tracing.ts). */
let eventBridgeClient: EventBridgeClient | undefined;
function tracedEventBridgeClient(logger: Logger): EventBridgeClient {
  if (eventBridgeClient === undefined) {
    eventBridgeClient = new EventBridgeClient({});
    void traceClients([eventBridgeClient], (message) => logger.warn(message));
  }
  return eventBridgeClient;
}

/**
 * The adapters every door and worker of a service uses, built once per execution environment (call it at module
 * scope) from the environment the service definition gives each function (@baton/service's
 * functionEnvironment, set alike by the local runner and the CDK constructs). A bad setting stops the cold
 * start with a message naming it.
 */
export function wireService(registry: Registry, adapters: WiringAdapters = {}) {
  const settings = readSettings();
  const logger = new Logger();
  const metrics = createJobMetrics(logger);
  const store = adapters.store
    ? metrics.observe(adapters.store)
    : observedStore(settings.jobsTable, metrics, logger);
  // The doors get the Logger only: they find the end-of-request hook on it (see job-metrics.ts).
  attachRequestObserver(logger, metrics);
  // Jobs go to the configured worker, or to this very function (read at dispatch time, from Lambda's env).
  const dispatcher =
    adapters.dispatcher ??
    new LambdaJobDispatcher({
      functionName: settings.jobsFunction ?? ownFunctionName,
      ...(adapters.lambdaClient && { client: adapters.lambdaClient }),
    });
  const deps: ServeRequestDeps = {
    registry,
    store,
    dispatcher,
    clock: systemClock,
    ids: randomIds,
    retentionMs: settings.retentionMs,
    ...jobEvents(settings, logger),
    // The jobs' history names the function that created (or cancelled) them.
    ...(process.env.AWS_LAMBDA_FUNCTION_NAME && { actor: process.env.AWS_LAMBDA_FUNCTION_NAME }),
  };
  const worker = createJobWorker({
    registry,
    store,
    logger,
    ...(adapters.lambdaClient && { client: adapters.lambdaClient }),
    maxHops: settings.maxHops,
    leaseTtlMs: settings.leaseTtlMs,
    ...(settings.handoffMarginMs !== undefined && { handoffMarginMs: settings.handoffMarginMs }),
    ...jobEvents(settings, logger),
  });
  return { deps, worker: flushingMetrics(worker, metrics, logger), logger, settings };
}

/** The reconciler as a handler: the store, and the function recovered jobs are sent to. */
export function wireReconciler(registry: Registry, adapters: Omit<WiringAdapters, 'dispatcher'> = {}) {
  const settings = readSettings();
  const logger = new Logger();
  const metrics = createJobMetrics(logger);
  const reconciler = createReconciler({
    registry,
    store: adapters.store
      ? metrics.observe(adapters.store)
      : observedStore(settings.jobsTable, metrics, logger),
    ...(adapters.lambdaClient && { client: adapters.lambdaClient }),
    jobsFunction: settings.jobsFunction ?? ownFunctionName,
    logger,
    ...jobEvents(settings, logger),
    maxHops: settings.maxHops,
    ...(settings.reconcileGraceMs !== undefined && { graceMs: settings.reconcileGraceMs }),
    ...(settings.reconcileBatchSize !== undefined && { limit: settings.reconcileBatchSize }),
  });
  return flushingMetrics(reconciler, metrics, logger, (report) => metrics.reconciled(report));
}

/** The failed-event handler as a handler: it needs the store only. */
export function wireFailedEventHandler(adapters: Pick<WiringAdapters, 'store'> = {}) {
  const settings = readSettings();
  const logger = new Logger();
  const metrics = createJobMetrics(logger);
  const handler = createFailedEventHandler({
    store: adapters.store
      ? metrics.observe(adapters.store)
      : observedStore(settings.jobsTable, metrics, logger),
    logger,
    ...jobEvents(settings, logger),
  });
  return flushingMetrics(handler, metrics, logger);
}
