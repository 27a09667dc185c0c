import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ClaimJobResult,
  type Clock,
  type CreateJobResult,
  isUnfinished,
  type Job,
  type JobChanges,
  type JobClaim,
  type JobExpectation,
  type JobPage,
  type JobStore,
  type ListJobsQuery,
  PayloadTooLarge,
  type StaleJobsQuery,
  systemClock,
} from '@baton/core';
import { decodeCursor, encodeCursor } from './cursor.js';
import { claimChanges, planClaim, planUpdate } from './expressions.js';
import { itemSizeBytes, MAX_ITEM_BYTES } from './size.js';
import {
  errorMessage,
  errorName,
  fromAttributeValues,
  fromJobItem,
  type Item,
  instantMs,
  isLiveItem,
  jobIdOfKey,
  jobKey,
  jobsTable,
  reservationKey,
  toJobItem,
  toReservationItem,
  UNFINISHED_SHARDS,
} from './table.js';

export interface DynamoDbJobStoreOptions {
  readonly tableName: string;
  /**
   * A document client is used as given (its marshalling options do not matter: the store never sends
   * undefined values). A plain DynamoDBClient is wrapped once. Default: a client from the SDK's standard
   * configuration (region, credentials, and `AWS_ENDPOINT_URL_DYNAMODB` for a local server).
   */
  readonly client?: DynamoDBClient | DynamoDBDocumentClient;
  /** Where updatedAt and expiry come from. */
  readonly clock?: Clock;
}

/** Rounds of create's reserve-then-write before giving up; each lost round means an item expired under us. */
const CREATE_ROUNDS = 3;
const BATCH_GET_MAX_KEYS = 100;
const WHOLE_JOB = 'The job with its input';
const BATCH_GET_ROUNDS = 8;

const NOT_EXISTS_OR_EXPIRED = {
  ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAtMs <= :now',
  ExpressionAttributeNames: { '#pk': jobsTable.partitionKey, '#expiresAtMs': jobsTable.expiresAtMs },
};

/**
 * The JobStore on DynamoDB with single-item conditional writes only (no transactions: they cost double
 * and dynalite has none). See the package README for the table design and what each method costs.
 */
export class DynamoDbJobStore implements JobStore {
  /** Write requests sent (PutItem, UpdateItem, DeleteItem), successful or not: a failed condition is billed too. */
  writes = 0;
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: Clock;

