/**
 * Part `suite` of `pnpm bench` (opt-in: `pnpm bench --with suite`): times `pnpm test` as a user runs it, through
 * the workspace's own pnpm, and records whether it passed. It takes minutes, so `pnpm bench` leaves it out.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const outFile = process.argv[2] ?? '.reports/bench/suite.json';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pnpm = join(root, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');

const loadBefore = loadavg()[0];
const started = process.hrtime.bigint();
const child = spawn(process.execPath, [pnpm, 'test'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const code = await new Promise((resolve) => child.on('close', (exit) => resolve(exit ?? 1)));
const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
writeFileSync(
  outFile,
  `${JSON.stringify({ part: 'suite', command: 'pnpm test', durationMs, exitCode: code, passed: code === 0, loadAverageBefore: loadBefore, loadAverageAfter: loadavg()[0] }, null, 2)}\n`,
);
console.log(
  `suite: pnpm test ${code === 0 ? 'passed' : `failed (exit ${code})`} in ${(durationMs / 1000).toFixed(0)} s`,
);
