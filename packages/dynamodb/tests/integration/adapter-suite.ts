import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Clock,
  cancelJob,
  defineOperation,
  defineRegistry,
  type Job,
  PayloadTooLarge,
  randomIds,
  runJob,
  serveRequest,
  submitJob,
  systemClock,
} from '@baton/core';
import { InMemoryJobDispatcher, InMemoryJobEvents, ManualClock } from '@baton/core/testing';
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
import {
  type Item,
  jobKey,
  reservationKey,
  toJobItem,
  toReservationItem,
  UNFINISHED_SHARDS,
  unfinishedShardOf,
} from '../../src/table.js';
import { type Backend, localClientConfig, newTableName } from './servers.js';

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

/** Reports progress, then works on for longer than the progress interval: one progress write, then the finish. */
const steps = defineOperation({
  name: 'steps',
  description: 'Reports half-way, then waits.',
  input: z.strictObject({ waitMs: z.int() }),
  output: z.object({ done: z.boolean() }),
  run: async ({ waitMs }, context) => {
    context.progress(0.5, 'half-way');
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    return { done: true };
  },
});

const registry = defineRegistry([echo, blow, steps]);

/** The requests a store sent, by command: `{ UpdateItemCommand: 2, … }`. */
const countByCommand = (sent: readonly SentRequest[]) => {
  const counts: Record<string, number> = {};
  for (const { command } of sent) counts[command ?? '?'] = (counts[command ?? '?'] ?? 0) + 1;
  return counts;
};
const WRITE_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);
const writesOf = (sent: readonly SentRequest[]) =>
  sent.filter(({ command }) => WRITE_COMMANDS.has(command ?? '')).length;

/** A job whose stored item the estimate puts at exactly `bytes`. */
function jobOfSize(clock: ManualClock, bytes: number, overrides: Partial<Job> = {}): Job {
  const base = sampleJob(clock, { ...overrides, input: '' });
  const padding = bytes - itemSizeBytes(toJobItem(base));
  return { ...base, input: 'x'.repeat(padding) };
}

/** A job whose id lands in the given shard of the unfinished index. */
function jobInShard(clock: ManualClock, shard: string, overrides: Partial<Job> = {}): Job {
  const job = sampleJob(clock, overrides);
  let n = 0;
  while (unfinishedShardOf(`${job.id}-${n}`) !== shard) n++;
  return { ...job, id: `${job.id}-${n}` };
}

/** One request as the store sent it: the command's name and its (document-level) input. */
interface SentRequest {
  readonly command: string | undefined;
  readonly input: Record<string, unknown>;
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

