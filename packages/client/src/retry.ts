import { BatonTransportError } from './errors.js';
import type { RetryOptions, Sleep } from './types.js';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: Sleep;
  /** 0 ≤ x < 1; replaceable so a test can pin the jitter. */
  readonly random: () => number;
}

export const DEFAULT_RETRY = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 10_000 } as const;

export function retryPolicy(options: RetryOptions | undefined, sleep: Sleep): RetryPolicy {
  return {
    maxAttempts: Math.max(1, Math.floor(options?.maxAttempts ?? DEFAULT_RETRY.maxAttempts)),
    baseDelayMs: Math.max(0, options?.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs),
    sleep,
    random: Math.random,
  };
}

/** A failure worth another attempt: throttled, a gateway or service hiccup, the network. */
export class RetryableFailure extends Error {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { cause?: unknown; status?: number; retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Exponential backoff with full jitter (a random wait up to base·2^(n−1), capped): many clients throttled at
 * once do not come back at once. A Retry-After the service sent is what the wait is instead, within the cap.
 */
export function backoffDelayMs(policy: RetryPolicy, failures: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(policy.maxDelayMs, Math.max(0, retryAfterMs));
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1));
  return Math.floor(policy.random() * ceiling);
}

/**
 * Runs `attempt` until it succeeds, throws something other than a RetryableFailure, or maxAttempts are spent
 * (then a BatonTransportError). Safe for POSTs only because every run carries its clientRequestId.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    signal?.throwIfAborted();
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (!(error instanceof RetryableFailure)) throw error;
      if (signal?.aborted) throw signal.reason;
      if (attemptNumber >= policy.maxAttempts) {
        throw new BatonTransportError(
          `${error.message} (gave up after ${attemptNumber} attempt${attemptNumber === 1 ? '' : 's'})`,
          {
            cause: error.cause ?? error,
            attempts: attemptNumber,
            ...(error.status !== undefined && { status: error.status }),
          },
        );
      }
      await policy.sleep(backoffDelayMs(policy, attemptNumber, error.retryAfterMs), signal);
    }
  }
}

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** RFC 9110 Retry-After: delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
