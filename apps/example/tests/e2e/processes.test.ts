import { afterAll, describe, expect, it } from 'vitest';
import { groupEnded, runInGroup, spawnGroup, stopAllGroups, stopGroup } from './processes.js';

afterAll(() => stopAllGroups(1_000));

/** Pids of the processes in a group, from ps. */
async function members(pgid: number): Promise<number[]> {
  const { stdout } = await runInGroup('ps', ['-eo', 'pid=,pgid='], { timeoutMs: 10_000 });
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, group]) => group === pgid)
    .map(([pid]) => pid as number);
}

describe('process groups of the end-to-end tests', () => {
  it('stop a process and the children it started, not just the process', async () => {
    // A leader with two children, as pnpm runs a shell that runs the CLI, which runs esbuild.
    const leader = spawnGroup('sh', ['-c', 'sleep 60 & sleep 60 & wait']);
    const pid = leader.pid as number;
    await expect.poll(() => members(pid), { timeout: 10_000 }).toHaveLength(3);
    await stopGroup(pid, 2_000);
    expect(await groupEnded(pid, 2_000)).toBe(true);
  });

  it('kill what ignores SIGTERM once the grace period is over', async () => {
    const stubborn = spawnGroup('sh', ['-c', "trap '' TERM; sleep 60 & wait; sleep 60"]);
    const pid = stubborn.pid as number;
    await expect.poll(() => members(pid), { timeout: 10_000 }).toHaveLength(2);
    const started = Date.now();
    await stopGroup(pid, 300);
    expect(await groupEnded(pid, 2_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('stop a command that overruns its timeout, with everything it started', async () => {
    const before = Date.now();
    const overrun = await runInGroup('sh', ['-c', 'echo "leader $$"; sleep 60 & sleep 60'], {
      timeoutMs: 500,
    }).then(
      () => 'finished',
      (error: Error) => error.message,
    );
    expect(overrun).toMatch(/no end after 500 ms/);
    expect(Date.now() - before).toBeLessThan(5_000);
    const pid = Number(/leader (\d+)/.exec(overrun)?.[1]);
    expect(await groupEnded(pid, 3_000)).toBe(true);
  });
});
