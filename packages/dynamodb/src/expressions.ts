import { isTerminal, type Job, type JobChanges, type JobClaim, type JobExpectation } from '@baton/core';
import { instantMs, jobsTable, toStoredValue, unfinishedShardOf } from './table.js';

/** One UpdateItem's expressions, plus what it sets and removes (to size the write before sending it). */
export interface UpdatePlan {
  readonly ConditionExpression: string;
  readonly UpdateExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
  readonly set: Readonly<Record<string, unknown>>;
  readonly remove: readonly string[];
}

class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};

  name(attribute: string): string {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(attribute))
      throw new TypeError(`Unexpected attribute '${attribute}'.`);
    this.names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  }

  value(value: unknown): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }
}

/**
 * The condition is `meetsExpectation` of the core, plus "exists and has not expired" (TTL deletes lazily);
 * the update is `applyChanges`: null removes an attribute, and updatedAt is the store's clock.
 * It also keeps the unfinished index right: updatedAtMs (its sort key) moves with every write, and a write
 * of a status sets the job's shard (queued, running) or removes it (terminal), so that the write that
 * finishes a job is the one that takes it out of the index.
 * Undefined when the expectation can never hold (an empty list of statuses), so nothing need be sent.
 */
export function planUpdate(
  id: string,
  expected: JobExpectation,
  changes: JobChanges,
  at: { readonly nowMs: number; readonly updatedAt: string },
): UpdatePlan | undefined {
  const p = new Placeholders();
  const conditions = [
    `attribute_exists(${p.name(jobsTable.partitionKey)})`,
    `${p.name(jobsTable.expiresAtMs)} > ${p.value(at.nowMs)}`,
  ];
  if (expected.status !== undefined) {
    const statuses = typeof expected.status === 'string' ? [expected.status] : expected.status;
    if (statuses.length === 0) return undefined;
    conditions.push(
      statuses.length === 1
        ? `${p.name('status')} = ${p.value(statuses[0])}`
        : `${p.name('status')} IN (${statuses.map((status) => p.value(status)).join(', ')})`,
    );
  }
  if (expected.leaseHolder === null) conditions.push(`attribute_not_exists(${p.name('lease')})`);
  else if (expected.leaseHolder !== undefined)
    conditions.push(`${p.name('lease')}.${p.name('holder')} = ${p.value(expected.leaseHolder)}`);
  if (expected.leaseExpiresAt !== undefined)
    conditions.push(`${p.name('lease')}.${p.name('expiresAt')} = ${p.value(expected.leaseExpiresAt)}`);
  if (expected.reconciled !== undefined) {
    const reconciled = `${p.name('reconciled')} = ${p.value(expected.reconciled)}`;
    // A job nobody has reconciled yet has no count at all: that is 0.
    conditions.push(
      expected.reconciled === 0
        ? `(attribute_not_exists(${p.name('reconciled')}) OR ${reconciled})`
        : reconciled,
    );
  }

  const set: Record<string, unknown> = {
    updatedAt: at.updatedAt,
    [jobsTable.updatedAtMs]: instantMs(at.updatedAt, 'updatedAt'),
  };
  const remove: string[] = [];
  for (const [attribute, value] of Object.entries(changes)) {
    if (value === undefined || attribute === 'updatedAt') continue;
    if (value === null) remove.push(attribute);
    else set[attribute] = toStoredValue(attribute, value);
  }
  if (changes.status !== undefined) {
    if (isTerminal(changes.status)) remove.push(jobsTable.unfinishedShard);
    else set[jobsTable.unfinishedShard] = unfinishedShardOf(id);
  }
  const assignments = Object.entries(set).map(
    ([attribute, value]) => `${p.name(attribute)} = ${p.value(value)}`,
  );
  const removals = remove.map((attribute) => p.name(attribute));

  return {
    ConditionExpression: conditions.join(' AND '),
    UpdateExpression: [
      `SET ${assignments.join(', ')}`,
      ...(removals.length ? [`REMOVE ${removals.join(', ')}`] : []),
    ].join(' '),
    ExpressionAttributeNames: p.names,
    ExpressionAttributeValues: p.values,
    set,
    remove,
  };
}

