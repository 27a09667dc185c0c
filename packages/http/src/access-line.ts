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

/** Printable ASCII without `"` and `\\`: a string JSON writes as it is, between quotes. */
const PLAIN = /^[ !#-[\]-~]*$/;

/**
 * `JSON.stringify(value)`, without calling it for the strings an access line mostly holds (ARNs, ids, paths),
 * which it would only put between quotes: it costs ~0.2–0.4 µs a call, and a line has a dozen values.
 */
const quote = (value: unknown): string =>
  typeof value === 'string' && PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);

/**
 * `new Date().toISOString()`, the date and time formatted once a second: formatting a date costs ~1 µs, and
 * requests come many a second.
 */
let isoSecond = Number.NaN;
let isoPrefix = '';
function isoTimestamp(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    // `…T12:34:56.` of `…T12:34:56.000Z`
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
  }
  const ms = now - second * 1000;
  return `${isoPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

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

/** `member` for a key known in advance, given as its JSON prefix (`,"key":`). */
const known = (prefix: string, value: unknown) =>
  value === undefined || value === null || value === '' ? '' : `${prefix}${quote(value)}`;

export interface AccessFields {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly location?: string | undefined;
}

/**
 * A writer of one kind of INFO line about a request, `{"level":"INFO","message":…,…}`, exactly as the Powertools
 * Logger prints it with its default formatter — the same keys in the same order: the Lambda context, the sampling
 * rate, the X-Ray trace, the logger's persistent keys, the correlation id, then the line's own keys (`tail`,
 * already JSON: `,"key":value…`). The caller checks the logger's level first (`infoEnabled`).
 */
function requestLineWriter(logger: Logger, message: string) {
  const data = (logger as unknown as { powertoolsLogData?: PowertoolsLogData }).powertoolsLogData ?? {};
  const head = `{"level":"INFO","message":${quote(message)},"timestamp":"`;
  const service = member('service', data.serviceName);
  const samplingRate = member('sampling_rate', data.sampleRateValue);
  // As the Logger has it: only an on-demand execution environment has a cold start, once.
  let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() === 'on-demand';
  let lastContext: Context | undefined;
  let contextPart = '';

  return function writeRequestLine(context: Context, correlationId: string | undefined, tail: string) {
    if (context !== lastContext) {
      // Once per invocation: the Lambda context, as the Logger's `addContext` records it.
      contextPart =
        `,"cold_start":${coldStart}` +
        known(',"function_arn":', context.invokedFunctionArn) +
        known(',"function_memory_size":', context.memoryLimitInMB) +
        known(',"function_name":', context.functionName) +
        known(',"function_request_id":', context.awsRequestId);
      coldStart = false;
      lastContext = context;
    }
    let persistent = '';
    const attributes = logger.getPersistentLogAttributes();
    for (const key in attributes) persistent += member(key, attributes[key]);
    const tenant = (context as { tenantId?: string }).tenantId;
    process.stdout.write(
      `${head}${isoTimestamp()}"${service}${contextPart}${samplingRate}` +
        `${known(',"xray_trace_id":', xrayTraceId())}${known(',"tenant_id":', tenant)}${persistent}` +
        `${known(',"correlation_id":', correlationId)}${tail}}\n`,
    );
  };
}

/** Whether the logger's level lets INFO through. */
const infoEnabled = (logger: Logger) => logger.level <= INFO;

/**
 * The one access line an HTTP door writes per request, `{"level":"INFO","message":"HTTP request",…}`, exactly as
 * the Powertools Logger prints it with its default formatter (see `requestLineWriter`) — but written here,
 * because the Logger spends ~12 µs on a line whose JSON and write take ~2.5 µs, on every request
 * (docs/decisions/0012-a-fast-door-and-a-small-bundle.md; the tests hold the line to the Logger's own). The
 * logger's level decides whether it is written. Every other line still goes through the Logger.
 */
export function createAccessLine(logger: Logger) {
  const write = requestLineWriter(logger, 'HTTP request');
  return function writeAccessLine(context: Context, correlationId: string | undefined, fields: AccessFields) {
    if (!infoEnabled(logger)) return;
    write(
      context,
      correlationId,
      `,"method":${quote(fields.method)},"path":${quote(fields.path)},"status":${fields.status}` +
        `,"durationMs":${fields.durationMs}${known(',"location":', fields.location)}`,
    );
  };
}

/**
 * The line the direct-invoke door writes per answered request, `{"level":"INFO","message":"Invoke request",…,
 * "correlation_id":…,"status":…}`, as the Powertools Logger prints `logger.info('Invoke request', { status })`
 * after `resetKeys()`, `addContext(context)` and `setCorrelationId(correlationId)` — written here for the reason
 * `createAccessLine` is (the tests hold it to the Logger's own line).
 */
export function createInvokeLine(logger: Logger) {
  const write = requestLineWriter(logger, 'Invoke request');
  return function writeInvokeLine(context: Context, status: unknown, correlationId?: string) {
    if (!infoEnabled(logger)) return;
    write(context, correlationId, member('status', status));
  };
}
