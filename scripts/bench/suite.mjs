/**
 * Part `suite` of `pnpm bench` (opt-in: `pnpm bench --with suite`): times `pnpm test` as CI runs it — in a fresh
 * clone of the checkout's last commit (uncommitted changes are not in it), after `pnpm install
 * --frozen-lockfile`, through the workspace's own pnpm — and records whether it passed. The install is not
 * timed. It takes minutes, so `pnpm bench` leaves it out.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const outFile = process.argv[2] ?? '.reports/bench/suite.json';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pnpm = join(root, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');

const clone = mkdtempSync(join(tmpdir(), 'baton-suite-'));
let record;
try {
  execFileSync('git', ['clone', '--quiet', root, clone], { stdio: 'inherit' });
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: clone,
    encoding: 'utf8',
  }).trim();
  execFileSync(process.execPath, [pnpm, 'install', '--frozen-lockfile'], {
    cwd: clone,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CI: 'true' },
  });
  const loadBefore = loadavg()[0];
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [pnpm, 'test'], {
    cwd: clone,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise((resolve) => child.on('close', (exit) => resolve(exit ?? 1)));
  const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
  record = {
    part: 'suite',
    command: 'pnpm test',
    where: `a fresh clone of ${commit}`,
    durationMs,
    exitCode: code,
    passed: code === 0,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg()[0],
  };
} finally {
  rmSync(clone, { recursive: true, force: true });
}
const { durationMs, exitCode: code } = record;
writeFileSync(outFile, `${JSON.stringify(record, null, 2)}\n`);
console.log(
  `suite: pnpm test ${code === 0 ? 'passed' : `failed (exit ${code})`} in ${(durationMs / 1000).toFixed(0)} s`,
);
