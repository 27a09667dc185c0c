/**
 * The jobs table, in one place: key names, the owner index, the index of unfinished jobs, the TTL
 * attribute, how a job and an idempotency reservation become items, and how to create the table. The
 * local stack and the CDK app build the table from these constants, so the cloud and a laptop cannot
 * drift apart.
 */
import { createHash } from 'node:crypto';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import { isUnfinished, type Job, type Json } from '@baton/core';

export const jobsTable = Object.freeze({
  /** The partition key (S): `job#<id>` for a job, `req#<hash>` for an idempotency reservation. No sort key. */
  partitionKey: 'pk',
  /** Lists one owner's jobs, newest first. Sparse: only job items carry its keys. */
  ownerIndex: 'byOwner',
  /** The owner index's partition key (S): the job's owner, stored as the job's own `owner` attribute. */
  ownerKey: 'owner',
  /** The owner index's sort key (S): `<createdAt>#<id>`, so that jobs created in the same millisecond keep an order. */
  ownerSortKey: 'createdAtId',
  /**
   * Epoch milliseconds of expiresAt (N). Reads and conditions compare with it, because TTL deletes lazily
   * and only to the second. Projected into the owner index so that a listing filters expired jobs there.
   */
  expiresAtMs: 'expiresAtMs',
  /** DynamoDB's TTL attribute (N, epoch seconds, rounded up so an item is never deleted before it expires). */
  ttl: 'ttl',
  /**
   * The unfinished jobs, oldest write first within each shard: what `findStale` queries. Sparse: only a
   * queued or running job carries its partition key, and the write that finishes a job removes it.
   */
  unfinishedIndex: 'unfinished',
  /** The unfinished index's partition key (S): one of UNFINISHED_SHARDS values, from a hash of the job id. */
  unfinishedShard: 'unfinishedShard',
  /** The unfinished index's sort key (N): epoch milliseconds of updatedAt, set by every write of the job. */
  updatedAtMs: 'updatedAtMs',
});

/**
 * How many partition key values the unfinished index spreads its entries over. One index partition takes
 * about 1000 writes per second, and every write of an unfinished job rewrites its index entry (the sort key
 * moves), so a single key value would cap the writes of all running jobs together; since that sort key only
 * grows, DynamoDB cannot split the hot key by range either. 8 shards cost `findStale` 8 small Queries.
 */
export const UNFINISHED_SHARDS = 8;

const JOB_PREFIX = 'job#';
const RESERVATION_PREFIX = 'req#';

/** Stored as JSON text, not as DynamoDB maps: see `toJobItem`. */
const JSON_ATTRIBUTES = ['input', 'checkpoint', 'result'] as const;
const INTERNAL_ATTRIBUTES = [
  jobsTable.partitionKey,
  jobsTable.ownerSortKey,
  jobsTable.expiresAtMs,
  jobsTable.ttl,
  jobsTable.unfinishedShard,
  jobsTable.updatedAtMs,
] as const;

export type Item = Record<string, unknown>;

export const jobKey = (id: string) => ({ [jobsTable.partitionKey]: `${JOB_PREFIX}${id}` });

export const jobIdOfKey = (partitionKey: string): string => partitionKey.slice(JOB_PREFIX.length);

/**
 * An idempotency key is hashed so that the item key has a fixed size whatever the owner and key look like;
 * the NUL separator keeps ("a", "bc") and ("ab", "c") apart.
 */
export const reservationKey = (owner: string, clientRequestId: string) => ({
  [jobsTable.partitionKey]: `${RESERVATION_PREFIX}${createHash('sha256').update(`${owner}\u0000${clientRequestId}`).digest('base64url')}`,
});

export const ownerSortKeyOf = (createdAt: string, id: string): string => `${createdAt}#${id}`;

/**
 * The unfinished index shard of a job: "0" to "7", fixed for the life of the job, so that the writes of one
 * job always land on the same index key. A hash, not the id's own characters, whatever ids look like.
 */
export const unfinishedShardOf = (id: string): string =>
  String((createHash('sha256').update(id).digest()[0] as number) % UNFINISHED_SHARDS);

/** Epoch milliseconds of an ISO-8601 instant; an unparseable one is a bug in the caller, not a job that never expires. */
export function instantMs(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new TypeError(`${what} must be an ISO-8601 instant, got '${iso}'.`);
  return ms;
}

