import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { fromRestEvent, fromV2Event, NotAnHttpEvent, ownerOfIamArn } from '../../src/index.js';
import { RestEventFields, V2EventFields } from '../support/parser-event-fields.js';

/**
 * The doors' event checks are written out by hand (docs/decisions/0012-a-fast-door-and-a-small-bundle.md); these
 * tests hold them to the Powertools parser's schemas picked down to the same fields: every field the doors read,
 * set to every kind of value, is accepted by the door exactly when the parser's schema accepts it, and the door
 * then names the same owner.
 */
const fixture = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const restEvent = fixture('../../../api-gateway/tests/events/rest-iam-auth.json');
const httpApiEvent = fixture('../../../api-gateway/tests/events/http-iam-auth.json');
const functionUrlEvent = fixture('../../../function-url/tests/events/iam-auth.json');

const DELETE = Symbol('delete');
const VALUES: unknown[] = [
  DELETE,
  undefined,
  null,
  0,
  1.5,
  '',
  'x',
  'GET',
  'TRACE',
  'get',
  '2.0',
  true,
  false,
  [],
  ['a'],
  {},
  { a: 'b' },
  { a: 1 },
  { sub: 'c0ffee' },
  { principalId: 'user-7' },
  { principalId: 7, claims: { sub: 's' } },
  { claims: { sub: 's' } },
  { claims: [] },
  { userArn: 'arn:aws:iam::111122223333:user/alice' },
  { method: 'POST' },
  Object.create(null),
  new Date(0),
];

/** The event with the value at `path` replaced (or deleted), the objects along the path copied. */
function withValue(event: unknown, path: readonly string[], value: unknown): unknown {
  const [head, ...rest] = path as [string, ...string[]];
  const copy: Record<string, unknown> = { ...(event as Record<string, unknown>) };
  if (rest.length === 0) {
    if (value === DELETE) delete copy[head];
    else copy[head] = value;
  } else {
    const inner = copy[head];
    if (typeof inner !== 'object' || inner === null) return undefined;
    copy[head] = withValue(inner, rest, value);
  }
  return copy;
}

const label = (value: unknown) =>
  value === DELETE ? '(absent)' : value === undefined ? 'undefined' : (JSON.stringify(value) ?? typeof value);

const stringClaim = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const iamOwner = (arn: unknown) => {
  const value = stringClaim(arn);
  return value === undefined ? undefined : ownerOfIamArn(value);
};

/** The door's answer: the owner, or that it refused the event. */
function answer(translate: () => { owner: string | undefined }) {
  try {
    return { ok: true, owner: translate().owner };
  } catch (error) {
    if (!(error instanceof NotAnHttpEvent)) throw error;
    expect(error.issues.length).toBeGreaterThan(0);
    return { ok: false };
  }
}

function restOracle(event: unknown) {
  const parsed = RestEventFields.safeParse(event);
  if (!parsed.success) return { ok: false };
  const { identity, authorizer } = parsed.data.requestContext;
  const owner =
    iamOwner(identity.userArn) ??
    (authorizer && 'principalId' in authorizer
      ? stringClaim(authorizer.principalId)
      : stringClaim(authorizer?.claims.sub));
  return { ok: true, owner };
}

function v2Oracle(event: unknown) {
  const parsed = V2EventFields.safeParse(event);
  if (!parsed.success) return { ok: false };
  const authorizer = parsed.data.requestContext.authorizer ?? {};
  const owner =
    iamOwner(authorizer.iam?.userArn) ??
    stringClaim(authorizer.lambda?.principalId) ??
    stringClaim(authorizer.jwt?.claims.sub);
  return { ok: true, owner };
}

