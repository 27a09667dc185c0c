import type { ResolvedFunction } from './function-definition.js';

/**
 * The environment variables Lambda sets for a function, so code that reads them (the AWS SDK, Powertools,
 * handlers) behaves as it does in the cloud. Nothing is inherited from this process: in particular no real AWS
 * credentials reach a function — it gets dummies (or, when the service checks signatures, credentials of its own
 * that the service accepts), and `AWS_ENDPOINT_URL_LAMBDA` points the SDK at this service,
 * so a handler that invokes a function (itself included) reaches the local one.
 */
export function lambdaEnvironmentVariables(
  fn: ResolvedFunction,
  service: {
    region: string;
    url: string;
    /** Variables every function gets (e.g. AWS_ENDPOINT_URL_DYNAMODB of an embedded DynamoDB). */
    shared: Record<string, string>;
    /** The function's own credentials when the service checks signatures; otherwise dummies. */
    credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  },
  logStreamName: string,
  bundleDir: string,
): Record<string, string> {
  const nodeMajor = process.versions.node.split('.')[0];
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    AWS_REGION: service.region,
    AWS_DEFAULT_REGION: service.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${nodeMajor}.x`,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(fn.timeoutSeconds),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
    LAMBDA_TASK_ROOT: bundleDir,
    AWS_ACCESS_KEY_ID: service.credentials?.accessKeyId ?? 'AKIALOCALLAMBDA00000',
    AWS_SECRET_ACCESS_KEY: service.credentials?.secretAccessKey ?? 'local-lambda-dummy-secret-access-key',
    AWS_SESSION_TOKEN: 'local-lambda-dummy-session-token',
    AWS_ENDPOINT_URL_LAMBDA: service.url,
    ...service.shared,
    ...fn.environment,
  };
}
