import { DEFAULT_MAX_HOPS, LAMBDA_MAX_TIMEOUT_SECONDS, LAMBDA_RECURSION_LIMIT } from '@baton/core/limits';

/**
 * A Baton service, described once as plain data: which functions it has, which front doors each serves, where
 * each sends its long jobs, and the functions that look after jobs. The local runner (`baton dev`) and the CDK
 * constructs both read it, so what runs on a laptop and what is deployed cannot drift. No AWS or local imports.
 */

/** A front door a function serves. `invoke` is a direct Lambda Invoke (RPC): it needs no resource of its own. */
export type Door = 'rest-api' | 'http-api' | 'function-url' | 'invoke';
export const DOORS: readonly Door[] = ['rest-api', 'http-api', 'function-url', 'invoke'];

/** Lambda's EventInvokeConfig for the job-run events a function receives. */
export interface AsyncSettings {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
}

/** One function of the service, as written in `defineService`: everything but the entry has a default. */
export interface FunctionSpec<K extends string> {
  /** The handler module, relative to the project's folder; its export is `handler`. */
  readonly entry: string;
  readonly description?: string;
  /** The doors it serves. Default: none (a worker that only runs jobs other functions send it). */
  readonly doors?: readonly Door[];
  /**
   * Where this function's async jobs go: `self` (it invokes itself — the self-invoking Lambda) or the key of a
   * worker function (the separate-worker layout). Continuation hops are always self-invocations of whichever
   * function runs the job. Default: `self`.
   */
  readonly jobsGoTo?: 'self' | NoInfer<K>;
  /** Default: 900 (Lambda's most) for a function that runs jobs, else 30 (just past API Gateway's 29 s). */
  readonly timeoutSeconds?: number;
  /** Default 1024. */
  readonly memoryMb?: number;
  /** Concurrency reserved for (and capping) this function. Default: none reserved. */
  readonly reservedConcurrency?: number;
  /** Default: 2 retries, events kept an hour. */
  readonly async?: Partial<AsyncSettings>;
}

/** A function with every default filled in. */
export interface FunctionDefinition<K extends string = string> {
  readonly entry: string;
  readonly description: string;
  readonly doors: readonly Door[];
  readonly jobsGoTo: 'self' | K;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly reservedConcurrency: number | undefined;
  readonly async: AsyncSettings;
}

/** The functions that look after jobs rather than serving a door (docs/reliability.md). */
export type MaintenanceKey = 'reconciler' | 'failedEvents';
export const MAINTENANCE_KEYS: readonly MaintenanceKey[] = ['reconciler', 'failedEvents'];

export interface MaintenanceFunctionSpec {
  readonly entry: string;
  readonly description?: string;
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
}

export interface ReconcilerSpec extends MaintenanceFunctionSpec {
  /** How often it runs, in whole minutes (EventBridge's finest schedule). Default 1. */
  readonly everyMinutes?: number;
  /** A job nobody wrote for this long is looked at; at least a lease, so a healthy run is never picked. Default 60. */
  readonly graceSeconds?: number;
  /** Jobs looked at in one run, at most. Default 100. */
  readonly batchSize?: number;
}

