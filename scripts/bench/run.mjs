/**
 * `pnpm bench`: runs each part of the benchmark in its own process, each writing `.reports/bench/<part>.json`,
 * then writes docs/benchmarks.md from those files (scripts/bench/report.mjs). A part that fails is recorded as
 * failed, with its error, and the others still run; the exit code is 1 if any part failed.
 *
 *   pnpm bench                 door, cold-start, local (about 6–9 minutes on 2 cores, profiling included)
 *   pnpm bench --quick         fewer samples, to try it out (about 2 minutes)
 *   pnpm bench --only door     one part (repeatable: --only door --only local); the document keeps the
 *                              other parts' last results, each marked with when it was measured
 *   pnpm bench --with suite    also time `pnpm test` (opt-in: it takes minutes)
 *   pnpm bench --no-report     leave docs/benchmarks.md alone
 *   pnpm bench --no-profile    skip each part's profiling pass (on by default: after a part's timed
 *                              measurements, V8 CPU profiles of the same work, in .reports/bench/profiles/<part>/,
 *                              summarized into the part's JSON and the document's "Where the time goes")
 *
 * Any other option is handed to every part, e.g. `pnpm bench --only local --idle-seconds 90 --jobs 2000` (see
 * each part's header for its options).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const outDir = join(root, '.reports', 'bench');
mkdirSync(outDir, { recursive: true });

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const listOf = (flag) => args.flatMap((arg, i) => (args[i - 1] === flag ? [arg] : []));
const tsx = ['--conditions=@baton/source', '--import', 'tsx'];

/** Each part: the command that measures it, writing the JSON file it is given. */
const PARTS = {
  door: (out) => [...tsx, join(here, 'door.bench.ts'), out],
  'cold-start': (out) => [...tsx, join(here, 'cold-start.mjs'), out],
  local: (out) => [join(here, 'local.mjs'), out],
  suite: (out) => [join(here, 'suite.mjs'), out],
};
const DEFAULT_PARTS = ['door', 'cold-start', 'local'];

const only = listOf('--only');
const withParts = listOf('--with');
for (const part of [...only, ...withParts]) {
  if (!(part in PARTS)) {
    console.error(`Unknown part '${part}': the parts are ${Object.keys(PARTS).join(', ')}.`);
    process.exit(2);
  }
}
const parts = only.length > 0 ? only : [...DEFAULT_PARTS, ...withParts];
const OWN = new Set(['--quick', '--no-report', '--only', '--with']);
const passOn = args.filter((arg, i) => !OWN.has(arg) && !['--only', '--with'].includes(args[i - 1]));

const runId = new Date().toISOString();
const machine = () => ({
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  freeMemoryGb: Math.round((freemem() / 1024 ** 3) * 10) / 10,
  loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  node: process.version,
  os: `${type()} ${release()}`,
});
/** The code measured: the commit, and how many files differ from it (work in progress is measured as it is). */
function source() {
  try {
    const git = (...gitArgs) => execFileSync('git', gitArgs, { cwd: root, encoding: 'utf8' }).trim();
    const changed = git('status', '--porcelain').split('\n').filter(Boolean).length;
    return { commit: git('rev-parse', '--short', 'HEAD'), changedFiles: changed };
  } catch {
    return undefined;
  }
}
const run = {
  runId,
  quick,
  parts,
  options: passOn,
  source: source(),
  machineAtStart: machine(),
  results: {},
};
const started = Date.now();

function runPart(part) {
  const out = join(outDir, `${part}.json`);
  const partArgs = [...PARTS[part](out), ...(quick ? ['--quick'] : []), ...passOn];
  return new Promise((resolve) => {
    const partStarted = Date.now();
    console.log(`\n── ${part} ${quick ? '(quick) ' : ''}──`);
    const child = spawn(process.execPath, partArgs, { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on('error', (error) => {
      stderr += String(error);
    });
    child.on('close', (code, signal) => {
      const durationMs = Date.now() - partStarted;
      let json;
      try {
        json = JSON.parse(readFileSync(out, 'utf8'));
      } catch {
        json = undefined;
      }
      // A file from an earlier run does not count: the part wrote nothing this time.
      const fresh = json !== undefined && statSync(out).mtimeMs >= partStarted;
      const failed = code !== 0 || !fresh;
      const error = failed
        ? (json?.error ?? (stderr.trim().split('\n').slice(-25).join('\n') || `exit ${code ?? signal}`))
        : undefined;
      const record = {
        ...(fresh ? json : { part }),
        part,
        runId,
        measuredAt: new Date(partStarted).toISOString(),
        wallMs: durationMs,
        failed,
        ...(failed && { error }),
      };
      writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
      run.results[part] = { failed, wallMs: durationMs };
      console.log(`── ${part}: ${failed ? 'FAILED' : 'done'} in ${(durationMs / 1000).toFixed(1)} s`);
      resolve();
    });
  });
}

for (const part of parts) await runPart(part);

run.machineAtEnd = machine();
run.durationMs = Date.now() - started;
writeFileSync(join(outDir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
console.log(`\npnpm bench: ${parts.length} part(s) in ${(run.durationMs / 1000).toFixed(1)} s`);

let reportFailed = false;
if (!args.includes('--no-report')) {
  const report = spawn(process.execPath, [join(here, 'report.mjs')], { cwd: root, stdio: 'inherit' });
  reportFailed = await new Promise((resolve) => report.on('close', (code) => resolve(code !== 0)));
}
const anyFailed = Object.values(run.results).some((r) => r.failed);
if (anyFailed)
  console.error(
    `Failed: ${Object.keys(run.results)
      .filter((p) => run.results[p].failed)
      .join(', ')}`,
  );
process.exit(anyFailed || reportFailed || !existsSync(join(outDir, 'run.json')) ? 1 : 0);