const expiryAttributes = (expiresAtMs: number) => ({
  [jobsTable.expiresAtMs]: expiresAtMs,
  [jobsTable.ttl]: Math.ceil(expiresAtMs / 1000),
});

/**
 * A job as an item: its own attributes, plus the key, the owner index's sort key, the unfinished index's
 * keys (the shard only while the job is queued or running) and the expiry attributes. input, checkpoint
 * and result are JSON text because DynamoDB's types do not hold every JSON value: numbers are limited to
 * 38 digits and ±1e125 (the SDK also refuses integers above 2^53), maps nest at most 32 levels. Text
 * round-trips whatever the core accepted, and its size is simply its UTF-8 length.
 */
export function toJobItem(job: Job): Item {
  const item: Item = { ...jobKey(job.id) };
  for (const [name, value] of Object.entries(job)) {
    if (value !== undefined) item[name] = toStoredValue(name, value);
  }
  item[jobsTable.ownerSortKey] = ownerSortKeyOf(job.createdAt, job.id);
  item[jobsTable.updatedAtMs] = instantMs(job.updatedAt, 'updatedAt');
  if (isUnfinished(job)) item[jobsTable.unfinishedShard] = unfinishedShardOf(job.id);
  return { ...item, ...expiryAttributes(instantMs(job.expiresAt, 'expiresAt')) };
}

/** How one job attribute is stored (used for updates too, so that a write and a create agree). */
export function toStoredValue(name: string, value: unknown): unknown {
  return (JSON_ATTRIBUTES as readonly string[]).includes(name) ? JSON.stringify(value) : value;
}

export function fromJobItem(item: Item): Job {
  const job: Record<string, unknown> = { ...item };
  for (const name of INTERNAL_ATTRIBUTES) delete job[name];
  for (const name of JSON_ATTRIBUTES) {
    const text = job[name];
    if (typeof text === 'string') job[name] = JSON.parse(text) as Json;
  }
  return job as unknown as Job;
}

/**
 * An item in DynamoDB's wire form (`{ S: … }`, `{ N: … }`, …) as the document client would give it: what a
 * ConditionalCheckFailedException carries, which the document client passes through untranslated. Covers
 * the types a job item holds (strings, numbers, booleans, null, maps, lists).
 */
export function fromAttributeValues(item: Record<string, unknown>): Item {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, fromAttributeValue(value)]));
}

function fromAttributeValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const typed = value as Record<string, unknown>;
  if ('S' in typed) return typed.S;
  if ('N' in typed) return Number(typed.N);
  if ('BOOL' in typed) return typed.BOOL;
  if ('NULL' in typed) return null;
  if ('M' in typed) return fromAttributeValues(typed.M as Record<string, unknown>);
  if ('L' in typed) return (typed.L as unknown[]).map(fromAttributeValue);
  // Already a plain value (a client that translated it): an object of its own attributes.
  return fromAttributeValues(typed);
}

export function isLiveItem(item: Item | undefined, nowMs: number): item is Item {
  const expiresAtMs = item?.[jobsTable.expiresAtMs];
  return typeof expiresAtMs === 'number' && expiresAtMs > nowMs;
}

/**
 * Holds (owner, clientRequestId) → job id. It has no owner attribute, so it stays out of the owner index,
 * and it expires with the job it points to, so an expired job frees its key.
 */
export function toReservationItem(
  owner: string,
  clientRequestId: string,
  jobId: string,
  expiresAtMs: number,
): Item {
  return { ...reservationKey(owner, clientRequestId), jobId, ...expiryAttributes(expiresAtMs) };
}

/**
 * The table as CreateTable wants it: on-demand, one partition key, the sparse owner and unfinished indexes.
 * TTL is set separately.
 */
