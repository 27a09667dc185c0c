import { defineProject } from 'vitest/config';

/**
 * One project per package. Workspace packages resolve to their TypeScript sources through the
 * `@baton/source` export condition, so tests never need a build first.
 */
export function packageProject(
  name: string,
  options: { integrationTimeoutMs?: number; include?: string[]; sharedModules?: boolean } = {},
) {
  // Not 'module': it would hand Node the AWS SDK's extension-less dist-es files, which Node cannot load.
  const conditions = ['@baton/source', 'node', 'development|production'];
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: options.include ?? ['tests/**/*.test.ts'],
      environment: 'node',
      // A package whose tests are pure functions of their inputs (no stacks, no processes, no environment left
      // changed) runs its files in one module graph on threads: each file no longer re-imports zod and the core,
      // which was most of such a file's time (decision 0013).
      ...(options.sharedModules && { isolate: false, pool: 'threads' as const }),
      // The AWS SDK's notice that its 2027 releases need Node 22, printed by every test process that makes a
      // client on Node 20: about this machine, not about Baton (startService turns it off in functions too).
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      testTimeout: options.integrationTimeoutMs ?? 20_000,
      // A project whose tests start stacks or synthesize apps starts them in hooks too: the same allowance.
      hookTimeout: Math.max(60_000, options.integrationTimeoutMs ?? 0),
    },
  });
}
