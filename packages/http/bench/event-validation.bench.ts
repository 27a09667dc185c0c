import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  APIGatewayProxyEventSchema,
  APIGatewayProxyEventV2Schema,
} from '@aws-lambda-powertools/parser/schemas';
import { isValidCorrelationId, randomIds, submitJob, systemClock } from '@baton/core';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  testRegistry,
} from '@baton/core/testing';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { bench, describe } from 'vitest';
import * as z from 'zod';
import { createHttpApi, type HttpRequest } from '../src/http-api.js';
import { fromRestEvent, ownerOfIamArn } from '../src/lambda-events.js';
import { serveHttpEvent } from '../src/serve-http-event.js';
import { RestEventFields, V2EventFields } from '../tests/support/parser-event-fields.js';

/**
 * What checking the event costs the doors: today's hand-written zod shapes (copied below as they were before
 * the doors took the Powertools parser's schemas) against the parser's schemas picked down to the same fields,
 * on the real events the door packages test with; the parser's full schemas for scale; and a whole warm
 * `GET /jobs/{id}` through the door with each check. Absolute times on a shared machine mean little — read the
 * ratios within a group.
 */
const fixture = <T>(path: string): T => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as T;
const restEvent = fixture<APIGatewayProxyEvent>('../../api-gateway/tests/events/rest-iam-auth.json');
const httpApiEvent = fixture<APIGatewayProxyEventV2>('../../api-gateway/tests/events/http-iam-auth.json');
const functionUrlEvent = fixture<APIGatewayProxyEventV2>('../../function-url/tests/events/iam-auth.json');

// ---- Today's door before this change: the hand-written shapes of the fields used, and the REST translation.