const REST_PATHS = [
  [],
  ['httpMethod'],
  ['path'],
  ['headers'],
  ['headers', 'Host'],
  ['queryStringParameters'],
  ['queryStringParameters', 'limit'],
  ['body'],
  ['isBase64Encoded'],
  ['requestContext'],
  ['requestContext', 'stage'],
  ['requestContext', 'requestId'],
  ['requestContext', 'identity'],
  ['requestContext', 'identity', 'userArn'],
  ['requestContext', 'authorizer'],
  ['requestContext', 'authorizer', 'principalId'],
  ['requestContext', 'authorizer', 'claims'],
  ['requestContext', 'authorizer', 'claims', 'sub'],
];

const V2_PATHS = [
  [],
  ['version'],
  ['rawPath'],
  ['rawQueryString'],
  ['headers'],
  ['headers', 'host'],
  ['body'],
  ['isBase64Encoded'],
  ['requestContext'],
  ['requestContext', 'stage'],
  ['requestContext', 'requestId'],
  ['requestContext', 'http'],
  ['requestContext', 'http', 'method'],
  ['requestContext', 'authorizer'],
  ['requestContext', 'authorizer', 'iam'],
  ['requestContext', 'authorizer', 'iam', 'userArn'],
  ['requestContext', 'authorizer', 'lambda'],
  ['requestContext', 'authorizer', 'lambda', 'principalId'],
  ['requestContext', 'authorizer', 'jwt'],
  ['requestContext', 'authorizer', 'jwt', 'claims'],
  ['requestContext', 'authorizer', 'jwt', 'claims', 'sub'],
];

const restBases = {
  iam: restEvent,
  'Lambda authorizer': withValue(
    withValue(restEvent, ['requestContext', 'identity', 'userArn'], null),
    ['requestContext', 'authorizer'],
    { principalId: 'user-7', integrationLatency: 3 },
  ),
  'Cognito authorizer': withValue(
    withValue(restEvent, ['requestContext', 'identity', 'userArn'], null),
    ['requestContext', 'authorizer'],
    { claims: { sub: 'c0ffee' } },
  ),
  'query and base64 body': {
    ...restEvent,
    queryStringParameters: { limit: '5' },
    body: Buffer.from('{}').toString('base64'),
    isBase64Encoded: true,
  },
};

const v2Bases = {
  'HTTP API, IAM': httpApiEvent,
  'Function URL, IAM, body null': functionUrlEvent,
  'Lambda authorizer': withValue(httpApiEvent, ['requestContext', 'authorizer'], {
    lambda: { principalId: 'user-7' },
  }),
  'JWT authorizer': withValue(httpApiEvent, ['requestContext', 'authorizer'], {
    jwt: { claims: { sub: 'c0ffee' }, scopes: null },
  }),
};

describe('the REST door accepts exactly the events the parser’s picked schema accepts, with the same owner', () => {
  it.each(Object.entries(restBases))('%s', (_name, base) => {
    let cases = 0;
    for (const path of REST_PATHS) {
      for (const value of path.length === 0 ? [base, ...VALUES] : VALUES) {
        const event = path.length === 0 ? value : withValue(base, path, value);
        if (event === undefined && path.length > 0) continue;
        const expected = restOracle(event);
        expect(
          answer(() => fromRestEvent(event as APIGatewayProxyEvent, 1)),
          `${path.join('.')} = ${label(value)}`,
        ).toEqual(expected);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(400);
  });
});

describe('the v2 doors accept exactly the events the parser’s picked schema accepts, with the same owner', () => {
  it.each(Object.entries(v2Bases))('%s', (_name, base) => {
    let cases = 0;
    for (const path of V2_PATHS) {
      for (const value of path.length === 0 ? [base, ...VALUES] : VALUES) {
        const event = path.length === 0 ? value : withValue(base, path, value);
        if (event === undefined && path.length > 0) continue;
        const expected = v2Oracle(event);
        expect(
          answer(() => fromV2Event(event as APIGatewayProxyEventV2, 1)),
          `${path.join('.')} = ${label(value)}`,
        ).toEqual(expected);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(400);
  });
});
