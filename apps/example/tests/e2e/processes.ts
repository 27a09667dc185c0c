import {
  type ChildProcessWithoutNullStreams,
  type SpawnOptionsWithoutStdio,
  spawn,
} from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Processes the end-to-end tests start, each the leader of a process group of its own (`detached`), so that it
 * and everything it starts — `pnpm start` runs a shell that runs `baton dev`, which runs esbuild's service
 * process; `script` runs a shell that runs curl — are stopped together: SIGTERM to the whole group, SIGKILL to
 * whatever is left after a grace period. Signalling only the leader once left `pnpm start`'s node process
 * running after a failed test. A signal to the group is also what a terminal's Ctrl-C is: every process of the
 * foreground group gets SIGINT, so the tests see what a user sees.
 *
 * Every group still running when the test process exits, or is told to stop, is killed with it.
 */

/** The leaders' pids, shared by every copy of this module in the test process (test files may each load one). */
const shared = globalThis as { [key: symbol]: unknown };
const RUNNING = Symbol.for('baton.e2e.process-groups');
const firstLoad = shared[RUNNING] === undefined;
shared[RUNNING] ??= new Set<number>();
const running = shared[RUNNING] as Set<number>;

/** Spawns `command` as the leader of a new process group, tracked until it is stopped. */
export function spawnGroup(
  command: string,
  args: readonly string[],
  options: SpawnOptionsWithoutStdio = {},
): ChildProcessWithoutNullStreams {
  const child = spawn(command, args, { ...options, detached: true });
  if (child.pid !== undefined) running.add(child.pid);
  return child;
}

/** Sends a signal to every process of the group; false when none is left. */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Whether any process of the group is still there. */
export function groupAlive(pid: number): boolean {
  return signalGroup(pid, 0);
}

/** Waits up to `timeoutMs` for every process of the group to end (helpers such as esbuild's end just after). */
export async function groupEnded(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Stops a whole group: SIGTERM, then SIGKILL after `graceMs` if anything of it is left. */
export async function stopGroup(pid: number, graceMs = 5_000): Promise<void> {
  try {
    if (!signalGroup(pid, 'SIGTERM')) return;
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      await sleep(50);
      if (!groupAlive(pid)) return;
    }
    signalGroup(pid, 'SIGKILL');
  } finally {
    running.delete(pid);
  }
}

/** Stops every group started so far (an afterAll's job). */
export async function stopAllGroups(graceMs = 5_000): Promise<void> {
  await Promise.all([...running].map((pid) => stopGroup(pid, graceMs)));
}

/**
 * Runs a command in a group of its own to its end, like execFile, but a timeout stops the whole group, not just
 * the command. Rejects on a non-zero exit, with what it printed.
 */
export function runInGroup(
  command: string,
  args: readonly string[],
  options: SpawnOptionsWithoutStdio & { timeoutMs: number },
): Promise<{ stdout: string; stderr: string }> {
  const { timeoutMs, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawnGroup(command, args, spawnOptions);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) void stopGroup(child.pid, 1_000);
      reject(new Error(`${command} ${args.join(' ')}: no end after ${timeoutMs} ms\n${stdout}${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // The leader is done; anything it left behind in its group goes too.
      if (child.pid !== undefined) void stopGroup(child.pid, 1_000);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} ended with ${code ?? signal}\n${stdout}${stderr}`));
    });
  });
}

/** Kills every group at once: for the exit of the test process, where nothing can be awaited. */
function killAllNow(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

if (firstLoad) {
  process.once('exit', killAllNow);
  // Detached groups are not in the terminal's foreground group: a Ctrl-C of the test run does not reach them.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      process.kill(process.pid, signal);
    });
  }
}
