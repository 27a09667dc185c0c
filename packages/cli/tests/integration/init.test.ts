import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BATON_BIN, groupEnded, signalGroup, startBaton, stopAllGroups } from '../support/processes.js';

const run = promisify(execFile);
const cliNodeModules = new URL('../../node_modules/', import.meta.url).pathname;
const tsc = new URL('../../../../node_modules/typescript/bin/tsc', import.meta.url).pathname;
let root = '';

afterAll(async () => {
  await stopAllGroups();
  if (root) await rm(root, { recursive: true, force: true });
});

const json = { 'content-type': 'application/json' };
const countPrimes = (upTo: number) => JSON.stringify({ operation: 'count-primes', input: { upTo } });

describe('baton init, then baton dev on what it wrote', () => {
  it('writes a project that type-checks and serves its operation through every door', async () => {
    root = await mkdtemp(join(tmpdir(), 'baton-cli-init-'));
    const { stdout } = await run(process.execPath, [BATON_BIN, 'init', 'primes'], { cwd: root });
    expect(stdout).toContain('Wrote a Baton service, primes, into');
    const dir = join(root, 'primes');
    // The packages the project would install are this workspace's (their TypeScript sources).
    await symlink(cliNodeModules, join(dir, 'node_modules'), 'dir');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--customConditions', '@baton/source'], {
      cwd: dir,
    });

    const baton = startBaton(['dev', '--port', '0', '--quiet'], { cwd: dir });
    await baton.waitFor('Ctrl-C stops.');
    const endpoints = JSON.parse(await readFile(join(dir, '.baton/endpoints.json'), 'utf8'));
    expect(Object.keys(endpoints).sort()).toEqual([
      'dashboard',
      'dynamodb',
      'functionUrl',
      'functions',
      'httpApi',
      'invoke',
      'invokeFunction',
      'restApi',
    ]);

    // REST API: answered at once.
    const rest = await fetch(`${endpoints.restApi}/jobs`, {
      method: 'POST',
      headers: json,
      body: countPrimes(100),
    });
    expect(await rest.json()).toMatchObject({ status: 'succeeded', result: { upTo: 100, primes: 25 } });
    // HTTP API: asked for as a job, handed to the worker, polled to its end.
    const accepted = await fetch(`${endpoints.httpApi}/jobs`, {
      method: 'POST',
      headers: { ...json, prefer: 'respond-async' },
      body: countPrimes(300_000),
    });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location') as string;
    let job = { status: 'queued' } as { status: string; result?: unknown; progress?: unknown };
    for (let i = 0; i < 100 && job.status !== 'succeeded'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      job = (await (await fetch(`${endpoints.httpApi}${location}`)).json()) as typeof job;
    }
    expect(job).toMatchObject({ status: 'succeeded', result: { primes: 25_997 }, progress: { fraction: 1 } });
    // Function URL and direct invoke.
    const url = await fetch(`${endpoints.functionUrl}/jobs`, {
      method: 'POST',
      headers: json,
      body: countPrimes(10),
    });
    expect(await url.json()).toMatchObject({ result: { primes: 4 } });
    const invoked = await fetch(
      `${endpoints.invoke}/2015-03-31/functions/${endpoints.functions.rpc}/invocations`,
      {
        method: 'POST',
        body: countPrimes(1_000),
      },
    );
    expect(await invoked.json()).toMatchObject({ result: { primes: 168 } });

    signalGroup(baton.pid, 'SIGINT');
    expect(await baton.exited).toBe(0);
    expect(await groupEnded(baton.pid)).toBe(true);
  }, 120_000);
});
