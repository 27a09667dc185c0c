/**
 * Part `cold-start` of `pnpm bench`: the deployed API handler bundle against an SDK-only floor and two peers.
 *
 * Each handler is bundled as it is deployed: @baton/service's LAMBDA_BUNDLE_OPTIONS (what @baton/cdk hands
 * NodejsFunction), minified, names kept, the AWS SDK inside. Then each bundle is loaded by a fresh `node`
 * process that imports it and calls its handler once with a REST `POST /jobs` checksum event, the bundles taking
 * turns (A, B, C, D, A, B, …) so that a busy moment on a shared machine hits all alike. Reported: bytes, the
 * biggest packages in each bundle (esbuild's metafile), and medians of the whole process's wall time, of the
 * import alone and of import + first call as the process saw them.
 *
 * After the timing, a profiling pass (skipped with `--no-profile`): the floor and Baton's bundle built again with
 * a source map beside them, each run a few times under `node --cpu-prof`; the profiles go to
 * .reports/bench/profiles/cold-start/ and their summaries (time a cold start by package, through the source map)
 * into the JSON.
 *
 * Run by scripts/bench/run.mjs as `node --conditions=@baton/source --import tsx scripts/bench/cold-start.mjs
 * <out.json> [--quick] [--no-profile]` (it reads the service definition and bundle options from their TypeScript
 * sources).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';
import service from '../../apps/example/baton.config.ts';
import {
  functionEnvironment,
  functionName,
  LAMBDA_BUNDLE_OPTIONS,
} from '../../packages/service/src/index.ts';
import { attributeFile, merge, newResolver, summarize } from './profile-summary.mjs';

const outFile = process.argv[2] ?? '.reports/bench/cold-start.json';
const quick = process.argv.includes('--quick');
const RUNS = quick ? 5 : 21;
/** The profiling pass, after the timing (`--no-profile`: none): PROFILE_RUNS profiled processes per bundle. */
const PROFILE = !process.argv.includes('--no-profile');
const PROFILE_RUNS = quick ? 2 : 5;
const PROFILE_INTERVAL_US = 100;
const PROFILED_BUNDLES = ['sdk-floor', 'baton'];
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const bundleDir = join(root, '.reports', 'bench', 'bundles');
mkdirSync(bundleDir, { recursive: true });

const bundles = [
  {
    id: 'sdk-floor',
    name: 'SDK-only floor (DynamoDB document client + Lambda client, nothing else)',
    entry: join(here, 'entries', 'sdk-floor.ts'),
    floor: true,
  },
  {
    id: 'baton',
    name: "Baton: the example's API handler (apps/example/src/handlers/api-gateway.ts)",
    entry: join(root, 'apps', 'example', 'src', 'handlers', 'api-gateway.ts'),
  },
  {
    id: 'powertools-router',
    name: 'Powertools event-handler Router + Logger + zod, same route, same clients',
    entry: join(here, 'entries', 'powertools-router.ts'),
  },
  {
    id: 'hono',
    name: 'Hono (hono/aws-lambda) + zod, same route, same clients',
    entry: join(here, 'entries', 'hono.ts'),
  },
];

/** The package a bundled input belongs to (the last node_modules segment), or the workspace folder. */
function packageOf(input) {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) {
    const name = parts[at + 1] ?? input;
    return name.startsWith('@') ? `${name}/${parts[at + 2]}` : name;
  }
  if (parts[0] === 'packages') return `@baton/${parts[1]}`;
  if (parts[0] === 'apps') return `apps/${parts[1]}`;
  if (parts[0] === 'scripts') return 'the bench entry';
  return parts.slice(0, 2).join('/');
}

for (const bundle of bundles) {
  const outfile = join(bundleDir, `${bundle.id}.mjs`);
  const result = await build({
    ...LAMBDA_BUNDLE_OPTIONS,
    mainFields: [...LAMBDA_BUNDLE_OPTIONS.mainFields],
    conditions: [...LAMBDA_BUNDLE_OPTIONS.conditions],
    entryPoints: [bundle.entry],
    outfile,
    absWorkingDir: root,
    minify: true,
    keepNames: true,
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
  });
  bundle.outfile = outfile;
  bundle.bytes = statSync(outfile).size;
  const output = Object.values(result.metafile.outputs)[0];
  const byPackage = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(relative(root, join(root, input)).replaceAll('\\', '/'));
    byPackage[name] = (byPackage[name] ?? 0) + bytesInOutput;
  }
  bundle.packages = Object.entries(byPackage)
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
}

