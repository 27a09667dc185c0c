/**
 * A quick loop for profiling the REST door's warm `POST /jobs` (quick sync op, in-memory store):
 *   esbuild --bundle --platform=node --format=esm --conditions=@baton/source,module door-loop.ts > /tmp/x.mjs
 *   node --cpu-prof /tmp/x.mjs [iterations] [info|silent] > /dev/null
 * Prints CPU µs per call (median and best of batches of 2,000) for the floor and the door to stderr.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { randomIds, systemClock } from '@baton/core';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  testRegistry,
} from '@baton/core/testing';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createApiGatewayHandler } from '../src/index.js';
import template from '../tests/events/rest-iam-auth.json' with { type: 'json' };

const iterations = Number(process.argv[2] ?? 200_000);
const level = process.argv[3] ?? 'info';
const which = process.argv[4] ?? 'both';
const deps = {
  registry: testRegistry,
  store: new InMemoryJobStore(),
  dispatcher: new InMemoryJobDispatcher(),
  clock: systemClock,
  ids: randomIds,
};
const event = {
  ...template,
  httpMethod: 'POST',
  path: '/jobs',
  resource: '/jobs',
  body: JSON.stringify({ operation: 'greet', input: { name: 'bench' } }),
  requestContext: {
    ...template.requestContext,
    httpMethod: 'POST',
    path: '/prod/jobs',
    requestTimeEpoch: Date.now(),
  },
} as unknown as APIGatewayProxyEvent;
const context = fakeLambdaContext('bench');
const logger = new Logger({ logLevel: level === 'info' ? 'INFO' : 'SILENT', serviceName: 'bench' });
const door = createApiGatewayHandler({ deps, logger });

const greet = testRegistry.get('greet');
/** The bare floor: route by method and path, parse the body, run the operation, answer JSON. */
async function floor(e: APIGatewayProxyEvent) {
  if (e.httpMethod !== 'POST' || e.path !== '/jobs') return { statusCode: 404, body: '' };
  const body = JSON.parse(e.body ?? '{}');
  const output = await greet.run(body.input, {} as never);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'succeeded', result: output }),
  };
}

const first = await door(event, context);
if (first.statusCode !== 200) throw new Error(`door answered ${first.statusCode}: ${first.body}`);

async function time(name: string, fn: () => Promise<unknown>) {
  const batch = 2_000;
  const samples: number[] = [];
  for (let done = 0; done < iterations; done += batch) {
    // CPU time, not wall time: on a shared machine the wall clock mostly measures the neighbours.
    const start = process.cpuUsage();
    for (let i = 0; i < batch; i++) await fn();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / batch);
  }
  samples.sort((a, b) => a - b);
  process.stderr.write(
    `${name}: median ${samples[samples.length >> 1]?.toFixed(2)} µs, best ${samples[0]?.toFixed(2)} µs\n`,
  );
}

if (which !== 'door') await time('floor', () => floor(event));
if (which !== 'floor') await time('door', () => door(event, context));
