import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthType,
  type CallerIdentity,
  DEFAULT_LOCAL_PRINCIPAL_ARN,
  type IdentityOptions,
  type IdentityResult,
  identifyCaller,
  verifyCaller,
} from './caller-identity.js';
import { InvokeClient } from './invoke-client.js';
import { validateDefaultPrincipal } from './proxy-result.js';
import { resolveSignaturePolicy, type SignatureOptions, type SignaturePolicy } from './sigv4.js';
import { newTraceRoot, parseTraceHeader } from './trace-header.js';

/**
 * What the three HTTP emulators (REST API, HTTP API, Function URL) share: one loopback HTTP server that reads a
 * request under a size cap, hands it to the door's translation, writes the answer, logs one access line, and
 * stops at once. The doors themselves only say how a request becomes an event and a result becomes a response.
 */

export type EmulatorKind = 'rest-api' | 'http-api' | 'function-url';

export interface AccessLogEntry {
  emulator: EmulatorKind;
  functionName: string;
  method: string;
  /** The path as requested (without the query string). */
  path: string;
  status: number;
  durationMs: number;
  /** The request id the emulator gave the request (the event's `requestContext.requestId`). */
  requestId: string;
  /** Why an error status was answered, when the emulator knows more than the status says. */
  detail?: string;
}

/**
 * One access line per request, in the style of the Lambda service's `logs` option: `forward` prints it on this
 * process's stdout (`[rest-api] GET /local/jobs 200 12 ms`), `quiet` drops it (tests), a function receives it.
 */
export type AccessLogOption = 'forward' | 'quiet' | ((entry: AccessLogEntry) => void);

/** A running emulator. */
export interface EmulatorHandle {
  /** Where to send requests; the REST API's includes the stage (`http://127.0.0.1:3000/local`). */
  readonly url: string;
  readonly port: number;
  /** Closes the listener and every connection at once; invocations still running are not waited for. */
  stop(): Promise<void>;
}

/** A request as the doors see it: read in full, under the cap. */
export interface IncomingCall {
  readonly request: IncomingMessage;
  readonly method: string;
  /** The path exactly as sent, percent-encoding kept. */
  readonly rawPath: string;
  /** The query string as sent, without `?` ('' when none). */
  readonly rawQuery: string;
  readonly body: Buffer;
  readonly receivedAt: number;
  readonly sourceIp: string;
  readonly requestId: string;
  /** `Root=1-…`: the trace the gateway starts, sent on to Lambda and back to the client. */
  readonly traceId: string;
}

export interface Reply {
  status: number;
  /** Name/value pairs in order; a name may repeat (Set-Cookie, multi-value headers). */
  headers: Array<[string, string]>;
  body: Buffer;
  detail?: string;
}

export interface FrontDoorOptions {
  kind: EmulatorKind;
  functionName: string;
  host: string;
  port: number;
  maxRequestBytes: number;
  logs: AccessLogOption;
  /** The door's request id for a new request (a UUID for most; API Gateway HTTP APIs use a short base64 id). */
  requestId?: () => string;
  tooLarge(call: IncomingCall): Reply;
  handle(call: IncomingCall): Promise<Reply>;
  /** The URL to report, given the server's origin (the REST API adds its stage). */
  url?(origin: string): string;
  onStop?(): void;
}

const EMULATOR_TITLES: Record<EmulatorKind, string> = {
  'rest-api': 'REST API emulator',
  'http-api': 'HTTP API emulator',
  'function-url': 'Function URL emulator',
};

