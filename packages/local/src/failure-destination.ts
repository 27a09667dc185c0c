import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AsyncFailureReason } from './async-event-queue.js';
import type { FunctionErrorPayload } from './errors.js';

/**
 * An async event Lambda gave up on. The fields follow Lambda's on-failure invocation record
 * (`requestContext.condition` → `reason`, `approximateInvokeCount` → `attempts`, `requestPayload` → `payload`,
 * `responsePayload` → `error`).
 */
export interface FailedEvent {
  /** This record's id: what `redrive(id)` takes. */
  id: string;
  functionName: string;
  functionArn: string;
  /** The request id the event had when it was accepted. */
  requestId: string;
  /** The event (parsed JSON). */
  payload: unknown;
  reason: AsyncFailureReason;
  /** The last attempt's function error; absent when the event never ran. */
  error?: FunctionErrorPayload;
  /** Attempts that ran (0 when it was stopped before running). */
  attempts: number;
  /** ISO-8601: when the Invoke API accepted the event. */
  acceptedAt: string;
  /** ISO-8601: when it was sent here. */
  failedAt: string;
  traceHeader: string;
}

/**
 * The on-failure destination: failed async events in memory, optionally mirrored to a JSON file (written after
 * every change, atomically) so they survive a restart and can be re-driven later.
 */
export class FailureDestination {
  private readonly events = new Map<string, FailedEvent>();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as { failedEvents?: FailedEvent[] };
      for (const event of stored.failedEvents ?? []) this.events.set(event.id, event);
    }
  }

  add(record: Omit<FailedEvent, 'id' | 'failedAt'>): FailedEvent {
    const event: FailedEvent = { id: randomUUID(), failedAt: new Date().toISOString(), ...record };
    this.events.set(event.id, event);
    this.persist();
    return structuredClone(event);
  }

  list(functionName?: string): FailedEvent[] {
    return [...this.events.values()]
      .filter((event) => functionName === undefined || event.functionName === functionName)
      .map((event) => structuredClone(event));
  }

  /** Removes and returns a record (to re-drive it). */
  take(id: string): FailedEvent | undefined {
    const event = this.events.get(id);
    if (event === undefined) return undefined;
    this.events.delete(id);
    this.persist();
    return event;
  }

  /** Resolves when every change so far is on disk. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private persist(): void {
    const file = this.file;
    if (!file) return;
    const snapshot = JSON.stringify({ failedEvents: [...this.events.values()] }, null, 2);
    // Writes are chained so an older snapshot can never land after a newer one.
    this.writes = this.writes.then(async () => {
      try {
        await mkdir(dirname(file), { recursive: true });
        const temporary = `${file}.${process.pid}.tmp`;
        await writeFile(temporary, snapshot);
        await rename(temporary, file);
      } catch (error) {
        process.emitWarning(`Could not write failed events to ${file}: ${String(error)}`);
      }
    });
  }
}
