import { describe, expect, it } from 'vitest';
import {
  defineService,
  doorParameterName,
  doorsInUse,
  functionEnvironment,
  functionName,
  functionsInUse,
  InvalidServiceDefinition,
  jobRunner,
  jobsTableName,
  jobTargets,
  maintenanceEnvironment,
  maintenanceFunctionName,
  runsJobs,
  servingFunction,
} from '../../src/index.js';

const maintenance = {
  reconciler: { entry: 'src/handlers/reconciler.ts' },
  failedEvents: { entry: 'src/handlers/failed-events.ts' },
};

const workerLayout = () =>
  defineService({
    name: 'reports',
    functions: {
      api: { entry: 'src/api.ts', doors: ['rest-api', 'http-api'], jobsGoTo: 'worker' },
      rpc: { entry: 'src/rpc.ts', doors: ['invoke'] },
      worker: { entry: 'src/worker.ts' },
      unused: { entry: 'src/unused.ts' },
    },
    maintenance,
  });

/** Every problem a definition has, or [] when it is valid. */
function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
    return [];
  } catch (error) {
    if (error instanceof InvalidServiceDefinition) return error.problems;
    throw error;
  }
}

describe('defineService', () => {
  it('fills in the defaults a team would otherwise repeat', () => {
    const service = workerLayout();
    expect(service.maxHops).toBe(12);
    expect(service.recursiveLoop).toBe('Terminate');
    expect(service.jobRetentionDays).toBe(7);
    // A door that hands its jobs on answers within API Gateway's 29 s; functions that run jobs get Lambda's most.
    expect(service.functions.api.timeoutSeconds).toBe(30);
    expect(service.functions.worker.timeoutSeconds).toBe(900);
    expect(service.functions.rpc.timeoutSeconds).toBe(900);
    expect(service.functions.worker.jobsGoTo).toBe('self');
    expect(service.functions.worker.doors).toEqual([]);
    expect(service.functions.api.async).toEqual({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 });
    expect(service.functions.api.reservedConcurrency).toBeUndefined();
    expect(service.maintenance.reconciler).toMatchObject({
      everyMinutes: 1,
      graceSeconds: 60,
      batchSize: 100,
    });
  });

  it('lists every problem at once, each naming its field', () => {
    const problems = problemsOf(() =>
      defineService({
        name: 'Bad Name',
        maxHops: 16,
        functions: {
          a: { entry: 'a.ts', doors: ['rest-api'], jobsGoTo: 'nobody' as 'a', timeoutSeconds: 901 },
          b: { entry: '', doors: ['rest-api'], memoryMb: 64, async: { maximumRetryAttempts: 3 } },
        },
        maintenance: { reconciler: { entry: 'r.ts', everyMinutes: 0.5 }, failedEvents: { entry: '' } },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^name: 'Bad Name'/),
        expect.stringMatching(/^maxHops: 16 reaches Lambda's recursive-loop detection/),
        expect.stringMatching(/^functions\.a\.jobsGoTo: no function 'nobody'/),
        expect.stringMatching(/^functions\.a\.timeoutSeconds: 1 to 900/),
        expect.stringMatching(/^functions\.b\.doors: 'rest-api' is already served by 'a'/),
        expect.stringMatching(/^functions\.b\.entry: required/),
        expect.stringMatching(/^functions\.b\.memoryMb: 128 to 10240/),
        expect.stringMatching(/^functions\.b\.async\.maximumRetryAttempts/),
        expect.stringMatching(/^maintenance\.reconciler\.everyMinutes/),
        expect.stringMatching(/^maintenance\.failedEvents\.entry: required/),
      ]),
    );
    expect(problems).toHaveLength(10);
  });

  it('allows many hops once the functions opt out of loop detection', () => {
    const service = defineService({
      name: 'long-jobs',
      maxHops: 40,
      recursiveLoop: 'Allow',
      functions: { url: { entry: 'u.ts', doors: ['function-url'] } },
      maintenance,
    });
    expect(service.maxHops).toBe(40);
  });

  it('refuses a worker that sends its jobs on, and a service with no door', () => {
    expect(
      problemsOf(() =>
        defineService({
          name: 'chain',
          functions: {
            api: { entry: 'a.ts', doors: ['http-api'], jobsGoTo: 'mid' },
            mid: { entry: 'm.ts', jobsGoTo: 'end' },
            end: { entry: 'e.ts' },
          },
          maintenance,
        }),
      ),
    ).toEqual([expect.stringMatching(/^functions\.api\.jobsGoTo: 'mid' sends its jobs on itself/)]);
    expect(
      problemsOf(() => defineService({ name: 'silent', functions: { w: { entry: 'w.ts' } }, maintenance })),
    ).toEqual(['functions: no function serves a door.']);
  });

  it('does not compile a jobsGoTo naming a function the service lacks, and refuses it at run time', () => {
    const problems = problemsOf(() =>
      defineService({
        name: 'typed',
        functions: {
          // @ts-expect-error 'nobody' is not a key of functions
          api: { entry: 'a.ts', doors: ['rest-api'], jobsGoTo: 'nobody' },
        },
        maintenance,
      }),
    );
    expect(problems).toEqual([expect.stringMatching(/^functions\.api\.jobsGoTo: no function 'nobody'/)]);
  });
});