// The event and the environment the handler gets in Lambda (the example's `api` function).
const restTemplate = JSON.parse(
  readFileSync(join(root, 'packages', 'api-gateway', 'tests', 'events', 'rest-iam-auth.json'), 'utf8'),
);
const event = {
  ...restTemplate,
  httpMethod: 'POST',
  path: '/jobs',
  resource: '/jobs',
  headers: { ...restTemplate.headers, 'content-type': 'application/json' },
  body: JSON.stringify({ operation: 'checksum', input: { text: 'hello' } }),
  isBase64Encoded: false,
  requestContext: {
    ...restTemplate.requestContext,
    httpMethod: 'POST',
    path: '/prod/jobs',
    resourcePath: '/jobs',
  },
};
delete event.multiValueHeaders;
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIABENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: functionName(service, 'api'),
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  ...functionEnvironment(service, 'api'),
  BENCH_EVENT: JSON.stringify(event),
};
// What runs in each process: import the bundle, call the handler once, say how long each took.
const probe = `
const t0 = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE);
const t1 = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT);
event.requestContext.requestTimeEpoch = Date.now();
const deadline = Date.now() + 30000;
const context = { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: 'bench-' + process.pid,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench', memoryLimitInMB: '512',
  functionVersion: '$LATEST', logGroupName: '/aws/lambda/bench', logStreamName: 'bench',
  getRemainingTimeInMillis: () => deadline - Date.now() };
const response = await handler(event, context);
const t2 = performance.now();
process.stdout.write('\\n@@bench ' + JSON.stringify({ importMs: t1 - t0, importAndCallMs: t2 - t0,
  sinceStartMs: t2, statusCode: response.statusCode, body: response.body }) + '\\n');
`;

