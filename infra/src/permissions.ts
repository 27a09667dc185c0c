import type { FunctionDefinition } from '@baton/example/service-definition';

/**
 * The DynamoDB actions of DynamoDbJobStore (packages/dynamodb/src/dynamodb-job-store.ts), by store method:
 * - create: PutItem (job, reservation), GetItem (reservation and job on a conflict), DeleteItem (a reservation
 *   that lost to an existing job id)
 * - get: GetItem
 * - update: UpdateItem, and GetItem to report the size when DynamoDB refuses an item grown past 400 KB
 * - listByOwner: Query on the owner index, then BatchGetItem of the jobs
 * A test compares this list with the commands the store's source sends, so a new command cannot ship without
 * its permission.
 */
export const DOOR_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

/**
 * A function that serves no door only runs jobs: runJob reads the job (`get`) and claims, renews, requeues and
 * finishes it (`update`). It never creates, deletes or lists, so it gets neither those actions nor the index.
 */
export const RUNNER_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/** Only the listing queries the owner index. */
export const INDEX_ACTIONS = ['dynamodb:Query'] as const;

export function tableActionsFor(fn: FunctionDefinition): readonly string[] {
  return fn.doors.length > 0 ? DOOR_TABLE_ACTIONS : RUNNER_TABLE_ACTIONS;
}
