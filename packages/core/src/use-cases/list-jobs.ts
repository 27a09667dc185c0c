import { Unauthenticated, ValidationError } from '../errors.js';
import type { JobPage, JobStore } from '../ports.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface ListJobsDeps {
  readonly store: JobStore;
}

export interface ListJobsRequest {
  readonly owner: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** The caller's own jobs, newest first, a page at a time; the cursor is opaque and bound to its owner. */
export async function listJobs(deps: ListJobsDeps, request: ListJobsRequest): Promise<JobPage> {
  if (!request.owner) throw new Unauthenticated();
  const limit = request.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError('Invalid page size.', [
      { path: ['limit'], message: `Must be an integer from 1 to ${MAX_PAGE_SIZE}.`, code: 'too_big' },
    ]);
  }
  return deps.store.listByOwner(request.owner, {
    limit,
    ...(request.cursor !== undefined && request.cursor !== '' && { cursor: request.cursor }),
  });
}
