/**
 * Writes docs/benchmarks.md from the JSON files of `pnpm bench` (.reports/bench/*.json). Every figure comes from
 * those files; the only text kept here is the targets (issue 10) and what to do next where one is not met. Each
 * part's CPU profiles, summarized by the part (scripts/bench/profile-summary.mjs), make the section "Where the
 * time goes", and each target not met cites its own profile's figures.
 *
 *   node scripts/bench/report.mjs                 writes docs/benchmarks.md
 *   node scripts/bench/report.mjs --out <file>    writes <file> instead (to look at it without touching the docs)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, '.reports', 'bench');
const read = (name) => {
  const file = join(dir, `${name}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
};
const run = read('run');
const door = read('door');
const cold = read('cold-start');
const local = read('local');
const suite = read('suite');

/**
 * What to do where a target is not met. The performance work replaces these with what it did and what is left;
 * until then each says where the issue points.
 */
const NEXT_STEPS = {
  door: 'done so far: hand-written access and invoke lines and event check, lazy abort signal, nothing renamed per request (esbuild keepNames was 14% of the door), the run context a class, one pass over headers, a hand check of valid operation bodies (decision 0012 and its addendum); why still slower than middy + @middy/http-router: about 4 µs a request of work its case does not do — the access line 1.3 µs, the hand-over deadline 1.0, the event check 0.6, owner, correlation id and budget 0.5, Prefer, Idempotency-Key and routing 0.4, async layers 0.5 (decision 0012 addendum); next: one shared timer for the hand-over deadlines',
  coldStart:
    "done so far: the parser's schemas (full zod with every locale, 376 KB) out of the bundle (decision 0012); why: the operations' schemas are zod by design, and zod alone (104 KB) is more than 1.15× leaves beside the SDK — the floor plus zod is 1.24×; next: `registry.describe()`'s toJSONSchema (22 KB) loaded on demand, operations on zod/mini once the core accepts it",
  gateway:
    'done so far: no HTTP hop between the emulators and the Lambda service in one process, synchronous source check (decision 0010); why: each request crosses an emulator (event built, checked, answered as API Gateway would) and a thread hand-off into the function, which a bare server does not; next: the reload check from file-system events instead of a stat of every source per invocation (decision 0010 chose the stat so that a file saved just before a call is always seen), one postMessage per invocation',
  invoke:
    "done so far: synchronous source check, fewer messages per invocation (decision 0010); why: the bare server answers from the socket's thread, Baton hands each call to the function's thread and back; next: the reload check's stat of every source per call, then the thread hand-off",
  async:
    'done so far: the claim is one write returning the job, 3 calls a job (decision 0011), bundles built once for all functions, source maps read only when a stack needs one (decision 0014); why: every job is two Lambda invocations and three DynamoDB calls through the real SDK against an embedded DynamoDB, all on the same two cores; next: fewer environment cold starts in a burst (each loads the whole bundle)',
  startup:
    'done so far: esbuild stopped after bundling, bundles cached in .baton/bundles, one esbuild build for all functions (decisions 0010, 0013); next: a built CLI instead of the TypeScript loader',
  memory:
    'done so far: no idle esbuild, idle environments reaped after `--environment-ttl`, source maps read when a stack needs one, a 3 MB young generation (decisions 0010, 0014); why: a burst at the example’s reserved concurrency starts about 33 environments, as Lambda would, at about 27 MB each, and the allocator keeps memory of ended threads (decision 0014); next: fewer environments in a burst where Lambda would also reuse one',
  suite:
    'done so far: two workers, checks beside vitest, one type-check process, bundles built once, longest files first (decision 0013 and its addendum); next: the files that wait on real processes (cli’s `baton dev` files, `pnpm start`)',
};

// ---------------------------------------------------------------------------------------------------------
// Formatting.
const num = (value, digits = 0) =>
  value === undefined || value === null || Number.isNaN(value)
    ? '—'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const us = (ns) => `${num(ns / 1000, ns < 10_000 ? 2 : 1)} µs`;
const ms = (value) => (value === undefined ? '—' : `${num(value, value < 10 ? 2 : value < 100 ? 1 : 0)} ms`);
const s = (msValue) => (msValue === undefined ? '—' : `${num(msValue / 1000, msValue < 10_000 ? 2 : 1)} s`);
/** autocannon's latencies are whole milliseconds (a percentile may fall between two). */
const coarse = (value) => (value === 0 ? '< 1 ms' : ms(value));
const kb = (bytes) => `${num(bytes / 1024)} KB`;
const mb = (value) => `${num(value)} MB`;
const x = (ratio) => `${num(ratio, 2)}×`;
const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
/** A function's name as a table cell: in code, its pipes escaped. */
const fnCell = (name) => `\`${name.replaceAll('|', '\\|')}\``;
const failedBlock = (data) =>
  `**This part failed** (${data?.measuredAt ?? 'no result'}):\n\n\`\`\`\n${String(data?.error ?? 'no output').slice(0, 3000)}\n\`\`\``;
const ok = (data) => data !== undefined && !data.failed;
const measuredNote = (data) =>
  data && run && data.runId !== run.runId ? ` _(from an earlier run, ${data.measuredAt})_` : '';

