/**
 * The dashboard `baton dev` serves: one page (plain HTML, CSS and JS from ./static, no framework, nothing from a
 * CDN) over a small JSON API on the same port. It shows every job of every owner, live, lets an operator cancel
 * one, lists the failure destination's events with a replay, the `Baton Job Finished` events when the Invoke API
 * has them, and the endpoints with their copy-paste examples. A local admin tool: it always listens on loopback.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { BatonError, cancelJob, type Job, NotFound, systemClock } from '@baton/core';
import { DynamoDbJobStore, jobsTable } from '@baton/dynamodb';
import type { LambdaService } from '../lambda-service.js';
import { createReferencePage } from '../reference-page.js';
import { signRequest } from '../sigv4.js';
import {
  doorExamples,
  type ExampleEndpoints,
  type ExampleOperation,
  HTTP_DOORS,
  type ServedBy,
} from './examples.js';

export interface DashboardOptions {
  /** The service's name, for the page's title. */
  readonly service: string;
  /** A loopback address: the dashboard checks no signatures, so it never listens anywhere else. */
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  /** The embedded DynamoDB and the jobs table. */
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  /** The local Lambda service, in this process: its failure destination, and its Invoke API for the events. */
  readonly lambda: LambdaService;
  /** The service's endpoints (as `.baton/endpoints.json` holds them) and which function serves each door. */
  readonly endpoints: () => ExampleEndpoints & Readonly<Record<string, unknown>>;
  readonly servedBy: ServedBy;
  /** Signs the dashboard's own calls to the Invoke API and the doors (which check signatures off loopback). */
  readonly signer: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface Dashboard {
  readonly url: string;
  readonly port: number;
  /** The operations the examples run (`baton dev` learns them from the service once it is up). */
  setOperations(operations: readonly ExampleOperation[] | undefined): void;
  stop(): Promise<void>;
}

/** The newest jobs the page lists: enough for a laptop's work, few enough to redraw every second. */
const MAX_LISTED = 200;
/** What the page needs of a job (its input and checkpoint, possibly large, only in the job's own view). */
const LISTED_ATTRIBUTES = [
  'id',
  'operation',
  'owner',
  'status',
  'attempts',
  'hop',
  'progress',
  'result',
  'error',
  'createdAt',
  'updatedAt',
  'startedAt',
  'finishedAt',
  'cancelRequested',
  'history',
  jobsTable.expiresAtMs,
] as const;
const STATIC_FILES: Readonly<Record<string, { files: readonly string[]; type: string }>> = {
  '/': { files: ['index.html'], type: 'text/html; charset=utf-8' },
  // Built: tsc's output. From source (a workspace): the source itself, plain JavaScript (see the file).
  '/app.js': { files: ['app.js', 'app.ts'], type: 'text/javascript; charset=utf-8' },
  '/style.css': { files: ['style.css'], type: 'text/css; charset=utf-8' },
};
const STATIC_DIR = new URL('./static/', import.meta.url);

