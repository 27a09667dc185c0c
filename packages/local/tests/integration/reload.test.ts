import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionLogChunk, type LambdaService, startLambdaService } from '../../src/index.js';
import { invoke, lambdaClient } from '../support/helpers.js';

// `reloadOnChange`: a function's source change is picked up by its next invocation. Each function here runs its
// own copy of tests/fixtures/reload (a handler answering the value of its sibling module `value.ts`), which the
// test rewrites. Nothing waits for time to pass: the service checks the sources before each invocation, so an
// invocation right after a write must see it; and what an async invocation or a held one does is learnt from
// the requests it makes to a loopback server of the test (no polling).
//
// Each rewrite changes the file's size too: two writes within the file system's timestamp granularity (a few ms)
// are otherwise indistinguishable by their stamp (mtime and size), and tests write that fast.

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'reload');
const workDir = mkdtempSync(join(tmpdir(), 'baton-reload-test-'));

/** A fresh copy of the fixture for one function: its entry, and a way to rewrite its `value.ts`. */
function copyOfFixture(name: string) {
  const dir = join(workDir, name);
  mkdirSync(dir);
  for (const file of ['handler.ts', 'value.ts']) copyFileSync(join(fixtureDir, file), join(dir, file));
  return {
    entry: join(dir, 'handler.ts'),
    writeValueModule: (source: string) => writeFileSync(join(dir, 'value.ts'), source),
    setValue: (value: string) =>
      writeFileSync(join(dir, 'value.ts'), `export const value: string = ${JSON.stringify(value)};\n`),
  };
}

const sources = {
  picksUp: copyOfFixture('picks-up'),
  together: copyOfFixture('together'),
  busy: copyOfFixture('busy'),
  breaks: copyOfFixture('breaks'),
  throws: copyOfFixture('throws'),
  async: copyOfFixture('async'),
  static: copyOfFixture('static'),
};

/**
 * The loopback server the fixture calls. `POST /report/<key>`: the body settles `reported(key)`. `GET
 * /hold/<key>`: settles `arrived(key)`, and is answered only once `release(key)` is called.
 */
const waiting = new Map<string, { promise: Promise<string>; resolve: (value: string) => void }>();
function signal(key: string) {
  let entry = waiting.get(key);
  if (entry === undefined) {
    let resolve!: (value: string) => void;
    const promise = new Promise<string>((settle) => {
      resolve = settle;
    });
    entry = { promise, resolve };
    waiting.set(key, entry);
  }
  return entry;
}
const signals = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => {
    body += chunk.toString('utf8');
  });
  request.on('end', () => {
    const [, kind, key] = (request.url ?? '').split('/');
    if (kind === 'hold') {
      signal(`arrived:${key}`).resolve('');
      void signal(`release:${key}`).promise.then(() => response.end('released'));
      return;
    }
    signal(`report:${key}`).resolve(body);
    response.end('ok');
  });
});
let signalsUrl: string;

const logs: FunctionLogChunk[] = [];
const serviceLines = (pattern: RegExp) =>
  logs.filter((chunk) => chunk.stream === 'stderr' && pattern.test(chunk.text)).map((chunk) => chunk.text);

let reloading: LambdaService;
let fixed: LambdaService;
let reloadingClient: LambdaClient;
let fixedClient: LambdaClient;

beforeAll(async () => {
  await new Promise<void>((listening) => signals.listen(0, '127.0.0.1', listening));
  signalsUrl = `http://127.0.0.1:${(signals.address() as AddressInfo).port}`;
  const definition = (name: string, entry: string) => ({ name, entry, timeoutSeconds: 10 });
  [reloading, fixed] = await Promise.all([
    startLambdaService({
      functions: [
        definition('picks-up', sources.picksUp.entry),
        definition('together', sources.together.entry),
        definition('busy', sources.busy.entry),
        definition('breaks', sources.breaks.entry),
        definition('throws', sources.throws.entry),
        definition('async', sources.async.entry),
      ],
      reloadOnChange: true,
      logs: (chunk) => logs.push(chunk),
    }),
    startLambdaService({ functions: [definition('static', sources.static.entry)], logs: 'quiet' }),
  ]);
  reloadingClient = lambdaClient(reloading.url);
  fixedClient = lambdaClient(fixed.url);
});

