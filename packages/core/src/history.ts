import type { JobError, JobStatus } from './job.js';

/** What happened to a job, as its history records it. */
export const JOB_HISTORY_EVENTS = [
  'queued',
  'claimed',
  'checkpoint',
  'handed-off',
  'retry',
  'reconciled',
  'cancel-requested',
  'requeued',
  'finished',
] as const;
export type JobHistoryEvent = (typeof JOB_HISTORY_EVENTS)[number];

/** One transition of a job, written by the same write that made it (never a write of its own). */
export interface JobHistoryEntry {
  /** ISO-8601 */
  readonly at: string;
  readonly event: JobHistoryEvent;
  /** The status after the event. */
  readonly status: JobStatus;
  readonly hop?: number;
  readonly attempt?: number;
  /** Who did it: the function and its invocation (`<function>/<request id>`), or the lease holder. */
  readonly by?: string;
  /** For a retry, a failed finish, a reconciler's action that failed the job. */
  readonly error?: { readonly type: string; readonly message: string };
  /** E.g. the reconciler's action, or "replayed". */
  readonly note?: string;
}

/** A job keeps its last 50 entries; older ones are dropped. */
export const MAX_HISTORY_ENTRIES = 50;
/**
 * And at most this many bytes of them (as JSON), so that a history never decides whether a job fits in
 * DynamoDB's 400 KB item: 50 entries of typical size take about 8 KB, and each entry's free text is capped.
 */
export const MAX_HISTORY_BYTES = 16 * 1024;
const MAX_TEXT = { type: 128, message: 256, by: 160, note: 160 } as const;

const cap = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** An entry with its free text capped. */
export function historyEntry(
  at: number | string,
  event: JobHistoryEvent,
  status: JobStatus,
  extra: {
    readonly hop?: number | undefined;
    readonly attempt?: number | undefined;
    readonly by?: string | undefined;
    readonly error?: Pick<JobError, 'type' | 'message'> | undefined;
    readonly note?: string | undefined;
  } = {},
): JobHistoryEntry {
  return {
    at: typeof at === 'string' ? at : new Date(at).toISOString(),
    event,
    status,
    ...(extra.hop !== undefined && { hop: extra.hop }),
    ...(extra.attempt !== undefined && { attempt: extra.attempt }),
    ...(extra.by !== undefined && { by: cap(extra.by, MAX_TEXT.by) }),
    ...(extra.error !== undefined && {
      error: {
        type: cap(extra.error.type, MAX_TEXT.type),
        message: cap(extra.error.message, MAX_TEXT.message),
      },
    }),
    ...(extra.note !== undefined && { note: cap(extra.note, MAX_TEXT.note) }),
  };
}

/** The history with `entries` appended, bounded: the last MAX_HISTORY_ENTRIES, within MAX_HISTORY_BYTES. */
export function appendHistory(
  history: readonly JobHistoryEntry[] | undefined,
  ...entries: JobHistoryEntry[]
): JobHistoryEntry[] {
  return boundHistory([...(history ?? []), ...entries]);
}

/** The newest entries that fit both bounds. */
export function boundHistory(history: readonly JobHistoryEntry[]): JobHistoryEntry[] {
  const kept = history.slice(-MAX_HISTORY_ENTRIES);
  let bytes = 2 + kept.reduce((sum, entry) => sum + entryBytes(entry) + 1, 0);
  while (kept.length > 0 && bytes > MAX_HISTORY_BYTES)
    bytes -= entryBytes(kept.shift() as JobHistoryEntry) + 1;
  return kept;
}

const entryBytes = (entry: JobHistoryEntry): number => Buffer.byteLength(JSON.stringify(entry), 'utf8');
