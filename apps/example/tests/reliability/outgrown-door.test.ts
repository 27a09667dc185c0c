import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PROBLEM_GATEWAY_RESPONSES } from '@baton/api-gateway';
import {
  type EmulatorHandle,
  LOCAL_STAGE,
  type RunningService,
  startRestApiEmulator,
  startService,
} from '@baton/local';
import { defineService } from '@baton/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { service } from '../../baton.config.js';
import { FULL } from './stack.js';

/**
 * Work that outgrows API Gateway's 29 s: the REST API door answers 202 with a job a margin before the gateway
 * would answer 504, and the worker finishes the job from its checkpoint.
 *
 * `BATON_RELIABILITY=full` (`pnpm test:reliability`) checks it at full size: the example's own handler and the
 * local REST API's 29 s, a 35-second `wait`. `pnpm test` checks the same logic on a clock a fifth of that — the
 * gateway's timeout, the door's margin and the job all scaled alike (5.8 s, 0.6 s, a 7-second `wait`): the
 * example's handler composition with the gateway's timeout and margin passed in (fixtures/scaled-api-gateway.ts),
 * behind a REST API emulator whose integration timeout is 5.8 s.
 */
const SCALE = FULL ? 1 : 0.2;
const INTEGRATION_TIMEOUT_MS = 29_000 * SCALE;
const HANDOFF_MARGIN_MS = 3_000 * SCALE;
const WAIT_SECONDS = Math.round(35 * SCALE);
/** The inline run is asked to hand over a tenth of its budget before the budget ends (runInline's grace). */
const HANDED_OVER_AFTER_MS = (INTEGRATION_TIMEOUT_MS - HANDOFF_MARGIN_MS) * 0.9;

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let stack: RunningService;
let scaledGateway: EmulatorHandle | undefined;
let restApi: string;

beforeAll(async () => {
  if (FULL) {
    stack = await startService(service, { appDir, basePort: 0, logs: 'quiet' });
    restApi = stack.endpoints.restApi as string;
    return;
  }
  const scaled = defineService({
    ...service,
    functions: {
      ...service.functions,
      api: { ...service.functions.api, entry: 'tests/e2e/fixtures/scaled-api-gateway.ts' },
    },
  });
  stack = await startService(scaled, {
    appDir,
    basePort: 0,
    logs: 'quiet',
    environment: {
      BATON_TEST_INTEGRATION_TIMEOUT_MS: String(INTEGRATION_TIMEOUT_MS),
      BATON_TEST_HANDOFF_MARGIN_MS: String(HANDOFF_MARGIN_MS),
    },
  });
  scaledGateway = await startRestApiEmulator({
    lambdaUrl: stack.endpoints.invoke,
    functionName: stack.endpoints.functions.api as string,
    stage: LOCAL_STAGE,
    integrationTimeoutMs: INTEGRATION_TIMEOUT_MS,
    gatewayResponses: PROBLEM_GATEWAY_RESPONSES,
    logs: 'quiet',
  });
  restApi = scaledGateway.url;
}, 120_000);

afterAll(async () => {
  await scaledGateway?.stop();
  await stack?.stop();
});

async function post(body: unknown) {
  const response = await fetch(`${restApi}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as { jobId?: string },
  };
}

async function pollUntilDone(location: string, timeoutMs: number) {
  const origin = new URL(restApi).origin;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await fetch(`${origin}${location}`)).json()) as { status: string };
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`still ${job.status} after ${timeoutMs} ms`);
    await sleep(250);
  }
}

describe(`work that outgrows API Gateway (${FULL ? 'full size' : 'a fifth of full size'})`, () => {
  it(`answers a ${WAIT_SECONDS}-second wait through the REST API with 202 before the ${INTEGRATION_TIMEOUT_MS / 1000} s limit — never 504 — and completes it`, async () => {
    // A warm function, as in the full-size run where earlier requests warmed it: the gateway's clock counts a
    // cold start too, and a cold start does not shrink with the scale.
    expect((await post({ operation: 'checksum', input: { text: 'warm' } })).status).toBe(200);

    const started = Date.now();
    const response = await post({ operation: 'wait', input: { seconds: WAIT_SECONDS } });
    const answeredAfterMs = Date.now() - started;
    expect(response.status).toBe(202);
    expect(answeredAfterMs).toBeLessThan(INTEGRATION_TIMEOUT_MS);
    // Run inline for as long as the budget allows, not handed over early.
    expect(answeredAfterMs).toBeGreaterThanOrEqual(HANDED_OVER_AFTER_MS * 0.95);
    const location = response.headers.get('location') as string;
    expect(location).toBe(`/${LOCAL_STAGE}/jobs/${response.json.jobId}`);
    const job = await pollUntilDone(location, 60_000);
    expect(job).toMatchObject({ status: 'succeeded', result: { waitedSeconds: WAIT_SECONDS } });
  }, 120_000);
});
