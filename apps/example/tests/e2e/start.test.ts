import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupEnded, runInGroup, signalGroup, spawnGroup, stopAllGroups } from './processes.js';

const appDir = join(import.meta.dirname, '../..');
const workspaceRoot = join(appDir, '../..');
const endpointsFile = join(appDir, '.baton/endpoints.json');

/** The `start` script of package.json: what `pnpm start` runs (`baton dev`). */
const startScript: string = JSON.parse(await readFile(join(appDir, 'package.json'), 'utf8')).scripts.start;

/**
 * `pnpm start` as a user runs it, on free ports and a throwaway data folder: by default the start script run the
 * way pnpm runs it (`sh -c`, with the package's node_modules/.bin first on PATH, the arguments appended), or,
 * with `viaPnpm`, pnpm itself. Either leads a process group of its own: stopAllGroups() ends all of it, whatever
 * happened to the test.
 */
function start(
  args: string[],
  options: { env?: Record<string, string | undefined>; viaPnpm?: boolean } = {},
) {
  const env = {
    ...process.env,
    FORCE_COLOR: '0',
    PATH: [
      join(appDir, 'node_modules/.bin'),
      join(workspaceRoot, 'node_modules/.bin'),
      process.env.PATH,
    ].join(delimiter),
    ...options.env,
  };
  const child = options.viaPnpm
    ? spawnGroup(join(workspaceRoot, 'node_modules/.bin/pnpm'), ['start', '--quiet', ...args], {
        cwd: appDir,
        env,
      })
    : spawnGroup('sh', ['-c', `${startScript} "$@"`, 'sh', '--quiet', ...args], { cwd: appDir, env });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 60 s:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes('Ctrl-C stops.')) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
  // A start expected to fail is never awaited for readiness: its rejection is not an unhandled error.
  ready.catch(() => {});
  return { child, ready, exited, output: () => output };
}

