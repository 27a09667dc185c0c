import { packageProject } from '../../vitest.shared.js';

// End-to-end tests start the example's whole stack, or `pnpm start` itself.
export default packageProject('example', { integrationTimeoutMs: 120_000 });
