import { randomIds, submitJob, systemClock } from '@baton/core';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  testRegistry,
} from '@baton/core/testing';
import { describe, expect, it, vi } from 'vitest';
import {
  createDirectInvokeHandler,
  INVOKE_CALLER_MAX_LENGTH,
  INVOKE_CALLER_PREFIX,
} from '../../src/index.js';

const ALICE = 'arn:aws:iam::111122223333:role/orders-service';
const BOB = 'arn:aws:iam::111122223333:role/billing-service';

function setUp(options: { defaultCaller?: string; trustAssertedCaller?: boolean } = {}) {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const store = new InMemoryJobStore();
  const deps = {
    registry: testRegistry,
    store,
    dispatcher: new InMemoryJobDispatcher(),
    clock: systemClock,
    ids: randomIds,
  };
  const handler = createDirectInvokeHandler({ deps, ...options });
  const invoke = (payload: unknown, caller: unknown = ALICE, remainingMs?: number) =>
    handler(
      payload,
      fakeLambdaContext('rpc', remainingMs, caller === null ? undefined : { custom: { caller } }),
    ) as Promise<Record<string, unknown>>;
  return { store, deps, invoke };
}

describe('the direct Invoke door', () => {
  it('answers an operation request with its result, or with a job when async', async () => {
    const { invoke } = setUp();
    expect(await invoke({ operation: 'greet', input: { name: 'Ada' } })).toEqual({
      status: 'succeeded',
      result: { greeting: 'hello Ada' },
    });
    expect(await invoke({ operation: 'greet', input: { name: 'Ada' }, meta: { async: true } })).toMatchObject(
      {
        status: 'queued',
        accepted: true,
        jobId: expect.any(String),
      },
    );
  });

  it('gets, lists and cancels jobs through versioned actions, scoped to the caller', async () => {
    const { invoke } = setUp();
    const { jobId } = await invoke({ operation: 'greet', input: { name: 'Ada' }, meta: { async: true } });
    expect(await invoke({ action: 'getJob', v: 1, jobId })).toMatchObject({ id: jobId, status: 'queued' });
    expect(await invoke({ action: 'listJobs', v: 1 })).toMatchObject({ jobs: [{ id: jobId }] });
    expect(await invoke({ action: 'getJob', v: 1, jobId }, BOB)).toMatchObject({
      status: 404,
      title: 'Not found',
    });
    expect(await invoke({ action: 'cancelJob', v: 1, jobId })).toMatchObject({
      id: jobId,
      status: 'cancelled',
    });
    expect(await invoke({ action: 'getJob', v: 2, jobId })).toMatchObject({
      status: 400,
      errors: [{ pointer: '/v' }],
    });
  });

  it('returns problems as the payload: bad input, unknown operation, no caller, operation failure', async () => {
    const { invoke } = setUp();
    expect(await invoke({ operation: 'greet', input: { name: '' } })).toMatchObject({
      type: 'https://baton.dev/problems/validation-error',
      status: 400,
      errors: [{ pointer: '/input/name' }],
    });
    expect(await invoke({ operation: 'fly' })).toMatchObject({
      status: 400,
      errors: [{ pointer: '/operation' }],
    });
    expect(await invoke({ operation: 'greet', input: { name: 'x' }, meta: { sync: true } })).toMatchObject({
      status: 400,
      errors: [{ pointer: '/meta' }],
    });
    expect(await invoke({ operation: 'greet', input: { name: 'x' } }, null)).toMatchObject({
      status: 401,
    });
    expect(await invoke({ operation: 'refuse' })).toMatchObject({
      status: 422,
      error: { type: 'CustomerNotFound' },
    });
    expect(await invoke('not an object')).toMatchObject({ status: 400 });
  });

  it.each([[null], [true], [1], ['x'], [[]], [{}]])(
    'answers the payload %j with a 400 problem, never a crash',
    async (payload) => {
      const { invoke } = setUp();
      expect(await invoke(payload)).toMatchObject({
        type: 'https://baton.dev/problems/validation-error',
        status: 400,
        errors: [expect.objectContaining({ pointer: expect.any(String) })],
      });
    },
  );

  describe('owners', () => {
    /** A job an HTTP user started through an HTTP door: owned by their IAM ARN. */
    async function httpUsersJob(deps: Parameters<typeof submitJob>[0]) {
      const { job } = await submitJob(deps, { owner: ALICE, operation: 'greet', input: { name: 'Ada' } });
      return job.id;
    }

    it("gives a caller named in the client context its own namespace: it cannot reach an HTTP user's jobs", async () => {
      const { invoke, store, deps } = setUp();
      const jobId = await httpUsersJob(deps);
      // The caller names Alice's ARN; by default that makes it `invoke:<ARN>`, someone else.
      expect(await invoke({ action: 'getJob', v: 1, jobId }, ALICE)).toMatchObject({ status: 404 });
      expect(await invoke({ action: 'cancelJob', v: 1, jobId }, ALICE)).toMatchObject({ status: 404 });
      expect(await invoke({ action: 'listJobs', v: 1 }, ALICE)).toEqual({ jobs: [] });
      expect((await store.get(jobId))?.status).toBe('queued');

      const accepted = await invoke(
        { operation: 'greet', input: { name: 'Ada' }, meta: { async: true } },
        ALICE,
      );
      expect((await store.get(accepted.jobId as string))?.owner).toBe(`invoke:${ALICE}`);
      expect(INVOKE_CALLER_PREFIX).toBe('invoke:');
    });

    it('takes the asserted caller verbatim when the service trusts it (a back-end acting for HTTP users)', async () => {
      const { invoke, store, deps } = setUp({ trustAssertedCaller: true });
      const jobId = await httpUsersJob(deps);
      expect(await invoke({ action: 'getJob', v: 1, jobId }, ALICE)).toMatchObject({ id: jobId });
      expect(await invoke({ action: 'getJob', v: 1, jobId }, BOB)).toMatchObject({ status: 404 });
      const accepted = await invoke(
        { operation: 'greet', input: { name: 'Ada' }, meta: { async: true } },
        ALICE,
      );
      expect((await store.get(accepted.jobId as string))?.owner).toBe(ALICE);
    });

    it('takes defaultCaller verbatim: the deployer configured it, the caller did not assert it', async () => {
      const { invoke, store, deps } = setUp({ defaultCaller: ALICE });
      const jobId = await httpUsersJob(deps);
      expect(await invoke({ action: 'getJob', v: 1, jobId }, null)).toMatchObject({ id: jobId });
      const accepted = await invoke(
        { operation: 'greet', input: { name: 'Ada' }, meta: { async: true } },
        null,
      );
      expect((await store.get(accepted.jobId as string))?.owner).toBe(ALICE);
      // A named caller still gets its own namespace, not the default.
      const named = await invoke(
        { operation: 'greet', input: { name: 'Ada' }, meta: { async: true } },
        'svc',
      );
      expect((await store.get(named.jobId as string))?.owner).toBe('invoke:svc');
    });

    it.each([
      ['empty', '', 'too_small'],
      ['too long', 'x'.repeat(INVOKE_CALLER_MAX_LENGTH + 1), 'too_big'],
      ['with a space', 'orders service', 'invalid_format'],
      ['with a control character', 'orders\nservice', 'invalid_format'],
      ['not ASCII', 'caf\u00e9', 'invalid_format'],
      ['a number', 42, 'invalid_type'],
      ['an object', { arn: ALICE }, 'invalid_type'],
    ])(
      'refuses an asserted caller that is %s with a 400 problem, even with a default caller',
      async (_what, caller, code) => {
        for (const options of [{}, { defaultCaller: ALICE }, { trustAssertedCaller: true }]) {
          const { invoke } = setUp(options);
          expect(await invoke({ operation: 'greet', input: { name: 'Ada' } }, caller)).toMatchObject({
            type: 'https://baton.dev/problems/validation-error',
            status: 400,
            errors: [{ pointer: '/clientContext/custom/caller', code }],
          });
        }
      },
    );

    it('accepts the longest caller', async () => {
      const { invoke } = setUp();
      expect(
        await invoke({ operation: 'greet', input: { name: 'Ada' } }, 'x'.repeat(INVOKE_CALLER_MAX_LENGTH)),
      ).toMatchObject({ status: 'succeeded' });
    });
  });

  it('hands long work over before the function times out', async () => {
    const { invoke } = setUp();
    expect(await invoke({ operation: 'nap', input: { ms: 2_000 } }, ALICE, 3_300)).toMatchObject({
      accepted: true,
    });
  });
});
