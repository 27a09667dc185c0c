import { ValidationError } from '../errors.js';
import {
  applyChanges,
  isExpired,
  isUnfinished,
  type Job,
  type JobChanges,
  type JobExpectation,
  meetsExpectation,
} from '../job.js';
import type {
  ClaimJobResult,
  Clock,
  CreateJobResult,
  JobClaim,
  JobPage,
  JobStore,
  ListJobsQuery,
  StaleJobsQuery,
} from '../ports.js';
import { claimWrite } from '../runner/claim.js';
import { systemClock } from '../system.js';

interface Cursor {
  readonly owner: string;
  readonly createdAt: string;
  readonly id: string;
}

type Position = Pick<Job, 'createdAt' | 'id'>;

const newestFirst = (a: Position, b: Position) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1;

/**
 * The reference JobStore: the contract of the port, executed in a Map. Single-threaded JavaScript makes
 * each method atomic, which is exactly the guarantee a conditional write gives. Jobs are copied in and out
 * so that no caller can change stored state by mutating what it holds.
 */
export class InMemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, Job>();
  private readonly idempotencyKeys = new Map<string, string>();
  /** Every write request, successful or not: a failed conditional write costs as much as one that lands. */
  writes = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async create(job: Job): Promise<CreateJobResult> {
    this.writes++;
    const existingById = this.live(job.id);
    if (existingById) return { created: false, job: structuredClone(existingById) };
    const key = job.clientRequestId === undefined ? undefined : `${job.owner}\u0000${job.clientRequestId}`;
    if (key !== undefined) {
      const existingId = this.idempotencyKeys.get(key);
      const existing = existingId === undefined ? undefined : this.live(existingId);
      if (existing) return { created: false, job: structuredClone(existing) };
      this.idempotencyKeys.set(key, job.id);
    }
    this.jobs.set(job.id, structuredClone(job));
    return { created: true, job: structuredClone(job) };
  }

  async get(id: string): Promise<Job | undefined> {
    const job = this.live(id);
    return job && structuredClone(job);
  }

  async update(id: string, expected: JobExpectation, changes: JobChanges): Promise<Job | undefined> {
    this.writes++;
    const job = this.live(id);
    if (!job || !meetsExpectation(job, expected)) return undefined;
    const next = applyChanges(job, structuredClone(changes), new Date(this.clock.now()).toISOString());
    this.jobs.set(id, next);
    return structuredClone(next);
  }

  async claim(id: string, claim: JobClaim): Promise<ClaimJobResult> {
    this.writes++;
    const job = this.live(id);
    if (!job) return { claimed: false };
    const write = claimWrite(job, claim);
    if (!write) return { claimed: false, job: structuredClone(job) };
    const next = applyChanges(job, structuredClone(write.changes), new Date(this.clock.now()).toISOString());
    this.jobs.set(id, next);
    return { claimed: true, job: structuredClone(next) };
  }

  async listByOwner(owner: string, query: ListJobsQuery): Promise<JobPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, owner);
    const mine = [...this.jobs.values()]
      .filter((job) => job.owner === owner && !isExpired(job, this.clock.now()))
      .sort(newestFirst);
    const start = after ? mine.findIndex((job) => newestFirst(job, after) > 0) : 0;
    const page = start < 0 ? [] : mine.slice(start, start + query.limit);
    const last = page.at(-1);
    const more = start >= 0 && start + query.limit < mine.length;
    return {
      jobs: page.map((job) => structuredClone(job)),
      ...(more && last && { nextCursor: encodeCursor({ owner, createdAt: last.createdAt, id: last.id }) }),
    };
  }

  async findStale(query: StaleJobsQuery): Promise<readonly Job[]> {
    const now = this.clock.now();
    return [...this.jobs.values()]
      .filter((job) => isUnfinished(job) && !isExpired(job, now) && job.updatedAt <= query.updatedBefore)
      .sort((a, b) =>
        a.updatedAt === b.updatedAt ? (a.id < b.id ? -1 : 1) : a.updatedAt < b.updatedAt ? -1 : 1,
      )
      .slice(0, query.limit)
      .map((job) => structuredClone(job));
  }

  private live(id: string): Job | undefined {
    const job = this.jobs.get(id);
    return job && !isExpired(job, this.clock.now()) ? job : undefined;
  }
}

const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(text: string, owner: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (cursor.owner === owner && typeof cursor.createdAt === 'string' && typeof cursor.id === 'string')
      return cursor;
  } catch {
    // falls through to the same error as a cursor of another owner: no hint which it was
  }
  throw new ValidationError('Invalid cursor.', [
    { path: ['cursor'], message: 'Not a cursor issued for this listing.', code: 'invalid_cursor' },
  ]);
}
