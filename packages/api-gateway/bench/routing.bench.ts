import { readFileSync } from 'node:fs';
import { Router } from '@aws-lambda-powertools/event-handler/http';
import { Logger } from '@aws-lambda-powertools/logger';
import { getJob, randomIds, submitJob, systemClock, toJobView } from '@baton/core';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  testRegistry,
} from '@baton/core/testing';
import { ownerOfIamArn } from '@baton/http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { bench, describe } from 'vitest';
import { createApiGatewayHandler } from '../src/index.js';

/**
 * One warm `GET /jobs/{id}` on a real REST (v1) event shape, the same domain work (an in-memory getJob) behind
 * four ways of routing it. The hand-written baseline does only what the route needs; the ratios to it are
 * the cost of each router. Absolute times on a shared machine mean little — read the ratios. Every router
 * answers the found job (200; checked before the bench): an assumed role's session is owned by its role
 * (`ownerOfIamArn`), so each derives the owner that way.
 */
const OWNER = 'arn:aws:sts::123456789012:assumed-role/Admin';
const store = new InMemoryJobStore();
const deps = {
  registry: testRegistry,
  store,
  dispatcher: new InMemoryJobDispatcher(),
  clock: systemClock,
  ids: randomIds,
};
const { job } = await submitJob(deps, { owner: OWNER, operation: 'greet', input: { name: 'bench' } });

const template = JSON.parse(
  readFileSync(new URL('../tests/events/rest-iam-auth.json', import.meta.url), 'utf8'),
);
const event: APIGatewayProxyEvent = {
  ...template,
  httpMethod: 'GET',
  path: `/jobs/${job.id}`,
  resource: '/jobs/{id}',
  requestContext: { ...template.requestContext, httpMethod: 'GET', path: `/prod/jobs/${job.id}` },
};
const context = fakeLambdaContext('bench');
const silent = new Logger({ logLevel: 'SILENT' });

async function handWritten(e: APIGatewayProxyEvent) {
  const match = /^\/jobs\/([^/]+)$/.exec(e.path);
  if (e.httpMethod !== 'GET' || !match) return { statusCode: 404, body: '' };
  const found = await getJob(deps, {
    owner: ownerOfIamArn(e.requestContext.identity.userArn ?? ''),
    jobId: match[1] as string,
  });
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(toJobView(found)),
  };
}

const baton = createApiGatewayHandler({ deps, logger: silent });

const powertools = new Router();
powertools.get(
  '/jobs/:id',
  async ({ params, event: e }) =>
    // The router's type wants JSON values; a JobView is one, with optional fields TypeScript cannot prove so.
    toJobView(
      await getJob(deps, {
        owner: ownerOfIamArn((e as APIGatewayProxyEvent).requestContext.identity.userArn ?? ''),
        jobId: params.id as string,
      }),
    ) as unknown as Record<string, string>,
);

const hono = new Hono();
hono.get('/jobs/:id', async (c) => {
  const e = (c.env as { event: APIGatewayProxyEvent }).event;
  return c.json(
    toJobView(
      await getJob(deps, {
        owner: ownerOfIamArn(e.requestContext.identity.userArn ?? ''),
        jobId: c.req.param('id'),
      }),
    ),
  );
});
const honoHandler = handle(hono);

for (const [name, answer] of [
  ['hand-written', await handWritten(event)],
  ['Baton', await baton(event, context)],
  ['Powertools', await powertools.resolve(event, context)],
  ['Hono', await honoHandler(event as unknown as Parameters<typeof honoHandler>[0], context)],
] as const) {
  if (answer.statusCode !== 200) throw new Error(`${name} answers the bench request ${answer.statusCode}`);
}

describe('GET /jobs/{id}, warm, REST v1 event', () => {
  bench('hand-written baseline (route + getJob + JSON)', async () => {
    await handWritten(event);
  });
  bench('Baton API Gateway door (validation, problem mapping, access log)', async () => {
    await baton(event, context);
  });
  bench('Powertools event-handler Router', async () => {
    await powertools.resolve(event, context);
  });
  bench('Hono aws-lambda adapter', async () => {
    await honoHandler(event as unknown as Parameters<typeof honoHandler>[0], context);
  });
});
