/**
 * What the hostile-input suite sends: fast-check arbitraries of HTTP requests for the three HTTP doors and of
 * payloads for direct invocations, plus a fixed list of edge cases per door so that even a small run covers
 * every route, every method, the size limits and the encodings. Everything is data (plain JSON-able values),
 * so a failing sample can be printed and sent again; bodies of megabytes are described, not built, and are
 * made only when sent (`materialize`).
 */
import fc from 'fast-check';

export type Door = 'restApi' | 'httpApi' | 'functionUrl';
export const DOORS: readonly Door[] = ['restApi', 'httpApi', 'functionUrl'];

/** The door's own body cap (`createHttpApi`'s default `maxBodyBytes`): over it, a 413 problem. */
export const DOOR_BODY_LIMIT_BYTES = 1024 * 1024;

/** A body as sent on the wire. */
export type BodySpec =
  /** UTF-8 text. */
  | { readonly kind: 'text'; readonly text: string }
  /** Raw bytes, hex: invalid UTF-8, other encodings, binary. */
  | { readonly kind: 'hex'; readonly hex: string }
  /** A body of `bytes` bytes (approximately, for the deep shapes), built when sent. */
  | { readonly kind: 'filler'; readonly shape: FillerShape; readonly bytes: number };

export type FillerShape =
  | 'checksum-ascii'
  | 'checksum-2-byte'
  | 'checksum-3-byte'
  | 'checksum-4-byte'
  | 'deep-array-input'
  | 'deep-object-input'
  | 'deep-meta'
  | 'many-keys-input'
  | 'long-array-input'
  | 'binary';

/**
 * What a request must get, beyond the rules every answer follows (no 5xx; every 4xx is a problem):
 * - `any`: nothing more;
 * - `success`: 200 or 202 (a valid request);
 * - `door-too-large`: 413 from the door itself (a body over its 1 MiB cap, under every gateway limit);
 * - `gateway-too-large`: 413 from the gateway, before any function runs (a body over the gateway's cap);
 * - `over-invoke-limit`: a body under the gateway's cap whose event is over Lambda's 6 MB invoke payload.
 */
export type Expectation = 'any' | 'success' | 'door-too-large' | 'gateway-too-large' | 'over-invoke-limit';

export interface HostileRequest {
  /** What kind of hostility: the figures are counted per category. */
  readonly category: string;
  readonly method: string;
  /** Appended to the door's URL (after the REST API's stage); starts with `/`; may carry `?query`. */
  readonly path: string;
  /** Name/value pairs in order (a name may repeat). Values are latin1 strings: one char per byte sent. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: BodySpec;
  readonly expect: Expectation;
}

/** A direct invocation: its payload bytes and, optionally, a client context (JSON text, base64-encoded when sent). */
export interface HostilePayload {
  readonly category: string;
  readonly payload: BodySpec;
  readonly clientContext?: string;
  /**
   * - `any`: no FunctionError; refusals are problems;
   * - `success`: a valid operation request (`status: 'succeeded'` or accepted) — for the direct-invoke door;
   * - `job-run`: a job-run-shaped event for an unknown job or of a wrong shape: a no-op;
   * - `service-refusal`: the Invoke API itself refuses it (not JSON, over 6 MB) with a 4xx.
   */
  readonly expect: 'any' | 'success' | 'job-run' | 'service-refusal';
}

// ---- building blocks ------------------------------------------------------------------------------------

/**
 * The bytes of a UTF-8 string as a latin1 string: how a header value carrying UTF-8 goes on the wire. Control
 * characters are dropped: no HTTP client sends them in a header.
 */
export const utf8AsLatin1 = (text: string) =>
  Buffer.from(
    [...text].filter((char) => char === '\t' || (char >= ' ' && char !== '\u007f')).join(''),
    'utf8',
  ).toString('latin1');

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `encodeURIComponent`, except that a lone surrogate (which it refuses) is written as the three bytes a
 * careless encoder would send for it (`%ED%A0%80`): a path a client can send, and the door must refuse.
 */
export function encodePathSegment(text: string): string {
  let encoded = '';
  let from = 0;
  for (const match of text.matchAll(LONE_SURROGATE)) {
    const code = match[0].charCodeAt(0);
    const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
    encoded += encodeURIComponent(text.slice(from, match.index));
    encoded += bytes.map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    from = match.index + 1;
  }
  return encoded + encodeURIComponent(text.slice(from));
}

const OPERATIONS = ['checksum', 'wait', 'report'] as const;
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Strings that broke parsers before: escapes, prototype keys, lone surrogates, NULs, RTL, very long. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\uFEFF',
  '\u202E',
  'e\u0301',
  '👩‍👩‍👧',
  '%ZZ',
  '%E0%A4%A',
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, sent as it is
  '${jndi:ldap://x}',
  '{{7*7}}',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e999',
  ...PROTOTYPE_KEYS,
  'checksum\u0000',
  'CHECKSUM',
  ' checksum',
];

const nastyString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 3000 }).map((n) => 'x'.repeat(n)) },
);

const jsonValue = fc.jsonValue({ maxDepth: 3 });

/** Values of every JSON type, biased to the edges. */
const anyJson = fc.oneof(
  { weight: 3, arbitrary: jsonValue },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      Number.MAX_SAFE_INTEGER + 2,
      1e308,
      -1e-308,
      '',
      [],
      {},
      [null],
      { '': null },
    ),
  },
  { weight: 2, arbitrary: nastyString },
);

/** JSON text of an object from its entries, as given: duplicate keys and `__proto__` keys stay in the text. */
const objectText = (entries: readonly (readonly [string, string])[]) =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;

/** A value as JSON text; numbers JSON cannot write (1e999) are written as they are. */
const text = (value: unknown) => (value === undefined ? 'null' : JSON.stringify(value));