export async function startFrontDoor(options: FrontDoorOptions): Promise<EmulatorHandle> {
  const title = EMULATOR_TITLES[options.kind];
  const log = accessLogSink(options.logs);

  const server = createServer((request, response) => {
    const receivedAt = Date.now();
    const [rawPath = '/', rawQuery = ''] = splitTarget(request.url ?? '/');
    const call: IncomingCall = {
      request,
      method: request.method ?? 'GET',
      rawPath,
      rawQuery,
      body: Buffer.alloc(0),
      receivedAt,
      sourceIp: clientIp(request),
      requestId: options.requestId?.() ?? randomUUID(),
      traceId: `Root=${incomingTraceRoot(request) ?? newTraceRoot(receivedAt)}`,
    };
    const finish = (reply: Reply) => {
      writeReply(response, reply);
      log({
        emulator: options.kind,
        functionName: options.functionName,
        method: call.method,
        path: rawPath,
        status: reply.status,
        durationMs: Date.now() - receivedAt,
        requestId: call.requestId,
        ...(reply.detail ? { detail: reply.detail } : {}),
      });
    };
    readCapped(request, options.maxRequestBytes)
      .then(async (body) => {
        if (body === undefined) return finish(options.tooLarge(call));
        return finish(await options.handle({ ...call, body }));
      })
      .catch((error: unknown) => {
        // A bug in the emulator (or the client vanished mid-body): answer 500 if anyone is still listening.
        finish({
          status: 500,
          headers: [['content-type', 'text/plain']],
          body: Buffer.from(`${title} error: ${String(error)}`),
          detail: String(error),
        });
      });
  });
  // Clients (browsers, SDKs, fetch) keep connections alive; dropping idle ones sooner than they expect turns
  // their next request into ECONNRESET. stop() closes them all anyway.
  server.keepAliveTimeout = 65_000;

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, title, options));
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${urlHost}:${address.port}`;
  let stopped: Promise<void> | undefined;
  return {
    url: options.url ? options.url(origin) : origin,
    port: address.port,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive and waiting connections would hold close() open; a gateway that goes away cuts them.
        server.closeAllConnections();
        options.onStop?.();
      });
      return stopped;
    },
  };
}

/** Checks `host`/`port` options before anything starts, so a bad value says what is wrong. */
export function validateListenOptions(title: string, host: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${title}: port must be an integer from 0 (any free port) to 65535, got ${String(port)}`);
  }
  if (typeof host !== 'string' || host === '') throw new Error(`${title}: host must be a non-empty string`);
}

export function validatePositive(title: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new Error(`${title}: ${name} must be a positive number, got ${String(value)}`);
  }
}

function listenError(error: NodeJS.ErrnoException, title: string, options: FrontDoorOptions): Error {
  const where = `port ${options.port} on ${options.host}`;
  if (error.code === 'EADDRINUSE') {
    return new Error(`${title}: ${where} is already in use. Stop what is using it, or choose another port.`, {
      cause: error,
    });
  }
  if (error.code === 'EACCES') {
    return new Error(`${title}: permission denied to listen on ${where} (ports below 1024 need privileges)`, {
      cause: error,
    });
  }
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
    return new Error(`${title}: cannot listen on ${options.host}: no such local address`, { cause: error });
  }
  return new Error(`${title}: cannot listen on ${where}: ${error.message}`, { cause: error });
}

function accessLogSink(option: AccessLogOption): (entry: AccessLogEntry) => void {
  if (option === 'quiet') return () => {};
  if (typeof option === 'function') return option;
  // Gathered and written once per turn of the event loop, as the functions' forwarded logs are.
  let pending = '';
  const flush = () => {
    const text = pending;
    pending = '';
    process.stdout.write(text);
  };
  return (entry) => {
    const detail = entry.detail ? ` (${entry.detail})` : '';
    if (pending === '') setImmediate(flush);
    pending += `[${entry.emulator}] ${entry.method} ${entry.path} ${entry.status} ${entry.durationMs} ms${detail}\n`;
  };
}

/**
 * The body, or undefined when it is over the cap. Past the cap the rest is read and dropped rather than the
 * connection cut, so the client gets to read the 413 instead of a reset.
 */
