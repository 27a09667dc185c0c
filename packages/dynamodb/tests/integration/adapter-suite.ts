import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  defineOperation,
  defineRegistry,
  type Job,
  PayloadTooLarge,
  randomIds,
  runJob,
  submitJob,
} from '@baton/core';
import { InMemoryJobDispatcher, ManualClock } from '@baton/core/testing';
import { sampleJob } from '@baton/core/testing/conformance';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import {
  createJobsTable,
  DynamoDbJobStore,
  itemSizeBytes,
  jobsTable,
  jobsTableDefinition,
  MAX_ITEM_BYTES,
} from '../../src/index.js';
import { jobKey, reservationKey, toJobItem, toReservationItem } from '../../src/table.js';
import { type Backend, newTableName } from './servers.js';

const OWNER = 'arn:aws:iam::111122223333:user/adapter';

const echo = defineOperation({
  name: 'echo',
  description: 'Returns its message.',
  input: z.strictObject({ message: z.string() }),
  output: z.object({ echoed: z.string() }),
  run: async ({ message }) => ({ echoed: message }),
});

const blow = defineOperation({
  name: 'blow-up',
  description: 'Returns a result of the size asked for.',
  input: z.strictObject({ bytes: z.int() }),
  output: z.object({ blob: z.string() }),
  run: async ({ bytes }) => ({ blob: 'x'.repeat(bytes) }),
});

const registry = defineRegistry([echo, blow]);

/** A job whose stored item the estimate puts at exactly `bytes`. */
function jobOfSize(clock: ManualClock, bytes: number, overrides: Partial<Job> = {}): Job {
  const base = sampleJob(clock, { ...overrides, input: '' });
  const padding = bytes - itemSizeBytes(toJobItem(base));
  return { ...base, input: 'x'.repeat(padding) };
}

