export {
  createFailedEventHandler,
  type FailedEventHandlerOptions,
  type FailedEventResult,
} from './failed-event-handler.js';
export {
  type JobReplayEvent,
  JobReplayEventSchema,
  type JobRunEvent,
  JobRunEventSchema,
  looksLikeJobRunEvent,
  toJobReplayEvent,
  toJobRunEvent,
  unwrapReplay,
} from './job-run-event.js';
export { createJobWorker, type JobWorkerOptions, type JobWorkerResult } from './job-worker.js';
export {
  LambdaJobDispatcher,
  type LambdaJobDispatcherOptions,
  ownFunctionName,
  sharedLambdaClient,
} from './lambda-job-dispatcher.js';
export { createReconciler, type ReconcilerOptions } from './reconciler.js';
export { InvalidSettings, readSettings, type ServiceSettings } from './settings.js';
export { withJobWorker } from './with-job-worker.js';
