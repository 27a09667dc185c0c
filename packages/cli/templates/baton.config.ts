/**
 * The service, described once. `baton dev` runs it on this machine and infra/app.ts deploys it, both from this
 * file, so what runs on a laptop and what is deployed cannot drift. Entries are relative to this folder.
 */
import { defineService } from '@baton/service';

export default defineService({
  name: '{{name}}',
  functions: {
    // API Gateway, REST and HTTP API: answers quick requests itself and hands long jobs to the worker.
    api: {
      entry: 'src/handlers/api-gateway.ts',
      doors: ['rest-api', 'http-api'],
      jobsGoTo: 'worker',
      // API Gateway gives up after 29 s; the door answers before that (202 and a job to poll).
      timeoutSeconds: 30,
    },
    // Direct Lambda Invoke (RPC), for callers inside AWS: hands long jobs to the worker too.
    rpc: {
      entry: 'src/handlers/direct-invoke.ts',
      doors: ['invoke'],
      jobsGoTo: 'worker',
      timeoutSeconds: 30,
    },
    // A Function URL: no gateway in front, so it runs its own long jobs by invoking itself.
    url: {
      entry: 'src/handlers/function-url.ts',
      doors: ['function-url'],
      jobsGoTo: 'self',
    },
    // Runs the jobs the doors hand over, invocation after invocation (checkpointed) until they end.
    worker: {
      entry: 'src/handlers/worker.ts',
    },
  },
  maintenance: {
    // On a schedule: re-dispatches lost jobs, recovers jobs of dead runners, fails spent ones.
    reconciler: { entry: 'src/handlers/reconciler.ts' },
    // Marks the job of an async event Lambda gave up on failed, with the reason.
    failedEvents: { entry: 'src/handlers/failed-events.ts' },
  },
});