  constructor(options: DynamoDbJobStoreOptions) {
    const client = options.client ?? new DynamoDBClient({});
    this.client =
      client instanceof DynamoDBDocumentClient
        ? client
        : DynamoDBDocumentClient.from(client, {
            marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
          });
    this.tableName = options.tableName;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Create-if-absent by id, and by (owner, clientRequestId) through a reservation item written first:
   * 1 write without a clientRequestId, 2 with one. A reservation whose job was never written (its creator
   * crashed between the two writes, or is between them right now) is completed with this job under the
   * reserved id, so a key is never stuck and racing creates still end with one job.
   */
  async create(job: Job): Promise<CreateJobResult> {
    const item = toJobItem(job);
    const size = itemSizeBytes(item);
    if (size > MAX_ITEM_BYTES) throw new PayloadTooLarge(WHOLE_JOB, size, MAX_ITEM_BYTES);
    if (job.clientRequestId === undefined) return this.putJob(item);

    const { owner, clientRequestId } = job;
    const expiresAtMs = instantMs(job.expiresAt, 'expiresAt');
    for (let round = 0; round < CREATE_ROUNDS; round++) {
      if (await this.reserve(owner, clientRequestId, job.id, expiresAtMs)) return this.putReservedJob(item);
      const reserved = await this.read(reservationKey(owner, clientRequestId));
      if (!reserved) continue;
      const reservedId = String(reserved.jobId);
      const existing = await this.get(reservedId);
      if (!existing) return this.putJob(toJobItem({ ...job, id: reservedId }));
      if (existing.owner === owner && existing.clientRequestId === clientRequestId)
        return { created: false, job: existing };
      // A reservation left behind by an id collision (see putReservedJob) names another key's job: take it over.
      if (await this.reserve(owner, clientRequestId, job.id, expiresAtMs, reservedId))
        return this.putReservedJob(item);
    }
    throw new Error(`Could not settle clientRequestId '${clientRequestId}' in ${CREATE_ROUNDS} rounds.`);
  }

  /** Strongly consistent; an expired job is absent whether or not TTL has deleted it yet. */
  async get(id: string): Promise<Job | undefined> {
    const item = await this.read(jobKey(id));
    return item && fromJobItem(item);
  }

  async update(id: string, expected: JobExpectation, changes: JobChanges): Promise<Job | undefined> {
    const nowMs = this.clock.now();
    const plan = planUpdate(id, expected, changes, { nowMs, updatedAt: new Date(nowMs).toISOString() });
    if (!plan) return undefined;
    // The stored item is not read first, so only the attributes this write sets can be checked here;
    // DynamoDB refuses a result that grows the item past the limit, and that is turned into the same error.
    const size = itemSizeBytes(plan.set);
    if (size > MAX_ITEM_BYTES) throw new PayloadTooLarge(`The changes to job ${id}`, size, MAX_ITEM_BYTES);
    const { set: _set, remove: _remove, ...expressions } = plan;
    try {
      this.writes++;
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(id),
          ...expressions,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes && fromJobItem(Attributes);
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return undefined;
      if (isItemTooLarge(error)) {
        const current = await this.read(jobKey(id));
        const next: Item = { ...current, ...plan.set };
        for (const attribute of plan.remove) delete next[attribute];
        throw new PayloadTooLarge(`Job ${id} after the update`, itemSizeBytes(next), MAX_ITEM_BYTES);
      }
      throw error;
    }
  }

  /**
   * One conditional UpdateItem that returns the claimed job (ReturnValues ALL_NEW): no read before it. It
   * claims a queued job without a lease, guessing its attempts from the hop (a first delivery finds 0, a later
   * hop at least 1), so that the common claim needs no read. When its condition fails the item comes back with
   * the refusal (ReturnValuesOnConditionCheckFailure ALL_OLD); a server that does not send it (dynalite) costs
   * one consistent GetItem, on this rare path only. The job as it was then tells why: finished or leased (not
   * claimable), or a claim the guess missed, or a dead runner's lease to take over — one more conditional
   * write, compare-and-swap on what was seen.
   */
  async claim(id: string, claim: JobClaim): Promise<ClaimJobResult> {
    const nowMs = this.clock.now();
    const plan = planClaim(id, claim, { nowMs, updatedAt: new Date(nowMs).toISOString() });
    let old: Item | undefined;
    try {
      this.writes++;
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(id),
          ...plan,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (Attributes) return { claimed: true, job: fromJobItem(Attributes) };
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      const item = (error as { Item?: Record<string, unknown> }).Item;
      old = item ? fromAttributeValues(item) : await this.read(jobKey(id));
    }
    if (!isLiveItem(old, nowMs)) return { claimed: false };
    const job = fromJobItem(old);
    const write = claimChanges(job, claim);
    if (!write) return { claimed: false, job };
    const claimed = await this.update(id, write.expected, write.changes);
    if (claimed) return { claimed: true, job: claimed };
    const now = await this.get(id);
    return now ? { claimed: false, job: now } : { claimed: false };
  }

  /**
   * Newest first from the owner index, which holds only keys and expiry (so expired jobs are filtered
   * there), then the jobs themselves with one consistent BatchGetItem. One item past the page is looked
   * ahead so that the last page has no cursor.
   */
  async listByOwner(owner: string, query: ListJobsQuery): Promise<JobPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, owner);
    const nowMs = this.clock.now();
    const wanted = query.limit + 1;
    const found: Item[] = [];
    let startKey: Item | undefined = after && {
      ...jobKey(after.id),
      [jobsTable.ownerKey]: owner,
      [jobsTable.ownerSortKey]: after.sortKey,
    };
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: jobsTable.ownerIndex,
          KeyConditionExpression: '#owner = :owner',
          FilterExpression: '#expiresAtMs > :now',
          ExpressionAttributeNames: { '#owner': jobsTable.ownerKey, '#expiresAtMs': jobsTable.expiresAtMs },
          ExpressionAttributeValues: { ':owner': owner, ':now': nowMs },
          ScanIndexForward: false,
          Limit: wanted - found.length,
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (found.length < wanted && startKey);

