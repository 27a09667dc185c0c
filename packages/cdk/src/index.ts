export {
  ALARM_PERIOD,
  type BatonAlarmProps,
  batonAlarm,
  JOB_METRICS_NAMESPACE,
  jobMetric,
  jobsFailedAlarm,
} from './alarms.js';
export {
  BatonFunction,
  type BatonFunctionProps,
  DEFAULT_LOG_RETENTION,
  functionArnFromName,
} from './baton-function.js';
export {
  ACCOUNT_ROLE_CONTEXT,
  BatonService,
  type BatonServiceProps,
  type FunctionOverrides,
  failedEventsParameterPath,
  reconcilerMetricNamespace,
} from './baton-service.js';
export { BatonStack, type BatonStackProps } from './baton-stack.js';
export { type BundlingProject, bundlingProject, entryPath, LOCK_FILES, lambdaBundling } from './bundling.js';
export {
  FAILURE_DETAIL_TYPE,
  FAILURE_SOURCE,
  FailureDestination,
  type FailureDestinationProps,
  type FailureRules,
  failedEventsParameterNames,
  ReplayEnvelope,
} from './failure-destination.js';
export { FunctionUrlDoor, type FunctionUrlDoorProps } from './function-url-door.js';
export { HttpApiDoor, type HttpApiDoorProps } from './http-api-door.js';
export { accessLogFormat, HTTP_ROUTES } from './http-routes.js';
export { InvokeDoor, type InvokeDoorProps } from './invoke-door.js';
export { JobsTable, type JobsTableProps } from './jobs-table.js';
export { withNagChecks } from './nag.js';
export * from './permissions.js';
export { RECONCILER_ERRORS_METRIC, Reconciler, type ReconcilerProps } from './reconciler.js';
export { REST_API_STAGE, RestApiDoor, type RestApiDoorProps } from './rest-api-door.js';