afterAll(async () => {
  reloadingClient?.destroy();
  fixedClient?.destroy();
  await Promise.all([reloading?.stop(), fixed?.stop()]);
  signals.closeAllConnections();
  await new Promise((closed) => signals.close(closed));
  rmSync(workDir, { recursive: true, force: true });
});

describe('with reloadOnChange', () => {
  it('runs the changed code on the very next invocation, in a new environment, and logs the rebuild', async () => {
    const before = await invoke(reloadingClient, { FunctionName: 'picks-up' });
    expect(before.payload).toEqual({ value: 'original' });

    sources.picksUp.setValue('changed');
    const after = await invoke(reloadingClient, { FunctionName: 'picks-up' });
    expect(after.FunctionError).toBeUndefined();
    expect(after.payload).toEqual({ value: 'changed' });

    const [first, second] = reloading.invocations('picks-up');
    expect(second?.environmentId).not.toBe(first?.environmentId);
    // The environment of the old bundle was retired, not kept warm next to the new one.
    expect(reloading.stats()['picks-up']?.environments).toMatchObject({ idle: 1, busy: 0, started: 2 });
    const rebuilt = serviceLines(/Rebuilt picks-up/);
    expect(rebuilt).toHaveLength(1);
    expect(rebuilt[0]).toMatch(/Rebuilt picks-up \(\d+ ms\): \S*picks-up[/\\]value\.ts\n$/);
    // The functions were bundled in one build at start, yet each watches only its own sources: one whose
    // sources did not change (its handler has the same text as this one's) is not rebuilt.
    expect((await invoke(reloadingClient, { FunctionName: 'throws' })).payload).toEqual({
      value: 'original',
    });
    expect(serviceLines(/Rebuil/)).toHaveLength(1);

    // Unchanged sources: no rebuild, and the new environment stays warm.
    const again = await invoke(reloadingClient, { FunctionName: 'picks-up' });
    expect(again.payload).toEqual({ value: 'changed' });
    expect(reloading.invocations('picks-up')[2]?.environmentId).toBe(second?.environmentId);
    expect(serviceLines(/Rebuilt picks-up/)).toHaveLength(1);
  });

  it('rebuilds once for invocations that arrive together', async () => {
    expect((await invoke(reloadingClient, { FunctionName: 'together' })).payload).toEqual({
      value: 'original',
    });
    sources.together.setValue('second version');
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => invoke(reloadingClient, { FunctionName: 'together' })),
    );
    expect(answers.map((answer) => answer.payload)).toEqual(Array(4).fill({ value: 'second version' }));
    expect(serviceLines(/Rebuilt together/)).toHaveLength(1);
  });

  it('lets a busy environment of the old bundle finish its invocation, then retires it', async () => {
    const held = invoke(reloadingClient, {
      FunctionName: 'busy',
      Payload: JSON.stringify({ holdAt: `${signalsUrl}/hold/busy` }),
    });
    await signal('arrived:busy').promise; // the old code is running, in the first environment

    sources.busy.setValue('new code');
    const during = await invoke(reloadingClient, { FunctionName: 'busy' });
    expect(during.payload).toEqual({ value: 'new code' });

    signal('release:busy').resolve('');
    expect((await held).payload).toEqual({ value: 'original' });

    const after = await invoke(reloadingClient, { FunctionName: 'busy' });
    expect(after.payload).toEqual({ value: 'new code' });
    const [oldRun, newRun, lastRun] = [...reloading.invocations('busy')].sort((a, b) =>
      a.startedAt.localeCompare(b.startedAt),
    );
    expect(newRun?.environmentId).not.toBe(oldRun?.environmentId);
    expect(lastRun?.environmentId).toBe(newRun?.environmentId);
    expect(reloading.stats().busy?.environments).toMatchObject({ idle: 1, busy: 0, started: 2 });
  });

  it('answers a syntax error as an init failure naming the problem, and works again once it is fixed', async () => {
    expect((await invoke(reloadingClient, { FunctionName: 'breaks' })).payload).toEqual({
      value: 'original',
    });

    sources.breaks.writeValueModule('export const value: string = ;\n');
    const broken = await invoke(reloadingClient, { FunctionName: 'breaks' });
    expect(broken.StatusCode).toBe(200);
    expect(broken.FunctionError).toBe('Unhandled');
    const error = broken.payload as { errorType: string; errorMessage: string; trace: string[] };
    expect(error.errorType).toBe('BundleError');
    expect(error.errorMessage).toMatch(/^Bundling breaks failed:\n\S*breaks[/\\]value\.ts:1: Unexpected ";"/);

    // Still broken: the same answer, and the problem logged once.
    const stillBroken = await invoke(reloadingClient, { FunctionName: 'breaks' });
    expect(stillBroken.payload).toMatchObject({ errorType: 'BundleError', errorMessage: error.errorMessage });
    expect(
      serviceLines(/Rebuilding breaks failed \(\d+ ms\): Bundling breaks failed: \S*value\.ts:1:/),
    ).toHaveLength(1);
    expect(reloading.stats().breaks).toMatchObject({ invocations: 3, errors: 2 });

    // The service is still up, its other functions unaffected.
    expect((await invoke(reloadingClient, { FunctionName: 'picks-up' })).FunctionError).toBeUndefined();

    sources.breaks.setValue('fixed');
    const fixedAnswer = await invoke(reloadingClient, { FunctionName: 'breaks' });
    expect(fixedAnswer.FunctionError).toBeUndefined();
    expect(fixedAnswer.payload).toEqual({ value: 'fixed' });
    expect(serviceLines(/Rebuilt breaks \(\d+ ms\): \S*value\.ts/)).toHaveLength(1);
  });

  it('reports a changed module that throws as it loads as any init error, traced to its source', async () => {
    sources.throws.writeValueModule(
      "throw new Error('not configured');\nexport const value = 'unreachable';\n",
    );
    const failed = await invoke(reloadingClient, { FunctionName: 'throws' });
    expect(failed.FunctionError).toBe('Unhandled');
    const error = failed.payload as { errorType: string; errorMessage: string; trace: string[] };
    expect(error).toMatchObject({ errorType: 'Error', errorMessage: 'not configured' });
    // The rebuilt bundle's source map is in use: the trace names the TypeScript source.
    expect(error.trace.join('\n')).toMatch(/throws[/\\]value\.ts:1/);
  });

  it('runs the changed code in an async (Event) invocation', async () => {
    const first = await invoke(reloadingClient, {
      FunctionName: 'async',
      InvocationType: 'Event',
      Payload: JSON.stringify({ report: `${signalsUrl}/report/first` }),
    });
    expect(first.StatusCode).toBe(202);
    expect(await signal('report:first').promise).toBe('original');

    sources.async.setValue('async change');
    const second = await invoke(reloadingClient, {
      FunctionName: 'async',
      InvocationType: 'Event',
      Payload: JSON.stringify({ report: `${signalsUrl}/report/second` }),
    });
    expect(second.StatusCode).toBe(202);
    expect(await signal('report:second').promise).toBe('async change');
  });
});

describe('without reloadOnChange', () => {
  it('keeps running the code bundled at start, even in a new environment', async () => {
    expect((await invoke(fixedClient, { FunctionName: 'static' })).payload).toEqual({ value: 'original' });
    sources.static.setValue('ignored change');
    expect((await invoke(fixedClient, { FunctionName: 'static' })).payload).toEqual({ value: 'original' });
    await fixed.killEnvironments('static');
    expect((await invoke(fixedClient, { FunctionName: 'static' })).payload).toEqual({ value: 'original' });
    expect(fixed.stats().static?.environments.started).toBe(2);
  });
});
