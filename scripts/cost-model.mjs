#!/usr/bin/env node
// A cost model, not a measurement: dollars per million jobs of 1 s, 60 s and 20 min at 512 MB on arm64, for
// Baton, for Step Functions Standard + Lambda and for Lambda durable functions. Every input is at the top of this
// file, with where it came from; change one and run it again. docs/cost.md shows its output.
//
//   node scripts/cost-model.mjs            prints the tables (markdown)
//   node scripts/cost-model.mjs --write    also rewrites the generated part of docs/cost.md
import { readFileSync, writeFileSync } from 'node:fs';

// ─── Prices: us-east-1, arm64, on-demand, without free tiers ───────────────────────────────────────────────────
// `checked` says how the figure was confirmed; docs/cost.md lists the sources with their dates.
const PRICES = {
  lambdaRequest: {
    usd: 0.2 / 1e6,
    unit: 'request',
    checked: 'third-party transcriptions + AWS price list data',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'GB-s (arm64, first 7.5 billion GB-s a month)',
    checked: 'same',
  },
  dynamoWru: {
    usd: 0.625 / 1e6,
    unit: 'on-demand write request unit',
    checked: 'third-party, after the Nov 2024 cut',
  },
  dynamoRru: {
    usd: 0.125 / 1e6,
    unit: 'on-demand read request unit',
    checked: 'third-party, after the Nov 2024 cut',
  },
  sfnTransition: { usd: 0.025 / 1000, unit: 'Standard state transition', checked: 'AWS pricing page' },
  durableOperation: { usd: 8 / 1e6, unit: 'durable operation', checked: 'third-party, citing the AWS page' },
  durableWrittenGb: {
    usd: 0.25,
    unit: 'GB of durable data written',
    checked: 'third-party, citing the AWS page',
  },
  durableRetainedGbMonth: { usd: 0.15, unit: 'GB-month of durable data retained', checked: 'same' },
  logsIngestGb: { usd: 0.5, unit: 'GB of Lambda logs ingested (first tier)', checked: 'third-party' },
  xrayTrace: { usd: 5 / 1e6, unit: 'X-Ray trace recorded', checked: 'AWS pricing page' },
  eventBridgeScheduledRule: {
    usd: 0,
    unit: 'scheduled rule invocation',
    checked: 'third-party (not on an AWS page)',
  },
};

// ─── Baton's counts, read from the code (the doc names the file and line of each) ─────────────────────────────
const BATON = {
  /** Worker function timeout: LAMBDA_MAX_TIMEOUT_SECONDS, the default for a function that runs jobs. */
  workerTimeoutS: 900,
  /** runJob's handoffMarginMs default: a checkpointing operation is asked to stop with this much time left. */
  handoffMarginS: 10,
  /** runJob's progressIntervalMs default: progress/checkpoint writes are coalesced to at most one per this. */
  progressIntervalS: 1,
  /** DEFAULT_LEASE_TTL_MS / 3: a run renews its lease when it has not written for this long. */
  leaseRenewEveryS: 20,
  /** runJob's cancelPollMs default: a running job re-reads itself (a consistent GetItem) this often. */
  cancelPollEveryS: 5,
  /** Consistent GetItem calls per claim. 0: the claim is one conditional UpdateItem that returns the job
   *  (JobStore.claim). Before that change (commit 538fcbe) runJob read the job first: 1. */
  readsPerClaim: 0,
  /** Writes of a job that succeeds without progress: create (door), claim, finish — the 3-write budget. */
  createWrites: 1,
  claimWrites: 1,
  finishWrites: 1,
  /** A continuation: the requeue write (running → queued, with the checkpoint); the next hop claims again. */
  requeueWrites: 1,
  /** Index write units: the owner index once (the create); the unfinished index 1 (create), 2 per later write of
   *  an unfinished job (its sort key updatedAtMs moves: a delete plus a put), 1 (the finish removes it). */
  ownerIndexWrites: 1,
  unfinishedIndexPutAndDelete: 2,
  unfinishedIndexPerMove: 2,
  /** Reconciler: one pass a minute; per pass one Query per shard of the unfinished index when nothing is stale. */
  reconcilerShards: 8,
};

