import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/** Powertools' number for INFO: the access line is written when the logger's level lets INFO through. */
const INFO = 12;

/** What the Powertools Logger keeps of its configuration, read once per logger (not part of its typed API). */
interface PowertoolsLogData {
  readonly serviceName?: string;
  readonly sampleRateValue?: number;
}

/** Lambda's per-invocation store, where the Powertools Logger looks for the X-Ray trace id first. */
const lambdaRuntime = globalThis as {
  awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } };
};

const quote = JSON.stringify;

function xrayTraceId(): string | undefined {
  const header = lambdaRuntime.awslambda?.InvokeStore?.getXRayTraceId() ?? process.env._X_AMZN_TRACE_ID ?? '';
  if (header === '') return undefined;
  if (!header.includes('=')) return header;
  for (const field of header.split(';')) {
    const [key, value] = field.split('=');
    if (key === 'Root') return value;
  }
  return undefined;
}

/** One key of a JSON object, or nothing for a value the Powertools Logger leaves out (undefined, null, ''). */
const member = (key: string, value: unknown) =>
  value === undefined || value === null || value === '' ? '' : `,${quote(key)}:${quote(value)}`;

export interface AccessFields {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly location?: string | undefined;
}

/**
 * The one access line an HTTP door writes per request, `{"level":"INFO","message":"HTTP request",…}`, exactly as
 * the Powertools Logger prints it with its default formatter — the same keys in the same order, the Lambda
 * context, the sampling rate, the X-Ray trace, the logger's persistent keys and the correlation id — but written
 * here, because the Logger spends ~12 µs on a line whose JSON and write take ~2.5 µs, on every request
 * (docs/decisions/0012-a-fast-door-and-a-small-bundle.md; the tests hold the line to the Logger's own). The
 * logger's level decides whether it is written. Every other line still goes through the Logger.
 */
export function createAccessLine(logger: Logger) {
  const data = (logger as unknown as { powertoolsLogData?: PowertoolsLogData }).powertoolsLogData ?? {};
  const service = member('service', data.serviceName);
  const samplingRate = member('sampling_rate', data.sampleRateValue);
  // As the Logger has it: only an on-demand execution environment has a cold start, once.
  let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() === 'on-demand';
  let lastContext: Context | undefined;
  let contextPart = '';

  return function writeAccessLine(context: Context, correlationId: string | undefined, fields: AccessFields) {
    if (logger.level > INFO) return;
    if (context !== lastContext) {
      // Once per invocation: the Lambda context, as the Logger's `addContext` records it.
      contextPart =
        `,"cold_start":${coldStart}` +
        member('function_arn', context.invokedFunctionArn) +
        member('function_memory_size', context.memoryLimitInMB) +
        member('function_name', context.functionName) +
        member('function_request_id', context.awsRequestId);
      coldStart = false;
      lastContext = context;
    }
    let persistent = '';
    const attributes = logger.getPersistentLogAttributes();
    for (const key in attributes) persistent += member(key, attributes[key]);
    const tenant = (context as { tenantId?: string }).tenantId;
    process.stdout.write(
      `{"level":"INFO","message":"HTTP request","timestamp":"${new Date().toISOString()}"${service}${contextPart}` +
        `${samplingRate}${member('xray_trace_id', xrayTraceId())}${member('tenant_id', tenant)}${persistent}` +
        `${member('correlation_id', correlationId)},"method":${quote(fields.method)},"path":${quote(fields.path)}` +
        `,"status":${fields.status},"durationMs":${fields.durationMs}${member('location', fields.location)}}\n`,
    );
  };
}
