import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatonFunctionError,
  BatonJobCancelledError,
  BatonJobFailedError,
  BatonProblemError,
  BatonTransportError,
  type JobView,
  progressUpdate,
} from '@baton/client';
import { CommanderError } from '@commander-js/extra-typings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobsTable } from '../../src/commands/jobs.js';
import { renderOperations } from '../../src/commands/ops.js';
import { UserError } from '../../src/errors.js';
import { EXIT, exitCodeFor, Interrupted } from '../../src/exit-codes.js';
import { FailedEventNotFound } from '../../src/failed-events.js';
import { pairsToInput, readInput } from '../../src/input.js';
import { formatDuration, outputMode, progressLine, progressView } from '../../src/output.js';
import { findEndpointsFile, isAwsDoorHost, resolveTarget } from '../../src/target.js';
import { baton } from './support.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-cli-unit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const usage = (message: RegExp) =>
  expect.objectContaining({ name: 'UserError', exitCode: 2, message: expect.stringMatching(message) });

const noStdin = () => Promise.reject(new Error('no standard input'));

describe('the input of baton run', () => {
  it('builds it from key=value pairs: JSON when it parses, a string otherwise, dotted keys nested', () => {
    expect(
      pairsToInput([
        'text=hi',
        'records=5',
        'flag=true',
        'tags=["a"]',
        'filter.region=north',
        'filter.min=1',
        'empty=',
        'eq=a=b',
      ]),
    ).toEqual({
      text: 'hi',
      records: 5,
      flag: true,
      tags: ['a'],
      filter: { region: 'north', min: 1 },
      empty: '',
      eq: 'a=b',
    });
    expect(pairsToInput(['quoted="5"'])).toEqual({ quoted: '5' });
  });

  it('refuses what is not key=value, empty key parts and a key set as a value and an object', () => {
    expect(() => pairsToInput(['text'])).toThrow(usage(/"text" is not key=value/));
    expect(() => pairsToInput(['=1'])).toThrow(usage(/is not key=value/));
    expect(() => pairsToInput(['a..b=1'])).toThrow(usage(/an empty key part/));
    expect(() => pairsToInput(['a=1', 'a.b=2'])).toThrow(usage(/a is already set to 1, not an object/));
  });

  it('reads --input and --input-file (- is standard input), with pairs set on top; one source of JSON only', async () => {
    const file = join(dir, 'input.json');
    await writeFile(file, '{"records":5,"seed":2}');
    expect(await readInput({ input: '{"text":"hi"}' }, dir, noStdin)).toEqual({ text: 'hi' });
    expect(await readInput({ inputFile: 'input.json', pairs: ['seed=3'] }, dir, noStdin)).toEqual({
      records: 5,
      seed: 3,
    });
    expect(await readInput({ inputFile: '-' }, dir, async () => '[1,2]')).toEqual([1, 2]);
    expect(await readInput({}, dir, noStdin)).toEqual({});
    await expect(readInput({ input: '{}', inputFile: 'input.json' }, dir, noStdin)).rejects.toThrow(
      usage(/use one of them/),
    );
    await expect(readInput({ input: '{text' }, dir, noStdin)).rejects.toThrow(
      usage(/^--input is not JSON: /),
    );
    await expect(readInput({ inputFile: 'missing.json' }, dir, noStdin)).rejects.toThrow(
      usage(/--input-file missing.json: cannot read it \(ENOENT\)/),
    );
    await expect(readInput({ input: '[1]', pairs: ['a=1'] }, dir, noStdin)).rejects.toThrow(
      usage(/not a JSON object/),
    );
  });

  it('is checked before any service is looked for: exit 2 with the reason', async () => {
    const result = await baton(['run', 'checksum', 'text'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^"text" is not key=value/);
    expect(await baton(['run', 'checksum', '--input', '{'], dir)).toMatchObject({ code: 2 });
  });
});

describe('the target', () => {
  let project: string;
  beforeAll(async () => {
    project = join(dir, 'project');
    await mkdir(join(project, '.baton'), { recursive: true });
    await mkdir(join(project, 'src', 'deep'), { recursive: true });
    await writeFile(
      join(project, '.baton', 'endpoints.json'),
      JSON.stringify({
        invoke: 'http://127.0.0.1:3003',
        httpApi: 'http://127.0.0.1:3001',
        restApi: 'http://127.0.0.1:3000/local',
        dynamodb: 'http://127.0.0.1:3004',
        functions: { api: 'svc-api', rpc: 'svc-rpc' },
        invokeFunction: 'svc-rpc',
      }),
    );
  });

  it('is the local service by default, found from a folder below the project, through its invoke door first', async () => {
    const found = await resolveTarget({}, { cwd: join(project, 'src', 'deep'), env: {} });
    expect(found.target).toEqual({
      invoke: {
        functionName: 'svc-rpc',
        endpoint: 'http://127.0.0.1:3003',
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      },
    });
    expect(found.local?.endpointsFile).toBe(join(project, '.baton', 'endpoints.json'));
    expect((await resolveTarget({ door: 'rest' }, { cwd: project, env: {} })).target).toEqual({
      http: { url: 'http://127.0.0.1:3000/local', iam: false },
    });
    await expect(resolveTarget({ door: 'url' }, { cwd: project, env: {} })).rejects.toThrow(
      usage(/--door url: the local service has no Function URL \(its doors: invoke, http, rest\)/),
    );
  });

  it('signs local calls with the first key of BATON_LOCAL_CREDENTIALS (a service bound off loopback checks them)', async () => {
    const env = {
      BATON_LOCAL_CREDENTIALS:
        '[{"accessKeyId":"AKIDALICE","secretAccessKey":"s3cret","principalArn":"arn:aws:iam::000000000000:user/alice"}]',
    };
    expect((await resolveTarget({ door: 'http' }, { cwd: project, env })).target).toEqual({
      http: {
        url: 'http://127.0.0.1:3001',
        iam: true,
        region: 'us-east-1',
        service: 'execute-api',
        credentials: { accessKeyId: 'AKIDALICE', secretAccessKey: 's3cret' },
      },
    });
    expect((await resolveTarget({}, { cwd: project, env })).target).toMatchObject({
      invoke: { credentials: { accessKeyId: 'AKIDALICE', secretAccessKey: 's3cret' } },
    });
    await expect(resolveTarget({}, { cwd: project, env: { BATON_LOCAL_CREDENTIALS: '{}' } })).rejects.toThrow(
      usage(/holds no key to sign with/),
    );
  });

  it('says to start the service when endpoints.json is missing, naming the file', async () => {
    const stopped = join(dir, 'stopped');
    await mkdir(stopped, { recursive: true });
    await writeFile(join(stopped, 'baton.config.ts'), 'export default {};\n');
    expect(() => findEndpointsFile(stopped)).toThrow(
      `The local service is not running: ${join(stopped, '.baton', 'endpoints.json')} is missing (baton dev writes it). Start it with \`baton dev\``,
    );
    expect(() => findEndpointsFile('/')).toThrow(
      /^No local service found: there is no \.baton\/endpoints\.json in \/ or a folder above it/,
    );
  });

  it('is a deployed door with --url: SigV4-signed by default only on AWS door hosts', async () => {
    const api = await resolveTarget(
      { url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/', profile: 'dev' },
      { cwd: dir, env: {} },
    );
    expect(api.target).toMatchObject({
      http: {
        url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
        iam: true,
        credentials: expect.any(Function),
      },
    });
    const plain = await resolveTarget(
      { url: 'http://localhost:8080', region: 'eu-west-1' },
      { cwd: dir, env: {} },
    );
    expect(plain.target).toEqual({ http: { url: 'http://localhost:8080', iam: false, region: 'eu-west-1' } });
    const unsigned = await resolveTarget(
      { url: 'https://x.lambda-url.us-east-1.on.aws', iam: false },
      { cwd: dir, env: {} },
    );
    expect(unsigned.target).toEqual({ http: { url: 'https://x.lambda-url.us-east-1.on.aws', iam: false } });
    expect(isAwsDoorHost('abc.lambda-url.eu-central-1.on.aws')).toBe(true);
    expect(isAwsDoorHost('api.example.com')).toBe(false);
  });

  it('is a function with --function and a published door with --ssm, in the region of AWS_REGION', async () => {
    const fn = await resolveTarget(
      { function: 'reports-rpc' },
      { cwd: dir, env: { AWS_REGION: 'eu-west-2' } },
    );
    expect(fn.target).toMatchObject({
      invoke: { functionName: 'reports-rpc', region: 'eu-west-2', credentials: expect.any(Function) },
    });
    const ssm = await resolveTarget({ ssm: '/baton/reports/doors/http-api' }, { cwd: dir, env: {} });
    expect(ssm.target).toMatchObject({ ssm: { name: '/baton/reports/doors/http-api', iam: true } });
  });

  it.each([
    [{ url: 'https://a.example', function: 'f' }, /--url and --function: give one target/],
    [{ url: 'https://a.example', door: 'http' as const }, /--door picks a door of the local stack/],
    [{ function: 'f', iam: true }, /a direct invoke is always signed/],
    [{ iam: true }, /go with --url or --ssm/],
    [{ url: 'not a url' }, /--url not a url: not a URL/],
    [{ url: 'ftp://x' }, /an http\(s\) URL is expected/],
    [{ ssm: 'baton/x' }, /starts with '\/'/],
  ])('refuses %o (exit 2)', async (flags, message) => {
    await expect(resolveTarget(flags, { cwd: dir, env: {} })).rejects.toThrow(usage(message));
  });
});

describe('exit codes', () => {
  const job = { id: 'j1', operation: 'report', status: 'failed', createdAt: '', updatedAt: '' } as JobView;
  const problem = (status: number) => new BatonProblemError({ type: 'about:blank', title: 'x', status });
  it.each([
    [new UserError('missing'), EXIT.failed],
    [new UserError('wrong', 2), EXIT.usage],
    [new CommanderError(1, 'commander.unknownOption', 'x'), EXIT.usage],
    [new CommanderError(0, 'commander.helpDisplayed', 'x'), EXIT.ok],
    [problem(400), EXIT.badInput],
    [problem(404), EXIT.badInput],
    [problem(429), EXIT.transport],
    [problem(503), EXIT.transport],
    [new BatonJobFailedError(job, { type: 'Refused', message: 'no', retryable: false }), EXIT.jobFailed],
    [new BatonJobCancelledError({ ...job, status: 'cancelled' }), EXIT.jobCancelled],
    [new BatonTransportError('unreachable', { attempts: 3 }), EXIT.transport],
    [new BatonFunctionError('Unhandled', {}), EXIT.transport],
    [new FailedEventNotFound('gone'), EXIT.badInput],
    [new Interrupted('left running'), EXIT.interrupted],
    [new TypeError('a bug'), EXIT.failed],
  ])('%s → %i', (error, code) => {
    expect(exitCodeFor(error).code).toBe(code);
  });

  it('are listed in baton --help, with the commands', async () => {
    const help = await baton(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['ops [options]', 'run [options] <operation> [key=value...]', 'jobs', 'failed']) {
      expect(help.stdout).toContain(command);
    }
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toMatch(/ 3 +the service refused the request/);
    expect(help.stdout).toMatch(/ 130 +interrupted while waiting; the job was left running/);
    const run = await baton(['run', '--help']);
    expect(run.stdout).toContain('--input-file <file>');
    expect(run.stdout).toContain('--door <door>');
    expect(run.stdout).toContain('baton run report records=50000000 --async --wait > report.json');
    expect(await baton(['jobs', 'list', '--limit', '0'])).toMatchObject({ code: 2 });
    expect(await baton(['jobs', 'list', '--status', 'done'])).toMatchObject({ code: 2 });
    expect(await baton(['run', 'x', '--door', 'ftp'])).toMatchObject({ code: 2 });
  });
});

describe('plain output', () => {
  const tty = { write: () => true, isTTY: true };
  const pipe = { write: () => true };

  it('is chosen off a terminal, under NO_COLOR, TERM=dumb and CI; --json wins', () => {
    expect(outputMode({ stdout: tty, stderr: tty }, {}, false)).toBe('tty');
    expect(outputMode({ stdout: pipe, stderr: tty }, {}, false)).toBe('plain');
    expect(outputMode({ stdout: tty, stderr: tty }, { NO_COLOR: '1' }, false)).toBe('plain');
    expect(outputMode({ stdout: tty, stderr: tty }, { TERM: 'dumb' }, false)).toBe('plain');
    expect(outputMode({ stdout: tty, stderr: tty }, { CI: 'true' }, false)).toBe('plain');
    expect(outputMode({ stdout: tty, stderr: tty }, {}, true)).toBe('json');
  });

  it('prints a progress line per change: percent, message, elapsed, ETA', () => {
    expect(
      progressLine({
        jobId: 'j',
        status: 'running',
        fraction: 0.275,
        message: '137500000 of 500000000 records',
        elapsedMs: 12_000,
        etaMs: 16_400,
      }),
    ).toBe('27% 137500000 of 500000000 records (elapsed 12s, eta 16s)');
    expect(progressLine({ jobId: 'j', status: 'queued', elapsedMs: 400 })).toBe('queued (elapsed 0s)');
    expect([59_400, 61_000, 3_725_000].map(formatDuration)).toEqual(['59s', '1m 01s', '1h 02m']);
  });

  it('throttles lines (a status change always shows) and ends a finished job at 100 %', () => {
    let text = '';
    let now = 0;
    const view = progressView({
      mode: 'plain',
      stderr: { write: (t: string) => (text += t) },
      now: () => now,
    });
    const at = (ms: number, status: 'queued' | 'running', fraction?: number) => {
      now = ms;
      view.update({
        jobId: 'j',
        status,
        elapsedMs: ms,
        ...(fraction !== undefined && { fraction, message: `${fraction * 100} of 100` }),
      });
    };
    at(0, 'queued');
    at(200, 'running');
    at(400, 'running', 0.1);
    at(900, 'running', 0.2); // within a second of the last line: left out
    at(1_500, 'running', 0.3);
    at(1_600, 'running', 0.3);
    view.finish('j', 'succeeded', 2_000);
    expect(text).toBe(
      [
        'queued (elapsed 0s)',
        'running (elapsed 0s)',
        '30% 30 of 100 (elapsed 2s)',
        '100% 30 of 100 (elapsed 2s)',
        'succeeded (elapsed 2s)',
        '',
      ].join('\n'),
    );
    expect(text).not.toContain('\x1b');
  });

  it('names the job on each line when several are followed', () => {
    let text = '';
    const view = progressView({ mode: 'plain', multi: true, stderr: { write: (t: string) => (text += t) } });
    view.track('a', 'report abc');
    view.update({ jobId: 'a', status: 'running', elapsedMs: 0 });
    view.finish('a', 'cancelled', 1_000);
    expect(text).toBe('report abc: running (elapsed 0s)\nreport abc: cancelled (elapsed 1s)\n');
  });

  it('estimates what is left from the rate the job was seen moving at', () => {
    const job = (fraction: number) =>
      ({
        id: 'j',
        operation: 'report',
        status: 'running',
        progress: { fraction },
        createdAt: '',
        updatedAt: '',
      }) as JobView;
    expect(progressUpdate(job(0.2), 1_000, undefined)).not.toHaveProperty('etaMs');
    expect(progressUpdate(job(0.6), 3_000, { fraction: 0.2, atMs: 1_000 })).toMatchObject({
      fraction: 0.6,
      etaMs: 2_000,
    });
  });

  it('lays out jobs and operations as tables people read', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    expect(
      jobsTable(
        [
          {
            id: 'abc',
            operation: 'report',
            status: 'running',
            progress: { fraction: 0.5, message: '5 of 10' },
            cancelRequested: true,
            createdAt: '2026-01-01T00:00:00Z',
            updatedAt: '',
          },
          {
            id: 'defgh',
            operation: 'checksum',
            status: 'succeeded',
            createdAt: '2026-01-01T00:00:30Z',
            updatedAt: '',
          },
        ],
        now,
      ),
    ).toBe(
      [
        'ID     OPERATION  STATUS                PROGRESS     CREATED',
        'abc    report     running (cancelling)  50% 5 of 10  1m 00s ago',
        'defgh  checksum   succeeded             -            30s ago',
      ].join('\n'),
    );
    expect(
      renderOperations([
        {
          name: 'greet',
          description: 'Greets someone.',
          inputSchema: {
            type: 'object',
            properties: { name: { type: 'string', minLength: 1 }, loud: { type: 'boolean', default: false } },
            required: ['name'],
          },
          outputSchema: {},
        },
      ]),
    ).toBe(
      'greet — Greets someone.\n  name: string (≥ 1 chars)\n  loud?: boolean, default false\n  e.g. baton run greet name=hello',
    );
  });
});