  const clients: DynamoDBClient[] = [];
  /**
   * A store on a client of its own that records every request it sends; `answer` may answer one itself
   * (and so stand in for the server), given the request and what the server would have answered.
   */
  const observedStore = (
    tableName: string,
    clock: Clock,
    answer?: (request: SentRequest, output: () => Promise<unknown>) => Promise<unknown>,
  ) => {
    const client = new DynamoDBClient(localClientConfig(backend().endpoint));
    clients.push(client);
    const sent: SentRequest[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const request = {
          command: context.commandName,
          input: structuredClone(args.input) as Record<string, unknown>,
        };
        sent.push(request);
        if (!answer) return next(args);
        const server = async () => (await next(args)).output;
        return { output: await answer(request, server), response: {} } as Awaited<ReturnType<typeof next>>;
      },
      { step: 'initialize', name: 'observe' },
    );
    return { store: new DynamoDbJobStore({ client, tableName, clock }), sent };
  };

  describe('DynamoDbJobStore specifics', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
      for (const client of clients.splice(0)) client.destroy();
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

    /*
     * DynamoDB requests per job, counted on the wire by middleware on the real SDK client (a refused
     * conditional write is billed as a write, so it counts as one). Before the claim returned the job, a run
     * read the job first: 4 requests (PutItem, GetItem, UpdateItem × 2) for 3 writes.
     * docs/decisions/0011-fewer-calls-per-job.md has the whole before/after.
     */
    it('counts the requests a job costs: 3 for an async job that succeeds, all of them writes', async () => {
      const { clock, tableName } = await subject();
      const { store, sent } = observedStore(tableName, clock);
      const events = new InMemoryJobEvents();
      const deps = {
        registry,
        store,
        dispatcher: new InMemoryJobDispatcher(),
        clock,
        ids: randomIds,
        events,
      };
      const { job } = await submitJob(deps, { owner: OWNER, operation: 'echo', input: { message: 'hi' } });
      const outcome = await runJob(deps, job.id);
      expect(outcome).toMatchObject({ outcome: 'succeeded', job: { attempts: 1, result: { echoed: 'hi' } } });
      expect(countByCommand(sent)).toEqual({ PutItemCommand: 1, UpdateItemCommand: 2 });
      expect(sent.map(({ command }) => command)).toEqual([
        'PutItemCommand',
        'UpdateItemCommand',
        'UpdateItemCommand',
      ]);
      expect(writesOf(sent)).toBe(3);
      expect(store.writes).toBe(3);
      // The history and the finished announcement ride on those 3 writes: nothing more was sent.
      const stored = await store.get(job.id);
      expect(stored?.history?.map((entry) => [entry.event, entry.status, entry.hop, entry.attempt])).toEqual([
        ['queued', 'queued', undefined, undefined],
        ['claimed', 'running', 0, 1],
        ['finished', 'succeeded', 0, 1],
      ]);
      expect(events.details).toMatchObject([{ jobId: job.id, status: 'succeeded', hops: 1, attempts: 1 }]);
    });

    it('counts the requests a job costs: one more write per progress flush', async () => {
      const { tableName } = await subject();
      // Real time: the flush is due 20 ms after the claim, the operation works on for 300 ms after its
      // progress, and timers fire in order of their due time however loaded the machine is.
      const { store, sent } = observedStore(tableName, systemClock);
      const deps = {
        registry,
        store,
        dispatcher: new InMemoryJobDispatcher(),
        clock: systemClock,
        ids: randomIds,
      };
      const { job } = await submitJob(deps, { owner: OWNER, operation: 'steps', input: { waitMs: 300 } });
      const outcome = await runJob(deps, job.id, { progressIntervalMs: 20 });
      expect(outcome).toMatchObject({
        outcome: 'succeeded',
        job: { progress: { fraction: 1, message: 'half-way' } },
      });
      expect(countByCommand(sent)).toEqual({ PutItemCommand: 1, UpdateItemCommand: 3 });
      expect(writesOf(sent)).toBe(4);
    });

    it('counts the requests a job costs: none for a sync request without a key', async () => {
      const { clock, tableName } = await subject();
      const { store, sent } = observedStore(tableName, clock);
      const deps = { registry, store, dispatcher: new InMemoryJobDispatcher(), clock, ids: randomIds };
      const outcome = await serveRequest(deps, {
        owner: OWNER,
        operation: 'echo',
        input: { message: 'now' },
        budgetMs: 10_000,
      });
      expect(outcome).toMatchObject({ kind: 'completed', output: { echoed: 'now' } });
      expect(sent).toEqual([]);
    });

    it('counts the requests a job costs: a cancelled job, and the delivery that finds it cancelled', async () => {
      const { clock, tableName } = await subject();
      const { store, sent } = observedStore(tableName, clock);
      const dispatcher = new InMemoryJobDispatcher();
      const deps = { registry, store, dispatcher, clock, ids: randomIds };
      const { job } = await submitJob(deps, { owner: OWNER, operation: 'echo', input: { message: 'no' } });
      // cancelJob reads the job (owner-scoped, and its status decides the write), then writes once.
      expect(await cancelJob(deps, { owner: OWNER, jobId: job.id })).toMatchObject({ status: 'cancelled' });
      expect(countByCommand(sent)).toEqual({ PutItemCommand: 1, GetItemCommand: 1, UpdateItemCommand: 1 });
      sent.length = 0;
      expect(await runJob(deps, job.id)).toEqual({ outcome: 'skipped', reason: 'not-claimable' });
      // The delivery's claim is refused (one write request, nothing written); the server returns the item with
      // the refusal, except dynalite, which does not support that and costs a read on this rare path.
      const refusalRead = backend().name === 'dynalite' ? { GetItemCommand: 1 } : {};
      expect(countByCommand(sent)).toEqual({ UpdateItemCommand: 1, ...refusalRead });
      expect(await store.get(job.id)).toMatchObject({ status: 'cancelled', attempts: 0 });
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

    it('keeps the unfinished index to queued and running jobs, keys and expiry only; a finish leaves it', async () => {
      const { tableName, store, raw, deps } = await subject();
      const unfinishedEntries = async () =>
        (await raw.send(new ScanCommand({ TableName: tableName, IndexName: jobsTable.unfinishedIndex })))
          .Items ?? [];
      const { job } = await submitJob(deps, {
        owner: OWNER,
        operation: 'echo',
        input: { message: 'hi' },
        clientRequestId: 'k',
      });
      const entries = await unfinishedEntries();
      expect(entries).toEqual([
        {
          pk: `job#${job.id}`,
          unfinishedShard: unfinishedShardOf(job.id),
          updatedAtMs: Date.parse(job.updatedAt),
          expiresAtMs: Date.parse(job.expiresAt),
        },
      ]);
      const writes = store.writes;
      await runJob(deps, job.id);
      // Claim and finish are the same 2 writes as ever; the finish took the job out of the index.
      expect(store.writes).toBe(writes + 2);
      expect(await unfinishedEntries()).toEqual([]);
      const { Item } = await raw.send(new GetCommand({ TableName: tableName, Key: jobKey(job.id) }));
      expect(Item).not.toHaveProperty(jobsTable.unfinishedShard);
      expect(Item?.[jobsTable.updatedAtMs]).toBe(Date.parse(String(Item?.updatedAt)));
    });

    it('finds stale jobs with one Query per shard of the unfinished index and one BatchGetItem, never a Scan', async () => {
      const { clock, tableName, store } = await subject();
      const stale: Job[] = [];
      for (let i = 0; i < 12; i++) {
        const job = sampleJob(clock);
        await store.create(job);
        stale.push(job);
        clock.advance(1_000);
      }
      await store.create(sampleJob(clock, { status: 'succeeded', updatedAt: new Date(0).toISOString() }));
      clock.advance(60_000);
      const observed = observedStore(tableName, clock);
      const found = await observed.store.findStale({
        updatedBefore: new Date(clock.now()).toISOString(),
        limit: 5,
      });
      expect(found).toEqual(stale.slice(0, 5));
      const queries = observed.sent.filter((request) => request.command === 'QueryCommand');
      expect(observed.sent.map((request) => request.command).sort()).toEqual([
        'BatchGetItemCommand',
        ...Array<string>(UNFINISHED_SHARDS).fill('QueryCommand'),
      ]);
      for (const query of queries) expect(query.input.IndexName).toBe(jobsTable.unfinishedIndex);
      const shards = queries.map((query) => (query.input.ExpressionAttributeValues as Item)[':shard']);
      expect(shards.sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
      expect(observed.store.writes).toBe(0);
    });

    it('pages a shard past expired entries, and merges the shards oldest first', async () => {
      const { clock, tableName, store } = await subject();
      const ago = (ms: number) => new Date(clock.now() - ms).toISOString();
      const soon = new Date(clock.now() + 5_000).toISOString();
      const expired = [60_000, 59_000, 58_000, 57_000].map((ms) =>
        jobInShard(clock, '0', { updatedAt: ago(ms), expiresAt: soon }),
      );
      const [l1, l2, l3] = [50_000, 40_000, 30_000].map((ms) =>
        jobInShard(clock, '0', { updatedAt: ago(ms) }),
      );
      const other = jobInShard(clock, '1', { updatedAt: ago(45_000) });
      const tied = jobInShard(clock, '2', { updatedAt: ago(40_000) });
      for (const job of [...expired, l1, l2, l3, other, tied] as Job[]) await store.create(job);
      clock.advance(10_000); // the first four have expired, still in the index

      const observed = observedStore(tableName, clock);
      const found = await observed.store.findStale({ updatedBefore: ago(0), limit: 3 });
      // l2 and tied were written in the same millisecond: the smaller id comes first, and only it fits.
      const firstOfTie = [l2 as Job, tied].sort((a, b) => (a.id < b.id ? -1 : 1))[0];
      expect(found.map((job) => job.id)).toEqual([l1?.id, other.id, firstOfTie?.id]);
      const shard0 = observed.sent.filter(
        (request) =>
          request.command === 'QueryCommand' &&
          (request.input.ExpressionAttributeValues as Item)[':shard'] === '0',
      );
      // Limit counts the expired entries the filter drops, so shard 0 needs more than one page.
      expect(shard0.length).toBeGreaterThan(1);
      expect(shard0[0]?.input.ExclusiveStartKey).toBeUndefined();
      expect(shard0[1]?.input.ExclusiveStartKey).toMatchObject({ unfinishedShard: '0' });
    });

    it('checks what the lagging index returns against the jobs themselves', async () => {
      const { clock, tableName, store } = await subject();
      const lease = { holder: 'dead', expiresAt: new Date(clock.now() + 1_000).toISOString() };
      const finishing = sampleJob(clock, { status: 'running', attempts: 1, lease });
      const rewritten = sampleJob(clock);
      const still = sampleJob(clock);
      for (const job of [finishing, rewritten, still]) await store.create(job);
      clock.advance(60_000);
      const updatedBefore = new Date(clock.now() - 30_000).toISOString();

      // What the index answers now is kept, and answered again after the writes below: an index that lags.
      const answers = new Map<string, unknown>();
      const recorder = observedStore(tableName, clock, async (request, server) => {
        const output = await server();
        answers.set(JSON.stringify(request.input), output);
        return output;
      });
      expect(await recorder.store.findStale({ updatedBefore, limit: 10 })).toHaveLength(3);
      await store.update(finishing.id, { leaseHolder: 'dead' }, { status: 'failed', lease: null });
      await store.update(rewritten.id, { status: 'queued' }, { reconciled: 1 });

      const lagging = observedStore(tableName, clock, async (request, server) =>
        request.command === 'QueryCommand' ? answers.get(JSON.stringify(request.input)) : server(),
      );
      expect(await lagging.store.findStale({ updatedBefore, limit: 10 })).toEqual([still]);
      expect(lagging.sent.filter((request) => request.command === 'BatchGetItemCommand')).toHaveLength(1);
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
      const indexes = [...(Table?.GlobalSecondaryIndexes ?? [])].sort((a, b) =>
        String(a.IndexName).localeCompare(String(b.IndexName)),
      );
      expect(indexes.map((index) => index.IndexName)).toEqual([
        jobsTable.ownerIndex,
        jobsTable.unfinishedIndex,
      ]);
      for (const index of indexes) {
        const defined = definition.GlobalSecondaryIndexes?.find((each) => each.IndexName === index.IndexName);
        expect(index).toMatchObject({ KeySchema: defined?.KeySchema, Projection: defined?.Projection });
      }
      expect(Table?.AttributeDefinitions).toEqual(
        expect.arrayContaining(definition.AttributeDefinitions ?? []),
      );
    });

    it('refuses a table of an older version, or rebuilds a local one with its jobs and today’s index', async () => {
      const { client } = backend();
      const tableName = newTableName();
      // The table as the previous version created it: the owner index only, and job items without index keys.
      const current = jobsTableDefinition(tableName);
      await client.send(
        new CreateTableCommand({
          ...current,
          AttributeDefinitions: current.AttributeDefinitions?.filter(
            (a) => a.AttributeType === 'S' && a.AttributeName !== jobsTable.unfinishedShard,
          ),
          GlobalSecondaryIndexes: current.GlobalSecondaryIndexes?.filter(
            (i) => i.IndexName === jobsTable.ownerIndex,
          ),
        }),
      );
      const clock = new ManualClock();
      const documents = DynamoDBDocumentClient.from(client);
      const queued = sampleJob(clock);
      const { [jobsTable.unfinishedShard]: _s, [jobsTable.updatedAtMs]: _u, ...oldItem } = toJobItem(queued);
      await documents.send(new PutCommand({ TableName: tableName, Item: oldItem }));
      const reservation = toReservationItem(queued.owner, 'key', queued.id, clock.now() + 86_400_000);
      await documents.send(new PutCommand({ TableName: tableName, Item: reservation }));

      await expect(createJobsTable(client, tableName, { timeToLive: false })).rejects.toThrow(
        new RegExp(`lacks the index\\(es\\) ${jobsTable.unfinishedIndex}`),
      );
      await createJobsTable(client, tableName, { timeToLive: false, rebuildIfOutdated: true });
      const store = new DynamoDbJobStore({ client, tableName, clock });
      expect(await store.get(queued.id)).toEqual(queued);
      clock.advance(60_000);
      expect(await store.findStale({ updatedBefore: new Date(clock.now()).toISOString(), limit: 5 })).toEqual(
        [queued],
      );
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: reservationKey(queued.owner, 'key') }),
      );
      expect(Item).toEqual(reservation);
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
