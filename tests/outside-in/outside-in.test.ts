import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Baton as a new user meets it: every package packed, installed from the tarballs with npm into a project in a
 * temporary folder outside this repository, `baton init`, `baton dev` with a sync call and an async job on
 * every door over plain HTTP and through `baton ops` and `baton run`, and `cdk synth` of the project's CDK app.
 */
const run = promisify(execFile);
const repositoryRoot = resolve(import.meta.dirname, '../..');
/** A marker written into the project's operation: found in the deployed bundle, it proves whose sources it holds. */
const MARKER = `built-from-the-project-${process.pid}`;

/** npm as a user runs it: none of the workspace's pnpm/npm settings leak in from the test's environment. */
const userEnvironment = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(npm_|pnpm_|PNPM_|INIT_CWD$|VITEST|NODE_OPTIONS$|TEST$)/i.test(name),
  ),
) as NodeJS.ProcessEnv;
const env = {
  ...userEnvironment,
  FORCE_COLOR: '0',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

let work: string;
let project: string;

async function sh(command: string, args: readonly string[], cwd = project) {
  try {
    return await run(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/** Every file of the project outside node_modules, as paths relative to it. */
function projectFiles(dir = project): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : projectFiles(path);
    return [relative(project, path)];
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'baton-outside-in-'));
  expect(relative(repositoryRoot, work).startsWith('..')).toBe(true);
  project = join(work, 'reports');
  await mkdir(project);
  const packs = join(work, 'packs');
  const { stdout } = await sh(
    'node',
    [join(repositoryRoot, 'scripts/pack-packages.mjs'), packs, '--json'],
    work,
  );
  const tarballs = (JSON.parse(stdout) as { name: string; tarball: string }[]).map((pack) => pack.tarball);
  expect(tarballs.length).toBeGreaterThanOrEqual(12);
  await sh('npm', ['init', '-y']);
  await sh('npm', ['install', ...tarballs]);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a project outside the repository', () => {
  it('`baton init` writes the starting project, and npm installs what it needs', async () => {
    await sh('npx', ['--no-install', 'baton', 'init', '.', '--name', 'reports']);
    for (const file of [
      'baton.config.ts',
      'infra/app.ts',
      'cdk.json',
      'README.md',
      'tests/operation.test.ts',
    ]) {
      expect(existsSync(join(project, file)), file).toBe(true);
    }
    const manifest = JSON.parse(await readFile(join(project, 'package.json'), 'utf8'));
    // The tarballs installed first are kept, not replaced by registry ranges.
    expect(manifest.dependencies['@baton/service']).toMatch(/^file:/);
    const operation = join(project, 'src/operations/count-primes.ts');
    const source = await readFile(operation, 'utf8');
    await writeFile(operation, source.replace("description: '", `description: '${MARKER}: `));
    await sh('npm', ['install']);
    // The operation's own test, as the project runs it.
    const { stdout } = await sh('npm', ['test']);
    expect(stdout).toMatch(/passed/);
  });

  describe('`baton dev`', () => {
    let dev: ChildProcess;
    let output = '';
    let endpoints: {
      restApi: string;
      httpApi: string;
      functionUrl: string;
      invoke: string;
      functions: Record<string, string>;
    };

    beforeAll(async () => {
      dev = spawn(join(project, 'node_modules/.bin/baton'), ['dev', '--port', '0'], {
        cwd: project,
        env,
        detached: true,
      });
      process.once('exit', () => dev.pid !== undefined && process.kill(-dev.pid, 'SIGKILL'));
      await new Promise<void>((done, fail) => {
        const collect = (chunk: Buffer) => {
          output += chunk;
          if (output.includes('Ctrl-C stops.')) done();
        };
        dev.stdout?.on('data', collect);
        dev.stderr?.on('data', collect);
        dev.once('exit', (code) => fail(new Error(`baton dev exited with ${code}:\n${output}`)));
      });
      endpoints = JSON.parse(await readFile(join(project, '.baton/endpoints.json'), 'utf8'));
    });

    afterAll(async () => {
      if (dev?.pid === undefined || dev.exitCode !== null) return;
      const exited = new Promise((done) => dev.once('exit', done));
      process.kill(-dev.pid, 'SIGINT');
      const stopped = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!stopped) process.kill(-dev.pid, 'SIGKILL');
      expect(stopped).toBe(true);
    });

    type JobView = {
      id: string;
      status: string;
      progress?: { fraction: number; message?: string };
      result?: unknown;
    };

    const postJob = async (base: string, body: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${base}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { response, job: (await response.json()) as JobView };
    };

    /** The Invoke API as plain HTTP: what the AWS SDK sends, unsigned (loopback names no caller but the default). */
    const invoke = async (payload: unknown) => {
      const name = endpoints.functions.rpc as string;
      const response = await fetch(`${endpoints.invoke}/2015-03-31/functions/${name}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: JSON.stringify(payload),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-amz-function-error')).toBeNull();
      return (await response.json()) as JobView;
    };

    /** Polls a job until it ends, collecting the progress fractions seen on the way. */
    async function untilEnded(read: () => Promise<JobView>) {
      const fractions = new Set<number>();
      const deadline = Date.now() + 180_000;
      let job = await read();
      // A problem (its status a number) ends the wait as surely as a finished job does.
      while (
        typeof job.status === 'string' &&
        !['succeeded', 'failed', 'cancelled'].includes(job.status) &&
        Date.now() < deadline
      ) {
        if (job.progress) fractions.add(job.progress.fraction);
        // Polling a real server for a real job, as a client of the service waits.
        await sleep(50);
        job = await read();
      }
      return { job, fractions: [...fractions] };
    }

    const quick = { operation: 'count-primes', input: { upTo: 100_000 } };
    // Seconds of work, so that progress is stored (at most once a second) and seen while it runs.
    const long = { operation: 'count-primes', input: { upTo: 10_000_000, batchSize: 100_000 } };
    const expectProgressed = (fractions: number[]) =>
      expect(fractions.some((fraction) => fraction > 0 && fraction < 1)).toBe(true);

    it.each([
      ['REST API', () => endpoints.restApi],
      ['HTTP API', () => endpoints.httpApi],
      ['Function URL', () => endpoints.functionUrl],
    ])('%s: a sync call, and an async job with progress', async (_door, base) => {
      const sync = await postJob(base(), quick);
      expect(sync.response.status).toBe(200);
      expect(sync.job).toMatchObject({ status: 'succeeded', result: { upTo: 100_000, primes: 9592 } });

      const submitted = await postJob(base(), long, { prefer: 'respond-async' });
      expect(submitted.response.status).toBe(202);
      const location = submitted.response.headers.get('location') as string;
      expect(location).toMatch(/^\/(local\/)?jobs\/.+/);
      // Location is an absolute path, the REST API's stage included.
      const url = new URL(location, base()).href;
      const { job, fractions } = await untilEnded(async () => (await fetch(url)).json() as Promise<JobView>);
      expect(job).toMatchObject({ status: 'succeeded', result: { upTo: 10_000_000, primes: 664_579 } });
      expectProgressed(fractions);
    });

    it('direct Invoke: a sync call, and an async job with progress', async () => {
      expect(await invoke(quick)).toMatchObject({ status: 'succeeded', result: { primes: 9592 } });
      // Direct invoke answers an async submission with the job's id, not the whole job.
      const submitted = (await invoke({ ...long, meta: { async: true } })) as unknown as {
        jobId: string;
        accepted: boolean;
      };
      expect(submitted).toMatchObject({ accepted: true, jobId: expect.any(String) });
      const { job, fractions } = await untilEnded(() =>
        invoke({ action: 'getJob', v: 1, jobId: submitted.jobId }),
      );
      expect(job).toMatchObject({ status: 'succeeded', result: { primes: 664_579 } });
      expectProgressed(fractions);
    });

    /**
     * `npx baton …` in the project, as a user types it, its output piped (not a terminal): stdout, stderr and the
     * exit code, whatever the code. Its own process group, killed when it ends or overstays, so that nothing it
     * started (npx runs baton as a child) outlives the test.
     */
    async function baton(args: readonly string[], timeoutMs = 60_000) {
      const child = spawn('npx', ['--no-install', 'baton', ...args], {
        cwd: project,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const killGroup = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group has already ended.
        }
      };
      process.once('exit', killGroup);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk;
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk;
      });
      const timer = setTimeout(killGroup, timeoutMs);
      try {
        const code = await new Promise<number | null>((done, fail) => {
          child.once('error', fail);
          child.once('close', (exitCode) => done(exitCode));
        });
        const shown = `baton ${args.join(' ')} exited with ${code}:\n${stdout}\n${stderr}`;
        return { code, stdout, stderr, shown };
      } finally {
        clearTimeout(timer);
        killGroup();
        process.removeListener('exit', killGroup);
      }
    }

    it('`baton ops` names the operation, with a `baton run` example that works as printed', async () => {
      const ops = await baton(['ops']);
      expect(ops.code, ops.shown).toBe(0);
      expect(ops.stdout).toContain('count-primes');
      const example = ops.stdout.match(/e\.g\. baton (run count-primes[^\n]*)/)?.[1];
      expect(example, ops.stdout).toBeDefined();
      const run = await baton((example as string).trim().split(/\s+/));
      expect(run.code, run.shown).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ primes: expect.any(Number) });
    });

    it('`baton run` prints the result as JSON on a piped stdout', async () => {
      const result = await baton(['run', 'count-primes', 'upTo=100000']);
      expect(result.code, result.shown).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ upTo: 100_000, primes: 9592 });
    });

    it('`baton run --async --wait` follows the job in plain lines and prints its result', async () => {
      const result = await baton([
        'run',
        'count-primes',
        'upTo=2000000',
        'batchSize=100000',
        '--async',
        '--wait',
      ]);
      expect(result.code, result.shown).toBe(0);
      // Piped, the progress is plain lines on stderr: no bar redrawn with escape codes, in either stream.
      expect(result.stdout).not.toContain('\x1b');
      expect(result.stderr).not.toContain('\x1b');
      expect(result.stderr).toMatch(/succeeded/);
      expect(JSON.parse(result.stdout)).toEqual({ upTo: 2_000_000, primes: 148_933 });
    });

    it('`baton run` with an input the operation refuses exits 3 and names the field', async () => {
      const result = await baton(['run', 'count-primes', 'upTo=1']);
      expect(result.code, result.shown).toBe(3);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/upTo/);
    });
  });

  it("`cdk synth` builds every function from the project's own sources, cdk-nag clean", async () => {
    await sh('npx', ['--no-install', 'cdk', 'synth', '--no-notices', '--quiet']);
    const assembly = join(project, 'cdk.out');
    const manifest = JSON.parse(await readFile(join(assembly, 'manifest.json'), 'utf8'));
    const stacks = Object.values(manifest.artifacts as Record<string, { type: string }>).filter(
      (artifact) => artifact.type === 'aws:cloudformation:stack',
    );
    expect(stacks).toHaveLength(1);
    // cdk-nag runs as a validation plugin: a finding would have failed the synth and written this report.
    const report = join(assembly, 'validation-report.json');
    if (existsSync(report)) expect(readFileSync(report, 'utf8')).not.toMatch(/"status":\s*"failure"/);
    const bundles = readdirSync(assembly)
      .filter((name) => name.startsWith('asset.') && statSync(join(assembly, name)).isDirectory())
      .map((name) => join(assembly, name, 'index.mjs'))
      .filter((file) => existsSync(file));
    // Four door and worker functions, the reconciler and the failed-event handler.
    expect(bundles.length).toBeGreaterThanOrEqual(6);
    const withOperation = bundles.filter((file) => readFileSync(file, 'utf8').includes(MARKER));
    expect(withOperation.length).toBeGreaterThanOrEqual(4);
  });

  it('refers to nothing in this repository', () => {
    const files = projectFiles();
    expect(files).toContain('package-lock.json');
    const referring = files.filter((file) => {
      const path = join(project, file);
      return statSync(path).size < 50 * 1024 * 1024 && readFileSync(path, 'utf8').includes(repositoryRoot);
    });
    expect(referring).toEqual([]);
  });
});
