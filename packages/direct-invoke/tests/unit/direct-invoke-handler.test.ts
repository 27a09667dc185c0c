import { randomIds, systemClock } from '@baton/core';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  testRegistry,
} from '@baton/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { createDirectInvokeHandler } from '../../src/index.js';

const ALICE = 'arn:aws:iam::111122223333:role/orders-service';
const BOB = 'arn:aws:iam::111122223333:role/billing-service';

function setUp() {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const store = new InMemoryJobStore();
  const handler = createDirectInvokeHandler({
    deps: {
      registry: testRegistry,
      store,
      dispatcher: new InMemoryJobDispatcher(),
      clock: systemClock,
      ids: randomIds,
    },
  });
  const invoke = (payload: unknown, caller: string | null = ALICE, remainingMs?: number) =>
    handler(
      payload,
      fakeLambdaContext('rpc', remainingMs, caller === null ? undefined : { custom: { caller } }),
    ) as Promise<Record<string, unknown>>;
  return { store, invoke };
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

  it('hands long work over before the function times out', async () => {
    const { invoke } = setUp();
    expect(await invoke({ operation: 'nap', input: { ms: 2_000 } }, ALICE, 3_300)).toMatchObject({
      accepted: true,
    });
  });
});