/**
 * The claim of a queued job as one UpdateItem that needs no read first: queued, no lease, not expired, and
 * the attempts guessed from the hop — a first delivery (hop 0) finds a job never claimed (0 attempts, and the
 * claim makes it 1); a later hop finds a requeued job, whose attempts it keeps. A wrong guess only fails the
 * condition, and the store falls back to `claimChanges` on the job as it is.
 */
export function planClaim(
  id: string,
  claim: JobClaim,
  at: { readonly nowMs: number; readonly updatedAt: string },
): Pick<
  UpdatePlan,
  'ConditionExpression' | 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> {
  const p = new Placeholders();
  const attempts = p.name('attempts');
  const first = claim.hop === 0;
  const conditions = [
    `attribute_exists(${p.name(jobsTable.partitionKey)})`,
    `${p.name(jobsTable.expiresAtMs)} > ${p.value(at.nowMs)}`,
    `${p.name('status')} = ${p.value('queued')}`,
    `attribute_not_exists(${p.name('lease')})`,
    first ? `${attempts} = ${p.value(0)}` : `${attempts} >= ${p.value(1)}`,
  ];
  const startedAt = p.name('startedAt');
  const assignments = [
    `${p.name('status')} = ${p.value('running')}`,
    `${p.name('lease')} = ${p.value(claim.lease)}`,
    `${p.name('hop')} = ${p.value(claim.hop)}`,
    `${p.name('updatedAt')} = ${p.value(at.updatedAt)}`,
    `${p.name(jobsTable.updatedAtMs)} = ${p.value(instantMs(at.updatedAt, 'updatedAt'))}`,
    `${p.name(jobsTable.unfinishedShard)} = ${p.value(unfinishedShardOf(id))}`,
    `${startedAt} = if_not_exists(${startedAt}, ${p.value(new Date(claim.now).toISOString())})`,
    ...(first ? [`${attempts} = ${p.value(1)}`] : []),
  ];
  // The claim's history entry rides on this write: appended to a history the claimer has not read.
  if (claim.entry) {
    const history = p.name('history');
    assignments.push(
      `${history} = list_append(if_not_exists(${history}, ${p.value([])}), ${p.value([claim.entry])})`,
    );
  }
  return {
    ConditionExpression: conditions.join(' AND '),
    UpdateExpression: `SET ${assignments.join(', ')} REMOVE ${p.name('reconciled')}`,
    ExpressionAttributeNames: p.names,
    ExpressionAttributeValues: p.values,
  };
}

/**
 * The claim of `job` as read (the store's fallback when the guess of `planClaim` missed, or a dead runner's
 * lease is to be taken over): the same rules as the reference store — queued without a lease, or running
 * with a lease that is over; compare-and-swap on what was seen. Undefined if the job is not claimable.
 */
export function claimChanges(
  job: Job,
  claim: JobClaim,
): { readonly expected: JobExpectation; readonly changes: JobChanges } | undefined {
  const common = {
    lease: claim.lease,
    hop: claim.hop,
    ...(claim.entry && { history: [...(job.history ?? []), claim.entry] }),
    ...(job.reconciled !== undefined && { reconciled: null }),
    ...(!job.startedAt && { startedAt: new Date(claim.now).toISOString() }),
  };
  if (job.status === 'queued' && job.lease === undefined) {
    return {
      expected: { status: 'queued', leaseHolder: null },
      changes: { status: 'running', ...common, attempts: Math.max(1, job.attempts) },
    };
  }
  const leaseOver = job.lease === undefined || Date.parse(job.lease.expiresAt) <= claim.now;
  if (job.status === 'running' && leaseOver) {
    return {
      expected: {
        status: 'running',
        leaseHolder: job.lease?.holder ?? null,
        ...(job.lease && { leaseExpiresAt: job.lease.expiresAt }),
      },
      changes: { ...common, attempts: job.attempts + 1 },
    };
  }
  return undefined;
}
