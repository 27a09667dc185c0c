export { canonicalJson, jsonSizeBytes } from './canonical-json.js';
export * from './errors.js';
export {
  announceFinished,
  JOB_FINISHED_DETAIL_TYPE,
  JOB_FINISHED_SOURCE,
  type JobFinishedDetail,
  jobFinishedDetail,
} from './events.js';
export { type Execution, executeOperation, toJobError } from './execute-operation.js';
export * from './history.js';
export { DEFAULT_RETENTION_MS, type IntakeRequest, newJob, takeIn } from './intake.js';
export * from './job.js';
export * from './limits.js';
export * from './operation.js';
export type * from './ports.js';
export * from './registry.js';
export { backoffDelayMs, RETRY_BACKOFF } from './runner/backoff.js';
export { randomIds, systemClock } from './system.js';
export { transition } from './transition.js';
export { type CancelJobDeps, cancelJob } from './use-cases/cancel-job.js';
export { type GetJobDeps, getJob } from './use-cases/get-job.js';
export {
  DEFAULT_PAGE_SIZE,
  type ListJobsDeps,
  type ListJobsRequest,
  listJobs,
  MAX_PAGE_SIZE,
} from './use-cases/list-jobs.js';
export {
  type ReconcileAction,
  type ReconcileJobsDeps,
  type ReconcileJobsOptions,
  type ReconcileReport,
  reconcileJobs,
} from './use-cases/reconcile-jobs.js';
export {
  DELIVERY_FAILURE_TYPES,
  type FailedDelivery,
  type FailedDeliveryOutcome,
  type RecordFailedDeliveryDeps,
  recordFailedDelivery,
} from './use-cases/record-failed-delivery.js';
export {
  type ReplayedDelivery,
  type RequeueFailedDeliveryDeps,
  type RequeueOutcome,
  requeueFailedDelivery,
} from './use-cases/requeue-failed-delivery.js';
export {
  type InlineOutcome,
  type RunInlineDeps,
  type RunInlineOptions,
  type RunInlineRequest,
  runInline,
} from './use-cases/run-inline.js';
export {
  leaseHolderFor,
  type RunJobDeps,
  type RunJobOptions,
  type RunJobOutcome,
  runJob,
} from './use-cases/run-job.js';
export {
  type OperationRequest,
  type ServeOutcome,
  type ServeRequestDeps,
  serveRequest,
} from './use-cases/serve-request.js';
export {
  type SubmitJobDeps,
  type SubmitJobRequest,
  type SubmitJobResult,
  submitJob,
} from './use-cases/submit-job.js';