async function readCapped(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

function writeReply(response: ServerResponse, reply: Reply): void {
  // stop() or the client may have closed the connection while the function ran.
  if (response.destroyed || response.writableEnded) return;
  if (response.headersSent) {
    response.end();
    return;
  }
  const flat: string[] = [];
  for (const [name, value] of reply.headers) flat.push(name, value);
  flat.push('content-length', String(reply.body.length));
  response.writeHead(reply.status, flat);
  response.end(reply.body);
}

/** A request header's value; the last one when it was sent more than once. */
export function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function splitTarget(target: string): [string, string] {
  const question = target.indexOf('?');
  return question < 0 ? [target, ''] : [target.slice(0, question), target.slice(question + 1)];
}

/**
 * A client that sends a trace header keeps its trace: the gateway continues the Root. Only the Root — the
 * Lineage that counts recursive Lambda calls does not survive a trip through a gateway, in AWS either.
 */
function incomingTraceRoot(request: IncomingMessage): string | undefined {
  return parseTraceHeader(headerValue(request, 'x-amzn-trace-id'))?.root;
}

function clientIp(request: IncomingMessage): string {
  const address = request.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

// ---- shared by the event builders ------------------------------------------------------------------------

/** `17/Jun/2024:14:58:25 +0000`: the format of `requestTime` / `time` in API Gateway and Function URL events. */
export function formatRequestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** API Gateway's short request ids (`extendedRequestId`, HTTP API `requestId`): 8 random bytes, base64. */
export function shortRequestId(): string {
  return randomBytes(8).toString('base64');
}

/**
 * A stable lower-case alphanumeric id derived from a seed (API ids, resource ids, URL ids), so the same
 * function gets the same ids across restarts, as a deployed API keeps its id.
 */
export function stableId(seed: string, length: number): string {
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz';
  const bytes = createHash('sha256').update(seed).digest();
  let id = '';
  for (let index = 0; index < length; index += 1) id += digits[(bytes[index % bytes.length] as number) % 36];
  return id;
}

/**
 * Whether a body of this content type travels as text in an event. Others (images, octet streams, a missing
 * type) are base64-encoded with `isBase64Encoded: true`, so no byte is lost on the way to the function.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/javascript' ||
    type === 'application/graphql' ||
    type === 'application/x-ndjson' ||
    type === 'application/yaml'
  );
}

/** The event's body: null when empty; text as is; anything else base64. */
export function eventBody(call: IncomingCall): { body: string | null; isBase64Encoded: boolean } {
  if (call.body.length === 0) return { body: null, isBase64Encoded: false };
  const contentType = call.request.headers['content-type'];
  return isTextContentType(contentType)
    ? { body: call.body.toString('utf8'), isBase64Encoded: false }
    : { body: call.body.toString('base64'), isBase64Encoded: true };
}

/** Query pairs as sent, decoded; a key without `=` has the value ''. `+` is left alone, as the gateways do. */
export function queryPairs(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const separator = part.indexOf('=');
      return separator < 0
        ? [safeDecode(part), '']
        : [safeDecode(part.slice(0, separator)), safeDecode(part.slice(separator + 1))];
    });
}

export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The request's headers as sent: [name as spelled by the client, value] pairs, in order. */
export function headerPairs(request: IncomingMessage): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    pairs.push([raw[index] as string, raw[index + 1] as string]);
  }
  return pairs;
}

/**
 * The headers the gateway adds before the function sees the request (the edge's own ones aside):
 * X-Forwarded-For gets the client's address appended, X-Forwarded-Port / -Proto say how it arrived, and
 * X-Amzn-Trace-Id carries the trace the gateway started.
 */
export function withGatewayHeaders(
  call: IncomingCall,
  pairs: Array<[string, string]>,
): Array<[string, string]> {
  const localPort = String(call.request.socket.localPort ?? '');
  const result: Array<[string, string]> = [];
  let forwardedFor: string | undefined;
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
    else if (lower !== 'x-forwarded-port' && lower !== 'x-forwarded-proto' && lower !== 'x-amzn-trace-id') {
      result.push([name, value]);
    }
  }
  result.push(
    ['X-Amzn-Trace-Id', call.traceId],
    ['X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${call.sourceIp}` : call.sourceIp],
    ['X-Forwarded-Port', localPort],
    ['X-Forwarded-Proto', 'http'],
  );
  return result;
}