const TodayRestEventFields = z.object({
  httpMethod: z.string(),
  path: z.string(),
  headers: z.record(z.string(), z.string().optional()).nullish(),
  queryStringParameters: z.record(z.string(), z.string().optional()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().nullish(),
  requestContext: z.object({
    stage: z.string(),
    requestId: z.string(),
    identity: z.object({ userArn: z.string().nullish() }).partial().nullish(),
    authorizer: z.record(z.string(), z.unknown()).nullish(),
  }),
});

const TodayV2EventFields = z.object({
  version: z.literal('2.0'),
  rawPath: z.string(),
  rawQueryString: z.string().optional(),
  headers: z.record(z.string(), z.string().optional()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().nullish(),
  requestContext: z.object({
    stage: z.string().optional(),
    requestId: z.string(),
    http: z.object({ method: z.string() }),
    authorizer: z
      .object({
        iam: z.object({ userArn: z.string().nullish() }).partial().nullish(),
        lambda: z.record(z.string(), z.unknown()).nullish(),
        jwt: z
          .object({ claims: z.record(z.string(), z.unknown()) })
          .partial()
          .nullish(),
      })
      .partial()
      .nullish(),
  }),
});

const stringClaim = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

function todayFromRestEvent(event: APIGatewayProxyEvent, budgetMs: number): HttpRequest {
  const parsed = TodayRestEventFields.safeParse(event);
  if (!parsed.success) throw new Error(parsed.error.message);
  const { requestContext: context, ...fields } = parsed.data;
  const headers = Object.fromEntries(
    Object.entries(fields.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const authorizer = context.authorizer ?? {};
  const claims = (authorizer.claims ?? {}) as Record<string, unknown>;
  const userArn = stringClaim(context.identity?.userArn);
  const owner =
    (userArn && ownerOfIamArn(userArn)) ?? stringClaim(authorizer.principalId) ?? stringClaim(claims.sub);
  const header = headers['x-correlation-id'];
  return {
    method: fields.httpMethod,
    path: fields.path,
    basePath: context.stage === '$default' ? '' : `/${context.stage}`,
    headers,
    query: fields.queryStringParameters ?? {},
    body:
      fields.body == null
        ? undefined
        : fields.isBase64Encoded
          ? Buffer.from(fields.body, 'base64').toString('utf8')
          : fields.body,
    owner,
    requestId: context.requestId,
    correlationId: header !== undefined && isValidCorrelationId(header) ? header : context.requestId,
    budgetMs,
  };
}

// ---- The checks alone.

const must = (result: { success: boolean }) => {
  if (!result.success) throw new Error('the bench event does not pass the check');
};

describe('check a REST (v1) event (rest-iam-auth.json)', () => {
  bench('today: hand-written zod shape of the fields used', () => {
    must(TodayRestEventFields.safeParse(restEvent));
  });
  bench('Powertools parser schema, picked down to the fields used', () => {
    must(RestEventFields.safeParse(restEvent));
  });
  bench('Powertools parser schema, whole event (for scale)', () => {
    must(APIGatewayProxyEventSchema.safeParse(restEvent));
  });
});

describe('check an HTTP API (v2) event (http-iam-auth.json)', () => {
  bench('today: hand-written zod shape of the fields used', () => {
    must(TodayV2EventFields.safeParse(httpApiEvent));
  });
  bench('Powertools parser schema, picked down to the fields used', () => {
    must(V2EventFields.safeParse(httpApiEvent));
  });
  bench('Powertools parser schema, whole event (for scale)', () => {
    must(APIGatewayProxyEventV2Schema.safeParse(httpApiEvent));
  });
});

// The parser's whole LambdaFunctionUrlSchema refuses this event (`body: null`), so it has no line here.
describe('check a Function URL event (iam-auth.json)', () => {
  bench('today: hand-written zod shape of the fields used', () => {
    must(TodayV2EventFields.safeParse(functionUrlEvent));
  });
  bench('Powertools parser schema, picked down to the fields used', () => {
    must(V2EventFields.safeParse(functionUrlEvent));
  });
});

// ---- The event translated (check + mapping), and a whole warm request through the door.

// The event's caller is a session of this role, which owns the session's jobs.
const OWNER = 'arn:aws:sts::123456789012:assumed-role/Admin';
const deps = {
  registry: testRegistry,
  store: new InMemoryJobStore(),
  dispatcher: new InMemoryJobDispatcher(),
  clock: systemClock,
  ids: randomIds,
};
const { job } = await submitJob(deps, { owner: OWNER, operation: 'greet', input: { name: 'bench' } });
const getJobEvent: APIGatewayProxyEvent = {
  ...restEvent,
  httpMethod: 'GET',
  path: `/jobs/${job.id}`,
  resource: '/jobs/{id}',
  requestContext: { ...restEvent.requestContext, httpMethod: 'GET', path: `/prod/jobs/${job.id}` },
};
const api = createHttpApi({ deps });
const context = fakeLambdaContext('bench');
const silent = new Logger({ logLevel: 'SILENT' });
for (const translate of [todayFromRestEvent, fromRestEvent]) {
  const response = await serveHttpEvent(silent, context, () => translate(getJobEvent, 1_000), api);
  if (response.statusCode !== 200) throw new Error(`the bench request is answered ${response.statusCode}`);
}

describe('translate the REST event (check + mapping to an HttpRequest)', () => {
  bench('before: hand-written zod shape', () => {
    todayFromRestEvent(restEvent, 1_000);
  });
  bench("now: the parser schemas' checks, written out (ADR 0012)", () => {
    fromRestEvent(restEvent, 1_000);
  });
});

describe('GET /jobs/{id}, warm, REST v1 event, through the door (serveHttpEvent + route table)', () => {
  bench('before: hand-written zod shape', async () => {
    await serveHttpEvent(silent, context, () => todayFromRestEvent(getJobEvent, 1_000), api);
  });
  bench("now: the parser schemas' checks, written out (ADR 0012)", async () => {
    await serveHttpEvent(silent, context, () => fromRestEvent(getJobEvent, 1_000), api);
  });
});