/** A verdict cell: met, or not met with where its profile says the time goes, and the next step. */
const verdict = (met, next, detail = '', profile = undefined) =>
  met === undefined
    ? `not measured${detail ? ` (${detail})` : ''}`
    : met
      ? `**met**${detail ? ` (${detail})` : ''}`
      : `**not met**${detail ? ` (${detail})` : ''}.${profile ? ` Profile: ${profile}.` : ''} Next step: ${next}`;

// ---------------------------------------------------------------------------------------------------------
// The profiles, as the parts summarized them.
const pct = (value) => `${num(value, value < 10 ? 1 : 0)}%`;
/** An owner's CPU in a summary (ms), or 0. */
const ownerMs = (summary, owner) => summary?.owners?.find((o) => o.owner === owner)?.ms ?? 0;
/** An owner's part of a timed figure: its share of the profile's busy samples × the figure. */
const partOf = (summary, owner, timed) =>
  summary.busyMs > 0 ? (ownerMs(summary, owner) / summary.busyMs) * timed : 0;
/** The owners where `a` spends more than `b` (each the share of its timed figure), biggest first. */
const extraOver = (a, timedA, b, timedB) =>
  [...new Set([...a.owners.map((o) => o.owner), ...b.owners.map((o) => o.owner)])]
    .map((owner) => ({ owner, a: partOf(a, owner, timedA), b: partOf(b, owner, timedB) }))
    .map((row) => ({ ...row, diff: row.a - row.b }))
    .sort((p, q) => q.diff - p.diff);
const topOwners = (summary, n = 4) =>
  summary.owners
    .slice(0, n)
    .map((o) => `${o.owner} ${pct(o.pct)}`)
    .join(', ');
const doorProfile = door?.profile;
const coldProfile = cold?.profile;
const localProfile = local?.profile;
const doorCase = (id) => doorProfile?.cases?.find((c) => c.id === id);
const phaseOf = (id) => localProfile?.phases?.find((p) => p.id === id);
const usCall = (value) => `${num(value, value < 10 ? 2 : 1)} µs`;

/** The door's verdict note: Baton's CPU a call against the floor's, and where the difference goes. */
function doorNote() {
  const baton = doorCase('rest/baton-info');
  const floor = doorCase('rest/bare');
  if (!baton || !floor) return undefined;
  const extra = extraOver(baton, baton.timedUs, floor, floor.timedUs).filter((r) => r.diff > 0);
  return `the timed +${usCall(baton.timedUs - floor.timedUs)} over the floor, split by the profiles' shares, is mostly ${extra
    .slice(0, 4)
    .map((r) => `${r.owner} +${usCall(r.diff)}`)
    .join(', ')}${hotFunction(baton)} (see "Where the time goes")`;
}
/** The cold start's verdict note: Baton's CPU a cold start against the floor's. */
function coldNote() {
  const baton = coldProfile?.bundles?.find((b) => b.id === 'baton');
  const floor = coldProfile?.bundles?.find((b) => b.floor);
  if (!baton || !floor) return undefined;
  const extra = extraOver(baton, baton.profiledMsPerRun, floor, floor.profiledMsPerRun).filter(
    (r) => r.diff > 0,
  );
  return `${ms(baton.profiledMsPerRun)} of CPU a cold start against the floor's ${ms(floor.profiledMsPerRun)}, the difference mostly ${extra
    .slice(0, 4)
    .map((r) => `${r.owner} +${ms(r.diff)}`)
    .join(', ')}`;
}
/** The hottest function of a summary that is code (not GC, not `(program)`), as a clause. */
function hotFunction(summary) {
  const hot = summary.functions.find((f) => !f.fn.startsWith('('));
  return hot ? `; hottest function \`${hot.fn}\` ${pct(hot.pct)}` : '';
}
/** A local phase's verdict note: CPU a unit, by thread, and the top owners. */
function phaseNote(id) {
  const phase = phaseOf(id);
  if (!phase?.whole) return undefined;
  const groups = phase.groups.filter((g) => g.busyMs > 0 && g.counted !== false).slice(0, 3);
  return `${ms(phase.whole.busyMsPerUnit)} of CPU a ${phase.unit} in all threads (${groups
    .map((g) => `${g.group}${g.threads > 1 ? ` ×${g.threads}` : ''} ${ms(g.busyMsPerUnit)}`)
    .join(', ')}); top: ${topOwners(phase.whole, 4)}${hotFunction(phase.whole)}`;
}
/** Memory's note: how many function threads the profiled job burst started. */
function memoryNote() {
  const phase = phaseOf('async');
  if (!phase) return undefined;
  const fns = phase.groups.filter((g) => g.group.startsWith('function '));
  return `${fns.reduce((n, g) => n + g.threads, 0)} function threads ran during the profiled burst of ${num(phase.count)} jobs (${fns
    .map((g) => `${g.group.replace('function ', '')} ${g.threads}`)
    .join(', ')})`;
}

// ---------------------------------------------------------------------------------------------------------
// The targets, from the measurements.
const targets = [];

