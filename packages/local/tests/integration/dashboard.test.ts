import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServiceDefinition } from '@baton/service';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningService, startService } from '../../src/index.js';

/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core), against the example service's
 * whole local stack started in this process: a job's progress moving on the page, a running job cancelled from
 * it, a failed delivery replayed from its failure destination panel. It saves the screenshot the README shows.
 */

// Debian's chromium (apt-get install chromium): playwright's own browser downloads are not used.
const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable) {
  console.warn(
    `Skipping the dashboard's browser test: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`,
  );
}

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const EXAMPLE_DIR = join(REPO, 'apps/example');
const SCREENSHOT = join(REPO, '.reports/dashboard.png');
const DOCS_SCREENSHOT = join(REPO, 'docs/dashboard.png');
const FINISHED = ['succeeded', 'failed', 'cancelled'];

let service: RunningService | undefined;
let context: BrowserContext | undefined;
let page: Page;
let userDataDir: string | undefined;
/** The job whose deliveries are made to fail (submitted at start, so its failure overlaps the other checks). */
let failing: { jobId: string; failed: Promise<void>; stop: () => void } | undefined;

async function submit(base: string, operation: string, input: unknown): Promise<string> {
  const response = await fetch(`${base}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', prefer: 'respond-async' },
    body: JSON.stringify({ operation, input }),
  });
  const body = (await response.json()) as { jobId?: string };
  if (response.status !== 202 || !body.jobId)
    throw new Error(`submit answered ${response.status}: ${JSON.stringify(body)}`);
  return body.jobId;
}

/** An async job submitted by direct invoke, naming another caller: a job of another owner (`invoke:bob`). */
async function submitAsBob(running: RunningService): Promise<string> {
  const { invoke, invokeFunction } = running.endpoints;
  const response = await fetch(`${invoke}/2015-03-31/functions/${invokeFunction}/invocations`, {
    method: 'POST',
    headers: {
      'x-amz-client-context': Buffer.from(JSON.stringify({ custom: { caller: 'bob' } })).toString('base64'),
    },
    body: JSON.stringify({ operation: 'checksum', input: { text: 'from bob' }, meta: { async: true } }),
  });
  const body = (await response.json()) as { jobId?: string };
  if (!body.jobId) throw new Error(`direct invoke answered ${JSON.stringify(body)}`);
  return body.jobId;
}

/**
 * Makes every delivery of one job fail, as a crash would: each time the Function URL function (which runs its own
 * jobs) starts an attempt of the job's event, its execution environments are killed. After Lambda's two retries the
 * event goes to the failure destination, and the failed-event handler fails the job.
 */
function failEveryDelivery(running: RunningService, jobId: string) {
  const functionName = running.endpoints.functions.url as string;
  let stopped = false;
  const failed = (async () => {
    const deadline = Date.now() + 15_000;
    while (!stopped && running.lambda.failedEvents(functionName).length === 0) {
      if (Date.now() > deadline)
        throw new Error(`job ${jobId}'s event never reached the failure destination`);
      if ((running.lambda.stats()[functionName]?.asyncQueue.running ?? 0) > 0) {
        await running.lambda.killEnvironments(functionName);
      }
      await sleep(20);
    }
  })();
  return { jobId, failed, stop: () => (stopped = true) };
}

const row = (jobId: string) => page.locator(`tr.job[data-job-id="${jobId}"]`);

async function progressOf(jobId: string): Promise<number> {
  return Number(await row(jobId).locator('progress').getAttribute('data-fraction'));
}

