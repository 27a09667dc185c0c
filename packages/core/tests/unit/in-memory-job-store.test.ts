import { InMemoryJobStore } from '../../src/testing/index.js';
import { describeJobStoreConformance } from '../../src/testing/job-store-conformance.js';

describeJobStoreConformance('in-memory', async (clock) => ({ store: new InMemoryJobStore(clock) }));
