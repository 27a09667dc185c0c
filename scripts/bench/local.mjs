/**
 * Part `local` of `pnpm bench`: the example service on this machine, measured from the outside, as a user runs
 * it, against a bare node server on the same machine.
 *
 * - startup: `baton dev` (the runner: `node packages/cli/bin/baton.js dev`, as `pnpm start` ends up running it)
 *   and `pnpm start` (through the workspace's own pnpm), each as a process from spawn until the endpoints file
 *   is written and until the banner is printed, warm (a kept data folder, after an unmeasured first start);
 *   a bare `node` http server's spawn → listening for scale.
 * - gateway: autocannon, REST API `POST /jobs` checksum (sync), 10 connections, against a bare node http
 *   server (its own process) that parses the same body, hashes and answers the same JSON.
 * - Invoke API: the real @aws-sdk/client-lambda, RequestResponse checksum invocations one after another, each
 *   followed by the same client against a bare node server answering the same payload.
 * - async pipeline: jobs submitted through the HTTP API door (`Prefer: respond-async`) by 10 concurrent
 *   clients; submit latency; submit → all succeeded, in jobs/s.
 * - memory: RSS and threads summed over the `baton dev` process tree (/proc), idle after start, after the jobs,
 *   and after an idle time.
 *
 * - profiles (skipped with `--no-profile`), after all the above: a `baton dev` of its own under `node --cpu-prof`,
 *   whose function threads profile themselves too, driven through gateway load, Invoke calls and async jobs (see
 *   profilePass); the profiles go to .reports/bench/profiles/local/ and their summaries (CPU a request / call /
 *   job, by thread and owner) into the JSON.
 *
 * Plain node, no build: `node scripts/bench/local.mjs <out.json> [--quick] [--jobs N] [--idle-seconds S]
 * [--no-profile] [--profile-load-seconds S] [--profile-invokes N] [--profile-jobs N]`.
 * Every instance runs on its own free ports with a temporary data folder, so it can run beside a `pnpm start`;
 * it does rewrite apps/example/.baton/endpoints.json, as any `baton dev` there does.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import autocannon from 'autocannon';
import {
  attribute as attributeProfile,
  merge,
  newResolver,
  summarize,
  threadOfFile,
} from './profile-summary.mjs';

// The AWS SDK's notice that its 2027 releases need Node 22: about this machine's Node, not the measurement.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const args = process.argv.slice(2);
const outFile = args.find((a) => !a.startsWith('--')) ?? '.reports/bench/local.json';
const quick = args.includes('--quick');
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const STARTUP_RUNS = option('--startup-runs', quick ? 1 : 3);
const LOAD_SECONDS = option('--load-seconds', quick ? 3 : 8);
const LOAD_ROUNDS = quick ? 1 : 2;
const INVOKES = option('--invokes', quick ? 100 : 500);
const JOBS = option('--jobs', quick ? 100 : 10_000);
const JOBS_CAP_MS = option('--jobs-cap-seconds', quick ? 30 : 120) * 1000;
const IDLE_SECONDS = option('--idle-seconds', quick ? 5 : 30);
/** `baton dev --environment-ttl`: shorter than the idle wait, so that the memory after it shows reaping. */
const ENVIRONMENT_TTL_SECONDS = option('--environment-ttl', Math.max(1, IDLE_SECONDS - 10));
// The profiling pass, after the measurements, on an instance of its own (`--no-profile`: none).
const PROFILE = !args.includes('--no-profile');
const PROFILE_LOAD_SECONDS = option('--profile-load-seconds', quick ? 2 : 5);
const PROFILE_INVOKES = option('--profile-invokes', quick ? 100 : 300);
const PROFILE_JOBS = option('--profile-jobs', quick ? 100 : 500);
const PROFILE_INTERVAL_US = 500;
const CONNECTIONS = 10;

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const appDir = join(root, 'apps', 'example');
const endpointsFile = join(appDir, '.baton', 'endpoints.json');
const batonBin = join(root, 'packages', 'cli', 'bin', 'baton.js');
const pnpmBin = join(root, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
const CHECKSUM = { operation: 'checksum', input: { text: 'hello' } };
const CHECKSUM_BODY = JSON.stringify(CHECKSUM);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const median = (values) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const percentile = (values, p) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The first of five consecutive free ports on loopback. */
async function freeBasePort() {
  const probe = (port) =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let free = true;
    for (let offset = 0; offset < 5 && free; offset++) free = await probe(base + offset);
    if (free) return base;
  }
  throw new Error('No five consecutive free ports found.');
}

