export type { AsyncFailureReason } from './async-event-queue.js';
export { BundleError, bundleFunction, LAMBDA_BUNDLE_OPTIONS } from './bundler.js';
export {
  type EmbeddedDynamoDb,
  type EmbeddedDynamoDbOptions,
  startEmbeddedDynamoDb,
} from './embedded-dynamodb.js';
export type { EnvironmentPoolStats } from './environment-pool.js';
export type { FunctionErrorPayload } from './errors.js';
export type { FailureCause } from './execution-environment.js';
export type { FailedEvent } from './failure-destination.js';
export {
  type AsyncInvokeConfig,
  InvalidFunctionDefinition,
  type LambdaFunctionDefinition,
} from './function-definition.js';
export type { FunctionLogChunk, FunctionLogOption } from './function-logs.js';
export type { FunctionStats, InvocationRecord, InvocationType } from './hosted-function.js';
export { type LambdaService, type LambdaServiceOptions, startLambdaService } from './lambda-service.js';
export {
  ASYNC_PAYLOAD_LIMIT_BYTES,
  RECURSION_LIMIT,
  SYNC_PAYLOAD_LIMIT_BYTES,
} from './limits.js';
export { type LocalServices, type LocalServicesOptions, startLocalServices } from './local-services.js';
export { continueChain, parseTraceHeader } from './trace-header.js';
