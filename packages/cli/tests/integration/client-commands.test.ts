import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn as spawnPty } from '@lydell/node-pty';
import xterm from '@xterm/headless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baton,
  EXAMPLE_DIR,
  type LocalStack,
  startLocalStack,
  TWO_DOORS_DIR,
  writeEndpoints,
} from '../support/client-stack.js';
import { BATON_BIN, groupEnded, stopAllGroups, trackGroup } from '../support/processes.js';

/**
 * The commands that call a service, against the example service's real local stack (every door, the worker,
 * DynamoDB) and the real client: in-process for the quick ones, as child processes where the terminal matters.
 */
let example: LocalStack;
const extraDirs: string[] = [];

beforeAll(async () => {
  example = await startLocalStack(EXAMPLE_DIR);
}, 120_000);

afterAll(async () => {
  await stopAllGroups();
  await example?.stop();
  await Promise.all(extraDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Records for `report` that take a few seconds on a 2-core machine (about 10 million a second). */
const SECONDS_OF_REPORT = 30_000_000;

describe('baton ops', () => {
  it('lists the operations with their input fields, and as JSON with --json', async () => {
    const human = await baton(['ops'], example.projectDir);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toContain('checksum — Hashes a text');
    expect(human.stdout).toContain('  records: integer (≥ 1, ≤ 1000000000)');
    expect(human.stdout).toContain('  e.g. baton run checksum text=hello');

    const json = await baton(['ops', '--json', '--door', 'http'], example.projectDir);
    expect(json.code).toBe(0);
    const operations = JSON.parse(json.stdout) as { name: string; inputSchema: object }[];
    expect(operations.map((operation) => operation.name)).toEqual(['checksum', 'wait', 'report']);
  });
});

describe('baton run', () => {
  it.each(['invoke', 'http', 'rest', 'url'])(
    'runs checksum text=hi through the %s door: the result JSON, exit 0',
    async (door) => {
      const result = await baton(['run', 'checksum', 'text=hi', '--door', door], example.projectDir);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({
        algorithm: 'sha256',
        digest: '8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4',
        bytes: 2,
      });
    },
  );

  it('exits 3 on input the service refuses, naming each bad field on stderr (and as JSON with --json)', async () => {
    const result = await baton(['run', 'checksum', 'txet=hi', 'algorithm=sha512'], example.projectDir);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^The request is not valid/);
    expect(result.stderr).toContain('  /input/text: ');
    expect(result.stderr).toContain('  /input/algorithm: ');
    expect(result.stderr).toMatch(/\/input: .*txet/);

    const json = await baton(['run', 'nope', '--json', '--door', 'http'], example.projectDir);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'bad_input', problem: { status: 400 } } });
  });

  it('--async prints the job; jobs get, list and cancel find it; a cancelled job watched exits 5', async () => {
    const submitted = await baton(['run', 'wait', 'seconds=60', '--async'], example.projectDir);
    expect(submitted.code).toBe(0);
    const job = JSON.parse(submitted.stdout) as { id: string; status: string; operation: string };
    expect(job).toMatchObject({ operation: 'wait', status: 'queued' });
    expect(submitted.stderr).toContain(`baton jobs watch ${job.id}`);

    const got = await baton(['jobs', 'get', job.id, '--door', 'rest'], example.projectDir);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ id: job.id, operation: 'wait' });

    const listed = await baton(['jobs', 'list', '--json', '--limit', '5'], example.projectDir);
    expect(listed.code).toBe(0);
    const jobs = JSON.parse(listed.stdout) as { id: string }[];
    expect(jobs.length).toBeLessThanOrEqual(5);
    expect(jobs.map((j) => j.id)).toContain(job.id);
    const table = await baton(['jobs', 'list'], example.projectDir);
    expect(table.stdout).toMatch(/^ID\s+OPERATION\s+STATUS\s+PROGRESS\s+CREATED\n/);
    expect(table.stdout).toMatch(new RegExp(`${job.id}\\s+wait\\s+(queued|running)`));

    const cancelled = await baton(['jobs', 'cancel', job.id], example.projectDir);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id: job.id });

    const watched = await baton(['jobs', 'watch', job.id], example.projectDir);
    expect(watched.code).toBe(5);
    expect(watched.stderr).toContain(`Job ${job.id} cancelled`);
    const none = await baton(['jobs', 'list', '--status', 'cancelled', '--json'], example.projectDir);
    expect((JSON.parse(none.stdout) as { id: string }[]).map((j) => j.id)).toContain(job.id);
  });

  it('exits 3 for a job that is not there', async () => {
    const result = await baton(['jobs', 'get', 'no-such-job-id-0000000'], example.projectDir);
    expect(result.code).toBe(3);
    expect(result.stderr).not.toContain('bug');
  });

  it('exits 6 when the service cannot be reached, and 1 naming the file when none was started', async () => {
    const closedPort = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'baton-cli-unreachable-'));
    extraDirs.push(dir);
    await writeEndpoints(dir, {
      invoke: `http://127.0.0.1:${closedPort}`,
      httpApi: `http://127.0.0.1:${closedPort}`,
      dynamodb: `http://127.0.0.1:${closedPort}`,
      functions: { rpc: 'gone-rpc' },
      invokeFunction: 'gone-rpc',
    });
    for (const door of ['http', 'invoke']) {
      const result = await baton(['run', 'checksum', 'text=hi', '--door', door], dir);
      expect(result.code, result.stderr).toBe(6);
      expect(result.stderr).not.toContain('bug');
    }

    const empty = await mkdtemp(join(tmpdir(), 'baton-cli-nothing-'));
    extraDirs.push(empty);
    const missing = await baton(['ops'], empty);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('.baton/endpoints.json');
    expect(missing.stderr).toContain('Start it with `baton dev`');
  });

  it('follows a job with --async --wait: plain progress lines on stderr when piped, the result alone on stdout', async () => {
    const child = spawn(
      process.execPath,
      [BATON_BIN, 'run', 'report', `records=${SECONDS_OF_REPORT}`, '--async', '--wait'],
      { cwd: example.projectDir, env: { ...process.env, FORCE_COLOR: '1' }, detached: true },
    );
    trackGroup(child.pid as number);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    await groupEnded(child.pid as number);
    expect(code, stderr).toBe(0);
    expect(stdout).not.toContain('\x1b');
    expect(stderr).not.toContain('\x1b');
    const result = JSON.parse(stdout) as { records: number };
    expect(result.records).toBe(SECONDS_OF_REPORT);
    const percents = [...stderr.matchAll(/^(\d+)% \d+ of \d+ records \(elapsed \d+s/gm)].map((m) =>
      Number(m[1]),
    );
    expect(percents.length, stderr).toBeGreaterThanOrEqual(2);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    expect(stderr).toMatch(/succeeded \(elapsed \d+s\)\n$/);
  }, 60_000);
});

