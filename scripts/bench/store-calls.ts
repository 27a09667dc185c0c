/**
 * Store calls per async job, counted at the JobStore port: jobs submitted through the API Gateway door
 * (HTTP API event, `Prefer: respond-async`) and each run once by `runJob`, as the worker does, on the in-memory
 * reference store. In @baton/dynamodb each write method (create, update, claim) is one DynamoDB write and each
 * read method one read, so this is the number of DynamoDB calls a job costs, without the emulator's noise.
 * Every method of the store is counted by name, whatever the port holds.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { createApiGatewayHandler } from '../../packages/api-gateway/src/index.ts';
import { randomIds, runJob, systemClock } from '../../packages/core/src/index.ts';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  testRegistry,
} from '../../packages/core/src/testing/index.ts';

const WRITES = /^(create|update|claim|put|delete|finish|complete|record)/i;

export async function countStoreCalls(jobs: number) {
  const calls: Record<string, number> = {};
  const inner = new InMemoryJobStore();
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor')
        return value;
      return (...args: unknown[]) => {
        if (counting) calls[property] = (calls[property] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
  const dispatcher = new InMemoryJobDispatcher();
  const deps = { registry: testRegistry, store, dispatcher, clock: systemClock, ids: randomIds };
  const door = createApiGatewayHandler({ deps, logger: new Logger({ logLevel: 'SILENT' }) });
  const template = JSON.parse(
    readFileSync(
      new URL('../../packages/api-gateway/tests/events/http-iam-auth.json', import.meta.url),
      'utf8',
    ),
  );
  const event = {
    ...template,
    routeKey: 'POST /jobs',
    rawPath: '/jobs',
    headers: { ...template.headers, 'content-type': 'application/json', prefer: 'respond-async' },
    body: JSON.stringify({ operation: 'greet', input: { name: 'bench' } }),
    isBase64Encoded: false,
    requestContext: { ...template.requestContext, http: { ...template.requestContext.http, method: 'POST' } },
  };
  delete event.headers['content-length'];
  delete event.requestContext.timeEpoch;

  let counting = true;
  let succeeded = 0;
  for (let i = 0; i < jobs; i++) {
    const response = await door(event, fakeLambdaContext('api'));
    if (response.statusCode !== 202)
      throw new Error(`submit answered ${response.statusCode}: ${response.body}`);
    for (const message of dispatcher.take()) {
      const outcome = await runJob(deps, message.jobId, { hop: message.hop });
      if (outcome.outcome === 'succeeded') succeeded++;
    }
  }
  counting = false;
  const perJob = Object.fromEntries(
    Object.entries(calls)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, count]) => [name, count / jobs]),
  );
  const sum = (filter: (name: string) => boolean) =>
    Object.entries(perJob)
      .filter(([name]) => filter(name))
      .reduce((total, [, count]) => total + count, 0);
  return {
    jobs,
    succeeded,
    perJob,
    writesPerJob: sum((name) => WRITES.test(name)),
    readsPerJob: sum((name) => !WRITES.test(name)),
  };
}
