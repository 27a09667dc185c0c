import { defineRegistry } from '@baton/core';
import { checksum } from './checksum.js';
import { report } from './report.js';
import { wait } from './wait.js';

/** The example service's operations. A client infers every input and output type from this registry. */
export const registry = defineRegistry([checksum, wait, report]);
export { REGIONS, saleRecord } from './report.js';
export { checksum, report, wait };