// ─── Assumptions (not measured on AWS: change them here) ──────────────────────────────────────────────────────
const ASSUME = {
  memoryGb: 512 / 1024,
  /** Baton's door invocation that submits an async job: validate, PutItem, Invoke (Event). */
  doorMs: 40,
  /** Baton's worker, per invocation beyond the work: GetItem, claim, finish or requeue + Invoke. */
  batonWorkerOverheadMs: 30,
  /** A Lambda task under Step Functions, beyond the work. */
  sfnTaskOverheadMs: 5,
  /** A durable function, per invocation beyond the work: checkpoint calls and replay. */
  durableOverheadMs: 20,
  /** The job item: a small input, a lease, progress and a small checkpoint (measured with the store's own size
   *  estimate: 477 B queued, 749 B running, 650 B succeeded). Over 1 KB every write costs more units. */
  itemBytes: 750,
  /** The index entries project keys and expiry only. */
  indexEntryBytes: 100,
  /** Progress (or checkpoint) calls per second of a job's work: 0 = a quiet job; any rate ≥ 1 coalesces to 1/s. */
  progressCallsPerSecond: 0,
  /** Step Functions Standard: Task → Choice ("done?") → Succeed; a job past one invocation loops Task → Choice. */
  sfnStatesPerInvocation: 2,
  sfnFinalStates: 1,
  /** Durable functions: one step per invocation; a wait between steps gives each step a fresh invocation. */
  durableStartOperations: 1,
  durableBytesPerOperation: 1024,
  durableRetentionDays: 14,
  /** The longest a durable step, or a Step Functions task, works in one invocation (the same margin as Baton's). */
  maxWorkPerInvocationS: 890,
  /** Reconciler: 256 MB, this long a pass, and the job rate its monthly cost is spread over. */
  reconcilerMemoryGb: 256 / 1024,
  reconcilerMs: 100,
  reconcilerQueryRru: 0.5,
  jobsPerMonth: 1e6,
  minutesPerMonth: 730 * 60,
  /** CloudWatch Logs: Lambda's START/END/REPORT lines per invocation, and Baton's own structured lines. */
  platformLogBytes: 350,
  batonLogBytesPerInvocation: 600,
  /** X-Ray active tracing (on in Baton's CDK constructs): the default rule keeps 1 a second and 5 % of the rest. */
  xraySampledFraction: 0.05,
};

const JOBS = [
  { name: '1 s', workS: 1 },
  { name: '60 s', workS: 60 },
  { name: '20 min', workS: 20 * 60 },
];

// ─── The model ────────────────────────────────────────────────────────────────────────────────────────────────
/** Timer-driven events while `workS` runs, every `everyS` from the claim. A run always outlasts its nominal work by
 *  its own overhead, so a timer due exactly at the end fires too (the runner on a fake clock agrees). */
const ticks = (workS, everyS) => Math.floor(workS / everyS + 1e-9);
const hopsOf = (workS, perHopS) => {
  const hops = [];
  for (let left = workS; left > 1e-9; left -= perHopS) hops.push(Math.min(perHopS, left));
  return hops;
};
const wruPerWrite = (bytes) => Math.ceil(bytes / 1024);
const rruPerConsistentRead = (bytes) => Math.ceil(bytes / 4096);

function baton(job, assume = ASSUME) {
  const perHopS = BATON.workerTimeoutS - BATON.handoffMarginS;
  const hops = hopsOf(job.workS, perHopS);
  const progressEveryS =
    assume.progressCallsPerSecond > 0
      ? Math.max(BATON.progressIntervalS, 1 / assume.progressCallsPerSecond)
      : Number.POSITIVE_INFINITY;
  // A run writes at least every lease third; progress writes renew the lease, so the two do not add up.
  const periodicEveryS = Math.min(progressEveryS, BATON.leaseRenewEveryS);
  const periodicWrites = hops.map((s) => ticks(s, periodicEveryS));
  const polls = hops.map((s) => ticks(s, BATON.cancelPollEveryS));
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const writes =
    BATON.createWrites +
    hops.length * BATON.claimWrites +
    sum(periodicWrites) +
    (hops.length - 1) * BATON.requeueWrites +
    BATON.finishWrites;
  const movesOfUnfinished = writes - BATON.createWrites - BATON.finishWrites;
  const indexWrites =
    BATON.ownerIndexWrites +
    BATON.unfinishedIndexPutAndDelete +
    BATON.unfinishedIndexPerMove * movesOfUnfinished;
  const reads = hops.length * BATON.readsPerClaim + sum(polls);
  const workerS = job.workS + hops.length * (assume.batonWorkerOverheadMs / 1000);
  const doorS = assume.doorMs / 1000;
  const invocations = 1 + hops.length;
  return {
    option: 'Baton',
    invocations,
    asyncInvokes: hops.length,
    gbSeconds: (doorS + workerS) * assume.memoryGb,
    writes,
    indexWrites,
    wru: writes * wruPerWrite(assume.itemBytes) + indexWrites * wruPerWrite(assume.indexEntryBytes),
    reads,
    rru: reads * rruPerConsistentRead(assume.itemBytes),
    orchestrationUnits: 0,
    orchestrationUsd: 0,
    logBytes: invocations * (assume.platformLogBytes + assume.batonLogBytesPerInvocation),
    xrayTraces: invocations * assume.xraySampledFraction,
    detail: `${hops.length} hop(s); ${writes} writes (${sum(periodicWrites)} lease/progress), ${reads} reads (${sum(polls)} cancel polls)`,
  };
}