/** What a terminal shows, without the bold and hyperlink escapes curl adds to headers on a tty. */
const plainText = (text: string) =>
  text
    .replaceAll('\r', '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what is removed.
    .replace(/\x1b\]8;;[^\x1b]*\x1b\\/g, '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: as above.
    .replace(/\x1b\[[0-9;]*m/g, '');

const readEndpoints = async () =>
  JSON.parse(await readFile(endpointsFile, 'utf8')) as Record<string, string> & {
    functions: Record<string, string>;
  };

let dataDir = '';

afterAll(async () => {
  await stopAllGroups();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('pnpm start (baton dev)', () => {
  it('serves every door within seconds, its printed examples work as printed, and jobs survive a restart', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'baton-start-'));
    const started = Date.now();
    // Through pnpm itself, as the README runs it: Ctrl-C must end it cleanly, without pnpm's ELIFECYCLE.
    const first = start(['--port', '0', '--data-dir', dataDir], { viaPnpm: true });
    const banner = await first.ready;
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(banner).toMatch(/baton-example is up in \d+\.\d s, from baton\.config\.ts\./);
    for (const door of ['REST API', 'HTTP API', 'Function URL', 'Lambda Invoke API', 'DynamoDB'])
      expect(banner).toContain(door);
    expect(banner).toContain('Operations: checksum, wait, report');
    expect(banner).toContain('(LOCAL_CALLER)');
    // The AWS SDK's Node-version warning is not repeated at every cold start (nor printed once by baton itself).
    expect(banner).not.toContain('NodeVersionSupportWarning');

    const endpoints = await readEndpoints();
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
    expect(endpoints.invokeFunction).toBe(endpoints.functions.rpc);
    expect(endpoints.restApi).toMatch(/\/local$/);
    expect(Object.keys(endpoints.functions).sort()).toEqual(['api', 'rpc', 'url', 'worker']);

    // Every example, exactly as printed, through a shell. The AWS CLI one needs the CLI (v2) installed.
    const commands = banner
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('curl ') || line.startsWith('AWS_ACCESS_KEY_ID='))
      .filter((line) => !line.includes('aws lambda invoke') || existsSync('/usr/bin/aws'));
    expect(commands.length).toBeGreaterThanOrEqual(existsSync('/usr/bin/aws') ? 6 : 5);
    const results = await Promise.all(
      commands.map((command) =>
        // In a pseudo-terminal, as a user's shell runs it (`aws … /dev/stdout` cannot open a socket); its group
        // (script, the shell, curl) is stopped together if it overruns.
        runInGroup('script', ['-qefc', command, '/dev/null'], {
          env: { ...process.env, PATH: `/usr/bin:${process.env.PATH}` },
          timeoutMs: 60_000,
        }).then(({ stdout }) => ({ command, stdout: plainText(stdout) })),
      ),
    );
    const outputOf = (needle: string) =>
      results.find((result) => result.command.includes(needle))?.stdout ?? '';
    expect(outputOf(`${endpoints.restApi}/jobs -H`)).toContain('"status":"succeeded"');
    expect(outputOf('respond-async')).toMatch(/HTTP\/1\.1 202/);
    expect(outputOf('prefer: wait=2')).toMatch(/HTTP\/1\.1 20[02]/);
    expect(outputOf('/operations')).toContain('"name":"checksum"');
    expect(outputOf('--aws-sigv4')).toContain('"jobs":[]');
    if (existsSync('/usr/bin/aws')) expect(outputOf('aws lambda invoke')).toContain('"status":"succeeded"');

    // A long job, asked for asynchronously, is running when the service stops.
    const accepted = await fetch(`${endpoints.httpApi}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ operation: 'wait', input: { seconds: 4 } }),
    });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location') as string;
    const jobUrl = () => readEndpoints().then((now) => `${now.httpApi}${location}`);
    await expect
      .poll(async () => ((await (await fetch(await jobUrl())).json()) as { status: string }).status, {
        timeout: 10_000,
      })
      .toBe('running');

    // Ctrl-C stops it cleanly: the terminal sends SIGINT to the whole foreground group (pnpm and baton).
    signalGroup(first.child.pid as number, 'SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Stopped.');
    expect(first.output()).not.toMatch(/ELIFECYCLE|Command failed/);
    // Nothing of it is left: not baton's node process, not esbuild's.
    expect(await groupEnded(first.child.pid as number)).toBe(true);

    // Restarted on the same data: the job is still there, and the wait — cut off mid-run by the stop — is
    // resumed from its checkpoint and finishes.
    const second = start(['--port', '0', '--data-dir', dataDir]);
    const secondBanner = await second.ready;
    expect(secondBanner).toMatch(/Resumed [1-9]\d* unfinished job/);
    let job = (await (await fetch(await jobUrl())).json()) as {
      id: string;
      status: string;
      result?: unknown;
    };
    expect(job.id).toBe(location.split('/').pop());
    for (let i = 0; i < 120 && job.status !== 'succeeded'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      job = (await (await fetch(await jobUrl())).json()) as typeof job;
    }
    expect(job, second.output()).toMatchObject({ status: 'succeeded', result: { waitedSeconds: 4 } });
    signalGroup(second.child.pid as number, 'SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await groupEnded(second.child.pid as number)).toBe(true);
  }, 120_000);

  it('says clearly when a port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const portDataDir = await mkdtemp(join(tmpdir(), 'baton-port-'));
    try {
      const attempt = start(['--port', String(port), '--data-dir', portDataDir]);
      expect(await attempt.exited).toBe(1);
      expect(attempt.output()).toMatch(new RegExp(`Could not start: .*${port}.*in use`, 'i'));
    } finally {
      blocker.close();
      await rm(portDataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a host other than loopback without credentials, saying what to set, before listening', async () => {
    // Checked before anything listens: no socket is ever bound to the address.
    const attempt = start(
      ['--host', '0.0.0.0', '--port', '0', '--data-dir', join(tmpdir(), 'baton-host-check')],
      {
        env: { BATON_LOCAL_CREDENTIALS: undefined },
      },
    );
    expect(await attempt.exited).toBe(1);
    expect(attempt.output()).toMatch(
      /Could not start: 0\.0\.0\.0 is not a loopback address, so every request must be signed \(SigV4\) and checked\. Set BATON_LOCAL_CREDENTIALS to the callers allowed in, as JSON/,
    );
    expect(attempt.output()).not.toContain('is up');
  }, 60_000);
});
