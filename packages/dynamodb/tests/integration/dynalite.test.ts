import { describeJobStoreConformance } from '@baton/core/testing/conformance';
import { afterAll, beforeAll, describe } from 'vitest';
import { describeDynamoDbAdapter } from './adapter-suite.js';
import { type Backend, conformanceFactory, startDynalite } from './servers.js';

describe('on dynalite (in-process)', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startDynalite();
  });
  afterAll(async () => {
    await backend?.stop();
  });

  describeJobStoreConformance(
    'DynamoDbJobStore on dynalite',
    conformanceFactory(() => backend),
  );
  describeDynamoDbAdapter(() => backend);
});