/** `nodeArgs`: flags for node before the probe (the profiling pass's `--cpu-prof…`); `file`: another build. */
function runOnce(bundle, { nodeArgs = [], file = bundle.outfile } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', probe], {
      env: { ...env, BENCH_BUNDLE: new URL(`file://${file}`).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = out.split('\n').find((l) => l.startsWith('@@bench '));
      if (code !== 0 || !line) {
        reject(new Error(`${bundle.id} exited ${code}: ${err.slice(-800) || out.slice(-800)}`));
        return;
      }
      const measured = JSON.parse(line.slice('@@bench '.length));
      const body = JSON.parse(measured.body ?? '{}');
      if (
        measured.statusCode !== 200 ||
        (!bundle.floor && !JSON.stringify(body).includes('2cf24dba5fb0a30e'))
      ) {
        reject(new Error(`${bundle.id} answered ${measured.statusCode}: ${measured.body}`));
        return;
      }
      resolve({ wallMs, ...measured });
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const started = Date.now();
for (const bundle of bundles) await runOnce(bundle); // one unmeasured run each: the file cache warm for all
const runs = Object.fromEntries(bundles.map((b) => [b.id, []]));
for (let i = 0; i < RUNS; i++) {
  // Alternating, and each round in a rotated order so that no bundle always runs right after another.
  for (let j = 0; j < bundles.length; j++) {
    const bundle = bundles[(i + j) % bundles.length];
    runs[bundle.id].push(await runOnce(bundle));
  }
}
const floor = bundles.find((b) => b.floor);
const stat = (id, key) => median(runs[id].map((r) => r[key]));
/** Ratios per round (each bundle against the floor's run of the same round), then their median. */
const ratio = (id, key) => median(runs[id].map((r, i) => r[key] / runs[floor.id][i][key]));

// ---------------------------------------------------------------------------------------------------------
// The profiling pass, after everything timed: the same bundles built again with a source map beside them
// (`sourcemap: 'external'`: the code is the same, the map a separate file that no one loads), each run
// PROFILE_RUNS times under `node --cpu-prof`, and the profiles summarized (scripts/bench/profile-summary.mjs):
// CPU of one cold start — import and first call — by owner, the bundle's frames mapped back to their packages.
async function profilePass() {
  const dir = join(root, '.reports', 'bench', 'profiles', 'cold-start');
  rmSync(dir, { recursive: true, force: true });
  const resolver = newResolver();
  const profiled = [];
  for (const id of PROFILED_BUNDLES) {
    const bundle = bundles.find((b) => b.id === id);
    const file = join(dir, id, `${id}.mjs`);
    await build({
      ...LAMBDA_BUNDLE_OPTIONS,
      mainFields: [...LAMBDA_BUNDLE_OPTIONS.mainFields],
      conditions: [...LAMBDA_BUNDLE_OPTIONS.conditions],
      entryPoints: [bundle.entry],
      outfile: file,
      absWorkingDir: root,
      minify: true,
      keepNames: true,
      sourcemap: 'external',
      logLevel: 'warning',
    });
    const profileDir = join(dir, id);
    const nodeArgs = [
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-interval=${PROFILE_INTERVAL_US}`,
    ];
    for (let i = 0; i < PROFILE_RUNS; i++) await runOnce(bundle, { nodeArgs, file });
    const files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
    const summary = summarize(
      merge(
        files.map((name) =>
          attributeFile(join(profileDir, name), { resolver, intervalUs: PROFILE_INTERVAL_US }),
        ),
      ),
      { topFunctions: 12 },
    );
    profiled.push({
      id,
      name: bundle.name,
      floor: bundle.floor === true,
      runs: files.length,
      // The bundle's timed median (whole process, unprofiled): the profile's shares of it give each owner's ms.
      timedMs: stat(id, 'wallMs'),
      profiledMsPerRun: summary.busyMs / files.length,
      ...summary,
    });
  }
  return {
    intervalUs: PROFILE_INTERVAL_US,
    runs: PROFILE_RUNS,
    dir: '.reports/bench/profiles/cold-start',
    bundles: profiled,
  };
}
// A failed profiling pass is recorded as such; the timings stand.
const profile = PROFILE
  ? await profilePass().catch((error) => ({ error: error instanceof Error ? error.stack : String(error) }))
  : undefined;

const require = createRequire(import.meta.url);
const versionOf = (name) => {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    // Packages with an `exports` map that hides package.json: read it where pnpm linked it (this workspace's
    // own node_modules, or the root's for the shared tools).
    const local = join(here, 'node_modules', name, 'package.json');
    const path = existsSync(local) ? local : join(root, 'node_modules', name, 'package.json');
    return JSON.parse(readFileSync(path, 'utf8')).version;
  }
};

const result = {
  part: 'cold-start',
  runs: RUNS,
  durationMs: Date.now() - started,
  esbuild: esbuildVersion,
  bundleOptions: {
    ...LAMBDA_BUNDLE_OPTIONS,
    banner: 'createRequire banner',
    minify: true,
    keepNames: true,
    sourcemap: false,
  },
  versions: {
    '@aws-sdk/client-dynamodb': versionOf('@aws-sdk/client-dynamodb'),
    '@aws-sdk/lib-dynamodb': versionOf('@aws-sdk/lib-dynamodb'),
    '@aws-sdk/client-lambda': versionOf('@aws-sdk/client-lambda'),
    '@aws-lambda-powertools/event-handler': versionOf('@aws-lambda-powertools/event-handler'),
    hono: versionOf('hono'),
    zod: versionOf('zod'),
  },
  bundles: bundles.map((b) => ({
    id: b.id,
    name: b.name,
    entry: relative(root, b.entry),
    floor: b.floor === true,
    bytes: b.bytes,
    bytesRatio: b.bytes / floor.bytes,
    packages: b.packages.slice(0, 8),
    zodBytes: b.packages.find((p) => p.name === 'zod')?.bytes ?? 0,
    wallMs: stat(b.id, 'wallMs'),
    wallRatio: ratio(b.id, 'wallMs'),
    importMs: stat(b.id, 'importMs'),
    importRatio: ratio(b.id, 'importMs'),
    importAndCallMs: stat(b.id, 'importAndCallMs'),
    importAndCallRatio: ratio(b.id, 'importAndCallMs'),
    runs: runs[b.id].length,
  })),
  profile,
};
writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `cold-start: ${RUNS} runs of ${bundles.length} bundles in ${((Date.now() - started) / 1000).toFixed(1)} s → ${outFile}`,
);
