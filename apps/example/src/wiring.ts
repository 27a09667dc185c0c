import { Logger } from '@aws-lambda-powertools/logger';
import { randomIds, type ServeRequestDeps, systemClock } from '@baton/core';
import { DynamoDbJobStore } from '@baton/dynamodb';
import { createJobWorker, LambdaJobDispatcher, ownFunctionName } from '@baton/self-invoke';
import { registry } from './operations/index.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the service definition's functionEnvironment() sets it.`);
  return value;
}

/**
 * The adapters every handler of this service uses, built once per execution environment from the environment
 * the service definition gives each function (service-definition.ts → functionEnvironment).
 */
export function wireService() {
  const logger = new Logger();
  const store = new DynamoDbJobStore({ tableName: required('JOBS_TABLE') });
  // Jobs go to the configured worker, or to this very function (read at dispatch time, from Lambda's env).
  const jobsFunction = process.env.BATON_JOBS_FUNCTION;
  const dispatcher = new LambdaJobDispatcher({ functionName: jobsFunction ?? ownFunctionName });
  const deps: ServeRequestDeps = {
    registry,
    store,
    dispatcher,
    clock: systemClock,
    ids: randomIds,
    retentionMs: Number(process.env.BATON_JOB_RETENTION_DAYS ?? 7) * 24 * 3600 * 1000,
  };
  const worker = createJobWorker({
    registry,
    store,
    logger,
    maxHops: Number(process.env.BATON_MAX_HOPS ?? 12),
    ...(process.env.BATON_LEASE_TTL_MS && { leaseTtlMs: Number(process.env.BATON_LEASE_TTL_MS) }),
  });
  return { deps, worker, logger };
}
