/**
 * Reference adapters for tests and local runs. Not exported from the production entry point, so a
 * handler bundle never carries them.
 */
export { InMemoryJobDispatcher } from './in-memory-job-dispatcher.js';
export { InMemoryJobEvents } from './in-memory-job-events.js';
export { InMemoryJobStore } from './in-memory-job-store.js';
export { fakeLambdaContext } from './lambda-context.js';
export { ManualClock } from './manual-clock.js';
export { testRegistry } from './test-registry.js';
