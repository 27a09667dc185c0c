import { packageProject } from '../../vitest.shared.js';

// The end-to-end tests wait out a 35-second job through the API Gateway door.
export default packageProject('example', { integrationTimeoutMs: 120_000 });
