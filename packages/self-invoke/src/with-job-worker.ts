import type { Context } from 'aws-lambda';
import { looksLikeJobRunEvent } from './job-run-event.js';

/**
 * Composes the worker into a door's handler: one function that serves its door and also runs its own
 * long jobs by invoking itself (the self-invoking Lambda). Job-run events go to the worker; everything else
 * to the door.
 */
export function withJobWorker<DoorEvent, DoorResult, WorkerResult>(
  worker: (event: unknown, context: Context) => Promise<WorkerResult>,
  door: (event: DoorEvent, context: Context) => Promise<DoorResult>,
): (event: DoorEvent | { baton: unknown }, context: Context) => Promise<DoorResult | WorkerResult> {
  return (event, context) =>
    looksLikeJobRunEvent(event) ? worker(event, context) : door(event as DoorEvent, context);
}
