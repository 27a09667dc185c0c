import { randomUUID } from 'node:crypto';

/** An event as EventBridge delivers it to a rule's target (its envelope), as `GET /_baton/events` shows it. */
export interface BusEvent {
  readonly id: string;
  /** ISO-8601, to the second, as EventBridge writes it. */
  readonly time: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: unknown;
  readonly eventBusName: string;
}

/** One entry of a PutEvents request, as the SDK sends it (awsJson1_1: a Date is epoch seconds). */
export interface PutEventsEntry {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly EventBusName?: unknown;
  readonly Time?: unknown;
}

export type PutEventsResultEntry =
  | { readonly EventId: string }
  | { readonly ErrorCode: string; readonly ErrorMessage: string };

/** PutEvents takes 1 to 10 entries a request. */
export const MAX_PUT_EVENTS_ENTRIES = 10;
/** EventBridge's limit on a PutEvents request's entries: 256 KB. */
const MAX_ENTRIES_BYTES = 256 * 1024;
/** The local bus keeps the most recent events only: a dev server runs for days. */
export const DEFAULT_KEPT_EVENTS = 1_000;

/**
 * The local stand-in for EventBridge's buses: PutEvents accepts entries for any bus (as a bus of the service
 * would, since the service's own names are the only ones its functions use) and keeps the last `limit` events in
 * memory, oldest first, for whoever looks (`GET /_baton/events`, the dashboard, tests). No rules, no targets:
 * nothing in the local stack consumes them.
 */
export class LocalEventBus {
  private readonly kept: BusEvent[] = [];

  constructor(private readonly limit = DEFAULT_KEPT_EVENTS) {}

  /**
   * PutEvents: each entry is accepted or refused on its own, as EventBridge answers (200 with per-entry errors).
   * Throws a TypeError for a request EventBridge refuses whole (no entries, more than 10, too large).
   */
  put(entries: unknown, now = Date.now()): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_PUT_EVENTS_ENTRIES)
      throw new TypeError(`Entries must hold 1 to ${MAX_PUT_EVENTS_ENTRIES} entries.`);
    if (Buffer.byteLength(JSON.stringify(entries)) > MAX_ENTRIES_BYTES)
      throw new TypeError(`The entries are larger than ${MAX_ENTRIES_BYTES} bytes.`);
    const results = entries.map((entry: PutEventsEntry) => this.putOne(entry, now));
    return {
      FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
      Entries: results,
    };
  }

  /** The events kept, oldest first. */
  events(): BusEvent[] {
    return [...this.kept];
  }

  private putOne(entry: PutEventsEntry, now: number): PutEventsResultEntry {
    const refuse = (ErrorMessage: string) => ({ ErrorCode: 'InvalidArgument', ErrorMessage });
    if (typeof entry !== 'object' || entry === null) return refuse('An entry must be an object.');
    if (typeof entry.Source !== 'string' || entry.Source === '')
      return refuse('Parameter Source is not valid.');
    if (typeof entry.DetailType !== 'string' || entry.DetailType === '')
      return refuse('Parameter DetailType is not valid.');
    let detail: unknown;
    try {
      detail = JSON.parse(typeof entry.Detail === 'string' ? entry.Detail : '');
    } catch {
      return refuse('Parameter Detail is not valid.');
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
      return refuse('Parameter Detail is not valid: a JSON object is required.');
    const at = typeof entry.Time === 'number' && Number.isFinite(entry.Time) ? entry.Time * 1000 : now;
    const event: BusEvent = {
      id: randomUUID(),
      time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      source: entry.Source,
      'detail-type': entry.DetailType,
      detail,
      eventBusName: busNameOf(entry.EventBusName),
    };
    this.kept.push(event);
    if (this.kept.length > this.limit) this.kept.splice(0, this.kept.length - this.limit);
    return { EventId: event.id };
  }
}

/** A bus named by name or ARN (`arn:aws:events:…:event-bus/<name>`); none is the default bus. */
function busNameOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') return 'default';
  const slash = value.lastIndexOf('/');
  return value.startsWith('arn:') && slash >= 0 ? value.slice(slash + 1) : value;
}
