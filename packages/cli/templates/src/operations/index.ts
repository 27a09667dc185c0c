import { defineRegistry } from '@baton/core';
import { countPrimes } from './count-primes.js';

/** Every operation the service serves, through every door. Add new ones here. */
export const registry = defineRegistry([countPrimes]);
export { countPrimes };
