/**
 * The example service, described once. `baton dev` (`pnpm start`) and the CDK app (infra/) both read this file,
 * so what runs on a laptop and what is deployed cannot drift. Entries are relative to this folder.
 */
import { defineService } from '@baton/service';

const jobEvents = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 };

export const service = defineService({
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
      everyMinutes: 1,
      graceSeconds: 60,
      batchSize: 100,
    },
    failedEvents: {
      entry: 'src/handlers/failed-events.ts',
      description: 'Marks the job of a job-run event Lambda gave up on failed, with the reason.',
    },
  },
});

export type FunctionKey = keyof typeof service.functions;
export default service;
