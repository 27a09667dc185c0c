import type { FunctionDefinition } from '@baton/service';

/**
 * The DynamoDB actions of DynamoDbJobStore (packages/dynamodb/src/dynamodb-job-store.ts), by store method
 * (with the private helpers each one calls):
 * - create: PutItem (job, reservation), GetItem (reservation and job on a conflict), DeleteItem (a reservation
 *   that lost to an existing job id)
 * - get: GetItem
 * - claim: UpdateItem returning the claimed job, and GetItem for the stored job when a claim is refused and
 *   DynamoDB did not send it back
 * - update: UpdateItem, and GetItem to report the size when DynamoDB refuses an item grown past 400 KB
 * - listByOwner: Query on the owner index, then BatchGetItem of the jobs
 * - findStale: Query on the unfinished index (one per shard), then BatchGetItem of the jobs
 * A test derives this map from the store's source, so a new command cannot ship without its permission, and
 * each function's set below is the union of the methods its use cases call.
 */
export const STORE_METHOD_ACTIONS = {
  create: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
  get: ['dynamodb:GetItem'],
  claim: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  update: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  listByOwner: ['dynamodb:BatchGetItem', 'dynamodb:Query'],
  findStale: ['dynamodb:BatchGetItem', 'dynamodb:Query'],
} as const satisfies Record<string, readonly string[]>;

export type StoreMethod = keyof typeof STORE_METHOD_ACTIONS;

/** The index each store method queries (the only action sent to an index is Query). */
export const STORE_METHOD_INDEX: Partial<Record<StoreMethod, 'ownerIndex' | 'unfinishedIndex'>> = {
  listByOwner: 'ownerIndex',
  findStale: 'unfinishedIndex',
};

/**
 * A door submits (`create`), reads (`get`), cancels (`update`) and lists (`listByOwner`), and runs jobs
 * (`claim`, `update`) when it invokes itself.
 */
export const DOOR_STORE_METHODS = ['create', 'get', 'claim', 'update', 'listByOwner'] as const;
export const DOOR_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

/**
 * A function that serves no door only runs jobs: runJob claims the job (`claim`, which returns it) and renews,
 * requeues and finishes it (`update`). It never creates, deletes or lists, so it gets neither those actions
 * nor the index.
 */
export const RUNNER_STORE_METHODS = ['claim', 'update'] as const;
export const RUNNER_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/**
 * The reconciler (reconcileJobs) finds stale unfinished jobs (`findStale`: a Query per shard of the unfinished
 * index, then one consistent BatchGetItem) and moves each on with conditional writes (`update`: re-dispatch
 * mark, requeue, fail, cancel). It never creates, deletes or lists, and reads no job alone except when an update
 * is refused for size (GetItem). Query goes to the unfinished index only, never the owner index.
 */
export const RECONCILER_STORE_METHODS = ['findStale', 'update'] as const;
export const RECONCILER_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

/**
 * The failed-event handler (recordFailedDelivery) reads the job of the failed event (`get`) and fails it with
 * conditional writes (`update`; a queued job is claimed under a lease already over, then failed). The same
 * actions as a runner's, and no index.
 */
export const FAILED_EVENTS_STORE_METHODS = ['get', 'update'] as const;
export const FAILED_EVENTS_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/** Only listings (owner index) and the reconciler's search (unfinished index) query an index. */
export const INDEX_ACTIONS = ['dynamodb:Query'] as const;

export function tableActionsFor(fn: FunctionDefinition): readonly string[] {
  return fn.doors.length > 0 ? DOOR_TABLE_ACTIONS : RUNNER_TABLE_ACTIONS;
}

/** The union of the actions of some store methods, sorted: what a function needs for the methods it calls. */
export function actionsOfStoreMethods(methods: readonly StoreMethod[]): string[] {
  return [...new Set(methods.flatMap((method) => STORE_METHOD_ACTIONS[method]))].sort();
}
