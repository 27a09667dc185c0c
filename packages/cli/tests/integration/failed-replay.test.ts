import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// The local package's own fixture: a service whose job runs fail while a marker file exists (a deployed bug,
// until the fix). @baton/local ships no tests, so it is reached by path.
import { type ReplayFixture, startReplayFixture } from '../fixtures/replay/service.js';
import { baton, writeEndpoints } from '../support/client-stack.js';

let fixture: ReplayFixture;
let projectDir: string;

beforeAll(async () => {
  fixture = await startReplayFixture();
  projectDir = await mkdtemp(join(tmpdir(), 'baton-cli-replay-'));
  await writeEndpoints(projectDir, fixture.service.endpoints);
}, 120_000);

afterAll(async () => {
  await fixture?.stop();
  if (projectDir) await rm(projectDir, { recursive: true, force: true });
});

describe('baton failed', () => {
  it("`baton failed replay` brings a failed job's event back and the job runs", async () => {
    // Every run fails while the marker exists: Lambda's retries are used up and the job is failed (exit 4).
    const run = await baton(['run', 'greet', 'name=replayed', '--async', '--wait', '--json'], projectDir);
    expect(run.code, run.stdout).toBe(4);
    const { job } = (JSON.parse(run.stdout) as { error: { job: { id: string; error: { type: string } } } })
      .error;
    expect(job.error.type).toBe('DeliveryFailed');

    const listed = await baton(['failed', 'list', '--json'], projectDir);
    expect(listed.code, listed.stderr).toBe(0);
    const events = JSON.parse(listed.stdout) as { id: string; jobId?: string; reason: string }[];
    const event = events.find((candidate) => candidate.jobId === job.id);
    expect(event).toMatchObject({ reason: 'RetriesExhausted' });
    const id = event?.id as string;
    const table = await baton(['failed', 'list'], projectDir);
    expect(table.stdout).toMatch(/^ID\s+FUNCTION\s+FAILED\s+ATTEMPTS\s+JOB\s+REASON\n/);
    expect(table.stdout).toContain(id);
    expect(table.stdout).toContain('RetriesExhausted: ');

    fixture.fix();
    const replayed = await baton(['failed', 'replay', id], projectDir);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(new RegExp(`^Replayed ${id}: `));

    // The job is failed until the worker takes the replayed event, then queued, running and succeeded.
    expect(replayed.stderr).toContain(`baton jobs watch ${job.id}`);
    await vi.waitFor(
      async () => {
        const got = await baton(['jobs', 'get', job.id, '--json'], projectDir);
        expect((JSON.parse(got.stdout) as { status: string }).status).not.toBe('failed');
      },
      { timeout: 30_000, interval: 100 },
    );
    const watched = await baton(['jobs', 'watch', job.id], projectDir);
    expect(watched.code, watched.stderr).toBe(0);
    expect(JSON.parse(watched.stdout)).toEqual({ greeting: 'hello, replayed' });
    expect(fixture.runs()).toEqual(['replayed']);

    // Replayed already: the service has no such failed event any more (exit 3, the message says why).
    const again = await baton(['failed', 'replay', id], projectDir);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('replayed already');
  });
});
