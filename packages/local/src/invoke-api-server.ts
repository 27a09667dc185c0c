import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaServiceError, requestTooLarge, unknownOperation } from './errors.js';
import type { BusEvent, PutEventsResultEntry } from './event-bus.js';
import type { InvocationOutcome } from './execution-environment.js';
import type { FailedEvent } from './failure-destination.js';
import { ASYNC_PAYLOAD_LIMIT_BYTES, SYNC_PAYLOAD_LIMIT_BYTES } from './limits.js';
import type { ReceivedRequest } from './sigv4.js';

/**
 * The Lambda Invoke API over HTTP, as the AWS SDK and the AWS CLI speak it (restJson1):
 *   POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=…]
 *   GET  /2015-03-31/functions/{FunctionName}            (GetFunction, minimal)
 * and, for other processes (`baton failed list|replay` beside `baton dev`), the on-failure destination — no AWS
 * API, the local stand-in for the failure bus's log group and archive, under the same caller checks:
 *   GET  /_baton/failed-events[?functionName=…]          → 200 { failedEvents: FailedEvent[] }, oldest first
 *   POST /_baton/failed-events/{id}/replay               → 202 { id, requestId }; 404 for an id it does not hold
 * and EventBridge's PutEvents (awsJson1_1: `POST /` with `X-Amz-Target: AWSEvents.PutEvents`), so that a function's
 * EventBridge client pointed here (AWS_ENDPOINT_URL_EVENTBRIDGE) puts its events on the local bus, which shows
 * them to other processes (the dashboard, tests):
 *   GET  /_baton/events                                  → 200 { events: BusEvent[] }, oldest first (the last 1,000)
 * This module only translates HTTP to and from the service; what an invocation means lives in the service.
 */

export type RequestedInvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export interface InvokeApiRequest {
  /** `{FunctionName}` decoded: a name, a partial or full ARN, possibly with a qualifier. */
  functionName: string;
  qualifier?: string;
  invocationType: RequestedInvocationType;
  /** The body as received (HTTP), or as text (an emulator of this process, see in-process.ts). */
  payload: Buffer | string;
  /** `X-Amzn-Trace-Id`: the invocation chain the caller is part of. */
  traceHeader?: string;
  /** Decoded `X-Amz-Client-Context`. */
  clientContext?: unknown;
}

export type InvokeApiResult =
  | { kind: 'completed'; requestId: string; outcome: InvocationOutcome }
  | { kind: 'accepted'; requestId: string }
  | { kind: 'dry-run'; requestId: string };

