import { isAbsolute, resolve } from 'node:path';
import {
  ASYNC_EVENT_AGE_SECONDS,
  ASYNC_RETRY_ATTEMPTS,
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_SECONDS,
  MAX_TIMEOUT_SECONDS,
  MEMORY_MB,
} from './limits.js';

/** What Lambda's EventInvokeConfig holds for a function: how hard to try an async event before giving up. */
export interface AsyncInvokeConfig {
  /** Retries after a function error (0–2, default 2). */
  maximumRetryAttempts?: number;
  /** How long an event may wait and retry before it goes to the failure destination (60–21600, default 21600). */
  maximumEventAgeSeconds?: number;
}

/**
 * One function, described as a deployment would describe it. Plain data (no callbacks) so a service definition
 * file can list functions for both this local service and the cloud stack.
 */
export interface LambdaFunctionDefinition {
  /** The function name (letters, digits, `-`, `_`; up to 64 characters). */
  name: string;
  /** The handler module (.ts or .js); a relative path is resolved against the service's `baseDir`. */
  entry: string;
  /** The handler's export name (default `handler`). */
  handler?: string;
  /**
   * Default 3, at most 900. Locally a fraction (e.g. 0.25) is accepted so a timeout test needs no real seconds;
   * Lambda itself takes whole seconds.
   */
  timeoutSeconds?: number;
  /** 128–10240 (default 128); it becomes the execution environment's V8 old-generation heap limit. */
  memoryMb?: number;
  /** The most environments the function may run at once; without it the service's `defaultConcurrency`. */
  reservedConcurrency?: number;
  /** Added to (and overriding) the environment variables Lambda sets. */
  environment?: Record<string, string>;
  async?: AsyncInvokeConfig;
  /** What recursive loop detection does when this function is reached a 17th time in one chain. */
  recursiveLoop?: 'Terminate' | 'Allow';
}

/** A definition with every default applied and its entry made absolute. */
export interface ResolvedFunction {
  name: string;
  arn: string;
  entryPath: string;
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  concurrencyLimit: number;
  environment: Record<string, string>;
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  recursiveLoop: 'Terminate' | 'Allow';
}

export class InvalidFunctionDefinition extends Error {
  override readonly name = 'InvalidFunctionDefinition';
  constructor(
    readonly functionName: string,
    readonly problems: string[],
  ) {
    super(`Function "${functionName}": ${problems.join('; ')}`);
  }
}

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function functionArn(region: string, accountId: string, name: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
}

export function resolveFunctionDefinition(
  definition: LambdaFunctionDefinition,
  service: { region: string; accountId: string; baseDir: string; defaultConcurrency: number },
): ResolvedFunction {
  const problems: string[] = [];
  const name = definition.name;
  if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
    problems.push('name must be 1-64 letters, digits, "-" or "_"');
  }
  if (typeof definition.entry !== 'string' || definition.entry.length === 0) {
    problems.push('entry must be the path of a handler module');
  }
  const handler = definition.handler ?? 'handler';
  if (!/^[A-Za-z_$][\w$]*$/.test(handler)) problems.push(`handler "${handler}" is not an export name`);

  const timeoutSeconds = definition.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!(timeoutSeconds > 0 && timeoutSeconds <= MAX_TIMEOUT_SECONDS)) {
    problems.push(`timeoutSeconds must be in (0, ${MAX_TIMEOUT_SECONDS}]`);
  }
  const memoryMb = definition.memoryMb ?? DEFAULT_MEMORY_MB;
  if (!Number.isInteger(memoryMb) || memoryMb < MEMORY_MB.min || memoryMb > MEMORY_MB.max) {
    problems.push(`memoryMb must be an integer in [${MEMORY_MB.min}, ${MEMORY_MB.max}]`);
  }
  const concurrencyLimit = definition.reservedConcurrency ?? service.defaultConcurrency;
  if (!Number.isInteger(concurrencyLimit) || concurrencyLimit < 0) {
    problems.push('reservedConcurrency must be a non-negative integer');
  }
  const maximumRetryAttempts = definition.async?.maximumRetryAttempts ?? ASYNC_RETRY_ATTEMPTS.default;
  if (
    !Number.isInteger(maximumRetryAttempts) ||
    maximumRetryAttempts < ASYNC_RETRY_ATTEMPTS.min ||
    maximumRetryAttempts > ASYNC_RETRY_ATTEMPTS.max
  ) {
    problems.push(`async.maximumRetryAttempts must be an integer in [0, ${ASYNC_RETRY_ATTEMPTS.max}]`);
  }
  const maximumEventAgeSeconds = definition.async?.maximumEventAgeSeconds ?? ASYNC_EVENT_AGE_SECONDS.default;
  if (
    !Number.isInteger(maximumEventAgeSeconds) ||
    maximumEventAgeSeconds < ASYNC_EVENT_AGE_SECONDS.min ||
    maximumEventAgeSeconds > ASYNC_EVENT_AGE_SECONDS.max
  ) {
    problems.push(
      `async.maximumEventAgeSeconds must be an integer in [${ASYNC_EVENT_AGE_SECONDS.min}, ${ASYNC_EVENT_AGE_SECONDS.max}]`,
    );
  }
  const recursiveLoop = definition.recursiveLoop ?? 'Terminate';
  if (recursiveLoop !== 'Terminate' && recursiveLoop !== 'Allow') {
    problems.push('recursiveLoop must be "Terminate" or "Allow"');
  }
  const environment = definition.environment ?? {};
  for (const [key, value] of Object.entries(environment)) {
    if (typeof value !== 'string') problems.push(`environment.${key} must be a string`);
  }
  if (problems.length > 0) throw new InvalidFunctionDefinition(String(name), problems);

  return {
    name,
    arn: functionArn(service.region, service.accountId, name),
    entryPath: isAbsolute(definition.entry) ? definition.entry : resolve(service.baseDir, definition.entry),
    handler,
    timeoutSeconds,
    memoryMb,
    concurrencyLimit,
    environment: { ...environment },
    maximumRetryAttempts,
    maximumEventAgeSeconds,
    recursiveLoop,
  };
}

/**
 * The `{FunctionName}` of an Invoke path: a name, `name:qualifier`, a partial ARN `account:function:name`, or a
 * full ARN `arn:aws:lambda:region:account:function:name[:qualifier]`.
 */
export function parseFunctionName(raw: string): { name: string; qualifier?: string } {
  const parts = raw.split(':');
  if (parts[0] === 'arn') {
    // arn:aws:lambda:region:account:function:name[:qualifier]
    return withQualifier(parts[6] ?? '', parts[7]);
  }
  if (parts[1] === 'function') {
    // account:function:name[:qualifier]
    return withQualifier(parts[2] ?? '', parts[3]);
  }
  return withQualifier(parts[0] ?? '', parts[1]);
}

function withQualifier(name: string, qualifier: string | undefined): { name: string; qualifier?: string } {
  return qualifier === undefined || qualifier === '' ? { name } : { name, qualifier };
}