function stepFunctions(job, assume = ASSUME) {
  const tasks = hopsOf(job.workS, assume.maxWorkPerInvocationS).length;
  const transitions = tasks * assume.sfnStatesPerInvocation + assume.sfnFinalStates;
  return {
    option: 'Step Functions Standard + Lambda',
    invocations: tasks,
    asyncInvokes: 0,
    gbSeconds: (job.workS + tasks * (assume.sfnTaskOverheadMs / 1000)) * assume.memoryGb,
    writes: 0,
    indexWrites: 0,
    wru: 0,
    reads: 0,
    rru: 0,
    orchestrationUnits: transitions,
    orchestrationUsd: transitions * PRICES.sfnTransition.usd,
    logBytes: tasks * assume.platformLogBytes,
    xrayTraces: 0,
    detail: `${tasks} task(s), ${transitions} state transitions`,
  };
}

function durableFunctions(job, assume = ASSUME) {
  const steps = hopsOf(job.workS, assume.maxWorkPerInvocationS).length;
  const waits = steps - 1;
  const operations = assume.durableStartOperations + steps + waits;
  const writtenGb = (operations * assume.durableBytesPerOperation) / 1024 ** 3;
  const retainedGbMonth = writtenGb * (assume.durableRetentionDays / (assume.minutesPerMonth / 60 / 24));
  return {
    option: 'Lambda durable functions',
    invocations: steps,
    asyncInvokes: 1,
    gbSeconds: (job.workS + steps * (assume.durableOverheadMs / 1000)) * assume.memoryGb,
    writes: 0,
    indexWrites: 0,
    wru: 0,
    reads: 0,
    rru: 0,
    orchestrationUnits: operations,
    orchestrationUsd:
      operations * PRICES.durableOperation.usd +
      writtenGb * PRICES.durableWrittenGb.usd +
      retainedGbMonth * PRICES.durableRetainedGbMonth.usd,
    logBytes: steps * assume.platformLogBytes,
    xrayTraces: 0,
    detail: `${steps} step(s), ${waits} wait(s): ${operations} durable operations`,
  };
}

function dollars(row) {
  const requests = row.invocations * PRICES.lambdaRequest.usd;
  const compute = row.gbSeconds * PRICES.lambdaArmGbSecond.usd;
  const dynamo = row.wru * PRICES.dynamoWru.usd + row.rru * PRICES.dynamoRru.usd;
  const orchestration = row.orchestrationUsd;
  return {
    requests,
    compute,
    dynamo,
    orchestration,
    total: requests + compute + dynamo + orchestration,
    logs: (row.logBytes / 1e9) * PRICES.logsIngestGb.usd,
    xray: row.xrayTraces * PRICES.xrayTrace.usd,
  };
}

function reconcilerPerMonth(assume = ASSUME) {
  const passes = assume.minutesPerMonth;
  const requests = passes * PRICES.lambdaRequest.usd;
  const compute =
    passes * (assume.reconcilerMs / 1000) * assume.reconcilerMemoryGb * PRICES.lambdaArmGbSecond.usd;
  const dynamo = passes * BATON.reconcilerShards * assume.reconcilerQueryRru * PRICES.dynamoRru.usd;
  const logs = ((passes * assume.platformLogBytes) / 1e9) * PRICES.logsIngestGb.usd;
  return { passes, requests, compute, dynamo, schedule: 0, logs, total: requests + compute + dynamo };
}

// ─── Output ───────────────────────────────────────────────────────────────────────────────────────────────────
const M = 1e6;
const usd = (x) => {
  const v = x * M;
  if (v === 0) return '0';
  if (v < 0.01) return '<0.01';
  return v >= 100 ? v.toLocaleString('en-US', { maximumFractionDigits: 0 }) : v.toFixed(2);
};
const num = (x) => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(3));
const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