/** A JSON error body in the gateway's style. */
export function jsonReply(
  status: number,
  body: unknown,
  headers: Array<[string, string]> = [],
  detail?: string,
): Reply {
  return {
    status,
    headers: [['content-type', 'application/json'], ...headers],
    body: Buffer.from(JSON.stringify(body)),
    ...(detail ? { detail } : {}),
  };
}

/** Response headers the gateway computes itself: a function's own would contradict the body it is sent with. */
export const HOP_BY_HOP_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
]);

/** What every emulator is configured with. */
export interface EmulatorCommonOptions extends SignatureOptions {
  /** The Invoke API base of the local Lambda service (`LambdaService.url`). */
  lambdaUrl: string;
  functionName: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Bodies over this get 413. Default: the front door's own payload limit. */
  maxRequestBytes?: number;
  /** Default us-east-1: the region SigV4 credentials must be scoped to, and the domain name's. */
  region?: string;
  /** Default 000000000000: the account of signed callers and of the API. */
  accountId?: string;
  /** `AWS_IAM` (default) fills the caller identity into the event; `NONE` leaves it out. */
  authType?: AuthType;
  /**
   * Who an unsigned request is when signatures are not verified (AWS would refuse it). Default
   * `arn:aws:iam::000000000000:user/local-developer`.
   */
  defaultPrincipalArn?: string;
  /** One access line per request. Default `forward`. */
  logs?: AccessLogOption;
}

/** The common options with their defaults applied and checked, and a client for the function behind the door. */
export function resolveCommonOptions(
  title: string,
  options: EmulatorCommonOptions,
  defaultMaxRequestBytes: number,
) {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  validateListenOptions(title, host, port);
  const maxRequestBytes = options.maxRequestBytes ?? defaultMaxRequestBytes;
  validatePositive(title, 'maxRequestBytes', maxRequestBytes);
  const defaultPrincipalArn = options.defaultPrincipalArn ?? DEFAULT_LOCAL_PRINCIPAL_ARN;
  validateDefaultPrincipal(title, defaultPrincipalArn);
  const region = options.region ?? 'us-east-1';
  const signatures = resolveSignaturePolicy(title, host, options);
  // The emulator's own invokes are signed with the first credential, so a Lambda service that verifies
  // signatures (off loopback, given the same credentials) accepts them. API Gateway's service principal, locally.
  const [signingCredential] = signatures.credentials;
  return {
    host,
    port,
    maxRequestBytes,
    defaultPrincipalArn,
    region,
    accountId: options.accountId ?? '000000000000',
    authType: options.authType ?? ('AWS_IAM' as AuthType),
    logs: options.logs ?? ('forward' as AccessLogOption),
    signatures,
    client: new InvokeClient(
      options.lambdaUrl,
      options.functionName,
      signingCredential === undefined ? undefined : { credential: signingCredential, region },
    ),
  };
}

/**
 * Who made a call, as the door's authorization would establish it: nobody for `NONE`; else the principal of a
 * verified signature, or — on loopback without verification — the access key the signature names (the default
 * principal for an unsigned call); or why the signature is refused.
 */
export async function identifyCall(
  call: IncomingCall,
  authType: AuthType,
  options: IdentityOptions,
  signatures: SignaturePolicy,
): Promise<{ ok: true; identity: CallerIdentity | undefined } | Extract<IdentityResult, { ok: false }>> {
  if (authType !== 'AWS_IAM') return { ok: true, identity: undefined };
  if (signatures.verify) {
    return verifyCaller(
      {
        method: call.method,
        rawPath: call.rawPath,
        rawQuery: call.rawQuery,
        headers: call.request.headers,
        body: call.body,
      },
      { region: options.region, service: options.service, credentials: signatures.credentials },
    );
  }
  return identifyCaller(
    headerValue(call.request, 'authorization'),
    new URLSearchParams(call.rawQuery),
    options,
  );
}