describe('what the runner and the constructs derive', () => {
  it('deploys the functions that serve a door and the workers they send jobs to', () => {
    const service = workerLayout();
    expect(functionsInUse(service)).toEqual(['api', 'rpc', 'worker']);
    expect(doorsInUse(service)).toEqual(['rest-api', 'http-api', 'invoke']);
    expect(servingFunction(service, 'http-api')).toBe('api');
    expect(servingFunction(service, 'function-url')).toBeUndefined();
    expect(jobRunner(service)).toBe('worker');
    expect(runsJobs(service, 'api')).toBe(false);
    expect(runsJobs(service, 'worker')).toBe(true);
    // The door invokes the worker; the worker and a self-invoking door invoke themselves (continuations).
    expect(jobTargets(service, 'api')).toEqual(['worker']);
    expect(jobTargets(service, 'worker')).toEqual(['worker']);
    expect(jobTargets(service, 'rpc')).toEqual(['rpc']);
  });

  it('names every resource from the service name, behind an optional prefix', () => {
    const service = workerLayout();
    expect(functionName(service, 'api')).toBe('reports-api');
    expect(functionName(service, 'api', { prefix: 'staging' })).toBe('staging-reports-api');
    expect(maintenanceFunctionName(service, 'failedEvents')).toBe('reports-failed-events');
    expect(jobsTableName(service, { prefix: 'staging' })).toBe('staging-reports-jobs');
    expect(doorParameterName(service, 'rest-api', { prefix: 'prod' })).toBe(
      '/baton/prod-reports/doors/rest-api',
    );
  });

  it('gives each function the environment its handler reads, with the same names', () => {
    const service = workerLayout();
    expect(functionEnvironment(service, 'api', { prefix: 'dev' })).toEqual({
      JOBS_TABLE: 'dev-reports-jobs',
      BATON_MAX_HOPS: '12',
      BATON_JOB_RETENTION_DAYS: '7',
      POWERTOOLS_SERVICE_NAME: 'reports',
      BATON_EVENT_BUS: 'dev-reports-events',
      BATON_JOBS_FUNCTION: 'dev-reports-worker',
    });
    // Every function that may finish a job announces it on the service's own bus.
    expect(maintenanceEnvironment(service, 'failedEvents')).toMatchObject({
      BATON_EVENT_BUS: 'reports-events',
    });
    expect(functionEnvironment(service, 'worker')).not.toHaveProperty('BATON_JOBS_FUNCTION');
    expect(maintenanceEnvironment(service, 'reconciler')).toMatchObject({
      BATON_JOBS_FUNCTION: 'reports-worker',
      BATON_RECONCILE_GRACE_MS: '60000',
      BATON_RECONCILE_BATCH_SIZE: '100',
    });
    expect(maintenanceEnvironment(service, 'failedEvents')).not.toHaveProperty('BATON_JOBS_FUNCTION');
  });
});
