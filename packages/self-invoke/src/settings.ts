import { DEFAULT_LEASE_TTL_MS, DEFAULT_MAX_HOPS } from '@baton/core';
import * as z from 'zod';

/** A whole number given as text, within bounds: `Number('')` is 0 and `Number('x')` NaN, so neither is used. */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const name = z.string().trim().min(1).max(256);

const SettingsSchema = z.object({
  JOBS_TABLE: name,
  BATON_MAX_HOPS: wholeNumber(0, 10_000).default(DEFAULT_MAX_HOPS),
  BATON_JOB_RETENTION_DAYS: wholeNumber(1, 3_650).default(7),
  BATON_LEASE_TTL_MS: wholeNumber(1_000, 15 * 60_000).default(DEFAULT_LEASE_TTL_MS),
  BATON_JOBS_FUNCTION: name.optional(),
  BATON_DEFAULT_CALLER: name.optional(),
  BATON_RECONCILE_GRACE_MS: wholeNumber(1_000, 24 * 3600_000).optional(),
  BATON_RECONCILE_BATCH_SIZE: wholeNumber(1, 10_000).optional(),
  BATON_HANDOFF_MARGIN_MS: wholeNumber(0, 15 * 60_000).optional(),
  BATON_EVENT_BUS: name.optional(),
});

/** The settings a Baton function reads from its environment, checked. */
export interface ServiceSettings {
  readonly jobsTable: string;
  readonly maxHops: number;
  readonly retentionMs: number;
  readonly leaseTtlMs: number;
  /** Where jobs are sent; absent means the function itself. */
  readonly jobsFunction?: string;
  readonly defaultCaller?: string;
  readonly reconcileGraceMs?: number;
  readonly reconcileBatchSize?: number;
  /** How long before its invocation ends a checkpointing job is asked to hand over to the next hop. */
  readonly handoffMarginMs?: number;
  /** The EventBridge bus (name or ARN) that finished jobs are announced on; absent, they are not announced. */
  readonly eventBus?: string;
}

export class InvalidSettings extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid function settings: ${problems.join('; ')}.`);
    this.name = 'InvalidSettings';
  }
}

/**
 * Reads and checks a function's settings once, at cold start. A bad value stops the start with a message
 * naming the variable — a NaN max-hops would otherwise lift the hop limit silently. Empty values count as
 * unset.
 */
export function readSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ServiceSettings {
  const given = Object.fromEntries(
    Object.keys(SettingsSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  );
  const parsed = SettingsSchema.safeParse(given);
  if (!parsed.success) {
    throw new InvalidSettings(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0]);
        const value = env[variable];
        return `${variable}${value === undefined ? ' is not set' : `='${value}'`}: ${issue.message}`;
      }),
    );
  }
  const s = parsed.data;
  return {
    jobsTable: s.JOBS_TABLE,
    maxHops: s.BATON_MAX_HOPS,
    retentionMs: s.BATON_JOB_RETENTION_DAYS * 24 * 3600_000,
    leaseTtlMs: s.BATON_LEASE_TTL_MS,
    ...(s.BATON_JOBS_FUNCTION !== undefined && { jobsFunction: s.BATON_JOBS_FUNCTION }),
    ...(s.BATON_DEFAULT_CALLER !== undefined && { defaultCaller: s.BATON_DEFAULT_CALLER }),
    ...(s.BATON_RECONCILE_GRACE_MS !== undefined && { reconcileGraceMs: s.BATON_RECONCILE_GRACE_MS }),
    ...(s.BATON_RECONCILE_BATCH_SIZE !== undefined && { reconcileBatchSize: s.BATON_RECONCILE_BATCH_SIZE }),
    ...(s.BATON_HANDOFF_MARGIN_MS !== undefined && { handoffMarginMs: s.BATON_HANDOFF_MARGIN_MS }),
    ...(s.BATON_EVENT_BUS !== undefined && { eventBus: s.BATON_EVENT_BUS }),
  };
}
