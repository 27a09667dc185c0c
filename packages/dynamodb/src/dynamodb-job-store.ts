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
  type Clock,
  type CreateJobResult,
  type Job,
  type JobChanges,
  type JobExpectation,
  type JobPage,
  type JobStore,
  type ListJobsQuery,
  PayloadTooLarge,
  systemClock,
} from '@baton/core';
import { decodeCursor, encodeCursor } from './cursor.js';
import { planUpdate } from './expressions.js';
import { itemSizeBytes, MAX_ITEM_BYTES } from './size.js';
import {
  errorMessage,
  errorName,
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
    const plan = planUpdate(expected, changes, { nowMs, updatedAt: new Date(nowMs).toISOString() });
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

/** DynamoDB's (and dynalite's) refusal of an item over 400 KB; PutItem and UpdateItem word it differently. */
const isItemTooLarge = (error: unknown): boolean =>
  errorName(error) === 'ValidationException' &&
  /item size .*exceeded the maximum allowed size/i.test(errorMessage(error));