/** Polls until `read` answers a value `accept` takes; throws with the last value past the timeout. */
async function until<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined as T);
    if (value !== undefined && accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`gave up after ${timeoutMs} ms; last seen ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

describe.skipIf(!browserAvailable)('the dashboard, in chromium', () => {
  beforeAll(async () => {
    const { default: definition } = (await import(
      pathToFileURL(join(EXAMPLE_DIR, 'baton.config.ts')).href
    )) as {
      default: ServiceDefinition<string>;
    };
    userDataDir = mkdtempSync(join(tmpdir(), 'baton-dashboard-chromium-'));
    // Both at once; whichever started is kept for afterAll to stop, even when the other failed.
    const [started, browser] = await Promise.allSettled([
      startService(definition, {
        appDir: EXAMPLE_DIR,
        logs: 'quiet',
        // Lambda's retry backoff (1 and 2 minutes) in milliseconds, and a short lease so a retry of a killed run
        // takes the job over at once: the failed delivery below takes about a second, not minutes.
        timeScale: 0.001,
        leaseTtlMs: 1_000,
        reconciler: false,
      }),
      chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1440, height: 900 },
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      }),
    ]);
    if (started.status === 'fulfilled') service = started.value;
    if (browser.status === 'fulfilled') context = browser.value;
    if (started.status === 'rejected') throw started.reason;
    if (browser.status === 'rejected') throw browser.reason;
    if (!service || !context) throw new Error('unreachable');
    page = context.pages()[0] ?? (await context.newPage());
    const url = service.endpoints.functionUrl as string;
    failing = failEveryDelivery(service, await submit(url, 'wait', { seconds: 2 }));
    // What `baton dev` does once it has asked the service for its operations: the examples run a real one.
    service.dashboard.setOperations([{ name: 'report', input: { records: 50_000_000 } }]);
    await page.goto(service.endpoints.dashboard);
  });

  afterAll(async () => {
    failing?.stop();
    await failing?.failed.catch(() => {});
    try {
      await context?.close();
    } finally {
      try {
        await service?.stop();
      } finally {
        if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
      }
    }
  });

  it("shows every owner's jobs, newest first, a running job's progress moving", async () => {
    const running = service as RunningService;
    const bobs = await submitAsBob(running);
    // About 2 s of work on one core: long enough to be seen moving, short enough for the suite.
    const report = await submit(running.endpoints.httpApi as string, 'report', { records: 20_000_000 });

    await until(
      () => row(bobs).getAttribute('data-status'),
      (status) => status === 'succeeded',
    );
    expect(await row(bobs).locator('.owner').textContent()).toBe('invoke:bob');
    // A click on a job shows its history (or, for a job stored without one, its own fields).
    await row(report).locator('.operation').click();
    await until(
      () => page.locator(`tr.detail[data-detail-of="${report}"]`).textContent(),
      (text) => /claimed|started/.test(text ?? ''),
    );
    const first = await until(
      () => progressOf(report),
      (fraction) => fraction > 0 && fraction < 0.9,
    );
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    const second = await until(
      () => progressOf(report),
      (fraction) => fraction > first,
    );
    expect(second).toBeGreaterThan(first);
    expect(await row(report).locator('.message').textContent()).toMatch(/\d+% · \d+ of 20000000 records/);
    expect(await row(report).locator('.owner').textContent()).toBe(
      'arn:aws:iam::000000000000:user/local-developer',
    );
    // Newest first: the report was submitted after bob's job.
    const ids = await page
      .locator('tr.job')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id')));
    expect(ids.indexOf(report)).toBeLessThan(ids.indexOf(bobs));
    // The README's picture: written when missing, or on request, so that a test run leaves the checkout clean.
    if (!existsSync(DOCS_SCREENSHOT) || process.env.BATON_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(join(REPO, 'docs'), { recursive: true });
      copyFileSync(SCREENSHOT, DOCS_SCREENSHOT);
    }

    await until(
      () => row(report).getAttribute('data-status'),
      (status) => status === 'succeeded',
      15_000,
    );
    expect(await row(report).locator('.outcome').textContent()).toContain('"records":20000000');
    // The `Baton Job Finished` events, in their panel once the Invoke API serves them (`GET /_baton/events`).
    const events = await fetch(`${running.endpoints.invoke}/_baton/events`);
    if (events.ok) {
      await until(
        () => page.locator('#event-rows').textContent(),
        (text) => text?.includes(report) === true,
      );
      expect(await page.locator('#events').isVisible()).toBe(true);
    }
    await until(
      () => page.locator('#examples pre').first().textContent(),
      (text) => text?.includes('"operation":"report"') === true,
    );
  });

  it("links the API reference page, served beside it from the service's own OpenAPI document", async () => {
    const dashboard = (service as RunningService).endpoints.dashboard;
    expect(await page.locator('#reference-link').isVisible()).toBe(true);
    const document = await fetch(`${dashboard}/openapi.json`);
    expect(document.status).toBe(200);
    expect(((await document.json()) as { openapi?: string }).openapi).toMatch(/^3\.1/);
    const reference = await fetch(`${dashboard}/reference`);
    expect(reference.status).toBe(200);
    expect(await reference.text()).toContain('baton-example API');
  });

  it('cancels a running job of any owner from the page', async () => {
    const running = service as RunningService;
    const waiting = await submit(running.endpoints.restApi as string, 'wait', { seconds: 30 });
    await until(
      () => row(waiting).getAttribute('data-status'),
      (status) => status === 'running',
    );
    await row(waiting).locator('button.cancel').click();
    await until(
      () => row(waiting).getAttribute('data-status'),
      (status) => status === 'cancelled',
    );
    expect(await row(waiting).locator('button.cancel').isHidden()).toBe(true);

    // The status filter lists only the jobs in that status.
    await page.locator('#filter-status').selectOption('cancelled');
    await until(
      () => page.locator('tr.job').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))),
      (statuses) => statuses.length === 1 && statuses[0] === 'cancelled',
    );
    await page.locator('#filter-status').selectOption('');
  });

  it('replays a failed delivery from the failure destination panel: its job runs', async () => {
    const { jobId, failed } = failing as NonNullable<typeof failing>;
    await failed;
    const failedRow = page.locator(`#failed-rows tr[data-job-id="${jobId}"]`);
    await until(
      () => failedRow.count(),
      (count) => count === 1,
    );
    await until(
      () => row(jobId).getAttribute('data-status'),
      (status) => status === 'failed',
    );
    expect(await row(jobId).locator('.outcome').textContent()).toMatch(/DeliveryFailed/);

    await failedRow.locator('button.replay').click();
    await until(
      () => failedRow.count(),
      (count) => count === 0,
    );
    const status = await until(
      () => row(jobId).getAttribute('data-status'),
      (value) => value === 'succeeded' || value === 'running' || value === 'queued',
    );
    expect(FINISHED.includes(status as string) ? status : 'succeeded').toBe('succeeded');
    await until(
      () => row(jobId).getAttribute('data-status'),
      (value) => value === 'succeeded',
      10_000,
    );
  });
});