export interface InvokeApiBackend {
  /** Throws a LambdaServiceError for a service error. */
  invoke(request: InvokeApiRequest): Promise<InvokeApiResult>;
  /** GetFunction's answer, or throws a LambdaServiceError. */
  getFunction(functionName: string, qualifier: string | undefined): Record<string, unknown>;
  /**
   * Checks who is calling, once the request's body is read: a LambdaServiceError refuses the request. Absent,
   * every request is let through (loopback without signature checks).
   */
  authenticate?(request: ReceivedRequest): Promise<LambdaServiceError | undefined>;
  /** The failed async events, oldest first (all, or one function's). */
  failedEvents?(functionName: string | undefined): FailedEvent[];
  /** Sends a failed event back to its function; throws a 404 LambdaServiceError for an unknown id. */
  replayFailedEvent?(id: string): { id: string; requestId: string };
  /** EventBridge's PutEvents; throws a TypeError for a request refused whole. */
  putEvents?(entries: unknown): { FailedEntryCount: number; Entries: PutEventsResultEntry[] };
  /** The events put so far, oldest first. */
  events?(): BusEvent[];
  /** Checks who calls PutEvents (a signature scoped to `events`); absent, every request is let through. */
  authenticateEvents?(request: ReceivedRequest): Promise<LambdaServiceError | undefined>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const FUNCTION_PATH = /^\/2015-03-31\/functions\/([^/]+)\/?$/;
const FAILED_EVENTS_PATH = /^\/_baton\/failed-events\/?$/;
const REPLAY_PATH = /^\/_baton\/failed-events\/([^/]+)\/replay\/?$/;
const EVENTS_PATH = /^\/_baton\/events\/?$/;
const EVENTBRIDGE_TARGET = /^AWSEvents\.(\w+)$/;
/** EventBridge takes PutEvents requests of up to 1 MB (their entries: 256 KB, checked by the bus). */
const PUT_EVENTS_LIMIT_BYTES = 1024 * 1024;

export interface InvokeApiServer {
  server: Server;
  /** HTTP requests being read or answered right now. */
  activeRequests(): number;
  listen(port: number, host: string): Promise<{ port: number; url: string }>;
  close(): Promise<void>;
}

export function createInvokeApiServer(backend: InvokeApiBackend): InvokeApiServer {
  let active = 0;
  const server = createServer((request, response) => {
    active += 1;
    response.on('close', () => {
      active -= 1;
    });
    handle(backend, request, response).catch((error: unknown) => {
      // A bug, not a Lambda error: answer like Lambda's own 500 so a client fails loudly.
      sendServiceError(
        response,
        randomUUID(),
        new LambdaServiceError(500, 'ServiceException', `Local Lambda service error: ${String(error)}`),
      );
    });
  });
  // SDK clients keep connections alive; a server that drops idle ones sooner than a client expects makes the
  // client's next request fail with ECONNRESET. stop() closes them all anyway.
  server.keepAliveTimeout = 65_000;
  return {
    server,
    activeRequests: () => active,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ port: address.port, url: `http://${urlHost}:${address.port}` });
        });
      }),
    close: () =>
      new Promise((resolve) => {
        // Keep-alive sockets of SDK clients (ours inside functions included) would hold close() open.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  backend: InvokeApiBackend,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const invokeMatch = INVOKE_PATH.exec(url.pathname);
  const functionMatch = FUNCTION_PATH.exec(url.pathname);
  const requestId = randomUUID();
  try {
    if (request.method === 'POST' && invokeMatch?.[1] !== undefined) {
      await handleInvoke(backend, decodeURIComponent(invokeMatch[1]), url, request, response);
      return;
    }
    if (request.method === 'GET' && functionMatch?.[1] !== undefined) {
      await authenticate(backend, request, await readBody(request, SYNC_PAYLOAD_LIMIT_BYTES, 'GetFunction'));
      const body = backend.getFunction(
        decodeURIComponent(functionMatch[1]),
        url.searchParams.get('Qualifier') ?? undefined,
      );
      sendJson(response, 200, { 'x-amzn-requestid': requestId }, JSON.stringify(body));
      return;
    }
    const eventBridgeTarget = EVENTBRIDGE_TARGET.exec(header(request, 'x-amz-target') ?? '');
    if (request.method === 'POST' && backend.putEvents && eventBridgeTarget?.[1] !== undefined) {
      await handleEventBridge(backend, eventBridgeTarget[1], request, response, requestId);
      return;
    }
    if (request.method === 'GET' && backend.events && EVENTS_PATH.test(url.pathname)) {
      await authenticate(backend, request, await readBody(request, SYNC_PAYLOAD_LIMIT_BYTES, 'Events'));
      sendJson(
        response,
        200,
        { 'x-amzn-requestid': requestId },
        JSON.stringify({ events: backend.events() }),
      );
      return;
    }
    const replayMatch = REPLAY_PATH.exec(url.pathname);
    if (request.method === 'GET' && backend.failedEvents && FAILED_EVENTS_PATH.test(url.pathname)) {
      await authenticate(backend, request, await readBody(request, SYNC_PAYLOAD_LIMIT_BYTES, 'FailedEvents'));
      const failedEvents = backend.failedEvents(url.searchParams.get('functionName') ?? undefined);
      sendJson(response, 200, { 'x-amzn-requestid': requestId }, JSON.stringify({ failedEvents }));
      return;
    }
    if (request.method === 'POST' && backend.replayFailedEvent && replayMatch?.[1] !== undefined) {
      await authenticate(
        backend,
        request,
        await readBody(request, SYNC_PAYLOAD_LIMIT_BYTES, 'ReplayFailedEvent'),
      );
      const replayed = backend.replayFailedEvent(decodeURIComponent(replayMatch[1]));
      sendJson(response, 202, { 'x-amzn-requestid': replayed.requestId }, JSON.stringify(replayed));
      return;
    }
    await authenticate(
      backend,
      request,
      await readBody(request, SYNC_PAYLOAD_LIMIT_BYTES, 'RequestResponse'),
    );
    throw unknownOperation(request.method ?? '?', url.pathname);
  } catch (error) {
    if (!(error instanceof LambdaServiceError)) throw error;
    sendServiceError(response, requestId, error);
  }
}

async function handleInvoke(
  backend: InvokeApiBackend,
  functionName: string,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const invocationType = (header(request, 'x-amz-invocation-type') ??
    'RequestResponse') as RequestedInvocationType;
  if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
    await drain(request);
    throw new LambdaServiceError(
      400,
      'InvalidParameterValueException',
      `Invalid InvocationType: ${invocationType}; expected RequestResponse, Event or DryRun`,
    );
  }
  const limit = invocationType === 'Event' ? ASYNC_PAYLOAD_LIMIT_BYTES : SYNC_PAYLOAD_LIMIT_BYTES;
  const payload = await readBody(request, limit, invocationType);
  await authenticate(backend, request, payload);
  const clientContextHeader = header(request, 'x-amz-client-context');
  const qualifier = url.searchParams.get('Qualifier') ?? undefined;
  const traceHeader = header(request, 'x-amzn-trace-id');
  const result = await backend.invoke({
    functionName,
    invocationType,
    payload,
    ...(qualifier === undefined ? {} : { qualifier }),
    ...(traceHeader === undefined ? {} : { traceHeader }),
    ...(clientContextHeader === undefined ? {} : { clientContext: decodeClientContext(clientContextHeader) }),
  });

  const common = { 'x-amzn-requestid': result.requestId };
  if (result.kind === 'accepted') {
    response.writeHead(202, { ...common, 'content-length': '0' }).end();
    return;
  }
  if (result.kind === 'dry-run') {
    response.writeHead(204, common).end();
    return;
  }
  const { outcome } = result;
  const headers: Record<string, string> = { ...common, 'x-amz-executed-version': '$LATEST' };
  if (header(request, 'x-amz-log-type') === 'Tail') headers['x-amz-log-result'] = outcome.log.tailBase64();
  if (outcome.ok) {
    sendJson(response, 200, headers, outcome.payload);
  } else {
    headers['x-amz-function-error'] = 'Unhandled';
    sendJson(response, 200, headers, JSON.stringify(outcome.error));
  }
}

