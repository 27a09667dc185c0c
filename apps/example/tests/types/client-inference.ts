/**
 * Compile-time checks of what a client infers from a service's registry, type-checked by the workspace's
 * `tsc -p tsconfig.json` (never run). Each `@ts-expect-error` fails the type-check if its line ever compiles.
 */

import { type BatonClient, createClient, type JobHandle, type JobView } from '@baton/client';
import type { registry } from '../../src/operations/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_proof?: T): void => {};

declare const typed: BatonClient<typeof registry>;
declare const loose: BatonClient;

export async function inference(): Promise<void> {
  const made = createClient<typeof registry>({ target: { http: { url: 'https://example.com' } } });
  assertType<Equal<typeof made, BatonClient<typeof registry>>>();

  // Inputs are the schemas' input types: defaults may be left out.
  const digest = await typed.run('checksum', { text: 'hi' });
  assertType<Equal<typeof digest, { algorithm: string; digest: string; bytes: number }>>();
  await typed.run('checksum', { text: 'hi', algorithm: 'md5' });
  const report = await typed.run('report', { records: 10 }, { mode: 'auto' });
  assertType<Equal<typeof report.records, number>>();
  assertType<Equal<typeof report.byRegion, Record<string, { count: number; totalCents: number }>>>();

  // Async without waiting: a handle whose result is the operation's output.
  const handle = await typed.run('wait', { seconds: 3 }, { mode: 'async' });
  assertType<Equal<typeof handle, JobHandle<{ waitedSeconds: number }>>>();
  const waited = await handle.wait();
  assertType<Equal<typeof waited, { waitedSeconds: number }>>();
  const view = await handle.get();
  assertType<Equal<typeof view, JobView<{ waitedSeconds: number }>>>();
  // Async and waiting: the result itself.
  const waitedToo = await typed.run('wait', { seconds: 3 }, { mode: 'async', wait: true });
  assertType<Equal<typeof waitedToo, { waitedSeconds: number }>>();

  const byName = typed.job('report', 'job-id');
  assertType<Equal<Awaited<ReturnType<typeof byName.wait>>, Awaited<typeof report>>>();
  const byId = typed.job('job-id');
  assertType<Equal<typeof byId, JobHandle<unknown>>>();

  // @ts-expect-error -- no such operation
  await typed.run('checksumm', { text: 'hi' });
  // @ts-expect-error -- the input's shape is wrong: `text` is a string
  await typed.run('checksum', { text: 42 });
  // @ts-expect-error -- a required field is missing
  await typed.run('wait', {});
  // @ts-expect-error -- an input of another operation
  await typed.run('report', { seconds: 3 });
  // @ts-expect-error -- not an algorithm the schema allows
  await typed.run('checksum', { text: 'hi', algorithm: 'crc32' });
  // @ts-expect-error -- a job of an operation the registry does not have
  typed.job('nope', 'job-id');

  // Without a registry: any name, any input, an unknown result (what a CLI uses).
  const anything = await loose.run('whatever', { any: 'thing' });
  assertType<Equal<typeof anything, unknown>>();
  const looseHandle = await loose.run('whatever', 1, { mode: 'async' });
  assertType<Equal<typeof looseHandle, JobHandle<unknown>>>();
}