{
  const rest = door?.groups?.find((g) => g.id === 'rest');
  const find = (id) => rest?.cases.find((c) => c.id === id);
  const baton = find('baton-info');
  const peers = ['bare-powertools-schema', 'middy', 'hono', 'powertools-router'].map(find).filter(Boolean);
  if (ok(door) && baton && rest) {
    const floor = find('bare');
    const fastestPeer = peers.reduce((best, c) => (c.medianNs < best.medianNs ? c : best));
    const beatsAll = peers.every((c) => baton.medianNs < c.medianNs);
    const overOk = baton.overFloorUs <= 10;
    targets.push([
      'door, warm REST `POST /jobs`, quick sync op, in-memory store',
      'faster than every peer, ≤ 10 µs over the floor, with the access log line at INFO',
      `${us(baton.medianNs)} with its INFO access line (${us(find('baton').medianNs)} without), ${x(baton.ratioToFloor)} the bare floor (${us(floor.medianNs)}), +${num(baton.overFloorUs, 1)} µs; ${peers.map((c) => `${c.name.replace(/ \(.*\)$/, '')} ${us(c.medianNs)}`).join('; ')}`,
      verdict(
        beatsAll && overOk,
        NEXT_STEPS.door,
        [
          beatsAll ? 'faster than every peer' : `slower than ${fastestPeer.name.replace(/ \(.*\)$/, '')}`,
          overOk ? '≤ 10 µs over the floor' : `${num(baton.overFloorUs, 1)} µs over the floor`,
        ].join('; '),
        doorNote(),
      ),
    ]);
  } else {
    targets.push([
      'door, warm REST `POST /jobs`',
      'faster than every peer, ≤ 10 µs over the floor, at INFO',
      '—',
      verdict(undefined, '', 'the door part failed'),
    ]);
  }
}

{
  const baton = cold?.bundles?.find((b) => b.id === 'baton');
  if (ok(cold) && baton) {
    const peers = cold.bundles.filter((b) => !b.floor && b.id !== 'baton');
    const bytesOk = baton.bytesRatio <= 1.15;
    const timeOk = baton.wallRatio <= 1.15;
    targets.push([
      'cold start of the deployed API handler bundle (esbuild, SDK inside)',
      '≤ 1.15× the floor in bytes and in import + first call',
      `${kb(baton.bytes)}, ${x(baton.bytesRatio)} the SDK-only floor in bytes (zod ${kb(baton.zodBytes)} of it); import + first call ${x(baton.wallRatio)} as whole processes (import alone ${x(baton.importRatio)}); ${peers.map((p) => `${p.id === 'hono' ? 'Hono' : 'Powertools router'} ${x(p.wallRatio)}`).join(', ')}`,
      verdict(
        bytesOk && timeOk,
        NEXT_STEPS.coldStart,
        [
          bytesOk ? 'bytes within 1.15×' : 'bytes over 1.15×',
          timeOk ? 'import + first call within 1.15×' : 'import + first call over 1.15×',
        ].join('; '),
        coldNote(),
      ),
    ]);
  } else {
    targets.push([
      'cold start of the deployed API handler bundle',
      '≤ 1.15× the floor in bytes and in import + first call',
      '—',
      verdict(undefined, '', 'the cold-start part failed'),
    ]);
  }
}