/** EventBridge's JSON protocol (awsJson1_1): PutEvents, and an UnknownOperationException for anything else. */
async function handleEventBridge(
  backend: InvokeApiBackend,
  operation: string,
  request: IncomingMessage,
  response: ServerResponse,
  requestId: string,
): Promise<void> {
  const body = await readBody(request, PUT_EVENTS_LIMIT_BYTES, 'PutEvents');
  const refusal = await backend.authenticateEvents?.({
    method: request.method ?? 'POST',
    rawPath: (request.url ?? '/').split('?')[0] ?? '/',
    rawQuery: (request.url ?? '').split('?')[1] ?? '',
    headers: request.headers,
    body,
  });
  if (refusal) {
    sendEventBridge(response, refusal.statusCode, requestId, {
      __type: refusal.errorType,
      message: refusal.message,
    });
    return;
  }
  if (operation !== 'PutEvents') {
    sendEventBridge(response, 400, requestId, {
      __type: 'UnknownOperationException',
      message: `The local bus answers PutEvents only, not ${operation}.`,
    });
    return;
  }
  let answer: ReturnType<NonNullable<InvokeApiBackend['putEvents']>>;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { Entries?: unknown };
    answer = (backend.putEvents as NonNullable<InvokeApiBackend['putEvents']>)(parsed?.Entries);
  } catch (error) {
    sendEventBridge(response, 400, requestId, {
      __type: 'ValidationException',
      message: error instanceof Error ? error.message : String(error),
    });
    return;
  }
  sendEventBridge(response, 200, requestId, answer);
}

function sendEventBridge(response: ServerResponse, status: number, requestId: string, body: unknown): void {
  const text = JSON.stringify(body);
  const errorType = (body as { __type?: unknown }).__type;
  response
    .writeHead(status, {
      'x-amzn-requestid': requestId,
      ...(typeof errorType === 'string' && { 'x-amzn-errortype': errorType }),
      'content-type': 'application/x-amz-json-1.1',
      'content-length': String(Buffer.byteLength(text)),
    })
    .end(text);
}

/** Throws the backend's refusal, if it has one for this request. */
async function authenticate(
  backend: InvokeApiBackend,
  request: IncomingMessage,
  body: Buffer,
): Promise<void> {
  if (backend.authenticate === undefined) return;
  const target = request.url ?? '/';
  const question = target.indexOf('?');
  const refusal = await backend.authenticate({
    method: request.method ?? 'GET',
    rawPath: question < 0 ? target : target.slice(0, question),
    rawQuery: question < 0 ? '' : target.slice(question + 1),
    headers: request.headers,
    body,
  });
  if (refusal) throw refusal;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function decodeClientContext(base64: string): unknown {
  try {
    return JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Reads the whole body, but keeps at most `limit` bytes: past it the rest is drained and the request refused. */
async function readBody(request: IncomingMessage, limit: number, invocationType: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw requestTooLarge(size, limit, invocationType);
  return Buffer.concat(chunks);
}

async function drain(request: IncomingMessage): Promise<void> {
  for await (const _ of request) {
    // discard
  }
}

function sendJson(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string,
): void {
  response
    .writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    })
    .end(body);
}

function sendServiceError(response: ServerResponse, requestId: string, error: LambdaServiceError): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  sendJson(
    response,
    error.statusCode,
    { 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.errorType },
    JSON.stringify(error.toBody()),
  );
}