export function jobsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: jobsTable.partitionKey, AttributeType: 'S' },
      { AttributeName: jobsTable.ownerKey, AttributeType: 'S' },
      { AttributeName: jobsTable.ownerSortKey, AttributeType: 'S' },
      { AttributeName: jobsTable.unfinishedShard, AttributeType: 'S' },
      { AttributeName: jobsTable.updatedAtMs, AttributeType: 'N' },
    ],
    KeySchema: [{ AttributeName: jobsTable.partitionKey, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: jobsTable.ownerIndex,
        KeySchema: [
          { AttributeName: jobsTable.ownerKey, KeyType: 'HASH' },
          { AttributeName: jobsTable.ownerSortKey, KeyType: 'RANGE' },
        ],
        // Keys and expiry only: none of them changes after create, so claims, progress and finishes never
        // write the index. A listing reads the jobs themselves with a consistent BatchGetItem.
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [jobsTable.expiresAtMs] },
      },
      {
        IndexName: jobsTable.unfinishedIndex,
        KeySchema: [
          { AttributeName: jobsTable.unfinishedShard, KeyType: 'HASH' },
          { AttributeName: jobsTable.updatedAtMs, KeyType: 'RANGE' },
        ],
        // Keys and expiry only, for the same reason: every write of an unfinished job moves its entry, and
        // a small entry is one write unit. findStale filters expired entries here, then reads the jobs.
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [jobsTable.expiresAtMs] },
      },
    ],
  };
}

export interface CreateJobsTableOptions {
  /**
   * Turn on TTL deletion of expired items (default true). Servers without UpdateTimeToLive (dynalite) are
   * tolerated: reads ignore expired items anyway, they are only not deleted.
   */
  readonly timeToLive?: boolean;
  /** How long to wait for the table to become ACTIVE (default 5 minutes). */
  readonly waitMs?: number;
  /**
   * For a laptop's table only: an existing table without an index this version needs is rebuilt — its items
   * read out, the table created anew, every item written back with this version's attributes. Without it,
   * such a table is an error that says what is missing. (In AWS, CloudFormation adds an index to the table.)
   */
  readonly rebuildIfOutdated?: boolean;
}

/**
 * Creates the jobs table if it does not exist, waits until it and its index are ACTIVE, and turns on TTL.
 * Safe to call on an existing table.
 */
export async function createJobsTable(
  client: DynamoDBClient,
  tableName: string,
  options: CreateJobsTableOptions = {},
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(jobsTableDefinition(tableName)));
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
  }
  await waitUntilActive(client, tableName, options.waitMs ?? 300_000);
  const missing = await missingIndexes(client, tableName);
  if (missing.length > 0) {
    if (!options.rebuildIfOutdated)
      throw new Error(
        `Table ${tableName} lacks the index(es) ${missing.join(', ')} this version of Baton needs; add them (CloudFormation does on deploy) and backfill, or rebuild a local table.`,
      );
    await rebuildTable(client, tableName, options.waitMs ?? 300_000);
  }
  if (options.timeToLive === false) return;
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: jobsTable.ttl, Enabled: true },
      }),
    );
  } catch (error) {
    const alreadyOn =
      errorName(error) === 'ValidationException' && /already enabled/i.test(errorMessage(error));
    const unsupported = errorName(error) === 'UnknownOperationException';
    if (!alreadyOn && !unsupported) throw error;
  }
}

async function missingIndexes(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  return (jobsTableDefinition(tableName).GlobalSecondaryIndexes ?? [])
    .map((index) => index.IndexName as string)
    .filter((name) => !present.has(name));
}

/** Copies every item out, re-creates the table and writes the items back, job items with today's attributes. */
async function rebuildTable(client: DynamoDBClient, tableName: string, waitMs: number): Promise<void> {
  const documents = DynamoDBDocumentClient.from(client);
  const items: Item[] = [];
  for await (const page of paginateScan(
    { client: documents },
    { TableName: tableName, ConsistentRead: true },
  ))
    items.push(...((page.Items ?? []) as Item[]));
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') break;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  await client.send(new CreateTableCommand(jobsTableDefinition(tableName)));
  await waitUntilActive(client, tableName, waitMs);
  for (const item of items) {
    const isJob = String(item[jobsTable.partitionKey]).startsWith(JOB_PREFIX);
    await documents.send(
      new PutCommand({ TableName: tableName, Item: isJob ? toJobItem(fromJobItem(item)) : item }),
    );
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === 'ACTIVE',
    );
    if (table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() + delay > deadline)
      throw new Error(`Table ${tableName} did not become ACTIVE in ${waitMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

export const errorName = (error: unknown): string | undefined =>
  error instanceof Error ? error.name : undefined;

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
