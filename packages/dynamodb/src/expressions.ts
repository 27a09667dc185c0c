import { isTerminal, type JobChanges, type JobExpectation } from '@baton/core';
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