export interface MaintenanceFunctionDefinition {
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface ServiceMaintenance {
  /** Finds jobs nobody is looking after and moves them on: run on a schedule. */
  readonly reconciler: MaintenanceFunctionDefinition & {
    readonly everyMinutes: number;
    readonly graceSeconds: number;
    readonly batchSize: number;
  };
  /** Listens for job-run events Lambda gave up on (the failure bus): marks their jobs failed with the reason. */
  readonly failedEvents: MaintenanceFunctionDefinition;
}

/** What `defineService` takes. */
export interface ServiceSpec<K extends string> {
  /** Lower-case letters, digits and hyphens; the prefix of every resource name (see names.ts). */
  readonly name: string;
  readonly functions: { readonly [Key in K]: FunctionSpec<K> };
  readonly maintenance: {
    readonly reconciler: ReconcilerSpec;
    readonly failedEvents: MaintenanceFunctionSpec;
  };
  /** A job may hop this many times. Default 12: below Lambda's recursive-loop detection (~16). */
  readonly maxHops?: number;
  /** Lambda's recursive-loop detection for the functions. Default `Terminate`; `Allow` makes maxHops the only bound. */
  readonly recursiveLoop?: 'Terminate' | 'Allow';
  /** How long finished jobs are kept (DynamoDB TTL). Default 7. */
  readonly jobRetentionDays?: number;
}

/** A service with every default filled in and every rule checked: what the runner and the constructs read. */
export interface ServiceDefinition<K extends string = string> {
  readonly name: string;
  readonly maxHops: number;
  readonly recursiveLoop: 'Terminate' | 'Allow';
  readonly jobRetentionDays: number;
  readonly functions: { readonly [Key in K]: FunctionDefinition<K> };
  readonly maintenance: ServiceMaintenance;
}

/** Every problem of a definition at once, each naming the field it is about. */
export class InvalidServiceDefinition extends Error {
  override readonly name = 'InvalidServiceDefinition';
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(`Service '${service}' is not valid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

const NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;
/** Lambda function names are at most 64 characters; the longest suffix Baton adds is `-failed-events`. */
const MAX_NAME_LENGTH = 64 - '-failed-events'.length - 8;
const DEFAULT_ASYNC: AsyncSettings = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 };

/**
 * Checks a service and fills in its defaults. Throws InvalidServiceDefinition listing every problem, so a
 * mistake stops `baton dev` and `cdk synth` alike, before anything runs or deploys.
 */
export function defineService<const K extends string>(spec: ServiceSpec<K>): ServiceDefinition<K> {
  const problems: string[] = [];
  const name = spec.name;
  if (typeof name !== 'string' || !NAME.test(name) || name.length > MAX_NAME_LENGTH) {
    problems.push(
      `name: '${name}' must be ${MAX_NAME_LENGTH} or fewer lower-case letters, digits and hyphens, starting with a letter.`,
    );
  }
  const keys = Object.keys(spec.functions ?? {}) as K[];
  if (keys.length === 0) problems.push('functions: a service needs at least one function.');
  const maxHops = spec.maxHops ?? DEFAULT_MAX_HOPS;
  const recursiveLoop = spec.recursiveLoop ?? 'Terminate';
  if (!Number.isInteger(maxHops) || maxHops < 0) problems.push('maxHops: must be a non-negative integer.');
  if (recursiveLoop !== 'Terminate' && recursiveLoop !== 'Allow') {
    problems.push(`recursiveLoop: must be 'Terminate' or 'Allow', not '${recursiveLoop}'.`);
  }
  // Lambda stops a self-invoking chain after ~16 invocations when the function is on Terminate: with more hops
  // than that, long jobs would be cut off by Lambda mid-chain instead of failing cleanly with MaxHopsExceeded.
  if (recursiveLoop === 'Terminate' && maxHops >= LAMBDA_RECURSION_LIMIT) {
    problems.push(
      `maxHops: ${maxHops} reaches Lambda's recursive-loop detection (~${LAMBDA_RECURSION_LIMIT} invocations) ` +
        `while recursiveLoop is 'Terminate'; lower it below ${LAMBDA_RECURSION_LIMIT}, or set recursiveLoop: ` +
        "'Allow' so that maxHops is the only bound.",
    );
  }
  const jobRetentionDays = spec.jobRetentionDays ?? 7;
  if (!Number.isInteger(jobRetentionDays) || jobRetentionDays < 1) {
    problems.push('jobRetentionDays: must be a whole number of days, at least 1.');
  }

  const receivesJobs = (key: K) =>
    keys.some((other) => other !== key && (spec.functions[other].jobsGoTo ?? 'self') === key);
  const servedBy = new Map<Door, K>();
  const functions = {} as Record<K, FunctionDefinition<K>>;
  for (const key of keys) {
    const fn = spec.functions[key];
    const at = `functions.${key}`;
    if (!/^[a-zA-Z][a-zA-Z0-9-]*$/.test(key)) {
      problems.push(`${at}: a function key is letters, digits and hyphens, starting with a letter.`);
    }
    const doors = fn.doors ?? [];
    for (const door of doors) {
      if (!DOORS.includes(door)) problems.push(`${at}.doors: '${door}' is not one of ${DOORS.join(', ')}.`);
      const other = servedBy.get(door);
      if (other !== undefined) problems.push(`${at}.doors: '${door}' is already served by '${other}'.`);
      servedBy.set(door, key);
    }
    const jobsGoTo = fn.jobsGoTo ?? 'self';
    if (jobsGoTo !== 'self') {
      if (!keys.includes(jobsGoTo)) problems.push(`${at}.jobsGoTo: no function '${jobsGoTo}'.`);
      else if (jobsGoTo === key) problems.push(`${at}.jobsGoTo: say 'self' for the function itself.`);
      else if ((spec.functions[jobsGoTo].jobsGoTo ?? 'self') !== 'self') {
        problems.push(`${at}.jobsGoTo: '${jobsGoTo}' sends its jobs on itself; a worker runs them.`);
      }
    }
    const runsJobs = jobsGoTo === 'self' || receivesJobs(key);
    const timeoutSeconds = fn.timeoutSeconds ?? (runsJobs ? LAMBDA_MAX_TIMEOUT_SECONDS : 30);
    checkFunctionSizes(at, timeoutSeconds, fn.memoryMb ?? 1024, problems);
    if (typeof fn.entry !== 'string' || fn.entry.trim() === '') problems.push(`${at}.entry: required.`);
    if (
      fn.reservedConcurrency !== undefined &&
      (!Number.isInteger(fn.reservedConcurrency) || fn.reservedConcurrency < 1)
    ) {
      problems.push(`${at}.reservedConcurrency: a whole number, at least 1.`);
    }
    const async = { ...DEFAULT_ASYNC, ...fn.async };
    if (![0, 1, 2].includes(async.maximumRetryAttempts)) {
      problems.push(`${at}.async.maximumRetryAttempts: 0, 1 or 2 (Lambda's range).`);
    }
    if (
      !Number.isInteger(async.maximumEventAgeSeconds) ||
      async.maximumEventAgeSeconds < 60 ||
      async.maximumEventAgeSeconds > 21_600
    ) {
      problems.push(`${at}.async.maximumEventAgeSeconds: 60 to 21600 (Lambda's range).`);
    }
    functions[key] = {
      entry: fn.entry,
      description:
        fn.description ??
        (doors.length > 0 ? `${name}: serves ${doors.join(', ')}.` : `${name}: runs the jobs sent to it.`),
      doors,
      jobsGoTo,
      timeoutSeconds,
      memoryMb: fn.memoryMb ?? 1024,
      reservedConcurrency: fn.reservedConcurrency,
      async,
    };
  }
  if (keys.length > 0 && servedBy.size === 0) problems.push('functions: no function serves a door.');