const localPartial = local?.failed ? 'the local part failed' : 'the local part did not run';
{
  const g = local?.gateway;
  targets.push(
    g?.baton
      ? [
          'local REST API, sync `POST /jobs` checksum, 10 connections',
          '≥ ⅓ of the bare node server',
          `${num(g.baton.requestsPerSecond)} req/s, p99 ${ms(g.baton.p99Ms)}; bare node server ${num(g.bare.requestsPerSecond)} req/s: ${x(g.ratioToBare)} of it`,
          verdict(g.ratioToBare >= 1 / 3, NEXT_STEPS.gateway, '', phaseNote('gateway')),
        ]
      : [
          'local REST API, sync `POST /jobs`, 10 connections',
          '≥ ⅓ of the bare node server',
          '—',
          verdict(undefined, '', localPartial),
        ],
  );
}
{
  const i = local?.invoke;
  targets.push(
    i?.baton
      ? [
          'local Invoke API round trip, real SDK',
          'p50 ≤ 1 ms',
          `p50 ${ms(i.baton.p50Ms)}, p99 ${ms(i.baton.p99Ms)}; the same SDK against a bare node server p50 ${ms(i.bare.p50Ms)} (${x(i.ratioToBare)})`,
          verdict(i.baton.p50Ms <= 1, NEXT_STEPS.invoke, '', phaseNote('invoke')),
        ]
      : ['local Invoke API round trip, real SDK', 'p50 ≤ 1 ms', '—', verdict(undefined, '', localPartial)],
  );
}
{
  const a = local?.async;
  const writes = door?.storeCalls?.writesPerJob;
  if (a?.submitted !== undefined) {
    const rateOk = a.jobsPerSecond >= 300;
    const p99Ok = a.submitP99Ms <= 50;
    const writesOk = writes === undefined ? undefined : writes <= 3;
    targets.push([
      'async jobs, submit → succeeded, through the HTTP API door',
      '≥ 300 jobs/s, submit p99 ≤ 50 ms, still ≤ 3 DynamoDB writes a job',
      `${num(a.jobsPerSecond, 1)} jobs/s (${num(a.succeeded)} jobs${a.cappedAtSeconds ? `, submitting capped at ${a.cappedAtSeconds} s` : ''}); submit p50 ${ms(a.submitP50Ms)}, p99 ${ms(a.submitP99Ms)}; ${writes === undefined ? 'writes not counted' : `${num(writes, 2)} writes a job`}`,
      verdict(
        rateOk && p99Ok && writesOk !== false,
        NEXT_STEPS.async,
        [
          rateOk ? 'rate met' : 'rate not met',
          p99Ok ? 'p99 met' : 'p99 not met',
          writesOk === undefined ? 'writes not counted' : writesOk ? 'writes met' : 'writes not met',
        ].join('; '),
        phaseNote('async'),
      ),
    ]);
  } else {
    targets.push([
      'async jobs, submit → succeeded',
      '≥ 300 jobs/s, submit p99 ≤ 50 ms, ≤ 3 writes a job',
      '—',
      verdict(undefined, '', localPartial),
    ]);
  }
}
{
  const runner = local?.startup?.['baton dev'];
  const viaPnpm = local?.startup?.['pnpm start'];
  if (runner?.runs && viaPnpm?.runs) {
    const runnerOk = runner.endpointsMs <= 1000;
    const pnpmOk = viaPnpm.endpointsMs <= 2000;
    targets.push([
      '`pnpm start` → endpoints written',
      '≤ 1 s for the runner itself, ≤ 2 s through `pnpm start`',
      `runner (\`baton dev\`) ${s(runner.endpointsMs)}, through \`pnpm start\` ${s(viaPnpm.endpointsMs)} (banner at ${s(runner.bannerMs)} / ${s(viaPnpm.bannerMs)}); a bare node server listens after ${s(local.startup['bare node server']?.endpointsMs)}`,
      verdict(
        runnerOk && pnpmOk,
        NEXT_STEPS.startup,
        [
          runnerOk ? 'runner met' : 'runner not met',
          pnpmOk ? '`pnpm start` met' : '`pnpm start` not met',
        ].join('; '),
      ),
    ]);
  } else {
    targets.push([
      '`pnpm start` → endpoints written',
      '≤ 1 s runner, ≤ 2 s `pnpm start`',
      '—',
      verdict(undefined, '', localPartial),
    ]);
  }
}
{
  const m = local?.memory;
  if (m?.idleAfterStart) {
    const idleOk = m.idleAfterStart.rssMb <= 250;
    const jobs = m.afterJobs?.jobs ?? 0;
    const afterOk =
      m.afterJobs === undefined
        ? undefined
        : m.afterJobs.rssMb <= 500
          ? jobs >= 10_000
            ? true
            : undefined
          : false;
    const reaped = m.afterIdle === undefined ? undefined : m.afterIdle.threads < m.afterJobs.threads;
    const parts = [
      idleOk ? 'idle met' : 'idle not met',
      afterOk === undefined
        ? `after jobs not shown (${num(jobs)} jobs run, not 10,000)`
        : afterOk
          ? 'after 10,000 jobs met'
          : 'after jobs not met',
      reaped === undefined ? 'reaping not measured' : reaped ? 'idle environments reaped' : 'nothing reaped',
    ];
    targets.push([
      'memory of the local stack (process tree)',
      '≤ 250 MB idle, ≤ 500 MB after 10,000 jobs, idle environments reaped after a configurable idle time',
      `${mb(m.idleAfterStart.rssMb)} idle after start (${m.idleAfterStart.threads} threads); ${m.afterJobs ? `${mb(m.afterJobs.rssMb)} after ${num(jobs)} jobs (${m.afterJobs.threads} threads)` : '—'}; ${m.afterIdle ? `${mb(m.afterIdle.rssMb)} and ${m.afterIdle.threads} threads after ${m.afterIdle.idleSeconds} s idle${local.settings?.environmentTtlSeconds === undefined ? '' : ` (\`baton dev --environment-ttl ${local.settings.environmentTtlSeconds}\`)`}` : '—'}`,
      verdict(
        idleOk && afterOk === true && reaped === true,
        NEXT_STEPS.memory,
        parts.join('; '),
        memoryNote(),
      ),
    ]);
  } else {
    targets.push([
      'memory of the local stack (process tree)',
      '≤ 250 MB idle, ≤ 500 MB after 10,000 jobs, reaped when idle',
      '—',
      verdict(undefined, '', localPartial),
    ]);
  }
}
if (suite && !suite.failed && suite.durationMs !== undefined) {
  const fast = suite.durationMs <= 180_000;
  targets.push([
    '`pnpm test`',
    '≤ 3 min, and green on a loaded machine',
    `${s(suite.durationMs)}${suite.where ? ` in ${suite.where}` : ''}, ${suite.passed ? 'green' : `failed (exit ${suite.exitCode})`}, load average ${num(suite.loadAverageBefore, 1)} before${measuredNote(suite)}`,
    verdict(fast && suite.passed, NEXT_STEPS.suite),
  ]);
} else {
  targets.push([
    '`pnpm test`',
    '≤ 3 min, and green on a loaded machine',
    '—',
    verdict(
      undefined,
      '',
      suite?.failed
        ? 'the suite part failed'
        : '`pnpm bench` times it only with `--with suite`: it takes minutes',
    ),
  ]);
}

