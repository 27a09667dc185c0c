import type { Door, FunctionDefinition, MaintenanceKey, ServiceDefinition } from './definition.js';

/**
 * What the runner and the constructs derive from a definition: the functions in use, who runs jobs, the
 * deployed names and each function's environment. Names are the same locally and in the cloud, because the
 * functions find each other by name (a door hands its jobs to `BATON_JOBS_FUNCTION`).
 */

/** How resource names are made. A prefix lets two stages, or two copies of a service, share one account. */
export interface NamingOptions {
  /** Put before the service's name: `staging` → `staging-reports-api`. Default: none. */
  readonly prefix?: string;
}

export const functionKeys = <K extends string>(definition: ServiceDefinition<K>): K[] =>
  Object.keys(definition.functions) as K[];

const fnOf = <K extends string>(definition: ServiceDefinition<K>, key: K): FunctionDefinition<K> =>
  definition.functions[key];

/** Every function that serves a door, and every worker such a function sends its jobs to: the set to deploy. */
export function functionsInUse<K extends string>(definition: ServiceDefinition<K>): K[] {
  const used = new Set<K>();
  for (const key of functionKeys(definition)) {
    const fn = fnOf(definition, key);
    if (fn.doors.length > 0) {
      used.add(key);
      if (fn.jobsGoTo !== 'self') used.add(fn.jobsGoTo);
    }
  }
  return functionKeys(definition).filter((key) => used.has(key));
}

/** The function serving a door, if any does. */
export function servingFunction<K extends string>(
  definition: ServiceDefinition<K>,
  door: Door,
): K | undefined {
  return functionsInUse(definition).find((key) => fnOf(definition, key).doors.includes(door));
}

/** The doors the service has, in a fixed order. */
export function doorsInUse(definition: ServiceDefinition): Door[] {
  const doors = new Set(functionsInUse(definition).flatMap((key) => definition.functions[key]?.doors ?? []));
  return (['rest-api', 'http-api', 'function-url', 'invoke'] as const).filter((door) => doors.has(door));
}

/** Whether a function runs jobs: its own (`jobsGoTo: 'self'`) or those another function sends it. */
export function runsJobs<K extends string>(definition: ServiceDefinition<K>, key: K): boolean {
  const inUse = functionsInUse(definition);
  return (
    fnOf(definition, key).jobsGoTo === 'self' ||
    inUse.some((other) => other !== key && fnOf(definition, other).jobsGoTo === key)
  );
}

/**
 * The functions a function invokes: the function its jobs go to, and itself if it runs jobs, because
 * continuation hops and retries are self-invocations of whichever function runs the job.
 */
export function jobTargets<K extends string>(definition: ServiceDefinition<K>, key: K): K[] {
  const fn = fnOf(definition, key);
  const targets = new Set<K>();
  if (runsJobs(definition, key)) targets.add(key);
  if (fn.jobsGoTo !== 'self') targets.add(fn.jobsGoTo);
  return [...targets];
}

/**
 * The function that runs jobs handed to it — the worker other doors send jobs to, or else the first
 * self-invoking door function: where the reconciler sends the jobs it recovers.
 */
export function jobRunner<K extends string>(definition: ServiceDefinition<K>): K {
  const used = functionsInUse(definition);
  const runner =
    used.find((key) => used.some((other) => fnOf(definition, other).jobsGoTo === key)) ??
    used.find((key) => fnOf(definition, key).jobsGoTo === 'self');
  if (!runner) throw new Error(`'${definition.name}' has no function that runs jobs.`);
  return runner;
}

/** The base every name starts with. */
export const baseName = (definition: ServiceDefinition, options: NamingOptions = {}) =>
  options.prefix ? `${options.prefix}-${definition.name}` : definition.name;

/** The deployed name of a function. */
export const functionName = <K extends string>(
  definition: ServiceDefinition<K>,
  key: NoInfer<K>,
  options: NamingOptions = {},
) => `${baseName(definition, options)}-${key}`;

/** The deployed name of a maintenance function. */
export const maintenanceFunctionName = (
  definition: ServiceDefinition,
  key: MaintenanceKey,
  options: NamingOptions = {},
) => `${baseName(definition, options)}-${key === 'failedEvents' ? 'failed-events' : key}`;

export const jobsTableName = (definition: ServiceDefinition, options: NamingOptions = {}) =>
  `${baseName(definition, options)}-jobs`;

/** The EventBridge bus (and its archive) that failed async invocations go to. */
export const failureBusName = (definition: ServiceDefinition, options: NamingOptions = {}) =>
  `${baseName(definition, options)}-failures`;

/**
 * The EventBridge bus of the service's own events (`Baton Job Finished`): a bus of its own, apart from the failure
 * bus, so that rules on one never see the other's traffic (docs/decisions/0018-job-history-and-finished-events.md).
 */
export const eventBusName = (definition: ServiceDefinition, options: NamingOptions = {}) =>
  `${baseName(definition, options)}-events`;

/**
 * The SSM parameter that publishes a door's deployed URL (or, for `invoke`, the function's name), so clients
 * find a service by a friendly name instead of a generated URL.
 */
export const doorParameterName = (definition: ServiceDefinition, door: Door, options: NamingOptions = {}) =>
  `/baton/${baseName(definition, options)}/doors/${door}`;

/** The environment a function's handler reads (see @baton/handlers), the same locally and in the cloud. */
export function functionEnvironment<K extends string>(
  definition: ServiceDefinition<K>,
  key: NoInfer<K>,
  options: NamingOptions = {},
): Record<string, string> {
  const fn = fnOf(definition, key);
  return {
    JOBS_TABLE: jobsTableName(definition, options),
    BATON_MAX_HOPS: String(definition.maxHops),
    BATON_JOB_RETENTION_DAYS: String(definition.jobRetentionDays),
    POWERTOOLS_SERVICE_NAME: definition.name,
    BATON_EVENT_BUS: eventBusName(definition, options),
    ...(fn.jobsGoTo !== 'self' && { BATON_JOBS_FUNCTION: functionName(definition, fn.jobsGoTo, options) }),
  };
}

/** The environment of a maintenance function, the same locally and in the cloud. */
export function maintenanceEnvironment(
  definition: ServiceDefinition,
  key: MaintenanceKey,
  options: NamingOptions = {},
): Record<string, string> {
  const common = {
    JOBS_TABLE: jobsTableName(definition, options),
    BATON_JOB_RETENTION_DAYS: String(definition.jobRetentionDays),
    POWERTOOLS_SERVICE_NAME: definition.name,
    // The failed-event handler and the reconciler finish jobs too: their ends are announced like any other.
    BATON_EVENT_BUS: eventBusName(definition, options),
  };
  if (key === 'failedEvents') return common;
  const reconciler = definition.maintenance.reconciler;
  return {
    ...common,
    BATON_MAX_HOPS: String(definition.maxHops),
    BATON_JOBS_FUNCTION: functionName(definition, jobRunner(definition), options),
    BATON_RECONCILE_GRACE_MS: String(reconciler.graceSeconds * 1000),
    BATON_RECONCILE_BATCH_SIZE: String(reconciler.batchSize),
  };
}