function report(assume = ASSUME) {
  const out = [];
  const models = [baton, stepFunctions, durableFunctions];
  const results = JOBS.map((job) => ({ job, rows: models.map((model) => model(job, assume)) }));

  out.push('### Per job: what each option consumes');
  out.push('');
  out.push(
    table(
      [
        'job',
        'option',
        'Lambda requests',
        'of them async Invokes',
        'Lambda GB-s',
        'DynamoDB WRU (table + index)',
        'DynamoDB RRU',
        'orchestration units',
        'how',
      ],
      results.flatMap(({ job, rows }) =>
        rows.map((r) => [
          job.name,
          r.option,
          num(r.invocations),
          num(r.asyncInvokes),
          num(r.gbSeconds),
          r.wru === 0 ? '0' : `${num(r.wru)} (${num(r.writes)} + ${num(r.indexWrites)})`,
          num(r.rru),
          r.orchestrationUnits === 0
            ? '—'
            : `${num(r.orchestrationUnits)} ${r.option.startsWith('Step') ? 'transitions' : 'operations'}`,
          r.detail,
        ]),
      ),
    ),
  );
  out.push('');
  out.push('### Dollars per million jobs');
  out.push('');
  out.push(
    table(
      [
        'job',
        'option',
        'Lambda requests',
        'Lambda GB-s',
        'DynamoDB',
        'transitions / durable ops',
        '**total**',
        'vs Baton',
        'all but the work’s own GB-s',
      ],
      results.flatMap(({ job, rows }) => {
        const batonTotal = dollars(rows[0]).total;
        const work = job.workS * assume.memoryGb * PRICES.lambdaArmGbSecond.usd;
        return rows.map((r) => {
          const d = dollars(r);
          return [
            job.name,
            r.option,
            usd(d.requests),
            usd(d.compute),
            usd(d.dynamo),
            usd(d.orchestration),
            `**${usd(d.total)}**`,
            r.option === 'Baton' ? '—' : `${(d.total / batonTotal).toFixed(2)}×`,
            usd(d.total - work),
          ];
        });
      }),
    ),
  );
  out.push('');
  out.push('Left out of the totals above, per million jobs:');
  out.push('');
  out.push(
    table(
      ['job', 'option', 'CloudWatch Logs ingestion', 'X-Ray (Baton: active tracing on by default)'],
      results.flatMap(({ job, rows }) =>
        rows.map((r) => {
          const d = dollars(r);
          return [job.name, r.option, usd(d.logs), r.option === 'Baton' ? usd(d.xray) : 'off (not modelled)'];
        }),
      ),
    ),
  );
  out.push('');
  const rec = reconcilerPerMonth(assume);
  out.push(
    `The reconciler, a fixed cost: ${num(rec.passes)} passes a month (rate(1 minute), ${Math.round(
      assume.reconcilerMs,
    )} ms at ${assume.reconcilerMemoryGb * 1024} MB, ${BATON.reconcilerShards} Queries of ` +
      `${assume.reconcilerQueryRru} RRU each when nothing is stale): Lambda requests $${rec.requests.toFixed(
        4,
      )}, GB-s $${rec.compute.toFixed(4)}, DynamoDB $${rec.dynamo.toFixed(4)}, the schedule $0 — ` +
      `**$${rec.total.toFixed(3)} a month** (logs $${rec.logs.toFixed(4)} more), that is ` +
      `**$${((rec.total / assume.jobsPerMonth) * M).toFixed(3)} per million jobs** at ` +
      `${num(assume.jobsPerMonth)} jobs a month ($${((rec.total / 1e4) * M).toFixed(2)} at 10,000).`,
  );
  out.push('');

  // Sensitivities: what moves Baton's line most.
  const chatty = { ...assume, progressCallsPerSecond: 1 };
  const big = { ...assume, itemBytes: 3 * 1024 };
  out.push('### What moves Baton’s line');
  out.push('');
  out.push(
    table(
      [
        'job',
        'Baton as modelled',
        'progress reported every second',
        'item of 3 KB (a larger input or checkpoint)',
      ],
      JOBS.map((job) => {
        const base = baton(job, assume);
        const p = baton(job, chatty);
        const b = baton(job, big);
        const cell = (r) =>
          `$${usd(dollars(r).total)} (DynamoDB $${usd(dollars(r).dynamo)}, ${num(r.writes)} writes)`;
        return [job.name, cell(base), cell(p), cell(b)];
      }),
    ),
  );
  out.push('');
  const inline = {
    ...baton({ workS: 0 }, assume),
    invocations: 1,
    gbSeconds: (1 + assume.doorMs / 1000) * assume.memoryGb,
    wru: 0,
    rru: 0,
  };
  out.push(
    `A 1 s operation asked for synchronously (no idempotency key) runs inline in the door: one invocation, no ` +
      `DynamoDB — **$${usd(dollars(inline).total)} per million**.`,
  );
  return out.join('\n');
}

const text = report();
console.log(text);

if (process.argv.includes('--write')) {
  const path = new URL('../docs/cost.md', import.meta.url);
  const begin = '<!-- cost-model:begin (generated by scripts/cost-model.mjs: do not edit by hand) -->';
  const end = '<!-- cost-model:end -->';
  const doc = readFileSync(path, 'utf8');
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error('docs/cost.md has no cost-model markers.');
  writeFileSync(path, `${doc.slice(0, from + begin.length)}\n\n${text}\n\n${doc.slice(to)}`);
}