// ---------------------------------------------------------------------------------------------------------
// The process tree of a pid, from /proc: RSS and threads summed.
function processTable() {
  const table = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const field = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      table.push({
        pid: Number(name),
        ppid: field('PPid'),
        rssKb: field('VmRSS'),
        threads: field('Threads'),
        command: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').slice(0, 3).join(' '),
      });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}
function treeOf(pid) {
  const table = processTable();
  const inTree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  const members = table.filter((p) => inTree.has(p.pid));
  return {
    processes: members.length,
    rssMb: members.reduce((sum, p) => sum + p.rssKb, 0) / 1024,
    threads: members.reduce((sum, p) => sum + p.threads, 0),
    biggest: members
      .sort((a, b) => b.rssKb - a.rssKb)
      .slice(0, 5)
      .map((p) => ({
        rssMb: Math.round(p.rssKb / 1024),
        threads: p.threads,
        command: shortCommand(p.command),
      })),
  };
}
const shortCommand = (command) =>
  command
    .replaceAll(root, '.')
    .replace(/\/[^ ]*\/node\b/, 'node')
    .slice(0, 120);

// ---------------------------------------------------------------------------------------------------------
// Starting and stopping `baton dev`.
/** `nodeArgs`: flags for node itself, before the script (`baton dev` only): the profiling pass's `--cpu-prof…`. */
function startBaton(how, base, dataDir, nodeArgs = []) {
  const devArgs = ['--port', String(base), '--data-dir', dataDir, '--quiet'];
  const [command, commandArgs, cwd] =
    how === 'pnpm start'
      ? [process.execPath, [pnpmBin, 'start', ...devArgs], root]
      : [process.execPath, [...nodeArgs, batonBin, 'dev', ...devArgs], appDir];
  const startedAt = nowMs();
  const child = spawn(command, commandArgs, {
    cwd,
    env: {
      ...process.env,
      FORCE_COLOR: '0',
      NO_COLOR: '1',
      BATON_ENVIRONMENT_TTL: String(ENVIRONMENT_TTL_SECONDS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stopped as a whole, as Ctrl-C does
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const marker = `:${base + 3}`;
  const ready = (async () => {
    let endpointsMs;
    let bannerMs;
    for (;;) {
      if (endpointsMs === undefined && existsSync(endpointsFile)) {
        try {
          if (readFileSync(endpointsFile, 'utf8').includes(marker)) endpointsMs = nowMs() - startedAt;
        } catch {}
      }
      if (bannerMs === undefined && / is up in /.test(output)) bannerMs = nowMs() - startedAt;
      if (endpointsMs !== undefined && bannerMs !== undefined) break;
      if (child.exitCode !== null) throw new Error(`${how} exited ${child.exitCode}: ${output.slice(-1500)}`);
      if (nowMs() - startedAt > 120_000) throw new Error(`${how} not up after 120 s: ${output.slice(-1500)}`);
      await sleep(5);
    }
    const selfReported = /is up in ([\d.]+) s/.exec(output)?.[1];
    return { endpointsMs, bannerMs, selfReportedMs: selfReported ? Number(selfReported) * 1000 : undefined };
  })();
  const endpoints = () => JSON.parse(readFileSync(endpointsFile, 'utf8'));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGINT');
    } catch {}
    const done = await Promise.race([exited, sleep(20_000).then(() => undefined)]);
    if (!done) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      await exited;
    }
  };
  return { child, ready, endpoints, stop, output: () => output };
}

/** A bare node http server in its own process: the floor of the gateway, the Invoke API and startup. */
function startBare() {
  const code = `
    const http = require('node:http');
    const { createHash } = require('node:crypto');
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        const text = body.input?.text ?? '';
        const result = { algorithm: 'sha256', digest: createHash('sha256').update(text, 'utf8').digest('hex'),
          bytes: Buffer.byteLength(text, 'utf8') };
        const payload = JSON.stringify({ status: 'succeeded', result });
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
      });
    });
    server.keepAliveTimeout = 60000;
    server.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));`;
  const startedAt = nowMs();
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const port = /listening (\d+)/.exec(out)?.[1];
      if (port) resolve({ port: Number(port), startupMs: nowMs() - startedAt });
    });
    child.on('exit', (code) => reject(new Error(`bare server exited ${code}`)));
  });
  return {
    ready,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The loads, the same for the measurements and the profiling pass.
const load = (url, seconds) =>
  autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: CHECKSUM_BODY,
    connections: CONNECTIONS,
    duration: seconds,
  });
