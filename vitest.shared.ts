import { defaultServerConditions } from 'vite';
import { defineProject } from 'vitest/config';

/**
 * One project per package. Workspace packages resolve to their TypeScript sources through the
 * `@baton/source` export condition, so tests never need a build first.
 */
export function packageProject(name: string, options: { integrationTimeoutMs?: number } = {}) {
  const conditions = ['@baton/source', ...defaultServerConditions];
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: ['tests/**/*.test.ts'],
      environment: 'node',
      testTimeout: options.integrationTimeoutMs ?? 20_000,
      hookTimeout: 60_000,
    },
  });
}
