export type { AsyncFailureReason } from './async-event-queue.js';
export { BundleError, bundleFunction, LAMBDA_BUNDLE_OPTIONS } from './bundler.js';
export { type AuthType, type CallerIdentity, DEFAULT_LOCAL_PRINCIPAL_ARN } from './caller-identity.js';
export type { Dashboard } from './dashboard/server.js';
export {
  DataDirInUse,
  type EmbeddedDynamoDb,
  type EmbeddedDynamoDbOptions,
  startEmbeddedDynamoDb,
} from './embedded-dynamodb.js';
export type { EnvironmentPoolStats } from './environment-pool.js';
export type { FunctionErrorPayload } from './errors.js';
export type { FailureCause } from './execution-environment.js';
export type { FailedEvent } from './failure-destination.js';
export type { FaultCounts, FaultOptions, FaultStats } from './fault-injection.js';
export type { AccessLogEntry, AccessLogOption, EmulatorHandle, EmulatorKind } from './front-door.js';
export {
  type AsyncInvokeConfig,
  InvalidFunctionDefinition,
  type LambdaFunctionDefinition,
} from './function-definition.js';
export type { FunctionLogChunk, FunctionLogOption } from './function-logs.js';
export { type FunctionUrlEmulatorOptions, startFunctionUrlEmulator } from './function-url-emulator.js';
export type { EmulatedRoute, EmulatedRoutes } from './gateway-routes.js';
export type { FunctionStats, InvocationRecord, InvocationType } from './hosted-function.js';
export { type HttpApiEmulatorOptions, startHttpApiEmulator } from './http-api-emulator.js';
export { type LambdaService, type LambdaServiceOptions, startLambdaService } from './lambda-service.js';
export {
  API_GATEWAY_PAYLOAD_LIMIT_BYTES,
  ASYNC_PAYLOAD_LIMIT_BYTES,
  FUNCTION_URL_PAYLOAD_LIMIT_BYTES,
  HTTP_API_INTEGRATION_TIMEOUT_MS,
  RECURSION_LIMIT,
  REST_API_INTEGRATION_TIMEOUT_MS,
  SYNC_PAYLOAD_LIMIT_BYTES,
} from './limits.js';
export { type LocalServices, type LocalServicesOptions, startLocalServices } from './local-services.js';
export {
  createReferencePage,
  type ReferencePageHandler,
  type ReferencePageOptions,
} from './reference-page.js';
export { type RestApiEmulatorOptions, startRestApiEmulator } from './rest-api-emulator.js';
export {
  isLoopbackHost,
  type LocalCredential,
  SIGNATURE_MAX_SKEW_MS,
  type SignatureOptions,
  signRequest,
} from './sigv4.js';
export {
  type Endpoints,
  LOCAL_CALLER,
  LOCAL_STAGE,
  PortInUse,
  type RunningService,
  resumeJobs,
  type StartServiceOptions,
  startService,
  unfinishedJobIds,
  writeEndpointsFile,
} from './start-service.js';
export { continueChain, parseTraceHeader } from './trace-header.js';
