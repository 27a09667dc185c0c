import { packageProject } from '../vitest.shared.js';

export default packageProject('infra', { integrationTimeoutMs: 120_000 });