/** `baton <args>` on a real pseudo-terminal, as a person at a terminal runs it (stdout and stderr on the screen). */
function batonOnTerminal(args: readonly string[], cwd: string) {
  const { CI: _ci, NO_COLOR: _noColor, ...env } = process.env;
  const term = spawnPty(process.execPath, [BATON_BIN, ...args], {
    cwd,
    cols: 120,
    rows: 40,
    env: { ...env, TERM: 'xterm-256color', FORCE_COLOR: '1' },
  });
  // The terminal's child leads a session of its own: its group is stopped whatever happens to the test.
  trackGroup(term.pid);
  let output = '';
  const waiters = new Set<() => void>();
  term.onData((data) => {
    output += data;
    for (const waiter of waiters) waiter();
  });
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    term,
    output: () => output,
    exited,
    /** Resolves once the output matches (ends the test with the output seen so far when it never does). */
    waitFor: (pattern: RegExp, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${pattern} after ${timeoutMs} ms:\n${output}`)),
          timeoutMs,
        );
        const check = () => {
          if (!pattern.test(output)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
  };
}

/** The screen a terminal shows after `output`: its lines, as a person reads them. */
async function screenOf(output: string, cols = 120, rows = 40): Promise<string[]> {
  const screen = new xterm.Terminal({ cols, rows, allowProposedApi: true });
  await new Promise<void>((resolve) => screen.write(output, resolve));
  const buffer = screen.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  screen.dispose();
  return lines.filter((line) => line !== '');
}

describe('baton run on a terminal', () => {
  it('draws a progress bar that moves to 100 %, then prints the result', async () => {
    const run = batonOnTerminal(
      ['run', 'report', `records=${SECONDS_OF_REPORT}`, '--async', '--wait'],
      example.projectDir,
    );
    expect(await run.exited, run.output()).toBe(0);
    const output = run.output();
    // The bar is redrawn in place: cursor moves and erases, not one line per step.
    expect(output).toContain('\x1b[1G'); // back to the line's start, to draw the bar over itself
    const percents = new Set([...output.matchAll(/[█░] +(\d+)% /g)].map((m) => Number(m[1])));
    expect(percents.size, output).toBeGreaterThanOrEqual(3);
    expect(Math.max(...percents)).toBe(100);

    const screen = await screenOf(output);
    const bar = screen.find((line) => /^[█░]+ +\d+% /.test(line));
    expect(bar, screen.join('\n')).toMatch(/^█{30} 100% \d+ of \d+ records \| elapsed \d+s/);
    const json = screen.slice(screen.indexOf(bar as string) + 1).join('\n');
    expect(JSON.parse(json)).toMatchObject({ records: SECONDS_OF_REPORT });
  }, 60_000);

  it('asks on Ctrl-C whether to cancel the job: yes cancels it, exit 5', async () => {
    const run = batonOnTerminal(['run', 'wait', 'seconds=120', '--async', '--wait'], example.projectDir);
    await run.waitFor(/elapsed \d+s/);
    run.term.write('\x03');
    await run.waitFor(/Cancel job \S+ \(wait\)\?/);
    run.term.write('y\r');
    expect(await run.exited, run.output()).toBe(5);
    const screen = (await screenOf(run.output())).join('\n');
    expect(screen).toMatch(/Job \S+ \(wait\) was cancelled\./);
  }, 60_000);

  it('on Ctrl-C answered no, leaves the job running and says how to watch it: exit 130', async () => {
    const run = batonOnTerminal(['run', 'wait', 'seconds=120', '--async', '--wait'], example.projectDir);
    await run.waitFor(/elapsed \d+s/);
    run.term.write('\x03');
    await run.waitFor(/Cancel job \S+ \(wait\)\?/);
    run.term.write('n\r');
    expect(await run.exited, run.output()).toBe(130);
    const screen = (await screenOf(run.output())).join('\n');
    const id = /Stopped waiting; job (\S+) \(wait\) goes on\./.exec(screen)?.[1] as string;
    expect(screen).toContain(`baton jobs watch ${id}`);
    const job = await baton(['jobs', 'get', id], example.projectDir);
    expect(JSON.parse(job.stdout)).toMatchObject({ status: 'running' });
    expect((await baton(['jobs', 'cancel', id], example.projectDir)).code).toBe(0);
    expect((await baton(['jobs', 'watch', id], example.projectDir)).code).toBe(5);
  }, 60_000);
});

describe('baton jobs watch', () => {
  it('follows every queued or running job of the caller, one line each, until they end', async () => {
    const ids: string[] = [];
    for (const seconds of [1, 2]) {
      const submitted = await baton(
        ['run', 'wait', `seconds=${seconds}`, '--async', '--json'],
        example.projectDir,
      );
      ids.push((JSON.parse(submitted.stdout) as { id: string }).id);
    }
    const watched = await baton(['jobs', 'watch', '--json'], example.projectDir);
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { jobId?: string; id?: string; status: string });
    for (const id of ids) {
      expect(lines.some((line) => line.jobId === id && line.status === 'running')).toBe(true);
      expect(lines).toContainEqual(expect.objectContaining({ id, status: 'succeeded' }));
    }
    const none = await baton(['jobs', 'watch'], example.projectDir);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'No queued or running jobs to watch.\n' });
  }, 30_000);
});

describe('a small service of its own', () => {
  let fixture: LocalStack;
  beforeAll(async () => {
    // Its HTTP API door's gateway clock at 1.5 s (AWS: 29 s), so a run outgrows it in about half a second.
    fixture = await startLocalStack(TWO_DOORS_DIR, {
      CLI_FIXTURE_INTEGRATION_TIMEOUT_MS: '1500',
      CLI_FIXTURE_HANDOFF_MARGIN_MS: '1000',
    });
  }, 120_000);

  it('follows a synchronous run that outgrows the door as a job, to its result', async () => {
    const result = await baton(['run', 'pause', 'steps=8', '--door', 'http'], fixture.projectDir);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ steps: 8 });
    expect(result.stderr).toMatch(/^The run outgrew the door's time and goes on as job \S+; following it\./);
    expect(result.stderr).toMatch(/^100% 8 of 8 steps \(elapsed \d+s\)$/m);
  });

  afterAll(() => fixture?.stop());

  it('exits 4 with the job error, whether run synchronously or followed', async () => {
    const sync = await baton(['run', 'refuse', 'reason=no thanks'], fixture.projectDir);
    expect(sync.code, sync.stderr).toBe(4);
    expect(sync.stderr).toContain('no thanks');
    expect(sync.stderr).toContain('(Refused; running it again will fail the same way)');

    const followed = await baton(
      ['run', 'refuse', 'reason=still no', '--async', '--wait', '--json'],
      fixture.projectDir,
    );
    expect(followed.code).toBe(4);
    expect(JSON.parse(followed.stdout)).toMatchObject({
      error: {
        code: 'job_failed',
        job: { status: 'failed', error: { type: 'Refused', message: 'still no' } },
      },
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