  const reconcilerSpec = spec.maintenance?.reconciler;
  const failedEventsSpec = spec.maintenance?.failedEvents;
  if (!reconcilerSpec?.entry) problems.push('maintenance.reconciler.entry: required.');
  if (!failedEventsSpec?.entry) problems.push('maintenance.failedEvents.entry: required.');
  const reconciler = {
    entry: reconcilerSpec?.entry ?? '',
    description:
      reconcilerSpec?.description ??
      'On a schedule: re-dispatches lost jobs, recovers jobs of dead runners, fails spent ones.',
    timeoutSeconds: reconcilerSpec?.timeoutSeconds ?? 60,
    memoryMb: reconcilerSpec?.memoryMb ?? 256,
    everyMinutes: reconcilerSpec?.everyMinutes ?? 1,
    graceSeconds: reconcilerSpec?.graceSeconds ?? 60,
    batchSize: reconcilerSpec?.batchSize ?? 100,
  };
  if (!Number.isInteger(reconciler.everyMinutes) || reconciler.everyMinutes < 1) {
    problems.push('maintenance.reconciler.everyMinutes: whole minutes, at least 1 (EventBridge schedules).');
  }
  if (!Number.isInteger(reconciler.graceSeconds) || reconciler.graceSeconds < 1) {
    problems.push('maintenance.reconciler.graceSeconds: a whole number of seconds, at least 1.');
  }
  if (!Number.isInteger(reconciler.batchSize) || reconciler.batchSize < 1 || reconciler.batchSize > 1000) {
    problems.push('maintenance.reconciler.batchSize: 1 to 1000.');
  }
  checkFunctionSizes('maintenance.reconciler', reconciler.timeoutSeconds, reconciler.memoryMb, problems);
  const failedEvents = {
    entry: failedEventsSpec?.entry ?? '',
    description:
      failedEventsSpec?.description ??
      'Marks the job of a job-run event Lambda gave up on failed, with the reason.',
    timeoutSeconds: failedEventsSpec?.timeoutSeconds ?? 30,
    memoryMb: failedEventsSpec?.memoryMb ?? 256,
  };
  checkFunctionSizes(
    'maintenance.failedEvents',
    failedEvents.timeoutSeconds,
    failedEvents.memoryMb,
    problems,
  );

  if (problems.length > 0) throw new InvalidServiceDefinition(String(name), problems);
  return Object.freeze({
    name,
    maxHops,
    recursiveLoop,
    jobRetentionDays,
    functions,
    maintenance: { reconciler, failedEvents },
  });
}

function checkFunctionSizes(at: string, timeoutSeconds: number, memoryMb: number, problems: string[]) {
  if (
    !Number.isInteger(timeoutSeconds) ||
    timeoutSeconds < 1 ||
    timeoutSeconds > LAMBDA_MAX_TIMEOUT_SECONDS
  ) {
    problems.push(`${at}.timeoutSeconds: 1 to ${LAMBDA_MAX_TIMEOUT_SECONDS} (Lambda's range).`);
  }
  if (!Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 10_240) {
    problems.push(`${at}.memoryMb: 128 to 10240 (Lambda's range).`);
  }
}
