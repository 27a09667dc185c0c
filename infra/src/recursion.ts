import type { ServiceDefinition } from '@baton/example/service-definition';
import { RECURSION_LIMIT } from '@baton/local';

export class RecursionSettingError extends Error {
  override readonly name = 'RecursionSettingError';
}

/**
 * Lambda's recursive-loop detection stops a self-invoking chain after about 16 invocations when the function is
 * on `Terminate`. A job may hop `maxHops` times, so with `Terminate` the hops must stay below that, or long jobs
 * would be cut off by Lambda (their event sent to the failure destination) instead of failing cleanly with
 * MaxHopsExceeded. Checked at synth time, so such a definition never deploys (docs/decisions/0003, 0005).
 */
export function checkRecursionSetting(definition: ServiceDefinition): void {
  if (!Number.isInteger(definition.maxHops) || definition.maxHops < 0) {
    throw new RecursionSettingError(`${definition.name}: maxHops must be a non-negative integer.`);
  }
  if (definition.recursiveLoop === 'Terminate' && definition.maxHops >= RECURSION_LIMIT) {
    throw new RecursionSettingError(
      `${definition.name}: maxHops ${definition.maxHops} reaches Lambda's recursive-loop detection ` +
        `(~${RECURSION_LIMIT} invocations) while recursiveLoop is 'Terminate': Lambda would stop long jobs ` +
        `mid-chain. Lower maxHops below ${RECURSION_LIMIT}, or set recursiveLoop: 'Allow' so that maxHops is ` +
        'the only bound.',
    );
  }
}
