/**
 * The example service, described once. The local stack (`pnpm start`) and the CDK app both read this file,
 * so what runs on a laptop and what is deployed cannot drift. Plain data: no AWS or local imports.
 */

/** A front door a function serves. */
export type Door = 'rest-api' | 'http-api' | 'function-url' | 'invoke';

export interface FunctionDefinition {
  /** The handler module, relative to this app's folder; its export is `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly doors: readonly Door[];
  /**
   * Where this function's async jobs go: `self` (it invokes itself — the self-invoking Lambda) or the key of a
   * worker function (the separate-worker layout). Continuation hops are always self-invocations of whichever
   * function runs the job.
   */
  readonly jobsGoTo: 'self' | FunctionKey;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Concurrency reserved for (and capping) this function. */
  readonly reservedConcurrency: number;
  /** Lambda's EventInvokeConfig for the job-run events it receives. */
  readonly async: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
}

export type FunctionKey = 'api' | 'url' | 'rpc' | 'worker';

/** A function that looks after jobs rather than serving a door (docs/reliability.md). */
export interface MaintenanceFunctionDefinition {
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export type MaintenanceKey = 'reconciler' | 'failedEvents';

export interface ServiceMaintenance {
  /** Finds jobs nobody is looking after and moves them on: run on a schedule. */
  readonly reconciler: MaintenanceFunctionDefinition & {
    /** How often it runs (EventBridge's finest schedule is one minute; the local stack can go faster). */
    readonly everyMinutes: number;
    /** A job nobody wrote for this long is looked at; at least a lease, so a healthy run is never picked. */
    readonly graceSeconds: number;
    /** Jobs looked at in one run, at most. */
    readonly batchSize: number;
  };
  /** Listens for job-run events Lambda gave up on (the failure bus): marks their jobs failed with the reason. */
  readonly failedEvents: MaintenanceFunctionDefinition;
}

export interface ServiceDefinition {
  readonly name: string;
  /** A job may hop this many times; below Lambda's recursive-loop detection (~16), so it stays on `Terminate`. */
  readonly maxHops: number;
  readonly recursiveLoop: 'Terminate' | 'Allow';
  /** How long finished jobs are kept (DynamoDB TTL). */
  readonly jobRetentionDays: number;
  readonly functions: Readonly<Record<FunctionKey, FunctionDefinition>>;
  readonly maintenance: ServiceMaintenance;
}

const jobEvents = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 };

export const service: ServiceDefinition = {
  name: 'baton-example',
  maxHops: 12,
  recursiveLoop: 'Terminate',
  jobRetentionDays: 7,
  functions: {
    api: {
      entry: 'src/handlers/api-gateway.ts',
      description: 'REST API and HTTP API door; hands its jobs to the worker.',
      doors: ['rest-api', 'http-api'],
      jobsGoTo: 'worker',
      // API Gateway gives up after 29 s; the door answers before that, so 30 s is never reached.
      timeoutSeconds: 30,
      memoryMb: 512,
      reservedConcurrency: 20,
      async: jobEvents,
    },
    url: {
      entry: 'src/handlers/function-url.ts',
      description: 'Function URL door; runs its own long jobs by invoking itself.',
      doors: ['function-url'],
      jobsGoTo: 'self',
      timeoutSeconds: 900,
      memoryMb: 1024,
      reservedConcurrency: 10,
      async: jobEvents,
    },
    rpc: {
      entry: 'src/handlers/direct-invoke.ts',
      description: 'Direct Invoke door (RPC); runs its own long jobs by invoking itself.',
      doors: ['invoke'],
      jobsGoTo: 'self',
      timeoutSeconds: 900,
      memoryMb: 1024,
      reservedConcurrency: 10,
      async: jobEvents,
    },
    worker: {
      entry: 'src/handlers/worker.ts',
      description: 'Runs the jobs the API door hands over, hop after hop.',
      doors: [],
      jobsGoTo: 'self',
      timeoutSeconds: 900,
      memoryMb: 1024,
      reservedConcurrency: 20,
      async: jobEvents,
    },
  },
  maintenance: {
    reconciler: {
      entry: 'src/handlers/reconciler.ts',
      description: 'Every minute: re-dispatches lost jobs, recovers jobs of dead runners, fails spent ones.',
      timeoutSeconds: 60,
      memoryMb: 256,
      everyMinutes: 1,
      graceSeconds: 60,
      batchSize: 100,
    },
    failedEvents: {
      entry: 'src/handlers/failed-events.ts',
      description: 'Marks the job of a job-run event Lambda gave up on failed, with the reason.',
      timeoutSeconds: 30,
      memoryMb: 256,
    },
  },
};

