/**
 * How long to wait before retry number `retry` (1 for the first retry): "full jitter" exponential backoff —
 * a random delay between 0 and min(cap, base · 2^(retry−1)) — so that jobs failing together on one outage do
 * not retry in lockstep (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
export function backoffDelayMs(
  retry: number,
  random: () => number,
  options: { baseMs: number; capMs: number },
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** Retry delays of a job's operation: 1 s doubling to at most 30 s, jittered. */
export const RETRY_BACKOFF = { baseMs: 1_000, capMs: 30_000 } as const;

/** Retry delays of a store write that must land (a run's last write): 100 ms doubling, 3 tries in all. */
export const WRITE_BACKOFF = { baseMs: 100, capMs: 2_000, tries: 3 } as const;