/** Extra entries that try prototype pollution or smuggle fields, sometimes none. */
const hostileEntries = fc.array(
  fc.tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
      { weight: 1, arbitrary: fc.constantFrom('operation', 'input', 'meta', 'async', 'status', 'owner') },
      { weight: 1, arbitrary: nastyString },
    ),
    fc.oneof(
      fc.constantFrom(
        '{"polluted":true}',
        '{"async":true}',
        '{"isAdmin":true,"owner":"arn:aws:iam::000000000000:user/root"}',
        '{"prototype":{"polluted":true}}',
        'null',
        '"x"',
      ),
      anyJson.map(text),
    ),
  ),
  { maxLength: 2 },
);

// ---- operation requests ----------------------------------------------------------------------------------

const checksumInput = fc.record(
  {
    text: fc.oneof({ weight: 4, arbitrary: nastyString }, { weight: 1, arbitrary: anyJson }),
    algorithm: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('sha256', 'sha1', 'md5') },
      { weight: 1, arbitrary: fc.constantFrom('SHA256', 'sha512', 'md4', '', 'constructor') },
      { weight: 1, arbitrary: anyJson },
    ),
  },
  { requiredKeys: ['text'] },
);

/** `wait` inputs are never valid here: a valid one would hold an environment for seconds. */
const invalidWaitInput = fc.record({
  seconds: fc.oneof(
    fc.constantFrom<unknown>(0, -1, 0.5, 1.5, 901, 1e9, '1', '5', null, true, [], {}, Number.NaN),
    anyJson,
  ),
});

/** `report` inputs: small valid ones (a few hundred records, milliseconds of work) and wrong ones. */
const reportInput = fc.oneof(
  fc.record(
    {
      records: fc.integer({ min: 1, max: 300 }),
      batchSize: fc.integer({ min: 100, max: 1000 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    },
    { requiredKeys: ['records'] },
  ),
  fc.record({
    records: fc.oneof(fc.constantFrom<unknown>(0, -1, 50_000_001, 1.5, '10', null, 1e308), anyJson),
    batchSize: fc.oneof(fc.constantFrom<unknown>(0, 99, 1_000_001, '100'), anyJson),
    seed: fc.oneof(fc.constantFrom<unknown>(-1, 2 ** 31, 0.5), anyJson),
  }),
);

const metaValue = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        async: fc.oneof(
          { weight: 3, arbitrary: fc.boolean() },
          { weight: 1, arbitrary: fc.constantFrom<unknown>('true', 1, 0, null, 'false', [], {}) },
        ),
        clientRequestId: fc.oneof(
          { weight: 2, arbitrary: fc.noBias(fc.uuid()) },
          { weight: 2, arbitrary: nastyString },
          { weight: 1, arbitrary: anyJson },
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: anyJson },
);

/**
 * The JSON text of `{ operation, input, meta }` with any field missing, of a wrong type, duplicated or joined
 * by prototype keys. Shared by the HTTP body generator and the direct-invoke payload generator.
 */
export const operationRequestText: fc.Arbitrary<string> = fc
  .record({
    operation: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom<unknown>(...OPERATIONS) },
      { weight: 2, arbitrary: fc.constantFrom<unknown>(...PROTOTYPE_KEYS) },
      { weight: 2, arbitrary: nastyString },
      { weight: 1, arbitrary: anyJson },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    input: fc.oneof(
      { weight: 3, arbitrary: checksumInput },
      { weight: 2, arbitrary: invalidWaitInput },
      { weight: 2, arbitrary: reportInput },
      { weight: 2, arbitrary: anyJson },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    meta: metaValue,
    extra: hostileEntries,
    duplicateOperation: fc.option(fc.constantFrom(...OPERATIONS, ...PROTOTYPE_KEYS), { nil: undefined }),
  })
  .map(({ operation, input, meta, extra, duplicateOperation }) => {
    const entries: [string, string][] = [];
    if (operation !== undefined) entries.push(['operation', text(operation)]);
    if (input !== undefined) entries.push(['input', text(input)]);
    if (meta !== undefined) entries.push(['meta', text(meta)]);
    if (duplicateOperation !== undefined) entries.push(['operation', text(duplicateOperation)]);
    entries.push(...extra);
    return objectText(entries);
  });

/** Valid, quick operation requests: checksum of a short text, or a report over a few hundred records. */
export const validOperationRequest = fc.record({
  body: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        {
          operation: fc.constant('checksum'),
          input: fc.record(
            {
              text: fc.string({ unit: 'grapheme', maxLength: 200 }),
              algorithm: fc.constantFrom('sha256', 'sha1', 'md5'),
            },
            { requiredKeys: ['text'] },
          ),
        },
        { requiredKeys: ['operation', 'input'] },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        operation: fc.constant('report'),
        input: fc.record({
          records: fc.integer({ min: 1, max: 300 }),
          batchSize: fc.integer({ min: 100, max: 1000 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
      }),
    },
  ),
  async: fc.boolean(),
  clientRequestId: fc.option(fc.noBias(fc.uuid()), { nil: undefined }),
});

// ---- headers ---------------------------------------------------------------------------------------------

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'APPLICATION/JSON',
  'application/problem+json',
  'text/plain',
  'text/plain; charset=iso-8859-1',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'image/png',
  'application/json; charset=utf-16',
  'a/b/c;;;',
  ';',
  '',
  'application/json, text/plain',
];