export const functionKeys = Object.keys(service.functions) as FunctionKey[];

/** The deployed name of a function: the same locally and in the cloud, so each can find the others. */
export const functionName = (key: FunctionKey, definition: ServiceDefinition = service) =>
  `${definition.name}-${key}`;

export const jobsTableName = (definition: ServiceDefinition = service) => `${definition.name}-jobs`;

/** The deployed name of a maintenance function. */
export const maintenanceFunctionName = (key: MaintenanceKey, definition: ServiceDefinition = service) =>
  `${definition.name}-${key === 'failedEvents' ? 'failed-events' : key}`;

/**
 * The function that runs jobs handed to it — the worker other doors send jobs to, or else any door's
 * self-invoking function: where the reconciler sends the jobs it recovers.
 */
export function jobRunner(definition: ServiceDefinition = service): FunctionKey {
  const used = functionsInUse(definition);
  const runner =
    used.find((key) => used.some((other) => definition.functions[other].jobsGoTo === key)) ?? used[0];
  if (!runner) throw new Error(`'${definition.name}' has no function that runs jobs.`);
  return runner;
}

/** The environment of a maintenance function, the same locally and in the cloud. */
export function maintenanceEnvironment(
  key: MaintenanceKey,
  definition: ServiceDefinition = service,
): Record<string, string> {
  const common = {
    JOBS_TABLE: jobsTableName(definition),
    BATON_JOB_RETENTION_DAYS: String(definition.jobRetentionDays),
    POWERTOOLS_SERVICE_NAME: definition.name,
  };
  if (key === 'failedEvents') return common;
  return {
    ...common,
    BATON_MAX_HOPS: String(definition.maxHops),
    BATON_JOBS_FUNCTION: functionName(jobRunner(definition), definition),
    BATON_RECONCILE_GRACE_MS: String(definition.maintenance.reconciler.graceSeconds * 1000),
    BATON_RECONCILE_BATCH_SIZE: String(definition.maintenance.reconciler.batchSize),
  };
}

/** Every function whose jobs another function sends to it, or that serves a door: the set to deploy. */
export function functionsInUse(definition: ServiceDefinition = service): FunctionKey[] {
  const used = new Set<FunctionKey>();
  for (const key of functionKeys) {
    const fn = definition.functions[key];
    if (fn.doors.length > 0) {
      used.add(key);
      if (fn.jobsGoTo !== 'self') used.add(fn.jobsGoTo);
    }
  }
  return functionKeys.filter((key) => used.has(key));
}

/** The environment a function's handler reads (see wiring.ts), the same locally and in the cloud. */
export function functionEnvironment(
  key: FunctionKey,
  definition: ServiceDefinition = service,
): Record<string, string> {
  const fn = definition.functions[key];
  return {
    JOBS_TABLE: jobsTableName(definition),
    BATON_MAX_HOPS: String(definition.maxHops),
    BATON_JOB_RETENTION_DAYS: String(definition.jobRetentionDays),
    POWERTOOLS_SERVICE_NAME: definition.name,
    ...(fn.jobsGoTo !== 'self' && { BATON_JOBS_FUNCTION: functionName(fn.jobsGoTo, definition) }),
  };
}

/** The function serving a door. */
export function functionFor(door: Door, definition: ServiceDefinition = service): FunctionKey {
  const key = functionKeys.find((candidate) => definition.functions[candidate].doors.includes(door));
  if (!key) throw new Error(`No function of '${definition.name}' serves the ${door} door.`);
  return key;
}
