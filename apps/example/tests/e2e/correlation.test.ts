import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type RunningService, startService } from '@baton/local';
import { defineService, functionName } from '@baton/service';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { service } from '../../baton.config.js';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The example service with a 2 s worker that hands a checkpointing job to its next hop 1 s before its end: a
 * long report passes the baton every second or so, so a third invocation (hop 2) comes within seconds.
 */
const hopping = defineService({
  ...service,
  name: 'baton-correlation',
  functions: { ...service.functions, worker: { ...service.functions.worker, timeoutSeconds: 2 } },
});
const workerName = functionName(hopping, 'worker');

let stack: RunningService;
/** Every function log line, as `[function] line`: the service forwards them to this process's output. */
const lines: { fn: string; text: string }[] = [];

beforeAll(async () => {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      const text = String(chunk);
      let forwarded = false;
      for (const line of text.split('\n')) {
        const match = /^\[([^\]]+)\] (.*)$/.exec(line);
        if (match?.[1] && match[2] !== undefined) {
          lines.push({ fn: match[1], text: match[2] });
          forwarded = true;
        }
      }
      return forwarded ? true : (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
  stack = await startService(hopping, {
    appDir,
    basePort: 0,
    logs: 'forward',
    environment: { BATON_HANDOFF_MARGIN_MS: '1000' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  vi.restoreAllMocks();
});

/** The JSON log lines (Powertools Logger's) of a function. */
const jsonLinesOf = (fn: string) =>
  lines
    .filter((line) => line.fn === fn)
    .flatMap(({ text }) => {
      const at = text.indexOf('{');
      if (at < 0) return [];
      try {
        return [JSON.parse(text.slice(at)) as Record<string, unknown>];
      } catch {
        return [];
      }
    });

describe('the correlation id across hops', () => {
  it('a log line of a third-hop continuation carries the original request’s correlation id', async () => {
    const correlationId = `e2e-${Date.now()}`;
    const base = stack.endpoints.httpApi as string;
    const accepted = await fetch(`${base}/jobs`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        prefer: 'respond-async',
        'x-correlation-id': correlationId,
      },
      // About a minute of work at 10 M records a second: it outlasts the three hops the test waits for.
      body: JSON.stringify({ operation: 'report', input: { records: 600_000_000, batchSize: 200_000 } }),
    });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('x-correlation-id')).toBe(correlationId);
    const { jobId } = (await accepted.json()) as { jobId: string };

    const fromHop2 = () => jsonLinesOf(workerName).filter((line) => line.jobId === jobId && line.hop === 2);
    const deadline = Date.now() + 20_000;
    while (fromHop2().length === 0 && Date.now() < deadline) await sleep(100);

    const hop2 = fromHop2();
    expect(hop2.length).toBeGreaterThan(0);
    for (const line of hop2) expect(line).toMatchObject({ correlation_id: correlationId });
    // The first two hops carried it too, and no worker line about this job lacks it.
    const aboutJob = jsonLinesOf(workerName).filter((line) => line.jobId === jobId);
    expect(new Set(aboutJob.map((line) => line.hop))).toEqual(new Set([0, 1, 2]));
    expect(aboutJob.every((line) => line.correlation_id === correlationId)).toBe(true);

    // The job view shows it; cancelling ends the job (and the test) early, and echoes it back.
    const view = await fetch(`${base}/jobs/${jobId}`);
    expect(await view.json()).toMatchObject({ correlationId });
    expect(view.headers.get('x-correlation-id')).toEqual(expect.any(String));
    const cancelled = await fetch(`${base}/jobs/${jobId}/cancel`, {
      method: 'POST',
      headers: { 'x-correlation-id': correlationId },
    });
    expect(cancelled.headers.get('x-correlation-id')).toBe(correlationId);
  }, 60_000);
});