// ---------------------------------------------------------------------------------------------------------
// The document.
const out = [];
const m = run?.machineAtStart;
out.push('# Benchmarks', '');
out.push(
  '_Generated by `pnpm bench` (scripts/bench/); do not edit by hand — run it again. Every figure below was measured on the machine named here, baselines and peers in the same run; the machine is shared and noisy, so read the ratios, not the absolute times._',
  '',
);
if (run) {
  out.push(
    `- Run: ${run.runId}${run.quick ? ' — **quick run (`--quick`): fewer samples, for trying it out**' : ''}; parts ${run.parts.join(', ')}; total ${s(run.durationMs)}.`,
    ...(run.source
      ? [
          `- Code: commit ${run.source.commit}${run.source.changedFiles > 0 ? `, with ${run.source.changedFiles} file(s) changed or added beside it (measured as they stood)` : ''}.${run.options?.length ? ` Options: \`${run.options.join(' ')}\`.` : ''}`,
        ]
      : []),
    `- Machine: ${m.cpu}, ${m.cores} cores, ${num(m.memoryGb, 1)} GB RAM (${num(m.freeMemoryGb, 1)} GB free at start); ${m.os}; Node ${m.node}.`,
    `- Load average (1, 5, 15 min): ${m.loadAverage.join(', ')} at start; ${run.machineAtEnd?.loadAverage.join(', ') ?? '—'} at the end.`,
    '',
  );
}

out.push('## Targets (issue 10)', '');
// Each row in the order pushed above; a part measured by an earlier run says so.
const partOfRow = [door, cold, local, local, local, local, local];
for (const [i, data] of partOfRow.entries()) {
  const row = targets[i];
  if (row && data && row[2] !== '—') row[2] += measuredNote(data);
}
out.push(table(['what', 'target', 'measured now (medians)', 'verdict'], targets), '');

out.push('## Method', '');
out.push(
  '- **door**: in one process, tinybench times one warm request per call (one sample each); every case runs in each of several rounds, and a figure is the median over the rounds of its per-round median. Ratios and differences to the floor are taken per round, against the floor measured in the same round, then their median. The work is the same for every case: `POST /jobs` with `greet` from `@baton/core/testing` (zod input and output), answered synchronously; the bare floor parses the body, looks up the operation, parses input and output and answers JSON, and nothing else. Baton runs on the in-memory store (a sync request without a key writes nothing). The INFO cases format each line and hand it to `process.stdout.write`, which the bench replaces while timing with one that drops it (the write to the log pipe of Lambda itself is not counted, for any case). Each call gets its own Lambda context object, as each invocation does. Every handler is checked to answer the result before timing.',
  '- **store calls per job**: jobs submitted through the API Gateway door (`Prefer: respond-async`) and each run once by `runJob`, as the worker does, on the in-memory store with every method counted. In `@baton/dynamodb` each write method is one DynamoDB write.',
  "- **cold start**: each handler is bundled as deployed (`LAMBDA_BUNDLE_OPTIONS` of `@baton/service`, minified, names kept, the SDK inside). A fresh `node` process imports the bundle and calls the handler once with a REST `POST /jobs` checksum event; the bundles take turns, in a rotating order. Whole process = wall time from spawn to exit; ratios per round against the floor's run of the same round, then their median.",
  '- **local**: `baton dev` on the example service, started as a process on free ports with a temporary data folder, measured from outside. Startup: spawn → `.baton/endpoints.json` written for this instance (and → banner printed), warm: each way keeps its data folder, and a first start of each is not measured (outside `--quick`). `pnpm start` is run through the pnpm the workspace installs (`npx` adds its own start-up on top). Gateway: autocannon, 10 connections, against a bare node http server in its own process that parses the same body, hashes and answers the same JSON, alternating. Invoke: the real `@aws-sdk/client-lambda`, one call at a time, each Baton call followed by the same client against the bare server. Async: jobs submitted by 10 concurrent clients through the HTTP API door; jobs/s = jobs succeeded ÷ time from the first submit until all had succeeded. Memory: RSS and threads summed over the `baton dev` process and its descendants (/proc).',
  '',
);

// Door.
out.push(`## Door: one warm request, in process${measuredNote(door)}`, '');
if (ok(door)) {
  out.push(
    `${door.tool}; ${door.rounds} rounds of ${door.taskMs} ms a case; operation ${door.operation}. Versions: ${Object.entries(
      door.versions,
    )
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}.`,
    '',
  );
  for (const group of door.groups) {
    out.push(`### ${group.title}`, '', `Event: ${group.event}.`, '');
    out.push(
      table(
        ['handler', 'median', 'samples', '× floor', 'over the floor'],
        group.cases.map((c) => [
          c.floor ? `**${c.name}**` : c.name,
          us(c.medianNs),
          num(c.samples),
          c.floor ? '1.00×' : x(c.ratioToFloor),
          c.floor ? '—' : `${c.overFloorUs >= 0 ? '+' : ''}${num(c.overFloorUs, 1)} µs`,
        ]),
      ),
      '',
    );
  }
  if (door.storeCalls) {
    const sc = door.storeCalls;
    out.push(
      '### Store calls per async job',
      '',
      `${num(sc.jobs)} jobs, ${num(sc.succeeded)} succeeded: ${num(sc.writesPerJob, 2)} writes and ${num(sc.readsPerJob, 2)} reads a job (${Object.entries(
        sc.perJob,
      )
        .map(([name, n]) => `${name} ${num(n, 2)}`)
        .join(', ')}).`,
      '',
    );
  }
} else {
  out.push(failedBlock(door), '');
}

// Cold start.
out.push(`## Cold start: the deployed bundle${measuredNote(cold)}`, '');
if (ok(cold)) {
  out.push(
    `esbuild ${cold.esbuild}; ${cold.runs} processes per bundle. Versions: ${Object.entries(cold.versions)
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}. KB = 1,024 bytes.`,
    '',
  );
  out.push(
    table(
      [
        'bundle',
        'bytes',
        '× floor',
        'import',
        '× floor',
        'import + first call (in process)',
        'whole process',
        '× floor',
      ],
      cold.bundles.map((b) => [
        b.floor ? `**${b.name}**` : b.name,
        kb(b.bytes),
        x(b.bytesRatio),
        ms(b.importMs),
        x(b.importRatio),
        ms(b.importAndCallMs),
        ms(b.wallMs),
        x(b.wallRatio),
      ]),
    ),
    '',
    'Biggest packages in each bundle (bytes in the output, esbuild metafile):',
    '',
    table(
      ['bundle', 'packages'],
      cold.bundles.map((b) => [b.id, b.packages.map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')]),
    ),
    '',
  );
} else {
  out.push(failedBlock(cold), '');
}

// Local.
out.push(`## Local stack${measuredNote(local)}`, '');
if (local) {
  if (local.failed) out.push(failedBlock(local), '', 'What was measured before it failed:', '');
  const st = local.settings ?? {};
  out.push(
    `Settings: ${st.startupRuns} startup run(s) each; gateway ${st.loadRounds} round(s) of ${st.loadSeconds} s at ${st.connections} connections; ${st.invokes} invocations each; ${num(st.jobs)} jobs asked for (submitting capped at ${st.jobsCapSeconds} s); ${st.idleSeconds} s idle. Versions: ${Object.entries(
      local.versions ?? {},
    )
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}.`,
    '',
  );
  if (local.startup && Object.keys(local.startup).length > 0) {
    out.push(
      '### Startup',
      '',
      table(
        ['how', 'runs', 'spawn → endpoints written', 'spawn → banner', 'as the banner says'],
        Object.entries(local.startup).map(([how, r]) => [
          how,
          num(r.runs),
          s(r.endpointsMs),
          r.bannerMs === undefined || r.bannerMs === null ? '—' : s(r.bannerMs),
          r.selfReportedMs === undefined || r.selfReportedMs === null ? '—' : s(r.selfReportedMs),
        ]),
      ),
      '',
    );
  }
  if (local.gateway?.baton) {
    const g = local.gateway;
    out.push(
      '### REST API gateway, sync `POST /jobs` checksum',
      '',
      table(
        ['server', 'requests', 'req/s', 'p50', 'p99', 'non-2xx', 'errors'],
        [
          ['bare node http server', g.bare, true],
          ['Baton REST API emulator → `api` function', g.baton, false],
        ].map(([name, r]) => [
          name,
          num(r.requests),
          num(r.requestsPerSecond),
          coarse(r.p50Ms),
          coarse(r.p99Ms),
          num(r.non2xx),
          num(r.errors),
        ]),
      ),
      '',
      `Baton serves ${x(g.ratioToBare)} the bare server's requests per second.`,
      '',
    );
  }
  if (local.invoke?.baton) {
    const i = local.invoke;
    out.push(
      '### Invoke API round trip (real SDK, one call at a time)',
      '',
      table(
        ['server', 'calls', 'p50', 'p99'],
        [
          ['bare node http server', i.bare],
          ['Baton Invoke API → `rpc` function', i.baton],
        ].map(([name, r]) => [name, num(i.calls), ms(r.p50Ms), ms(r.p99Ms)]),
      ),
      '',
    );
  }
  if (local.async?.submitted !== undefined) {
    const a = local.async;
    out.push(
      '### Async pipeline through the HTTP API door',
      '',
      table(
        [
          'asked',
          'submitted',
          'succeeded',
          'failed',
          'unfinished',
          'submit errors',
          'submit p50',
          'submit p99',
          'submitting took',
          'submit → all succeeded',
          'jobs/s',
        ],
        [
          [
            num(a.requested),
            num(a.submitted),
            num(a.succeeded),
            num(a.failed),
            num(a.unfinished),
            num(a.submitErrors),
            ms(a.submitP50Ms),
            ms(a.submitP99Ms),
            `${num(a.submitSeconds, 1)} s`,
            `${num(a.submitToSucceededSeconds, 1)} s`,
            num(a.jobsPerSecond, 1),
          ],
        ],
      ),
      '',
    );
  }
  if (local.memory?.idleAfterStart) {
    const rows = [
      ['idle after start', local.memory.idleAfterStart],
      [`after ${num(local.memory.afterJobs?.jobs)} jobs`, local.memory.afterJobs],
      [`after ${local.memory.afterIdle?.idleSeconds} s idle`, local.memory.afterIdle],
    ].filter(([, r]) => r);
    out.push(
      '### Memory of the `baton dev` process tree',
      '',
      table(
        ['when', 'processes', 'RSS', 'threads', 'biggest processes'],
        rows.map(([when, r]) => [
          when,
          num(r.processes),
          mb(r.rssMb),
          num(r.threads),
          r.biggest.map((p) => `\`${p.command}\` ${p.rssMb} MB, ${p.threads} threads`).join('; '),
        ]),
      ),
      '',
    );
  }
} else {
  out.push('Not run.', '');
}

// Where the time goes.
out.push('## Where the time goes (CPU profiles)', '');
out.push(
  "Each part ends with a profiling pass, after its timed measurements (so that the profiler does not slow what is timed): V8 CPU profiles, whose self time is attributed to who owns the code — V8's own categories (`(garbage collector)`, `(program)`: the engine outside JavaScript, compiling included), node's internals by area, each npm package, each workspace package (`@baton/<name>` for packages/<name>), the example app's operations — and to functions. Frames of a bundle are mapped back to their original files through the bundle's source map, so bundled `@smithy/*` or `zod` code counts for its package; esbuild's own code in a bundle is counted apart — its helpers (`__esm` wrappers) and its top level, where esbuild hoists the top-level statements of every ES module, one function that no source map splits by package — and so is its `__name` helper (`keepNames`), wherever it was inlined. A native frame (a V8 builtin such as `JSON.parse`) counts for the owner of the code that called it. The door's figures split its timed medians above by the profiles' shares; the cold start's and the local stack's are CPU time, each sample weighing one sampling interval (V8 samples a thread only while it runs, so this stays CPU time when threads outnumber cores). Figures are per unit of work (a call, a cold start, a request, a job). The profiles are in `.reports/bench/profiles/` (open one in Chrome DevTools, or summarize it with `node scripts/bench/profile-summary.mjs <file>`); `pnpm bench --no-profile` skips the pass.",
  '',
);
const profileAbsent = (data, name) =>
  data === undefined
    ? `Not run (the ${name} part did not run).`
    : data.failed
      ? `None: the ${name} part failed.`
      : data.profile?.error
        ? `The profiling pass failed:\n\n\`\`\`\n${String(data.profile.error).slice(0, 1500)}\n\`\`\``
        : `None: the ${name} part ran without its profiling pass (\`--no-profile\`).`;

out.push(`### Door: one warm \`POST /jobs\`, by owner${measuredNote(door)}`, '');
if (doorProfile?.cases?.length) {
  const cases = doorProfile.cases;
  const baton = doorCase('rest/baton-info') ?? cases[0];
  out.push(
    `In the door part's process, after the timing: the inspector's profiler sampling every ${doorProfile.intervalUs} µs while each case is called back to back for ${num(doorProfile.msPerCase / 1000, 1)} s (after 2,000 unprofiled calls). Each owner's µs a call = its share of the case's samples × the case's timed median above (unprofiled), so a column adds up to that median and the Baton column minus the floor's to the time over the floor.`,
    '',
  );
  const owners = [...new Set(cases.flatMap((c) => c.owners.map((o) => o.owner)))]
    .map((owner) => ({ owner, baton: partOf(baton, owner, baton.timedUs) }))
    .sort((p, q) => q.baton - p.baton || p.owner.localeCompare(q.owner));
  const shown = owners.slice(0, 14);
  const perCall = (c, owner) => {
    const value = partOf(c, owner, c.timedUs);
    return value > 0 ? usCall(value) : '—';
  };
  out.push(
    table(
      ['owner', ...cases.map((c) => c.name.replace(/ \(.*\)$/, ''))],
      [
        ...shown.map(({ owner }) => [owner, ...cases.map((c) => perCall(c, owner))]),
        ...(owners.length > shown.length
          ? [
              [
                `${owners.length - shown.length} more owners`,
                ...cases.map((c) =>
                  usCall(
                    owners
                      .slice(shown.length)
                      .reduce((sum, { owner }) => sum + partOf(c, owner, c.timedUs), 0),
                  ),
                ),
              ],
            ]
          : []),
        ['**all: the timed median**', ...cases.map((c) => `**${usCall(c.timedUs)}**`)],
        [
          'calls profiled (µs a call as profiled)',
          ...cases.map((c) => `${num(c.calls)} (${usCall(c.profiledUsPerCall)})`),
        ],
      ],
    ),
    '',
    `Top functions of ${baton.name} (self time):`,
    '',
    table(
      ['function', 'owner', 'share', 'µs a call'],
      baton.functions
        .slice(0, 10)
        .map((f) => [fnCell(f.fn), f.owner, pct(f.pct), usCall((f.ms / baton.busyMs) * baton.timedUs)]),
    ),
    '',
  );
} else {
  out.push(profileAbsent(door, 'door'), '');
}

out.push(`### Cold start: import + first call, by owner${measuredNote(cold)}`, '');
if (coldProfile?.bundles?.length) {
  const bundlesProfiled = coldProfile.bundles;
  const baton = bundlesProfiled.find((b) => b.id === 'baton') ?? bundlesProfiled[0];
  const floor = bundlesProfiled.find((b) => b.floor) ?? bundlesProfiled[0];
  out.push(
    `After the timing, each bundle built again as above but with its source map beside it (the same code), then run in ${coldProfile.runs} fresh processes under \`node --cpu-prof\` (every ${coldProfile.intervalUs} µs), each importing it and calling the handler once, as timed above. Figures are ms of CPU a process as profiled (samples × interval, node's own start-up included); the timed whole process above also waits (spawn, I/O), which no profile sees.`,
    '',
  );
  const rows = extraOver(baton, baton.profiledMsPerRun, floor, floor.profiledMsPerRun)
    .filter((r) => r.a > 0 || r.b > 0)
    .sort((p, q) => Math.max(q.a, q.b) - Math.max(p.a, p.b))
    .slice(0, 15);
  out.push(
    table(
      ['owner', ...bundlesProfiled.map((b) => b.id), 'Baton − floor'],
      [
        ...rows.map((r) => [
          r.owner,
          ...bundlesProfiled.map((b) => {
            const value = partOf(b, r.owner, b.profiledMsPerRun);
            return value > 0 ? ms(value) : '—';
          }),
          `${r.diff >= 0 ? '+' : ''}${ms(r.diff)}`,
        ]),
        [
          '**all (ms of CPU a cold start)**',
          ...bundlesProfiled.map((b) => `**${ms(b.profiledMsPerRun)}**`),
          `**+${ms(baton.profiledMsPerRun - floor.profiledMsPerRun)}**`,
        ],
        ['timed whole process, for scale', ...bundlesProfiled.map((b) => ms(b.timedMs)), ''],
      ],
    ),
    '',
    'Top functions of the Baton bundle (self time):',
    '',
    table(
      ['function', 'owner', 'share', 'ms a cold start'],
      baton.functions.slice(0, 10).map((f) => [fnCell(f.fn), f.owner, pct(f.pct), ms(f.ms / baton.runs)]),
    ),
    '',
  );
} else {
  out.push(profileAbsent(cold, 'cold-start'), '');
}

out.push(`### Local stack: CPU by thread and owner${measuredNote(local)}`, '');
if (localProfile?.phases?.length) {
  out.push(
    `A \`baton dev\` of its own, started after the measurements under \`node --cpu-prof\` (every ${localProfile.intervalUs} µs); the local Lambda service hands the flag to its function threads, each writing its own profile. Driven through the phases below, each a window of time (the profiles are cut to it), then stopped with SIGINT so that every thread writes its profile: ${num(localProfile.files)} profiles, ${s(localProfile.durationMs)} in all. A function's threads are its execution environments; the main thread runs the emulators, the Lambda service and the local DynamoDB.`,
    '',
  );
  for (const phase of localProfile.phases) {
    const rate = phase.count / (phase.wallMs / 1000);
    out.push(
      `#### ${phase.title}`,
      '',
      `${num(phase.count)} ${phase.unit}s in ${s(phase.wallMs)} (${num(rate, rate < 100 ? 1 : 0)} a second, profiled); ${ms(phase.whole.busyMsPerUnit)} of CPU a ${phase.unit} in all threads.`,
      '',
      table(
        ['thread', 'threads', `CPU a ${phase.unit}`, 'share', 'its top owners'],
        phase.groups
          .filter((g) => g.busyMs > 0)
          .map((g) => [
            g.counted === false ? `${g.group} (not serving this phase: not counted)` : g.group,
            num(g.threads),
            ms(g.busyMsPerUnit),
            g.counted === false ? '—' : pct((100 * g.busyMs) / phase.whole.busyMs),
            topOwners(g, 5),
          ]),
      ),
      '',
      table(
        ['owner (all threads)', `CPU a ${phase.unit}`, 'share'],
        phase.whole.owners
          .slice(0, 12)
          .map((o) => [o.owner, phase.count > 0 ? ms(o.ms / phase.count) : '—', pct(o.pct)]),
      ),
      '',
      table(
        ['top function (all threads)', 'owner', 'share'],
        phase.whole.functions.slice(0, 10).map((f) => [fnCell(f.fn), f.owner, pct(f.pct)]),
      ),
      '',
    );
  }
} else {
  out.push(profileAbsent(local, 'local'), '');
}

if (suite) {
  out.push(`## \`pnpm test\`${measuredNote(suite)}`, '');
  out.push(
    suite.failed
      ? failedBlock(suite)
      : `${s(suite.durationMs)}, ${suite.passed ? 'passed' : `failed (exit ${suite.exitCode})`}; load average ${num(suite.loadAverageBefore, 2)} before, ${num(suite.loadAverageAfter, 2)} after.`,
    '',
  );
}

// No machine paths in the document: errors and commands name files relative to the repository.
const text = out.join('\n').trim().replaceAll(`${root}/`, '').replaceAll(root, '.');
const outAt = process.argv.indexOf('--out');
const outFile = outAt >= 0 ? process.argv[outAt + 1] : join(root, 'docs', 'benchmarks.md');
writeFileSync(outFile, `${text}\n`);
console.log(`${outAt >= 0 ? outFile : 'docs/benchmarks.md'} written.`);