const clientFor = (endpoint) =>
  new LambdaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const payload = new TextEncoder().encode(CHECKSUM_BODY);
const invokeOnce = async (client, functionName) => {
  const t0 = nowMs();
  const response = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: payload }));
  const ms = nowMs() - t0;
  const body = JSON.parse(new TextDecoder().decode(response.Payload));
  if (response.FunctionError || body.status !== 'succeeded')
    throw new Error(`invoke: ${JSON.stringify(body)}`);
  return ms;
};

/**
 * `jobs` jobs submitted through the HTTP API door by CONNECTIONS clients (submitting capped at `capMs`), then
 * waited for until all are done.
 */
async function runJobs(endpoints, jobs, capMs) {
  const httpJobs = `${endpoints.httpApi}/jobs`;
  const submitLatencies = [];
  const jobIds = [];
  let submitErrors = 0;
  let next = 0;
  const pipelineStart = nowMs();
  const submitter = async () => {
    while (next < jobs && nowMs() - pipelineStart < capMs) {
      const index = next++;
      const t0 = nowMs();
      const response = await fetch(httpJobs, {
        method: 'POST',
        headers: { 'content-type': 'application/json', prefer: 'respond-async' },
        body: JSON.stringify({ operation: 'checksum', input: { text: `job ${index}` } }),
      });
      const body = await response.json();
      submitLatencies.push(nowMs() - t0);
      if (response.status === 202 && body.jobId) jobIds[index] = body.jobId;
      else submitErrors++;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, submitter));
  const submitMs = nowMs() - pipelineStart;
  const submitted = jobIds.filter(Boolean);
  const statusOf = async (id) => {
    const response = await fetch(`${endpoints.httpApi}/jobs/${encodeURIComponent(id)}`);
    return (await response.json()).status;
  };
  // Done when the last one submitted is: then every job is checked (jobs run about in order), and any still
  // unfinished is waited for.
  const deadline = pipelineStart + capMs + (quick ? 20_000 : 60_000);
  let lastDoneAt;
  const last = submitted.at(-1);
  while (last && nowMs() < deadline) {
    if (['succeeded', 'failed', 'cancelled'].includes(await statusOf(last))) break;
    await sleep(50);
  }
  lastDoneAt = nowMs();
  let pending = [...submitted];
  const outcomes = {};
  while (pending.length > 0 && nowMs() < deadline) {
    const stillPending = [];
    let cursor = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (cursor < pending.length) {
          const id = pending[cursor++];
          const status = await statusOf(id);
          if (status === 'queued' || status === 'running') stillPending.push(id);
          else outcomes[status] = (outcomes[status] ?? 0) + 1;
        }
      }),
    );
    if (stillPending.length > 0) lastDoneAt = nowMs();
    pending = stillPending;
    if (pending.length > 0) await sleep(200);
  }
  const succeeded = outcomes.succeeded ?? 0;
  return {
    requested: jobs,
    submitted: submitted.length,
    submitErrors,
    succeeded,
    failed: outcomes.failed ?? 0,
    unfinished: pending.length,
    cappedAtSeconds: submitted.length < jobs ? capMs / 1000 : undefined,
    submitSeconds: submitMs / 1000,
    submitPerSecond: submitted.length / (submitMs / 1000),
    submitToSucceededSeconds: (lastDoneAt - pipelineStart) / 1000,
    jobsPerSecond: succeeded / ((lastDoneAt - pipelineStart) / 1000),
    submitP50Ms: percentile(submitLatencies, 50),
    submitP99Ms: percentile(submitLatencies, 99),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The profiling pass: a new `baton dev` under `node --cpu-prof` (the Lambda service hands the flags on to its
// function threads, each writing its own profile when it ends), driven through three phases — REST gateway
// load, Invoke API calls one at a time, async jobs — each a window of time; then stopped with SIGINT, as Ctrl-C
// does, so that every thread writes its profile. Each profile's samples are cut to each phase's window (the
// profiles' timestamps and this process's hrtime read the same monotonic clock).
const profileDir = join(root, '.reports', 'bench', 'profiles', 'local');
/** A failed profiling pass is recorded as such; the measurements before it stand. */
const profileError = (error) => ({
  error: error instanceof Error ? (error.stack ?? error.message) : String(error),
});

async function profilePass() {
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  const passStarted = nowMs();
  const nodeArgs = [
    '--cpu-prof',
    `--cpu-prof-dir=${profileDir}`,
    `--cpu-prof-interval=${PROFILE_INTERVAL_US}`,
  ];
  const baton = startBaton('baton dev', await freeBasePort(), join(dataRoot, 'profile'), nodeArgs);
  const phases = [];
  const windowed = async (phase, during) => {
    const fromUs = nowMs() * 1000;
    const counted = await during();
    const toUs = nowMs() * 1000;
    phases.push({ ...phase, ...counted, wallMs: (toUs - fromUs) / 1000, window: { fromUs, toUs } });
  };
  let lambda;
  try {
    await baton.ready;
    const endpoints = baton.endpoints();
    const restUrl = `${endpoints.restApi}/jobs`;
    // The function's environments started, outside the window: CONNECTIONS requests at once, each awaited (a
    // load cut short leaves requests running, and the next load starts more environments beside them), then
    // 1-s loads until the rate stops growing.
    for (let i = 0; i < 2; i++) {
      await Promise.all(
        Array.from({ length: CONNECTIONS }, () =>
          fetch(restUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: CHECKSUM_BODY,
          }).then((response) => response.arrayBuffer()),
        ),
      );
    }
    for (let i = 0, previous = 0; i < 6; i++) {
      const total = (await load(restUrl, 1)).requests.total;
      if (previous > 0 && total < previous * 1.2) break;
      previous = total;
    }
    await windowed(
      {
        id: 'gateway',
        title: `REST API gateway, sync \`POST /jobs\` checksum, autocannon ${CONNECTIONS} connections`,
        unit: 'request',
        serving: [endpoints.functions.api],
      },
      async () => {
        const r = await load(restUrl, PROFILE_LOAD_SECONDS);
        return { count: r.requests.total, non2xx: r.non2xx };
      },
    );
    lambda = clientFor(endpoints.invoke);
    for (let i = 0; i < 20; i++) await invokeOnce(lambda, endpoints.functions.rpc);
    await windowed(
      {
        id: 'invoke',
        title: 'Invoke API, real SDK, one call at a time',
        unit: 'call',
        serving: [endpoints.functions.rpc],
      },
      async () => {
        for (let i = 0; i < PROFILE_INVOKES; i++) await invokeOnce(lambda, endpoints.functions.rpc);
        return { count: PROFILE_INVOKES };
      },
    );
    await windowed(
      {
        id: 'async',
        title: `async jobs through the HTTP API door, ${CONNECTIONS} submitters, until all succeeded`,
        unit: 'job',
        serving: [endpoints.functions.api, endpoints.functions.worker],
      },
      async () => {
        const jobs = await runJobs(endpoints, PROFILE_JOBS, 30_000);
        return { count: jobs.succeeded, jobsPerSecond: jobs.jobsPerSecond };
      },
    );
  } finally {
    lambda?.destroy();
    await baton.stop();
  }

  // Each file: the main thread (thread 0) or a function's environment (its bundle named in the frames).
  const resolver = newResolver();
  const files = readdirSync(profileDir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => {
      const text = readFileSync(join(profileDir, name), 'utf8');
      const fn = /\.baton\/bundles\/([^/.][^/]*)\/index\.mjs/.exec(text)?.[1];
      const thread = threadOfFile(name);
      const group =
        thread?.threadId === 0
          ? 'main thread'
          : fn
            ? `function ${fn}`
            : text.includes('node:internal/modules/esm/worker')
              ? 'module loader hooks thread (tsx)'
              : 'other threads';
      return { name, group, profile: JSON.parse(text) };
    });
  const summaryPhases = phases.map(({ window, ...phase }) => {
    const byGroup = new Map();
    for (const file of files) {
      if (file.profile.endTime < window.fromUs || file.profile.startTime > window.toUs) continue;
      const attribution = attributeProfile(file.profile, {
        window,
        resolver,
        intervalUs: PROFILE_INTERVAL_US,
      });
      if (attribution.samples === 0) continue;
      byGroup.set(file.group, [...(byGroup.get(file.group) ?? []), attribution]);
    }
    const perUnit = (summary) => (phase.count > 0 ? summary.busyMs / phase.count : undefined);
    // A function that does not serve the phase (the scheduled reconciler starting meanwhile, an environment of
    // another phase's function ending) is shown, not counted.
    const counted = (group) => !group.startsWith('function ') || phase.serving.includes(group.slice(9));
    const groups = [...byGroup].map(([group, list]) => {
      const summary = summarize(merge(list), { topFunctions: 8 });
      return {
        group,
        threads: list.length,
        counted: counted(group),
        busyMsPerUnit: perUnit(summary),
        ...summary,
      };
    });
    groups.sort((a, b) => Number(b.counted) - Number(a.counted) || b.busyMs - a.busyMs);
    const whole = summarize(
      merge([...byGroup].filter(([group]) => counted(group)).flatMap(([, list]) => list)),
      {
        topFunctions: 15,
      },
    );
    return { ...phase, whole: { ...whole, busyMsPerUnit: perUnit(whole) }, groups };
  });
  return {
    intervalUs: PROFILE_INTERVAL_US,
    dir: '.reports/bench/profiles/local',
    files: files.length,
    durationMs: nowMs() - passStarted,
    phases: summaryPhases,
  };
}

// ---------------------------------------------------------------------------------------------------------
const result = {
  part: 'local',
  quick,
  settings: {},
  startup: {},
  gateway: {},
  invoke: {},
  async: {},
  memory: {},
};
result.settings = {
  startupRuns: STARTUP_RUNS,
  loadSeconds: LOAD_SECONDS,
  loadRounds: LOAD_ROUNDS,
  connections: CONNECTIONS,
  invokes: INVOKES,
  jobs: JOBS,
  jobsCapSeconds: JOBS_CAP_MS / 1000,
  idleSeconds: IDLE_SECONDS,
  environmentTtlSeconds: ENVIRONMENT_TTL_SECONDS,
};
const started = Date.now();
const dataRoot = mkdtempSync(join(tmpdir(), 'baton-bench-'));
const cleanups = [];
try {
  // --- startup ---------------------------------------------------------------------------------------------
  // Warm, as a developer's second start is: each way keeps its data folder (the jobs table exists), and outside
  // --quick a first, unmeasured start of each warms the file cache and the TypeScript loader's cache.
  const startupRuns = { 'baton dev': [], 'pnpm start': [], 'bare node server': [] };
  const startOnce = async (how) => {
    const instance = startBaton(
      how,
      await freeBasePort(),
      join(dataRoot, `startup-${how.replace(' ', '-')}`),
    );
    try {
      return await instance.ready;
    } finally {
      await instance.stop();
    }
  };
  if (!quick) for (const how of ['baton dev', 'pnpm start']) await startOnce(how);
  for (let i = 0; i < STARTUP_RUNS; i++) {
    for (const how of i % 2 ? ['pnpm start', 'baton dev'] : ['baton dev', 'pnpm start']) {
      startupRuns[how].push(await startOnce(how));
    }
    const bare = startBare();
    startupRuns['bare node server'].push({ endpointsMs: (await bare.ready).startupMs });
    await bare.stop();
  }
  for (const [how, runs] of Object.entries(startupRuns)) {
    result.startup[how] = {
      runs: runs.length,
      endpointsMs: median(runs.map((r) => r.endpointsMs)),
      bannerMs: median(runs.map((r) => r.bannerMs).filter((v) => v !== undefined)),
      selfReportedMs: median(runs.map((r) => r.selfReportedMs).filter((v) => v !== undefined)),
      all: runs,
    };
  }

  // --- the instance measured from here on ----------------------------------------------------------------
  const base = await freeBasePort();
  const baton = startBaton('baton dev', base, join(dataRoot, 'main'));
  cleanups.push(() => baton.stop());
  await baton.ready;
  const endpoints = baton.endpoints();
  await sleep(2_000);
  result.memory.idleAfterStart = treeOf(baton.child.pid);

  const bare = startBare();
  cleanups.push(() => bare.stop());
  const { port: barePort } = await bare.ready;
  const bareUrl = `http://127.0.0.1:${barePort}`;

  // --- gateway throughput ------------------------------------------------------------------------------------
  const restUrl = `${endpoints.restApi}/jobs`;
  const check = await fetch(restUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: CHECKSUM_BODY,
  });
  const checked = await check.json();
  if (check.status !== 200 || checked.status !== 'succeeded') {
    throw new Error(`the REST API answers ${check.status}: ${JSON.stringify(checked)}`);
  }
  await load(restUrl, 2); // warm: the function's environments are started
  await load(`${bareUrl}/jobs`, 1);
  const gatewayRuns = { baton: [], bare: [] };
  for (let round = 0; round < LOAD_ROUNDS; round++) {
    for (const [id, url] of [
      ['bare', `${bareUrl}/jobs`],
      ['baton', restUrl],
    ]) {
      const r = await load(url, LOAD_SECONDS);
      gatewayRuns[id].push({
        requestsPerSecond: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        total: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
      });
    }
  }
  const summary = (runs) => ({
    rounds: runs.length,
    requests: runs.reduce((s, r) => s + r.total, 0),
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors + r.timeouts, 0),
  });
  result.gateway = {
    baton: summary(gatewayRuns.baton),
    bare: summary(gatewayRuns.bare),
    ratioToBare: median(
      gatewayRuns.baton.map((r, i) => r.requestsPerSecond / gatewayRuns.bare[i].requestsPerSecond),
    ),
  };

  // --- Invoke API round trip ----------------------------------------------------------------------------------
  const batonLambda = clientFor(endpoints.invoke);
  const bareLambda = clientFor(bareUrl);
  cleanups.push(async () => {
    batonLambda.destroy();
    bareLambda.destroy();
  });
  const rpc = endpoints.functions.rpc;
  for (let i = 0; i < 30; i++) {
    await invokeOnce(batonLambda, rpc);
    await invokeOnce(bareLambda, 'bare');
  }
  const invokeMs = { baton: [], bare: [] };
  for (let i = 0; i < INVOKES; i++) {
    invokeMs.baton.push(await invokeOnce(batonLambda, rpc));
    invokeMs.bare.push(await invokeOnce(bareLambda, 'bare'));
  }
  result.invoke = {
    calls: INVOKES,
    baton: { p50Ms: percentile(invokeMs.baton, 50), p99Ms: percentile(invokeMs.baton, 99) },
    bare: { p50Ms: percentile(invokeMs.bare, 50), p99Ms: percentile(invokeMs.bare, 99) },
  };
  result.invoke.ratioToBare = result.invoke.baton.p50Ms / result.invoke.bare.p50Ms;

  // --- async pipeline -----------------------------------------------------------------------------------------
  result.async = await runJobs(endpoints, JOBS, JOBS_CAP_MS);
  const succeeded = result.async.succeeded;
  result.memory.afterJobs = { ...treeOf(baton.child.pid), jobs: succeeded };

  // --- idle ------------------------------------------------------------------------------------------------
  await sleep(IDLE_SECONDS * 1000);
  result.memory.afterIdle = { ...treeOf(baton.child.pid), idleSeconds: IDLE_SECONDS };

  // --- profiles ------------------------------------------------------------------------------------------
  // The instance measured and the bare server are stopped first: the profiled instance runs alone.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  if (PROFILE) result.profile = await profilePass().catch(profileError);
} catch (error) {
  result.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  rmSync(dataRoot, { recursive: true, force: true });
}

const version = (path) => JSON.parse(readFileSync(join(root, path), 'utf8')).version;
result.versions = {
  autocannon: version('scripts/bench/node_modules/autocannon/package.json'),
  '@aws-sdk/client-lambda': version('scripts/bench/node_modules/@aws-sdk/client-lambda/package.json'),
  pnpm: version('node_modules/pnpm/package.json'),
};
result.durationMs = Date.now() - started;
writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(`local: ${((Date.now() - started) / 1000).toFixed(1)} s → ${outFile}`);
if (result.error) {
  console.error(result.error);
  process.exitCode = 1;
}
// Keep-alive sockets of fetch and autocannon must not hold the process.
setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref();
