import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * AWS Signature Version 4, both ways: checking the signature of a request against local credentials (the
 * Invoke API and the HTTP doors when they are not on loopback), and signing the emulators' own calls to the
 * Invoke API. The signature is recomputed with `@smithy/signature-v4` — the signer the AWS SDK itself uses —
 * from the request as received (method, path, query, the signed headers, the body's hash, the date, the
 * credential scope's region and service), and compared in constant time.
 */

/** A caller the local stack knows: its access key, the secret its signatures are checked with, who it is. */
export interface LocalCredential {
  accessKeyId: string;
  secretAccessKey: string;
  /** The caller's IAM or STS ARN, e.g. `arn:aws:iam::123456789012:user/alice`: what the doors report. */
  principalArn: string;
}

export type SigningService = 'execute-api' | 'lambda' | 'events';

/** Why a signature is refused: each maps to its own error (see the doors and the Invoke API). */
export type SignatureProblem =
  /** No signature at all. */
  | 'missing'
  /** A signature that is not well-formed, or scoped to another service, region or date. */
  | 'incomplete'
  /** An access key no configured credential has. */
  | 'unknown-key'
  /** The signature does not match the request (wrong secret, changed body, path, query or header). */
  | 'mismatch'
  /** Signed too long ago (or too far in the future), or a presigned URL past its expiry. */
  | 'expired';

export type SignatureCheck =
  | { ok: true; credential: LocalCredential }
  | { ok: false; problem: SignatureProblem; message: string };

/** A request as received: what its signature covers. */
export interface ReceivedRequest {
  method: string;
  /** The path exactly as sent (percent-encoding kept). */
  rawPath: string;
  /** The query string as sent, without `?`. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * How far a request's signing time may be from now. API Gateway allows 5 minutes ("… (now - 5 min.)" in its
 * message); Lambda, like most AWS services, 15.
 */
export const SIGNATURE_MAX_SKEW_MS: Record<SigningService, number> = {
  'execute-api': 5 * 60_000,
  lambda: 15 * 60_000,
  events: 15 * 60_000,
};

const MISSING_TOKEN = 'Missing Authentication Token';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const UNKNOWN_KEY = 'The security token included in the request is invalid.';
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** SHA-256 and HMAC-SHA-256 for the signer, from node:crypto. */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret: Buffer | undefined;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined ? undefined : toBuffer(secret);
    this.hash = this.fresh();
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

function signer(
  credential: { accessKeyId: string; secretAccessKey: string },
  region: string,
  service: string,
) {
  return new SignatureV4({
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    region,
    service,
    sha256: NodeSha256,
    // Signing: leave the body hash out of the headers (not every client sends it). Checking: a client that
    // sent the header has it among its signed headers, and the signer then uses that value.
    applyChecksum: false,
  });
}

/** The parts of a SigV4 signature, from the Authorization header or a presigned URL's query. */
interface SignatureParts {
  presigned: boolean;
  credential: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string | undefined;
  expiresSeconds?: number;
}

type Parsed = { ok: true; parts: SignatureParts } | { ok: false; problem: SignatureProblem; message: string };

function parseSignature(request: ReceivedRequest, query: Array<[string, string]>): Parsed {
  const authorization = single(request.headers.authorization);
  if (authorization !== undefined) {
    const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(authorization.trim());
    const parameters = new Map<string, string>();
    for (const part of (match?.[1] ?? '').split(',')) {
      const separator = part.indexOf('=');
      if (separator > 0) parameters.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
    }
    const credential = parameters.get('Credential');
    const signedHeaders = parameters.get('SignedHeaders');
    const signature = parameters.get('Signature');
    if (!match || !credential || !signedHeaders || !signature) {
      return {
        ok: false,
        problem: 'incomplete',
        message: `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=${authorization}`,
      };
    }
    return {
      ok: true,
      parts: {
        presigned: false,
        credential,
        signedHeaders: signedHeaders.split(';').map((name) => name.trim().toLowerCase()),
        signature,
        amzDate: single(request.headers['x-amz-date']),
      },
    };
  }
  const get = (name: string) => query.findLast(([key]) => key === name)?.[1];
  const credential = get('X-Amz-Credential');
  if (credential === undefined) return { ok: false, problem: 'missing', message: MISSING_TOKEN };
  const signature = get('X-Amz-Signature');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const expires = Number(get('X-Amz-Expires'));
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !signature || !signedHeaders) {
    return {
      ok: false,
      problem: 'incomplete',
      message:
        "A presigned URL needs the query parameters 'X-Amz-Algorithm' (AWS4-HMAC-SHA256), 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature' and 'X-Amz-Expires'.",
    };
  }
  return {
    ok: true,
    parts: {
      presigned: true,
      credential,
      signedHeaders: signedHeaders.split(';').map((name) => name.trim().toLowerCase()),
      signature,
      amzDate: get('X-Amz-Date'),
      expiresSeconds: Number.isInteger(expires) && expires > 0 ? expires : 900,
    },
  };
}

/** The parts of a credential scope, `<access key>/<date>/<region>/<service>/aws4_request`, checked. */
export function parseCredentialScope(
  credential: string,
  options: { region: string; service: SigningService },
): { ok: true; accessKey: string; date: string } | { ok: false; problem: 'incomplete'; message: string } {
  const [accessKey, date, region, service, terminator, ...rest] = credential.split('/');
  if (!accessKey || !date || !region || !service || terminator !== 'aws4_request' || rest.length > 0) {
    return {
      ok: false,
      problem: 'incomplete',
      message: `Credential should be of the form <access key>/<date>/<region>/<service>/aws4_request, got '${credential}'.`,
    };
  }
  if (service !== options.service) {
    return {
      ok: false,
      problem: 'incomplete',
      message: `Credential should be scoped to correct service: '${options.service}'.`,
    };
  }
  if (region !== options.region) {
    return {
      ok: false,
      problem: 'incomplete',
      message: `Credential should be scoped to a valid region, not '${region}'.`,
    };
  }
  return { ok: true, accessKey, date };
}

/**
 * Checks a request's SigV4 signature (Authorization header or presigned URL) against the credentials. Only an
 * exact recomputation passes: right secret, same method, path, query, signed headers and body, a signing time
 * within the service's skew, a scope of this region and service.
 */
export async function verifySignature(
  request: ReceivedRequest,
  options: {
    credentials: readonly LocalCredential[];
    region: string;
    service: SigningService;
    now?: number;
  },
): Promise<SignatureCheck> {
  const query = decodeQuery(request.rawQuery);
  const parsed = parseSignature(request, query);
  if (!parsed.ok) return parsed;
  const { parts } = parsed;
  const scope = parseCredentialScope(parts.credential, options);
  if (!scope.ok) return scope;

  if (parts.amzDate === undefined) {
    return {
      ok: false,
      problem: 'incomplete',
      message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    };
  }
  const signedAt = parseAmzDate(parts.amzDate);
  if (signedAt === undefined) {
    return {
      ok: false,
      problem: 'incomplete',
      message: `X-Amz-Date must be in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z', got '${parts.amzDate}'.`,
    };
  }
  if (scope.date !== parts.amzDate.slice(0, 8)) {
    return {
      ok: false,
      problem: 'incomplete',
      message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${parts.amzDate.slice(0, 8)}', from '${parts.amzDate}'.`,
    };
  }
  if (!parts.signedHeaders.includes('host')) {
    return {
      ok: false,
      problem: 'incomplete',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    };
  }
  const expired = checkTime(signedAt, parts, options.service, options.now ?? Date.now());
  if (expired !== undefined) return { ok: false, problem: 'expired', message: expired };

  const credential = options.credentials.find((candidate) => candidate.accessKeyId === scope.accessKey);
  if (credential === undefined) return { ok: false, problem: 'unknown-key', message: UNKNOWN_KEY };

  // The body is covered through its hash. A client that sends the hash as a header signs that header, and the
  // signer takes the header's value: it must then be the body's real hash, or a changed body would pass.
  const claimedHash = single(request.headers['x-amz-content-sha256']);
  if (claimedHash !== undefined && !parts.presigned) {
    if (claimedHash === 'UNSIGNED-PAYLOAD') {
      return {
        ok: false,
        problem: 'mismatch',
        message: "x-amz-content-sha256 'UNSIGNED-PAYLOAD' is not accepted here: sign the body.",
      };
    }
    const actual = request.body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(request.body);
    if (claimedHash.toLowerCase() !== actual) {
      return {
        ok: false,
        problem: 'mismatch',
        message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
      };
    }
  }

  const headers: Record<string, string> = {};
  for (const name of parts.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return { ok: false, problem: 'mismatch', message: MISMATCH };
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signed = await signer(credential, options.region, options.service).sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? 'localhost',
      path: request.rawPath,
      query: queryObject(query),
      headers,
      ...(request.body.length > 0 ? { body: request.body } : {}),
    },
    {
      signingDate: signedAt,
      signingRegion: options.region,
      signingService: options.service,
      signableHeaders: new Set(parts.signedHeaders),
      // Only the headers the client signed: the signer must not add its own x-amz-date to the list.
      ...(parts.signedHeaders.includes('x-amz-date') ? {} : { unsignableHeaders: new Set(['x-amz-date']) }),
    },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '';
  return constantTimeEqual(expected, parts.signature)
    ? { ok: true, credential }
    : { ok: false, problem: 'mismatch', message: MISMATCH };
}

/**
 * Signs a request to the Invoke API as the AWS SDK would, returning the headers to add (`authorization`,
 * `x-amz-date`, and `x-amz-content-sha256`).
 */
export async function signRequest(
  request: { method: string; host: string; path: string; headers: Record<string, string>; body?: string },
  options: {
    credential: { accessKeyId: string; secretAccessKey: string };
    region: string;
    service: SigningService;
  },
): Promise<Record<string, string>> {
  const [pathname = '/', search = ''] = request.path.split('?', 2);
  const body = request.body ?? '';
  const headers = {
    ...request.headers,
    host: request.host,
    'x-amz-content-sha256': body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(Buffer.from(body)),
  };
  const signed = await signer(options.credential, options.region, options.service).sign({
    method: request.method,
    protocol: 'http:',
    hostname: request.host,
    path: pathname,
    query: queryObject(decodeQuery(search)),
    headers,
    ...(body.length > 0 ? { body } : {}),
  });
  return {
    authorization: String(signed.headers.authorization),
    'x-amz-date': String(signed.headers['x-amz-date']),
    'x-amz-content-sha256': headers['x-amz-content-sha256'],
  };
}

function checkTime(
  signedAt: Date,
  parts: SignatureParts,
  service: SigningService,
  now: number,
): string | undefined {
  const skewMs = SIGNATURE_MAX_SKEW_MS[service];
  const minutes = skewMs / 60_000;
  const signed = signedAt.getTime();
  if (parts.presigned) {
    if (now > signed + (parts.expiresSeconds ?? 0) * 1000) return 'Request has expired';
  } else if (signed < now - skewMs) {
    return `Signature expired: ${parts.amzDate} is now earlier than ${amzDate(now - skewMs)} (${amzDate(now)} - ${minutes} min.)`;
  }
  if (signed > now + skewMs) {
    return `Signature not yet current: ${parts.amzDate} is still later than ${amzDate(now + skewMs)} (${amzDate(now)} + ${minutes} min.)`;
  }
  return undefined;
}

function parseAmzDate(text: string): Date | undefined {
  const match = AMZ_DATE.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function amzDate(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Query pairs as sent, percent-decoded; `+` stays `+` (as the gateways and the SDK's own encoding mean it). */
function decodeQuery(rawQuery: string): Array<[string, string]> {
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  return rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const separator = part.indexOf('=');
      return separator < 0
        ? [decode(part), '']
        : [decode(part.slice(0, separator)), decode(part.slice(separator + 1))];
    });
}

/** The query as the signer takes it: decoded names and values, a repeated name as an array. */
function queryObject(query: Array<[string, string]>): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of query) {
    const existing = result[name];
    if (existing === undefined) result[name] = value;
    else result[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return result;
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function constantTimeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** Whether a listen address only this machine can reach: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) {
    const lower = bare.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  }
  return false;
}

/** What every server that takes signatures is configured with. */
export interface SignatureOptions {
  /**
   * The callers signatures are checked against. Needed — and then every request must be signed by one of them
   * — when the server listens on an address other than loopback. Default: none.
   */
  credentials?: readonly LocalCredential[];
  /**
   * Check every request's SigV4 signature against `credentials` (unsigned and badly signed requests are refused).
   * Default: `true` when `host` is not a loopback address — where it cannot be turned off —, `false` on loopback,
   * where a signature only names the caller.
   */
  verifySignatures?: boolean;
}

export interface SignaturePolicy {
  verify: boolean;
  credentials: readonly LocalCredential[];
}

/**
 * Decides whether a server verifies signatures, and refuses to start one that would be reachable from other
 * machines without verifying them.
 */
export function resolveSignaturePolicy(
  title: string,
  host: string,
  options: SignatureOptions,
): SignaturePolicy {
  const credentials = options.credentials ?? [];
  validateCredentials(title, credentials);
  const loopback = isLoopbackHost(host);
  if (!loopback && options.verifySignatures === false) {
    throw new Error(
      `${title}: verifySignatures cannot be false on ${host}, which other machines can reach; signatures are only optional on loopback (127.0.0.1).`,
    );
  }
  const verify = options.verifySignatures ?? !loopback;
  if (verify && credentials.length === 0) {
    throw new Error(
      loopback
        ? `${title}: verifySignatures needs credentials to check signatures against: pass credentials: [{ accessKeyId, secretAccessKey, principalArn }].`
        : `${title}: ${host} is not a loopback address, so every request must carry a SigV4 signature that is checked, and there are no credentials to check it against. Pass credentials: [{ accessKeyId, secretAccessKey, principalArn }], or listen on 127.0.0.1.`,
    );
  }
  return { verify, credentials };
}

function validateCredentials(title: string, credentials: readonly LocalCredential[]): void {
  if (!Array.isArray(credentials)) {
    throw new Error(
      `${title}: credentials must be an array of { accessKeyId, secretAccessKey, principalArn }`,
    );
  }
  const seen = new Set<string>();
  credentials.forEach((credential, index) => {
    const where = `${title}: credentials[${index}]`;
    if (
      typeof credential?.accessKeyId !== 'string' ||
      !/^[A-Za-z0-9_+=.@-]{1,128}$/.test(credential.accessKeyId)
    ) {
      throw new Error(
        `${where}.accessKeyId must be 1-128 letters or digits (no '/'), got ${JSON.stringify(credential?.accessKeyId)}`,
      );
    }
    if (typeof credential.secretAccessKey !== 'string' || credential.secretAccessKey.length === 0) {
      throw new Error(`${where}.secretAccessKey must be a non-empty string`);
    }
    if (
      typeof credential.principalArn !== 'string' ||
      !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:.+/.test(credential.principalArn)
    ) {
      throw new Error(
        `${where}.principalArn must be an IAM or STS ARN such as arn:aws:iam::000000000000:user/alice, got ${JSON.stringify(credential.principalArn)}`,
      );
    }
    if (seen.has(credential.accessKeyId)) {
      throw new Error(`${where}: access key ${credential.accessKeyId} is listed twice`);
    }
    seen.add(credential.accessKeyId);
  });
}

/** The account and name in a principal ARN (`arn:aws:iam::<account>:user/<name>`). */
export function principalParts(arn: string): { accountId: string; name: string } {
  const [, , , , accountId = '000000000000', resource = ''] = arn.split(':');
  return { accountId, name: resource.slice(resource.lastIndexOf('/') + 1) };
}