/** The first of these files in ./static that exists. */
async function readStatic(files: readonly string[]): Promise<Buffer> {
  for (const file of files) {
    const content = await readFile(new URL(file, STATIC_DIR)).catch(() => undefined);
    if (content) return content;
  }
  throw new Error(`None of ${files.join(', ')} is in ${STATIC_DIR.pathname}`);
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const client = new DynamoDBClient({
    endpoint: options.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = DynamoDBDocumentClient.from(client);
  const store = new DynamoDbJobStore({ tableName: options.tableName, client: documents });
  let operations: readonly ExampleOperation[] | undefined;
  /** Signed as the service's other local callers sign (on loopback a signature only names the caller). */
  const signedGet = async (target: URL, service: 'lambda' | 'execute-api') =>
    fetch(target, {
      headers: await signRequest(
        { method: 'GET', host: target.host, path: `${target.pathname}${target.search}`, headers: {} },
        { credential: options.signer, region: options.lambda.region, service },
      ),
      signal: AbortSignal.timeout(10_000),
    });
  // The API reference page (`/reference`, `/openapi.json`): the document every HTTP door serves, asked of the
  // first door the service has on each request, so it follows the service's code as it reloads.
  const referenceDoor = HTTP_DOORS.find(({ key }) => options.endpoints()[key] !== undefined);
  const reference =
    referenceDoor &&
    createReferencePage({
      title: `${options.service} API`,
      openapi: async () => {
        const base = options.endpoints()[referenceDoor.key] as string;
        const response = await signedGet(
          new URL(`${base}/openapi.json`),
          referenceDoor.key === 'functionUrl' ? 'lambda' : 'execute-api',
        );
        if (!response.ok) throw new Error(`GET ${base}/openapi.json answered ${response.status}`);
        return response.json();
      },
    });

  const api = {
    /**
     * Every owner's jobs, newest first. A Scan, which the service itself never does (it reads one owner's jobs
     * through the owner index): only an operator wants all owners at once, and the embedded table of a laptop
     * holds a few thousand items at most (jobs expire after their retention), so reading it whole is cheap.
     */
    async jobs(query: URLSearchParams) {
      const now = Date.now();
      const names = Object.fromEntries(LISTED_ATTRIBUTES.map((name, i) => [`#a${i}`, name]));
      const jobs: Record<string, unknown>[] = [];
      const pages = paginateScan(
        { client: documents },
        {
          TableName: options.tableName,
          FilterExpression: 'begins_with(#pk, :job)',
          ProjectionExpression: Object.keys(names).join(', '),
          ExpressionAttributeNames: { ...names, '#pk': jobsTable.partitionKey },
          ExpressionAttributeValues: { ':job': 'job#' },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          // Expired jobs are gone, as the store treats them (TTL deletes lazily, and dynalite never does).
          if (Number(item[jobsTable.expiresAtMs] ?? Number.POSITIVE_INFINITY) <= now) continue;
          const { [jobsTable.expiresAtMs]: _expiry, ...job } = item;
          // The store keeps a result as JSON text (see @baton/dynamodb's table design).
          if (typeof job.result === 'string') job.result = parseJson(job.result);
          jobs.push(job);
        }
      }
      const operationNames = [...new Set(jobs.map((job) => String(job.operation)))].sort();
      const status = query.get('status');
      const operation = query.get('operation');
      const listed = jobs
        .filter((job) => (!status || job.status === status) && (!operation || job.operation === operation))
        .sort((a, b) => `${b.createdAt}#${b.id}`.localeCompare(`${a.createdAt}#${a.id}`));
      return { jobs: listed.slice(0, MAX_LISTED), total: listed.length, operations: operationNames, now };
    },
    async job(id: string) {
      const job = await store.get(id);
      if (!job) throw new HttpError(404, `No job ${id} (never created here, or expired).`);
      return shown(job);
    },
    /**
     * Cancels any owner's job through the core's own use case, acting as the job's owner: the same checks and
     * writes as a `POST /jobs/{id}/cancel` by that owner, so a running job stops as it would for them.
     */
    async cancel(id: string) {
      const job = await store.get(id);
      if (!job) throw new HttpError(404, `No job ${id}.`);
      return shown(await cancelJob({ store, clock: systemClock }, { owner: job.owner, jobId: id }));
    },
    failedEvents: () => ({ failedEvents: options.lambda.failedEvents() }),
    replay(id: string) {
      try {
        return { id, requestId: options.lambda.redrive(id) };
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        throw new HttpError(status === 404 ? 404 : 500, (error as Error).message);
      }
    },
    /** The EventBridge events the service put (`Baton Job Finished`), when the Invoke API keeps them. */
    async events() {
      const response = await signedGet(new URL('/_baton/events', options.lambda.url), 'lambda').catch(
        () => undefined,
      );
      if (!response?.ok) return { available: false, events: [] };
      const body = (await response.json()) as { events?: unknown[] };
      return { available: true, events: Array.isArray(body.events) ? body.events : [] };
    },
    endpoints: () => ({
      service: options.service,
      endpoints: options.endpoints(),
      examples: doorExamples(options.endpoints(), options.servedBy, operations?.[0]),
      operations: operations?.map((operation) => operation.name) ?? null,
      reference: reference !== undefined,
    }),
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status =
        error instanceof HttpError
          ? error.status
          : error instanceof NotFound
            ? 404
            : error instanceof BatonError
              ? 409
              : 500;
      if (!response.headersSent)
        sendJson(response, status, { error: (error as Error).message ?? String(error) });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    // DNS rebinding: a page of another site that resolves its own name to 127.0.0.1 sends its own Host.
    if (!isLocalHostHeader(request.headers.host)) {
      return sendJson(response, 403, { error: 'The dashboard answers only loopback host names.' });
    }
    if (reference?.(request, response)) return;
    const url = new URL(request.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    if (method === 'POST') {
      // A page of another site can send a plain POST here without asking; it cannot add this header unasked.
      if (request.headers['x-baton-dashboard'] !== '1') {
        return sendJson(response, 403, { error: 'Missing the x-baton-dashboard header.' });
      }
      const cancel = /^\/api\/jobs\/([^/]+)\/cancel$/.exec(path);
      if (cancel) return sendJson(response, 200, await api.cancel(decodeURIComponent(cancel[1] as string)));
      const replay = /^\/api\/failed-events\/([^/]+)\/replay$/.exec(path);
      if (replay) return sendJson(response, 202, api.replay(decodeURIComponent(replay[1] as string)));
      return sendJson(response, 404, { error: `No route POST ${path}` });
    }
    if (method !== 'GET' && method !== 'HEAD') return sendJson(response, 405, { error: 'GET or POST only.' });
    const asset = STATIC_FILES[path];
    if (asset) {
      const body = await readStatic(asset.files);
      response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' });
      return response.end(body);
    }
    if (path === '/api/jobs') return sendJson(response, 200, await api.jobs(url.searchParams));
    const one = /^\/api\/jobs\/([^/]+)$/.exec(path);
    if (one) return sendJson(response, 200, await api.job(decodeURIComponent(one[1] as string)));
    if (path === '/api/failed-events') return sendJson(response, 200, api.failedEvents());
    if (path === '/api/events') return sendJson(response, 200, await api.events());
    if (path === '/api/endpoints') return sendJson(response, 200, api.endpoints());
    return sendJson(response, 404, { error: `No route GET ${path}` });
  }

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolveListen());
    });
  } catch (error) {
    client.destroy();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostInUrl}:${port}`,
    port,
    setOperations(next) {
      operations = next;
    },
    stop: () =>
      new Promise<void>((resolveStop) => {
        server.close(() => resolveStop());
        server.closeAllConnections();
        client.destroy();
      }),
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

/** A job as the page shows it: everything but the operation's private checkpoint and the lease internals. */
function shown(job: Job) {
  const { checkpoint: _checkpoint, lease: _lease, ...rest } = job;
  return rest;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isLocalHostHeader(host: string | undefined): boolean {
  if (host === undefined) return true;
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}