/** What only a DynamoDB-backed store has to prove: costs, sizes, items, the reservation's repair, the table. */
export function describeDynamoDbAdapter(backend: () => Backend): void {
  const subject = async () => {
    const clock = new ManualClock();
    const tableName = newTableName();
    await createJobsTable(backend().client, tableName, { timeToLive: false });
    const store = new DynamoDbJobStore({ client: backend().client, tableName, clock });
    const raw = DynamoDBDocumentClient.from(backend().client);
    const deps = { registry, store, dispatcher: new InMemoryJobDispatcher(), clock, ids: randomIds };
    return { clock, tableName, store, raw, deps };
  };

  describe('DynamoDbJobStore specifics', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('runs a job that succeeds without progress in exactly 3 writes: create, claim, finish', async () => {
      const { store, deps } = await subject();
      const { job } = await submitJob(deps, { owner: OWNER, operation: 'echo', input: { message: 'hi' } });
      expect(store.writes).toBe(1);
      const outcome = await runJob(deps, job.id);
      expect(outcome).toMatchObject({ outcome: 'succeeded', job: { result: { echoed: 'hi' }, attempts: 1 } });
      expect(store.writes).toBe(3);
      expect(await store.get(job.id)).toEqual((outcome as { job: Job }).job);
    });

    it('spends one more write on a clientRequestId, and one on an idempotent resubmit', async () => {
      const { store, deps } = await subject();
      const request = { owner: OWNER, operation: 'echo', input: { message: 'once' }, clientRequestId: 'k-1' };
      const first = await submitJob(deps, request);
      expect(store.writes).toBe(2);
      await runJob(deps, first.job.id);
      expect(store.writes).toBe(4);
      const again = await submitJob(deps, request);
      expect(again).toMatchObject({ created: false, job: { id: first.job.id, status: 'succeeded' } });
      expect(store.writes).toBe(5);
    });

    it('refuses an item over 400 KB with PayloadTooLarge before writing anything', async () => {
      const { clock, store } = await subject();
      const tooBig = jobOfSize(clock, MAX_ITEM_BYTES + 1, { clientRequestId: 'big' });
      const error = await store.create(tooBig).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadTooLarge);
      expect(error).toMatchObject({ sizeBytes: MAX_ITEM_BYTES + 1, limitBytes: MAX_ITEM_BYTES });
      expect(store.writes).toBe(0);
      expect(await store.get(tooBig.id)).toBeUndefined();
      // The key was never reserved: a smaller retry with it is created.
      expect((await store.create(sampleJob(clock, { clientRequestId: 'big' }))).created).toBe(true);
    });

    it('stores an item the estimate puts right at the limit (the estimate is not optimistic)', async () => {
      const { clock, store } = await subject();
      const job = jobOfSize(clock, MAX_ITEM_BYTES);
      expect(await store.create(job)).toEqual({ created: true, job });
      expect(await store.get(job.id)).toEqual(job);
    });

    it("turns the server's refusal of an update that outgrows the item into PayloadTooLarge, changing nothing", async () => {
      const { clock, store } = await subject();
      const job = jobOfSize(clock, 300 * 1024);
      await store.create(job);
      const lease = { holder: 'runner', expiresAt: new Date(clock.now() + 60_000).toISOString() };
      const running = await store.update(job.id, { status: 'queued' }, { status: 'running', lease });
      const error = await store
        .update(
          job.id,
          { leaseHolder: 'runner' },
          { status: 'succeeded', lease: null, result: 'y'.repeat(150 * 1024) },
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadTooLarge);
      expect((error as PayloadTooLarge).sizeBytes).toBeGreaterThan(MAX_ITEM_BYTES);
      expect(await store.get(job.id)).toEqual(running);
      // Changes that alone exceed the limit are refused before they are sent.
      const writes = store.writes;
      await expect(store.update(job.id, {}, { result: 'z'.repeat(MAX_ITEM_BYTES) })).rejects.toBeInstanceOf(
        PayloadTooLarge,
      );
      expect(store.writes).toBe(writes);
    });

    it('fails a job whose result is too large to store, through runJob', async () => {
      const { store, deps } = await subject();
      const { job } = await submitJob(deps, {
        owner: OWNER,
        operation: 'blow-up',
        input: { bytes: 500 * 1024 },
      });
      const outcome = await runJob(deps, job.id);
      expect(outcome).toMatchObject({ outcome: 'failed', job: { error: { type: 'PayloadTooLarge' } } });
      expect((await store.get(job.id))?.status).toBe('failed');
    });

    it('completes a reservation whose job was never written, under the reserved id', async () => {
      const { clock, tableName, store, raw } = await subject();
      const job = sampleJob(clock, { owner: OWNER, clientRequestId: 'crashed' });
      // What a create that crashed between its two writes leaves behind.
      await raw.send(
        new PutCommand({
          TableName: tableName,
          Item: toReservationItem(OWNER, 'crashed', 'ghost-job', Date.parse(job.expiresAt)),
        }),
      );
      const healed = await store.create(job);
      expect(healed).toEqual({ created: true, job: { ...job, id: 'ghost-job' } });
      expect(await store.get('ghost-job')).toEqual(healed.job);
      const again = await store.create(sampleJob(clock, { owner: OWNER, clientRequestId: 'crashed' }));
      expect(again).toEqual({ created: false, job: healed.job });
    });

    it('never lets a key point at a job that is not its own (ids reused by a caller)', async () => {
      const { clock, tableName, store, raw } = await subject();
      const plain = sampleJob(clock, { owner: OWNER });
      await store.create(plain);
      // Same id, now with a key: the id wins, and the key's reservation is released again.
      const reused = await store.create({ ...plain, clientRequestId: 'k1', input: { other: true } });
      expect(reused).toEqual({ created: false, job: plain });
      const reservation = await raw.send(
        new GetCommand({ TableName: tableName, Key: reservationKey(OWNER, 'k1'), ConsistentRead: true }),
      );
      expect(reservation.Item).toBeUndefined();
      expect((await store.create(sampleJob(clock, { owner: OWNER, clientRequestId: 'k1' }))).created).toBe(
        true,
      );
      // A reservation naming a job of another key (as a lost release would leave) is taken over.
      await raw.send(
        new PutCommand({
          TableName: tableName,
          Item: toReservationItem(OWNER, 'k2', plain.id, Date.parse(plain.expiresAt)),
        }),
      );
      const keyed = sampleJob(clock, { owner: OWNER, clientRequestId: 'k2' });
      expect(await store.create(keyed)).toEqual({ created: true, job: keyed });
    });

    it('keeps reservations out of the owner index, and stamps every job item with its TTL', async () => {
      const { clock, tableName, store, raw } = await subject();
      const keyed = sampleJob(clock, {
        owner: OWNER,
        clientRequestId: 'k',
        expiresAt: '2026-01-02T00:00:00.001Z',
      });
      await store.create(keyed);
      await store.create(sampleJob(clock, { owner: OWNER }));
      const { Item } = await raw.send(new GetCommand({ TableName: tableName, Key: jobKey(keyed.id) }));
      expect(Item).toMatchObject({
        [jobsTable.ttl]: Date.parse('2026-01-02T00:00:01Z') / 1000,
        [jobsTable.expiresAtMs]: Date.parse(keyed.expiresAt),
        [jobsTable.ownerSortKey]: `${keyed.createdAt}#${keyed.id}`,
        input: JSON.stringify(keyed.input),
      });
      const table = await raw.send(new ScanCommand({ TableName: tableName }));
      const index = await raw.send(
        new ScanCommand({ TableName: tableName, IndexName: jobsTable.ownerIndex }),
      );
      expect(table.Items).toHaveLength(3);
      expect(index.Items).toHaveLength(2);
      for (const entry of index.Items ?? [])
        expect(Object.keys(entry).sort()).toEqual(['createdAtId', 'expiresAtMs', 'owner', 'pk']);
    });

    it('pages past expired jobs, and on from a cursor whose job has since gone', async () => {
      const { clock, tableName, store, raw } = await subject();
      const jobs: Job[] = [];
      for (let i = 0; i < 8; i++) {
        const shortLived = i % 3 === 1;
        const job = sampleJob(clock, {
          owner: OWNER,
          ...(shortLived && { expiresAt: new Date(clock.now() + 30_000).toISOString() }),
        });
        await store.create(job);
        if (!shortLived) jobs.unshift(job);
        clock.advance(1_000);
      }
      clock.advance(30_000);
      const first = await store.listByOwner(OWNER, { limit: 2 });
      expect(first.jobs.map((job) => job.id)).toEqual(jobs.slice(0, 2).map((job) => job.id));
      await raw.send(new DeleteCommand({ TableName: tableName, Key: jobKey(jobs[1]?.id as string) }));
      const rest = await store.listByOwner(OWNER, { limit: 10, cursor: first.nextCursor as string });
      expect(rest.jobs.map((job) => job.id)).toEqual(jobs.slice(2).map((job) => job.id));
      expect(rest.nextCursor).toBeUndefined();
    });

    it('round-trips JSON that DynamoDB numbers and maps could not hold', async () => {
      const { clock, store } = await subject();
      let deep: unknown = 'bottom';
      for (let i = 0; i < 40; i++) deep = { down: deep };
      const input = { big: 2 ** 60, tiny: 1e-200, huge: 1e300, '': 'empty key', deep, list: [[], {}, ''] };
      const job = sampleJob(clock, { input: input as Job['input'], checkpoint: null, result: [0.1, -3] });
      await store.create(job);
      expect(await store.get(job.id)).toEqual(job);
    });

    it('creates the table idempotently, from the same definition the cloud uses', async () => {
      const { client } = backend();
      const tableName = newTableName();
      await createJobsTable(client, tableName, { timeToLive: false });
      await createJobsTable(client, tableName, { timeToLive: false });
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const definition = jobsTableDefinition(tableName);
      expect(Table?.KeySchema).toEqual(definition.KeySchema);
      expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
        IndexName: jobsTable.ownerIndex,
        Projection: definition.GlobalSecondaryIndexes?.[0]?.Projection,
      });
    });

    it('finds the server through AWS_ENDPOINT_URL_DYNAMODB when given no client', async () => {
      const { clock, tableName } = await subject();
      vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', backend().endpoint);
      vi.stubEnv('AWS_REGION', 'us-east-1');
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
      const store = new DynamoDbJobStore({ tableName, clock });
      const job = sampleJob(clock);
      await store.create(job);
      expect(await store.get(job.id)).toEqual(job);
    });
  });
}