/** A SigV4 Authorization header as `curl --aws-sigv4` sends it: locally its access key names the caller. */
export const sigV4 = (accessKey: string, service: 'execute-api' | 'lambda'): [string, string][] => [
  [
    'authorization',
    `AWS4-HMAC-SHA256 Credential=${accessKey}/20261123/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
  ],
  ['x-amz-date', '20261123T120000Z'],
];

const printable = (min: number, max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: min,
    maxLength: max,
  });

const nonAscii = fc
  .oneof(
    fc.constantFrom('日本語', 'é', '😀', '\u202E', 'ü-key'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
  )
  .map(utf8AsLatin1);

const preferValue = fc.oneof(
  fc.constantFrom(
    'respond-async',
    'wait=0',
    'wait=1',
    'wait=5',
    'wait=-1',
    'wait=abc',
    'wait=1e3',
    'wait=99999999',
    'wait="2"',
    'wait',
    '=',
    ',,,,',
    ';',
    'respond-async;;;',
    'respond-async, wait=1',
    'RESPOND-ASYNC',
    'handling=strict',
    'return=minimal',
    '',
  ),
  printable(0, 60),
  printable(1000, 3000),
  nonAscii,
);

const idempotencyKeyValue = fc.oneof(
  { weight: 2, arbitrary: fc.noBias(fc.uuid()) },
  { weight: 1, arbitrary: fc.noBias(fc.uuid()).map((id) => `"${id}"`) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '"', '""', '" "', 'a b', '\t', 'x'.repeat(129)) },
  { weight: 1, arbitrary: printable(129, 3000) },
  { weight: 1, arbitrary: nonAscii },
  { weight: 1, arbitrary: printable(1, 60) },
);

const correlationIdValue = fc.oneof(
  fc.constantFrom('', ' ', 'a b', 'x'.repeat(256), 'x'.repeat(257), '\t'),
  printable(1, 256),
  printable(257, 3000),
  nonAscii,
);

/** Headers of a hostile request, apart from the ones the sender adds (host, content-length). */
const hostileHeaders = fc
  .record(
    {
      contentType: fc.constantFrom(...CONTENT_TYPES),
      prefer: preferValue,
      idempotencyKey: idempotencyKeyValue,
      correlationId: correlationIdValue,
      duplicate: fc.constantFrom('prefer', 'idempotency-key', 'x-correlation-id', 'content-type'),
      accept: fc.constantFrom('application/xml', '*/*', 'text/html', '', 'application/problem+json'),
      caller: fc.oneof(
        fc.constantFrom('KEYALICE', 'KEYBOB'),
        fc.string({
          unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
          minLength: 16,
          maxLength: 128,
        }),
      ),
      traceId: fc.constantFrom(
        'Root=garbage',
        'Root=1-00000000-000000000000000000000000;Sampled=1',
        ';;;',
        '',
      ),
      custom: fc.tuple(
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc
              .string({
                unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-'),
                minLength: 1,
                maxLength: 20,
              })
              .map((name) => `x-${name}`),
          },
          // Header names that are members of Object.prototype: a plain object keyed by header name trips on them.
          { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
        ),
        printable(0, 200),
      ),
    },
    { requiredKeys: [] },
  )
  .map((picked) => {
    const headers: [string, string][] = [];
    if (picked.contentType !== undefined) headers.push(['Content-Type', picked.contentType]);
    if (picked.prefer !== undefined) headers.push(['Prefer', picked.prefer]);
    if (picked.idempotencyKey !== undefined) headers.push(['Idempotency-Key', picked.idempotencyKey]);
    if (picked.correlationId !== undefined) headers.push(['X-Correlation-Id', picked.correlationId]);
    if (picked.duplicate !== undefined) headers.push([picked.duplicate, 'respond-async']);
    if (picked.accept !== undefined) headers.push(['Accept', picked.accept]);
    if (picked.traceId !== undefined) headers.push(['X-Amzn-Trace-Id', picked.traceId]);
    if (picked.custom !== undefined) headers.push([picked.custom[0], picked.custom[1]]);
    return { headers, caller: picked.caller };
  });

// ---- paths -----------------------------------------------------------------------------------------------

const base64UrlId = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
  minLength: 22,
  maxLength: 22,
});

/** A job id nobody has: a fresh random id, or garbage. */
export const unknownJobId = fc.oneof(
  { weight: 3, arbitrary: base64UrlId },
  { weight: 1, arbitrary: nastyString },
);

const pathSegment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('jobs', 'operations', 'cancel') },
  { weight: 3, arbitrary: base64UrlId },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '%ZZ',
      '%E0%A4%A',
      '%',
      '%%',
      '%0',
      '%C0%AF',
      '%ED%A0%80',
      '%FF',
      '%00',
      '%2F',
      '%5C',
      '%2e%2e',
      '%252F',
      '%u0041',
      '..',
      '.',
      '',
      ';',
      '~',
      '*',
      '@',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }).map(encodePathSegment) },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 2500 }).map((n) => 'a'.repeat(n)) },
);

const queryString = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '?limit=5',
      '?limit=0',
      '?limit=-1',
      '?limit=abc',
      '?limit=99999',
      '?limit=1e3',
      '?limit=5&limit=6',
      '?cursor=garbage',
      '?cursor=%ZZ',
      '?cursor=',
      '?cursor=eyJhIjoxfQ',
      '?__proto__[x]=1',
      '?__proto__=1',
      '?toString=1',
      '?hasOwnProperty=1&hasOwnProperty=2',
      '?limit=5&valueOf=1',
      '?constructor=1',
      '?&&&',
      '?=',
      '?%E0%A4%A=%E0%A4%A',
    ),
  },
  { weight: 1, arbitrary: printable(1, 300).map((q) => `?${encodeURIComponent(q)}`) },
);

const ROUTE_TEMPLATES = [
  '/jobs',
  '/jobs/{id}',
  '/jobs/{id}/cancel',
  '/operations',
  '/',
  '/jobs/',
  '//jobs',
  '/jobs//',
  '/JOBS',
  '/Jobs/{id}',
  '/jobs/{id}/cancel/',
  '/jobs/{id}/CANCEL',
  '/jobs/{id}/cancel/extra',
  '/operations/{id}',
];

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const routePath = fc
  .tuple(fc.constantFrom(...ROUTE_TEMPLATES), unknownJobId)
  .map(([template, id]) => template.replace('{id}', encodePathSegment(id)));

const randomPath = fc.array(pathSegment, { minLength: 0, maxLength: 6 }).map((segments) => {
  const path = `/${segments.join('/')}`;
  // Request lines stay under API Gateway's 8 KB of URL.
  return path.length > 7000 ? path.slice(0, 7000) : path;
});

// ---- bodies ----------------------------------------------------------------------------------------------

const ENCODED_BODIES: readonly { name: string; hex: string }[] = (() => {
  const json = '{"operation":"checksum","input":{"text":"h\u00e9llo \u65e5\u672c"}}';
  const inString = (bytes: number[]) =>
    Buffer.concat([
      Buffer.from('{"operation":"checksum","input":{"text":"'),
      Buffer.from(bytes),
      Buffer.from('"}}'),
    ]).toString('hex');
  return [
    { name: 'invalid-utf8-in-string', hex: inString([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1]) },
    { name: 'utf8-surrogate-bytes', hex: inString([0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf]) },
    { name: 'overlong-utf8', hex: inString([0xc0, 0xaf, 0xe0, 0x80, 0xaf]) },
    { name: 'truncated-utf8', hex: inString([0xe0, 0xa4]) },
    { name: 'nul-in-string', hex: inString([0x00, 0x01, 0x1f]) },
    {
      name: 'utf8-bom',
      hex: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]).toString('hex'),
    },
    {
      name: 'utf16le-bom',
      hex: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]).toString('hex'),
    },
    { name: 'utf16le', hex: Buffer.from(json, 'utf16le').toString('hex') },
    { name: 'utf16be', hex: Buffer.from(json, 'utf16le').swap16().toString('hex') },
    { name: 'latin1', hex: Buffer.from(json, 'latin1').toString('hex') },
    {
      name: 'gzip-magic',
      hex: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from(json)]).toString('hex'),
    },
    { name: 'nul-bytes', hex: '00'.repeat(64) },
    { name: 'high-bytes', hex: 'ff'.repeat(64) },
  ];
})();

const bodySpec: fc.Arbitrary<{ category: string; body: BodySpec | undefined }> = fc.oneof(
  {
    weight: 10,
    arbitrary: operationRequestText.map((t) => ({
      category: 'fields',
      body: { kind: 'text', text: t } as BodySpec,
    })),
  },
  {
    weight: 3,
    arbitrary: anyJson.map((value) => ({
      category: 'json-not-object',
      body: { kind: 'text', text: text(value) } as BodySpec,
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        '',
        ' ',
        '\n',
        '{',
        '}',
        '{"operation":"checksum",',
        '{"operation":"checksum","input":{"text":"x"}}garbage',
        '{"operation":"checksum"}{"operation":"checksum"}',
        "{'operation':'checksum'}",
        '{"operation":"checksum","input":{"text":"x",}}',
        '{"operation":NaN}',
        '{"operation":"checksum","input":{"text":"\\ud800"}}',
        '{"operation":"checksum","input":{"text":"\\u0000"}}',
        'operation=checksum&input[text]=x',
        '[]',
        'null',
        '1e999',
        '"just a string"',
      )
      .map((t) => ({ category: 'malformed-json', body: { kind: 'text', text: t } as BodySpec })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(...ENCODED_BODIES)
      .map(({ name, hex }) => ({ category: `encoding:${name}`, body: { kind: 'hex', hex } as BodySpec })),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((bytes) => ({
      category: 'random-bytes',
      body: { kind: 'hex', hex: Buffer.from(bytes).toString('hex') } as BodySpec,
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        shape: fc.constantFrom<FillerShape>(
          'checksum-ascii',
          'checksum-2-byte',
          'checksum-3-byte',
          'checksum-4-byte',
          'deep-array-input',
          'deep-object-input',
          'deep-meta',
          'many-keys-input',
          'long-array-input',
        ),
        bytes: fc.constantFrom(1_000, 20_000, 100_050, 300_000, 700_000),
      })
      .map(({ shape, bytes }) => ({
        category: `big:${shape}`,
        body: { kind: 'filler', shape, bytes } as BodySpec,
      })),
  },
  { weight: 1, arbitrary: fc.constant({ category: 'no-body', body: undefined }) },
);

// ---- requests --------------------------------------------------------------------------------------------

const signingServiceOf = (door: Door) => (door === 'functionUrl' ? 'lambda' : 'execute-api');

/** Valid requests, so the success paths are exercised too. */
const validRequest = (door: Door): fc.Arbitrary<HostileRequest> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({
          request: validOperationRequest,
          via: fc.constantFrom('meta', 'headers'),
          contentType: fc.constantFrom(
            'application/json',
            'application/json; charset=utf-8',
            'text/plain',
            'application/octet-stream',
          ),
          correlationId: fc.option(printable(1, 64), { nil: undefined }),
          signedAs: fc.option(fc.constantFrom('KEYALICE', 'KEYBOB'), { nil: undefined }),
        })
        .map(({ request, via, contentType, correlationId, signedAs }): HostileRequest => {
          const headers: [string, string][] = [['Content-Type', contentType]];
          const meta: Record<string, unknown> = {};
          if (via === 'meta') {
            if (request.async) meta.async = true;
            if (request.clientRequestId) meta.clientRequestId = request.clientRequestId;
          } else {
            if (request.async) headers.push(['Prefer', 'respond-async']);
            if (request.clientRequestId) headers.push(['Idempotency-Key', request.clientRequestId]);
          }
          if (correlationId !== undefined) headers.push(['X-Correlation-Id', correlationId]);
          if (signedAs !== undefined) headers.push(...sigV4(signedAs, signingServiceOf(door)));
          const body = { ...request.body, ...(Object.keys(meta).length > 0 && { meta }) };
          return {
            category: `valid:${request.body.operation}${request.async ? ':async' : ''}`,
            method: 'POST',
            path: '/jobs',
            headers,
            body: { kind: 'text', text: JSON.stringify(body) },
            expect: 'success',
          };
        }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('/jobs', '/jobs?limit=5', '/jobs?limit=1', '/operations').map(
        (path): HostileRequest => ({
          category: 'valid:get',
          method: 'GET',
          path,
          headers: [],
          expect: 'success',
        }),
      ),
    },
  );

/** Any route and method (right or wrong), any path, any headers, any body. */
const hostileRequest = (door: Door): fc.Arbitrary<HostileRequest> =>
  fc
    .record({
      method: fc.oneof(
        { weight: 3, arbitrary: fc.constant('POST') },
        { weight: 2, arbitrary: fc.constantFrom(...METHODS) },
      ),
      path: fc.oneof(
        { weight: 3, arbitrary: fc.constant('/jobs') },
        { weight: 3, arbitrary: routePath },
        { weight: 2, arbitrary: randomPath },
      ),
      query: queryString,
      headers: hostileHeaders,
      signed: fc.boolean(),
      body: bodySpec,
    })
    .map(
      ({ method, path, query, headers, signed, body }): HostileRequest => ({
        category: path === '/jobs' && method === 'POST' ? `post-jobs:${body.category}` : `route:${method}`,
        method,
        path: `${path}${query}`,
        headers: [
          ...headers.headers,
          ...(signed ? sigV4(headers.caller ?? 'KEYALICE', signingServiceOf(door)) : []),
        ],
        ...(body.body !== undefined && { body: body.body }),
        expect: 'any',
      }),
    );

/** The generated requests of one door: mostly hostile, some valid. */
export const doorRequest = (door: Door): fc.Arbitrary<HostileRequest> =>
  fc.oneof({ weight: 5, arbitrary: hostileRequest(door) }, { weight: 1, arbitrary: validRequest(door) });

/** The limits a door's request crosses: the door's own cap, the gateway's, Lambda's invoke payload. */
export interface DoorLimits {
  /** The gateway refuses bodies over this with 413 before any function runs. */
  readonly gatewayBytes: number;
  /** Lambda refuses an invoke payload (the whole event) over this. */
  readonly invokeBytes: number;
}

/**
 * The fixed edge cases of a door, sent before the generated ones: every route with every method, the
 * malformed escapes, the size limits from each side, and each encoding with a content type that tells the
 * truth and one that lies.
 */
export function fixedRequests(limits: DoorLimits): HostileRequest[] {
  const requests: HostileRequest[] = [];
  const json: [string, string][] = [['Content-Type', 'application/json']];
  for (const template of [
    '/jobs',
    '/jobs/AAAAAAAAAAAAAAAAAAAAAA',
    '/jobs/AAAAAAAAAAAAAAAAAAAAAA/cancel',
    '/operations',
    '/',
  ]) {
    for (const method of METHODS) {
      requests.push({
        category: `route:${method}`,
        method,
        path: template,
        headers: json,
        ...(method !== 'GET' &&
          method !== 'HEAD' && {
            body: { kind: 'text', text: '{"operation":"checksum","input":{"text":"x"}}' },
          }),
        expect:
          (method === 'POST' && template === '/jobs') ||
          (method === 'GET' && (template === '/jobs' || template === '/operations'))
            ? 'success'
            : 'any',
      });
    }
  }
  for (const segment of [
    '%ZZ',
    '%E0%A4%A',
    '%',
    '%ED%A0%80',
    '%C0%AF',
    '%00',
    '%2F',
    '__proto__',
    'constructor',
    'a'.repeat(2044),
    // A job id over DynamoDB's 2048-byte key once prefixed: in bytes, and in characters.
    'a'.repeat(2045),
    encodeURIComponent('日'.repeat(700)),
    'a'.repeat(6000),
  ]) {
    requests.push({
      category: 'route:GET',
      method: 'GET',
      path: `/jobs/${segment}`,
      headers: [],
      expect: 'any',
    });
    requests.push({
      category: 'route:POST',
      method: 'POST',
      path: `/jobs/${segment}/cancel`,
      headers: [],
      expect: 'any',
    });
  }
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    requests.push({
      category: 'post-jobs:fields',
      method: 'POST',
      path: '/jobs',
      headers: json,
      body: { kind: 'text', text: `{"operation":${JSON.stringify(name)},"input":{}}` },
      expect: 'any',
    });
  }
  requests.push({
    category: 'post-jobs:fields',
    method: 'POST',
    path: '/jobs',
    headers: json,
    body: {
      kind: 'text',
      text: '{"operation":"checksum","input":{"text":"x"},"__proto__":{"meta":{"async":true}}}',
    },
    expect: 'any',
  });
  for (const { name, hex } of ENCODED_BODIES) {
    for (const contentType of [
      'application/json',
      'application/octet-stream',
      'application/json; charset=utf-16',
    ]) {
      requests.push({
        category: `post-jobs:encoding:${name}`,
        method: 'POST',
        path: '/jobs',
        headers: [['Content-Type', contentType]],
        body: { kind: 'hex', hex },
        expect: 'any',
      });
    }
  }
  for (const [header, value] of [
    ['X-Correlation-Id', ''],
    ['X-Correlation-Id', 'x'.repeat(3000)],
    ['X-Correlation-Id', utf8AsLatin1('日本語')],
    ['Idempotency-Key', ''],
    ['Idempotency-Key', 'x'.repeat(3000)],
    ['Idempotency-Key', utf8AsLatin1('ключ')],
    ['Prefer', 'wait=0'],
    ['Prefer', 'wait=abc, respond-async;;;'],
  ] as const) {
    requests.push({
      category: 'post-jobs:headers',
      method: 'POST',
      path: '/jobs',
      headers: [...json, [header, value]],
      body: { kind: 'text', text: '{"operation":"checksum","input":{"text":"x"}}' },
      expect: 'any',
    });
  }
  // Names that are members of Object.prototype, as query keys and header names: valid requests all the same.
  for (const name of PROTOTYPE_KEYS) {
    requests.push({
      category: 'valid:get',
      method: 'GET',
      path: `/jobs?${name}=1`,
      headers: [],
      expect: 'success',
    });
    requests.push({
      category: 'valid:get',
      method: 'GET',
      path: '/jobs',
      headers: [[name, 'x']],
      expect: 'success',
    });
  }
  // The sizes: just under and just over the door's cap, under the invoke limit; over the invoke limit (the
  // event carries the body, base64 for a binary one); over the gateway's cap.
  const sizes: [FillerShape, number, Expectation][] = [
    ['checksum-ascii', 100_050, 'any'],
    ['checksum-3-byte', 300_000, 'any'],
    ['checksum-4-byte', 400_000, 'any'],
    ['checksum-ascii', DOOR_BODY_LIMIT_BYTES, 'any'],
    ['checksum-ascii', DOOR_BODY_LIMIT_BYTES + 1, 'door-too-large'],
    ['checksum-3-byte', 2 * DOOR_BODY_LIMIT_BYTES, 'door-too-large'],
    // Binary bodies travel base64 in the event: 4 MiB stays under the 6 MB invoke payload, 5 MiB does not.
    ['binary', 4 * DOOR_BODY_LIMIT_BYTES, 'door-too-large'],
    ['binary', 5 * DOOR_BODY_LIMIT_BYTES, 'over-invoke-limit'],
    ['deep-array-input', 200_000, 'any'],
    ['deep-object-input', 600_000, 'any'],
    ['deep-meta', 200_000, 'any'],
    ['many-keys-input', 900_000, 'any'],
    ['long-array-input', 900_000, 'any'],
  ];
  if (limits.gatewayBytes > limits.invokeBytes + 1024) {
    sizes.push(['checksum-ascii', limits.invokeBytes + 512 * 1024, 'over-invoke-limit']);
  }
  sizes.push(['checksum-ascii', limits.gatewayBytes + 1, 'gateway-too-large']);
  for (const [shape, bytes, expect] of sizes) {
    requests.push({
      category: `size:${shape}:${bytes}`,
      method: 'POST',
      path: '/jobs',
      headers: [['Content-Type', shape === 'binary' ? 'application/octet-stream' : 'application/json']],
      body: { kind: 'filler', shape, bytes },
      expect,
    });
  }
  return requests;
}

// ---- direct invocations ----------------------------------------------------------------------------------

const restEventTemplate = (method: string, path: string, body: string | null) => ({
  resource: '/{proxy+}',
  path,
  httpMethod: method,
  headers: { 'content-type': 'application/json' },
  multiValueHeaders: { 'content-type': ['application/json'] },
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  pathParameters: { proxy: path.slice(1) },
  stageVariables: null,
  requestContext: {
    resourcePath: '/{proxy+}',
    httpMethod: method,
    path: `/local${path}`,
    stage: 'local',
    requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    identity: { userArn: 'arn:aws:iam::000000000000:user/local-developer' },
  },
  body,
  isBase64Encoded: false,
});

const v2EventTemplate = (method: string, path: string, body: string | null) => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: path,
  rawQueryString: '',
  headers: { 'content-type': 'application/json' },
  requestContext: {
    accountId: '000000000000',
    apiId: 'api',
    domainName: 'example.com',
    http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'x' },
    requestId: 'JKJaXmPLvHcESHA=',
    routeKey: '$default',
    stage: '$default',
    authorizer: { iam: { userArn: 'arn:aws:iam::000000000000:user/local-developer' } },
  },
  body,
  isBase64Encoded: false,
});

type Json = unknown;

/** Replaces or deletes the value at a dotted path of a (cloned) object. */
function mutate(event: Record<string, Json>, path: string, value: Json | undefined): Record<string, Json> {
  const clone = structuredClone(event) as Record<string, Json>;
  const keys = path.split('.');
  let node = clone as Record<string, Json>;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) return clone;
    node = next as Record<string, Json>;
  }
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return clone;
}

const REST_FIELDS = [
  'httpMethod',
  'path',
  'headers',
  'headers.content-type',
  'body',
  'isBase64Encoded',
  'queryStringParameters',
  'requestContext',
  'requestContext.stage',
  'requestContext.requestId',
  'requestContext.identity',
  'requestContext.identity.userArn',
  'requestContext.authorizer',
  'requestContext.requestTimeEpoch',
];
const V2_FIELDS = [
  'version',
  'rawPath',
  'rawQueryString',
  'headers',
  'body',
  'isBase64Encoded',
  'requestContext',
  'requestContext.http',
  'requestContext.http.method',
  'requestContext.requestId',
  'requestContext.authorizer',
  'requestContext.authorizer.iam',
  'requestContext.authorizer.iam.userArn',
  'requestContext.authorizer.lambda',
  'requestContext.timeEpoch',
];

const httpEventPayload = fc
  .record({
    version: fc.constantFrom('rest', 'v2'),
    method: fc.constantFrom(...METHODS, 'get', ''),
    path: fc.oneof(routePath, randomPath),
    body: fc.oneof(operationRequestText, fc.constant(null), nastyString),
    mutations: fc.array(
      fc.tuple(
        fc.nat(),
        fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: anyJson }),
      ),
      { maxLength: 3 },
    ),
  })
  .map(({ version, method, path, body, mutations }) => {
    const fields = version === 'rest' ? REST_FIELDS : V2_FIELDS;
    let event: Record<string, Json> =
      version === 'rest' ? restEventTemplate(method, path, body) : v2EventTemplate(method, path, body);
    for (const [index, value] of mutations)
      event = mutate(event, fields[index % fields.length] as string, value);
    return event;
  });

const jobRunPayload = fc
  .record(
    {
      baton: fc.oneof(
        { weight: 4, arbitrary: fc.constant<Json>('job.run') },
        { weight: 1, arbitrary: anyJson },
      ),
      v: fc.oneof({ weight: 3, arbitrary: fc.constant<Json>(1) }, { weight: 1, arbitrary: anyJson }),
      jobId: fc.oneof(
        { weight: 3, arbitrary: unknownJobId.map((id) => id as Json) },
        { weight: 1, arbitrary: anyJson },
      ),
      hop: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 20 }).map((n) => n as Json) },
        { weight: 1, arbitrary: fc.constantFrom<Json>(-1, 100_000, 100_001, 1.5, '0', null) },
        { weight: 1, arbitrary: anyJson },
      ),
      correlationId: fc.oneof(
        printable(1, 64).map((id) => id as Json),
        correlationIdValue.map((id) => id as Json),
        anyJson,
      ),
      extra: anyJson,
    },
    { requiredKeys: ['baton'] },
  )
  .map(({ extra, ...event }) =>
    extra === undefined ? event : { ...event, [PROTOTYPE_KEYS[0] as string]: extra },
  );

const jobActionPayload = fc.record(
  {
    action: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom<Json>('getJob', 'cancelJob', 'listJobs', 'describeOperations'),
      },
      { weight: 1, arbitrary: anyJson },
    ),
    v: fc.oneof({ weight: 3, arbitrary: fc.constant<Json>(1) }, { weight: 1, arbitrary: anyJson }),
    jobId: fc.oneof(
      unknownJobId.map((id) => id as Json),
      anyJson,
    ),
    limit: fc.oneof(fc.constantFrom<Json>(0, -1, 1, 5, 1000, 1e9, 1.5, '5', null), anyJson),
    cursor: fc.oneof(fc.constantFrom<Json>('', 'garbage', 'eyJhIjoxfQ', '%ZZ'), anyJson),
  },
  { requiredKeys: ['action'] },
);

const clientContext = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom<Json>(
          'KEYALICE',
          '',
          ' ',
          'a b',
          'x'.repeat(1024),
          'x'.repeat(1025),
          42,
          true,
          [],
          {},
          null,
        ),
        printable(1, 200),
        nastyString,
      )
      .map((caller) => JSON.stringify({ custom: { caller } })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"custom":null}',
      '{"custom":"x"}',
      '{}',
      'null',
      '[]',
      '"x"',
      'not json',
      '{"custom":{"__proto__":{"caller":"root"}}}',
    ),
  },
);

/** Payloads of a direct invocation: scalars, arrays, random JSON, event look-alikes, job actions, not JSON. */
export const invokePayload: fc.Arbitrary<HostilePayload> = fc
  .record({
    body: fc.oneof(
      {
        weight: 2,
        arbitrary: fc
          .constantFrom<Json>(
            null,
            true,
            false,
            0,
            1,
            -1,
            1.5,
            1e308,
            '',
            'x',
            '__proto__',
            [],
            [null],
            {},
            { baton: null },
          )
          .map((value) => ({ category: 'scalar', text: JSON.stringify(value), expect: 'any' as const })),
      },
      {
        weight: 2,
        arbitrary: fc
          .array(anyJson, { maxLength: 5 })
          .map((value) => ({ category: 'array', text: JSON.stringify(value), expect: 'any' as const })),
      },
      {
        weight: 2,
        arbitrary: fc
          .dictionary(fc.oneof(nastyString, fc.constantFrom(...PROTOTYPE_KEYS)), anyJson, { maxKeys: 5 })
          .map((value) => ({ category: 'random-json', text: JSON.stringify(value), expect: 'any' as const })),
      },
      {
        weight: 4,
        arbitrary: operationRequestText.map((t) => ({
          category: 'operation-request',
          text: t,
          expect: 'any' as const,
        })),
      },
      {
        weight: 2,
        arbitrary: validOperationRequest.map(({ body, async, clientRequestId }) => ({
          category: `valid:${body.operation}${async ? ':async' : ''}`,
          text: JSON.stringify({
            ...body,
            ...((async || clientRequestId) && {
              meta: { ...(async && { async }), ...(clientRequestId && { clientRequestId }) },
            }),
          }),
          expect: 'success' as const,
        })),
      },
      {
        weight: 3,
        arbitrary: httpEventPayload.map((event) => ({
          category: 'http-event',
          text: JSON.stringify(event),
          expect: 'any' as const,
        })),
      },
      {
        weight: 3,
        arbitrary: jobRunPayload.map((event) => ({
          category: 'job-run',
          text: JSON.stringify(event),
          expect: 'job-run' as const,
        })),
      },
      {
        weight: 3,
        arbitrary: jobActionPayload.map((event) => ({
          category: 'job-action',
          text: JSON.stringify(event),
          expect: 'any' as const,
        })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('{', 'undefined', 'NaN', "{'a':1}", '{"a":1}x', '\u0000', 'operation=checksum')
          .map((t) => ({ category: 'not-json', text: t, expect: 'service-refusal' as const })),
      },
      {
        weight: 1,
        arbitrary: fc.uint8Array({ minLength: 1, maxLength: 512 }).map((bytes) => ({
          category: 'random-bytes',
          hex: Buffer.from(bytes).toString('hex'),
          expect: 'any' as const,
        })),
      },
    ),
    clientContext,
  })
  .map(
    ({ body, clientContext }): HostilePayload => ({
      category: body.category,
      payload: 'hex' in body ? { kind: 'hex', hex: body.hex as string } : { kind: 'text', text: body.text },
      // A valid request keeps to the default caller: a client context may name a caller that is not valid.
      ...(clientContext !== undefined && body.expect !== 'success' && { clientContext }),
      expect: body.expect,
    }),
  );

/** The fixed payloads every function gets: the scalars, deep and big payloads, and Lambda's size limit. */
export function fixedPayloads(invokeBytes: number): HostilePayload[] {
  const text = (category: string, t: string, expect: HostilePayload['expect'] = 'any'): HostilePayload => ({
    category,
    payload: { kind: 'text', text: t },
    expect,
  });
  return [
    ...['null', 'true', 'false', '0', '1', '-1', '"x"', '""', '[]', '{}', '[{}]', '1e999'].map((t) =>
      text('scalar', t),
    ),
    text('not-json', '', 'any'), // an empty payload is `{}` to Lambda
    text('not-json', '{', 'service-refusal'),
    text('not-json', 'undefined', 'service-refusal'),
    text('job-run', '{"baton":"job.run","v":1,"jobId":"AAAAAAAAAAAAAAAAAAAAAA","hop":0}', 'job-run'),
    text(
      'job-run',
      '{"baton":"job.run","v":1,"jobId":"AAAAAAAAAAAAAAAAAAAAAA","hop":0,"correlationId":"bad id"}',
      'job-run',
    ),
    text('job-run', '{"baton":"job.run","v":2,"jobId":"AAAAAAAAAAAAAAAAAAAAAA","hop":0}', 'job-run'),
    text('job-run', '{"baton":"job.run","v":1,"jobId":"\\ud800","hop":0}', 'job-run'),
    text('job-run', '{"baton":"job.run","v":1,"jobId":"__proto__","hop":0}', 'job-run'),
    text('job-run', '{"baton":"job.run","v":1,"jobId":"AAAAAAAAAAAAAAAAAAAAAA","hop":100000}', 'job-run'),
    text('job-run', '{"baton":"job.run"}', 'job-run'),
    text('job-run', '{"baton":null}', 'job-run'),
    text('job-action', '{"action":"getJob","v":1,"jobId":"AAAAAAAAAAAAAAAAAAAAAA"}'),
    text('job-action', JSON.stringify({ action: 'getJob', v: 1, jobId: 'a'.repeat(2045) })),
    text('job-action', JSON.stringify({ action: 'getJob', v: 1, jobId: '日'.repeat(700) })),
    text('job-action', JSON.stringify({ action: 'cancelJob', v: 1, jobId: 'a'.repeat(2045) })),
    text('job-run', JSON.stringify({ baton: 'job.run', v: 1, jobId: 'a'.repeat(2045), hop: 0 }), 'job-run'),
    text('job-action', '{"action":"getJob","v":1,"jobId":"\\ud800"}'),
    text('job-action', '{"action":"getJob","v":1,"jobId":"x","__proto__":{"v":2}}'),
    text('job-action', '{"action":"cancelJob","v":1,"jobId":"AAAAAAAAAAAAAAAAAAAAAA"}'),
    text('job-action', '{"action":"listJobs","v":1,"limit":0}'),
    text('job-action', '{"action":"listJobs","v":1,"limit":-1}'),
    text('job-action', '{"action":"listJobs","v":1,"limit":1000000000}'),
    text('job-action', '{"action":"listJobs","v":1,"cursor":"garbage"}'),
    text('job-action', '{"action":"listJobs","v":1,"cursor":"eyJhIjoxfQ"}'),
    text('job-action', '{"action":"describeOperations","v":1}'),
    text('job-action', '{"action":"constructor","v":1}'),
    text('job-action', '{"action":"__proto__","v":1}'),
    text('operation-request', '{"operation":"constructor","input":{}}'),
    text('operation-request', '{"operation":"__proto__","input":{}}'),
    text('operation-request', '{"operation":"toString","input":{}}'),
    text('operation-request', '{"operation":"checksum","input":{"text":"\\ud800"},"meta":{"async":true}}'),
    text('valid:checksum', '{"operation":"checksum","input":{"text":"hello"}}', 'success'),
    ...(
      ['deep-array-input', 'deep-object-input', 'deep-meta', 'many-keys-input', 'long-array-input'] as const
    ).map(
      (shape): HostilePayload => ({
        category: `big:${shape}`,
        payload: { kind: 'filler', shape, bytes: 900_000 },
        expect: 'any',
      }),
    ),
    {
      category: 'big:checksum-ascii',
      payload: { kind: 'filler', shape: 'checksum-ascii', bytes: 5 * 1024 * 1024 },
      expect: 'any',
    },
    {
      category: 'size:over-invoke-limit',
      payload: { kind: 'filler', shape: 'checksum-ascii', bytes: invokeBytes + 1 },
      expect: 'service-refusal',
    },
  ];
}

// ---- materializing ---------------------------------------------------------------------------------------

const FILL_CHAR: Record<string, string> = {
  'checksum-ascii': 'x',
  'checksum-2-byte': 'é',
  'checksum-3-byte': '日',
  'checksum-4-byte': '😀',
};

/** The bytes of a body. */
export function materialize(body: BodySpec): Buffer {
  switch (body.kind) {
    case 'text':
      return Buffer.from(body.text, 'utf8');
    case 'hex':
      return Buffer.from(body.hex, 'hex');
    case 'filler':
      return fill(body.shape, body.bytes);
  }
}

function fill(shape: FillerShape, bytes: number): Buffer {
  const wrap = (input: string) => `{"operation":"checksum","input":${input}}`;
  switch (shape) {
    case 'checksum-ascii':
    case 'checksum-2-byte':
    case 'checksum-3-byte':
    case 'checksum-4-byte': {
      const head = Buffer.from('{"operation":"checksum","input":{"text":"');
      const tail = Buffer.from('"}}');
      const unit = Buffer.from(FILL_CHAR[shape] as string, 'utf8');
      const room = Math.max(0, bytes - head.length - tail.length);
      const middle = Buffer.alloc(room - (room % unit.length), unit);
      const pad = Buffer.alloc(room % unit.length, 'x');
      return Buffer.concat([head, middle, pad, tail]);
    }
    case 'deep-array-input': {
      const depth = Math.max(1, Math.floor(bytes / 2));
      return Buffer.from(wrap(`${'['.repeat(depth)}${']'.repeat(depth)}`));
    }
    case 'deep-object-input': {
      const depth = Math.max(1, Math.floor(bytes / 7));
      return Buffer.from(wrap(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));
    }
    case 'deep-meta': {
      const depth = Math.max(1, Math.floor(bytes / 7));
      return Buffer.from(
        `{"operation":"checksum","input":{"text":"x"},"meta":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
      );
    }
    case 'many-keys-input': {
      const count = Math.max(1, Math.floor(bytes / 12));
      const keys = Array.from({ length: count }, (_, index) => `"k${index}":0`);
      return Buffer.from(wrap(`{"text":"x",${keys.join(',')}}`));
    }
    case 'long-array-input': {
      const count = Math.max(1, Math.floor(bytes / 2));
      return Buffer.from(wrap(`[${new Array(count).fill('0').join(',')}]`));
    }
    case 'binary': {
      const buffer = Buffer.alloc(bytes);
      for (let index = 0; index < bytes; index += 1) buffer[index] = (index * 131 + 7) & 0xff;
      return buffer;
    }
  }
}

/** A request or payload as it can be printed: short bodies in full, long ones by size and head. */
export function describeBody(body: BodySpec | undefined): unknown {
  if (body === undefined) return undefined;
  if (body.kind === 'filler') return body;
  if (body.kind === 'hex')
    return body.hex.length <= 600
      ? body
      : { kind: 'hex', bytes: body.hex.length / 2, head: body.hex.slice(0, 600) };
  return body.text.length <= 600
    ? body
    : { kind: 'text', chars: body.text.length, head: body.text.slice(0, 600) };
}
