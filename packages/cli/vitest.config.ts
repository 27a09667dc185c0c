import { packageProject } from '../../vitest.shared.js';

export default packageProject('cli', { integrationTimeoutMs: 120_000 });
