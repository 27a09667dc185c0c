import { packageProject } from '../../vitest.shared.js';

// The starting project's own test runs here too, so a template that stops passing is found in this repository.
export default packageProject('cli', {
  integrationTimeoutMs: 120_000,
  include: ['tests/**/*.test.ts', 'templates/tests/**/*.test.ts'],
});
