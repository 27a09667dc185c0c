import { packageProject } from '../../vitest.shared.js';

export default packageProject('key-stretch', { integrationTimeoutMs: 120_000 });
