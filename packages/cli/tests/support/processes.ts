import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * `baton` as its tests run it: the leader of a process group of its own, so that it and everything it starts
 * (esbuild's service process) are stopped together, whatever happens to the test — SIGTERM to the whole group,
 * SIGKILL after a grace period, and SIGKILL to every group still running when the test process exits.
 */
const running = new Set<number>();

export const BATON_BIN = new URL('../../bin/baton.js', import.meta.url).pathname;

export interface BatonProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the output once it contains `text`; rejects if the process ends first or after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<number | null>;
}

export function startBaton(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): BatonProcess {
  const child = spawn(process.execPath, [BATON_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    detached: true,
  });
  const pid = child.pid as number;
  running.add(pid);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    pid,
    output: () => output,
    exited,
    waitFor: (text, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!output.includes(text)) return;
          done();
          resolve(output);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no "${text}" after ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          done();
          reject(new Error(`exited with ${code} before "${text}":\n${output}`));
        });
        check();
      }),
  };
}

/**
 * A process group started some other way (a pseudo-terminal's child leads a session, and so a group, of its
 * own): stopped with the others by stopAllGroups, and killed when the test process exits.
 */
export function trackGroup(pid: number): void {
  running.add(pid);
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

/** Waits up to `timeoutMs` for every process of the group to end. */
export async function groupEnded(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (signalGroup(pid, 0)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  running.delete(pid);
  return true;
}

/** Stops every group started so far: SIGTERM, then SIGKILL after `graceMs` (an afterAll's job). */
export async function stopAllGroups(graceMs = 5_000): Promise<void> {
  await Promise.all(
    [...running].map(async (pid) => {
      if (signalGroup(pid, 'SIGTERM') && !(await groupEnded(pid, graceMs))) signalGroup(pid, 'SIGKILL');
      running.delete(pid);
    }),
  );
}

process.once('exit', () => {
  for (const pid of running) signalGroup(pid, 'SIGKILL');
});