    const positions = found.slice(0, query.limit);
    const jobs = await this.readMany(
      positions.map((position) => String(position[jobsTable.partitionKey])),
      nowMs,
    );
    const last = positions.at(-1);
    const more = found.length > query.limit && last !== undefined;
    return {
      jobs,
      ...(more && {
        nextCursor: encodeCursor(owner, {
          sortKey: String(last[jobsTable.ownerSortKey]),
          id: jobIdOfKey(String(last[jobsTable.partitionKey])),
        }),
      }),
    };
  }

  /**
   * From the unfinished index, which holds only queued and running jobs (keys and expiry): every shard is
   * queried in parallel, oldest write first, for at most `limit` unexpired entries written at or before
   * `updatedBefore`; the merged oldest `limit` are read with one consistent BatchGetItem. The index lags
   * writes, so what was read is checked again: still unfinished, still not written since.
   */
  async findStale(query: StaleJobsQuery): Promise<readonly Job[]> {
    const limit = Math.floor(query.limit);
    const beforeMs = instantMs(query.updatedBefore, 'updatedBefore');
    if (!(limit >= 1)) return [];
    const nowMs = this.clock.now();
    const shards = Array.from({ length: UNFINISHED_SHARDS }, (_, shard) =>
      this.staleInShard(String(shard), beforeMs, nowMs, limit),
    );
    const entries = (await Promise.all(shards))
      .flat()
      .map((entry) => ({
        pk: String(entry[jobsTable.partitionKey]),
        updatedAtMs: Number(entry[jobsTable.updatedAtMs]),
      }))
      .sort((a, b) => oldestFirst(a.updatedAtMs, jobIdOfKey(a.pk), b.updatedAtMs, jobIdOfKey(b.pk)))
      .slice(0, limit);
    const jobs = await this.readMany(
      entries.map((entry) => entry.pk),
      nowMs,
    );
    return jobs
      .filter((job) => isUnfinished(job) && instantMs(job.updatedAt, 'updatedAt') <= beforeMs)
      .sort((a, b) => oldestFirst(Date.parse(a.updatedAt), a.id, Date.parse(b.updatedAt), b.id));
  }

  /** Up to `limit` unexpired entries of one shard of the unfinished index, oldest first. */
  private async staleInShard(shard: string, beforeMs: number, nowMs: number, limit: number): Promise<Item[]> {
    const found: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: jobsTable.unfinishedIndex,
          KeyConditionExpression: '#shard = :shard AND #updatedAtMs <= :before',
          FilterExpression: '#expiresAtMs > :now',
          ExpressionAttributeNames: {
            '#shard': jobsTable.unfinishedShard,
            '#updatedAtMs': jobsTable.updatedAtMs,
            '#expiresAtMs': jobsTable.expiresAtMs,
          },
          ExpressionAttributeValues: { ':shard': shard, ':before': beforeMs, ':now': nowMs },
          ScanIndexForward: true,
          // Limit counts entries read before the filter: expired ones cost a page, never a wrong answer.
          Limit: limit - found.length,
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (found.length < limit && startKey);
    return found.slice(0, limit);
  }

  /** Puts a job unless a live one has its id; if one has, returns that one as stored. */
  private async putJob(item: Item): Promise<CreateJobResult> {
    const id = jobIdOfKey(String(item[jobsTable.partitionKey]));
    for (let round = 0; round < CREATE_ROUNDS; round++) {
      if (await this.putIfAbsent(item)) return { created: true, job: fromJobItem(item) };
      const existing = await this.get(id);
      if (existing) return { created: false, job: existing };
    }
    throw new Error(`Could not create job ${id} in ${CREATE_ROUNDS} rounds.`);
  }

  private async putReservedJob(item: Item): Promise<CreateJobResult> {
    const result = await this.putJob(item);
    const job = fromJobItem(item);
    const sameKey = result.job.owner === job.owner && result.job.clientRequestId === job.clientRequestId;
    if (result.created || sameKey) return result;
    // Another job already has this id (ids are random, so only a caller reusing one gets here): the key
    // must not keep pointing at a job that is not its own. Best effort; create repairs it if this is lost.
    await this.delete(reservationKey(job.owner, job.clientRequestId as string), job.id);
    return result;
  }

  /** Reserves (owner, clientRequestId) for jobId: if free or expired, or if it names `replacing`. */
  private async reserve(
    owner: string,
    clientRequestId: string,
    jobId: string,
    expiresAtMs: number,
    replacing?: string,
  ): Promise<boolean> {
    const item = toReservationItem(owner, clientRequestId, jobId, expiresAtMs);
    if (replacing === undefined) return this.putIfAbsent(item);
    return this.conditionalWrite(
      new PutCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: '#jobId = :jobId',
        ExpressionAttributeNames: { '#jobId': 'jobId' },
        ExpressionAttributeValues: { ':jobId': replacing },
      }),
    );
  }

  private putIfAbsent(item: Item): Promise<boolean> {
    return this.conditionalWrite(
      new PutCommand({
        TableName: this.tableName,
        Item: item,
        ...NOT_EXISTS_OR_EXPIRED,
        ExpressionAttributeValues: { ':now': this.clock.now() },
      }),
    );
  }

  private delete(key: Item, jobId: string): Promise<boolean> {
    return this.conditionalWrite(
      new DeleteCommand({
        TableName: this.tableName,
        Key: key,
        ConditionExpression: '#jobId = :jobId',
        ExpressionAttributeNames: { '#jobId': 'jobId' },
        ExpressionAttributeValues: { ':jobId': jobId },
      }),
    );
  }

  /** True if the write landed, false if its condition failed. */
  private async conditionalWrite(command: PutCommand | DeleteCommand): Promise<boolean> {
    try {
      this.writes++;
      await this.client.send(command as PutCommand);
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      if (isItemTooLarge(error) && command instanceof PutCommand) {
        const size = itemSizeBytes(command.input.Item ?? {});
        throw new PayloadTooLarge(WHOLE_JOB, size, MAX_ITEM_BYTES);
      }
      throw error;
    }
  }

  /** A live item by key, read consistently. */
  private async read(key: Item): Promise<Item | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return isLiveItem(Item, this.clock.now()) ? Item : undefined;
  }

  /** Live jobs by partition key, consistently, in the order asked; missing or expired ones are left out. */
  private async readMany(partitionKeys: readonly string[], nowMs: number): Promise<Job[]> {
    const byKey = new Map<string, Item>();
    let pending = partitionKeys.map((pk) => ({ [jobsTable.partitionKey]: pk }));
    for (let round = 0; pending.length > 0; round++) {
      if (round === BATCH_GET_ROUNDS) throw new Error('BatchGetItem kept leaving keys unprocessed.');
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
      const unprocessed: Item[] = [];
      for (let start = 0; start < pending.length; start += BATCH_GET_MAX_KEYS) {
        const out = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: pending.slice(start, start + BATCH_GET_MAX_KEYS),
                ConsistentRead: true,
              },
            },
          }),
        );
        for (const item of out.Responses?.[this.tableName] ?? [])
          byKey.set(String(item[jobsTable.partitionKey]), item);
        unprocessed.push(...(out.UnprocessedKeys?.[this.tableName]?.Keys ?? []));
      }
      pending = unprocessed as typeof pending;
    }
    return partitionKeys
      .map((pk) => byKey.get(pk))
      .filter((item) => isLiveItem(item, nowMs))
      .map(fromJobItem);
  }
}

/** Oldest first, by (updatedAt, id): the order of findStale, the same as the reference store's. */
const oldestFirst = (aMs: number, aId: string, bMs: number, bId: string): number =>
  aMs !== bMs ? aMs - bMs : aId < bId ? -1 : aId > bId ? 1 : 0;

/** DynamoDB's (and dynalite's) refusal of an item over 400 KB; PutItem and UpdateItem word it differently. */
const isItemTooLarge = (error: unknown): boolean =>
  errorName(error) === 'ValidationException' &&
  /item size .*exceeded the maximum allowed size/i.test(errorMessage(error));
