import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { groupEnded, signalGroup, startBaton, stopAllGroups } from '../support/processes.js';

const fixture = new URL('../fixtures/two-doors/', import.meta.url).pathname;
const cliNodeModules = new URL('../../node_modules/', import.meta.url).pathname;
const projectDirs: string[] = [];

afterAll(async () => {
  await stopAllGroups();
  await Promise.all(projectDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A copy of the fixture project, so that the test can edit its sources; its packages are this package's. */
async function copyOfFixture(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-cli-dev-'));
  projectDirs.push(dir);
  await cp(fixture, dir, { recursive: true });
  await symlink(cliNodeModules, join(dir, 'node_modules'), 'dir');
  return dir;
}

interface Endpoints {
  invoke: string;
  httpApi?: string;
  restApi?: string;
  functionUrl?: string;
  dynamodb: string;
  functions: Record<string, string>;
  invokeFunction?: string;
}

async function greetOverHttp(endpoints: Endpoints, name: string) {
  const response = await fetch(`${endpoints.httpApi}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ operation: 'greet', input: { name } }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string; result: { greeting: string } };
}

async function greetByInvoke(endpoints: Endpoints, name: string) {
  const response = await fetch(
    `${endpoints.invoke}/2015-03-31/functions/${endpoints.functions.rpc}/invocations`,
    { method: 'POST', body: JSON.stringify({ operation: 'greet', input: { name } }) },
  );
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string; result: { greeting: string } };
}

describe('baton dev', () => {
  it('serves the doors of a definition, picks up a source change on the next call, and stops cleanly on Ctrl-C', async () => {
    const projectDir = await copyOfFixture();
    const baton = startBaton(['dev', '--port', '0', '--quiet'], { cwd: projectDir });
    const banner = await baton.waitFor('Ctrl-C stops.');

    // Only the doors the definition serves, with examples built from its real operation.
    expect(banner).toMatch(/cli-fixture is up in \d+\.\d s/);
    expect(banner).toContain('HTTP API');
    expect(banner).toContain('Lambda Invoke API');
    expect(banner).not.toContain('REST API');
    expect(banner).not.toContain('Function URL');
    expect(banner).toContain('Operations: greet');
    expect(banner).toContain(`-d '{"operation":"greet","input":{"name":"hello"}}'`);
    expect(banner).toContain('--function-name cli-fixture-rpc');
    expect(banner).toContain('LOCAL_CALLER');

    const endpoints = JSON.parse(
      await readFile(join(projectDir, '.baton/endpoints.json'), 'utf8'),
    ) as Endpoints;
    expect(Object.keys(endpoints).sort()).toEqual([
      'dashboard',
      'dynamodb',
      'functions',
      'httpApi',
      'invoke',
      'invokeFunction',
    ]);
    expect(endpoints.invokeFunction).toBe('cli-fixture-rpc');
    expect(endpoints.functions).toEqual({
      api: 'cli-fixture-api',
      rpc: 'cli-fixture-rpc',
      worker: 'cli-fixture-worker',
    });
    expect(await readFile(join(projectDir, '.baton/.gitignore'), 'utf8')).toContain('*');

    expect(await greetOverHttp(endpoints, 'Ada')).toMatchObject({
      status: 'succeeded',
      result: { greeting: 'Hello, Ada' },
    });
    expect(await greetByInvoke(endpoints, 'Ada')).toMatchObject({ result: { greeting: 'Hello, Ada' } });

    // An edit of a file the handlers import, while the service runs: the next call of each door runs it.
    await writeFile(join(projectDir, 'src/operations/greeting.ts'), "export const GREETING = 'Good day';\n");
    expect(await greetOverHttp(endpoints, 'Ada')).toMatchObject({ result: { greeting: 'Good day, Ada' } });
    expect(await greetByInvoke(endpoints, 'Grace')).toMatchObject({
      result: { greeting: 'Good day, Grace' },
    });

    // Ctrl-C reaches the whole foreground group in a terminal: every process of it gets SIGINT.
    signalGroup(baton.pid, 'SIGINT');
    expect(await baton.exited).toBe(0);
    expect(baton.output()).toContain('Stopped.');
    expect(await groupEnded(baton.pid)).toBe(true);
  }, 120_000);

  it('ends an execution environment left idle for --environment-ttl seconds: the next call is a cold start', async () => {
    const projectDir = await copyOfFixture();
    const baton = startBaton(['dev', '--port', '0', '--environment-ttl', '1'], { cwd: projectDir });
    await baton.waitFor('Ctrl-C stops.');
    const endpoints = JSON.parse(
      await readFile(join(projectDir, '.baton/endpoints.json'), 'utf8'),
    ) as Endpoints;
    // The function's REPORT lines; an environment's first one carries its Init Duration.
    const reports = () => baton.output().match(/\[cli-fixture-api\] REPORT RequestId: [^\n]*/g) ?? [];
    const reported = async (count: number) => {
      for (let waited = 0; reports().length < count && waited < 10_000; waited += 50) await sleep(50);
      return reports().map((line) => line.includes('Init Duration'));
    };

    await greetOverHttp(endpoints, 'Ada');
    await greetOverHttp(endpoints, 'Grace'); // within the TTL: the warm environment serves it
    expect(await reported(2)).toEqual([true, false]);

    await sleep(2_500); // past the TTL: the environment has been ended
    await greetOverHttp(endpoints, 'Edsger');
    expect(await reported(3)).toEqual([true, false, true]);

    signalGroup(baton.pid, 'SIGINT');
    expect(await baton.exited).toBe(0);
  }, 120_000);
});
