import { Unauthenticated, ValidationError } from './errors.js';
import { historyEntry } from './history.js';
import type { Job, JobLease, JobProgress, Json } from './job.js';
import { CORRELATION_ID_MAX_LENGTH, isValidCorrelationId } from './limits.js';
import type { AnyOperation } from './operation.js';
import type { Clock, IdGenerator } from './ports.js';
import type { Registry } from './registry.js';

export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export interface IntakeRequest {
  readonly owner: string;
  readonly operation: string;
  readonly input: unknown;
  readonly clientRequestId?: string;
  readonly correlationId?: string;
}

/**
 * The one intake of every request that may become a job — submit, sync run, hand-off: a caller, keys the
 * worker will accept later (a job whose correlation id its worker would refuse would wait forever), and an
 * input its operation's schema accepts. Throws before anything is written.
 */
export function takeIn(
  registry: Registry,
  request: IntakeRequest,
): { readonly operation: AnyOperation; readonly input: Json } {
  if (!request.owner) throw new Unauthenticated();
  if (request.clientRequestId !== undefined && !CLIENT_REQUEST_ID.test(request.clientRequestId)) {
    throw new ValidationError('Invalid clientRequestId.', [
      {
        path: ['meta', 'clientRequestId'],
        message: 'Must be 1 to 128 printable ASCII characters without spaces.',
        code: 'invalid_format',
      },
    ]);
  }
  if (request.correlationId !== undefined && !isValidCorrelationId(request.correlationId)) {
    throw new ValidationError('Invalid correlation id.', [
      {
        path: ['correlationId'],
        message: `Must be 1 to ${CORRELATION_ID_MAX_LENGTH} printable ASCII characters without spaces.`,
        code: 'invalid_format',
      },
    ]);
  }
  return registry.parseInput(request.operation, request.input);
}

/** A new job record, queued — or born running under `lease`, for a sync run that is recorded as it starts. */
export function newJob(
  deps: { readonly clock: Clock; readonly ids: IdGenerator; readonly retentionMs?: number },
  owner: string,
  parsed: { readonly operation: AnyOperation; readonly input: Json },
  extra: {
    readonly clientRequestId?: string;
    readonly correlationId?: string;
    readonly checkpoint?: Json;
    readonly progress?: JobProgress;
    readonly runningUnder?: JobLease;
    /** Who created it, for its history (the function serving the request). */
    readonly by?: string;
    /** A note for its first history entry (e.g. a hand-over from a sync run). */
    readonly note?: string;
  } = {},
): Job {
  const now = deps.clock.now();
  const at = new Date(now).toISOString();
  const status = extra.runningUnder ? 'running' : 'queued';
  return {
    id: deps.ids.jobId(),
    operation: parsed.operation.name,
    operationVersion: parsed.operation.version,
    input: parsed.input,
    owner,
    status,
    attempts: extra.runningUnder ? 1 : 0,
    cancelRequested: false,
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(now + (deps.retentionMs ?? DEFAULT_RETENTION_MS)).toISOString(),
    ...(extra.runningUnder && { startedAt: at, lease: extra.runningUnder }),
    ...(extra.clientRequestId !== undefined && { clientRequestId: extra.clientRequestId }),
    ...(extra.correlationId !== undefined && { correlationId: extra.correlationId }),
    ...(extra.checkpoint !== undefined && { checkpoint: extra.checkpoint }),
    ...(extra.progress !== undefined && { progress: extra.progress }),
    // A recorded sync run is born running: its first entry is its claim (by the request that runs it).
    history: [
      historyEntry(at, extra.runningUnder ? 'claimed' : 'queued', status, {
        ...(extra.runningUnder && { hop: 0, attempt: 1 }),
        by: extra.by ?? extra.runningUnder?.holder,
        note: extra.note,
      }),
    ],
  };
}
