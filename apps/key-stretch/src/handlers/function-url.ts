import { createFunctionUrlHandler } from '@baton/function-url';
import { wireService } from '@baton/handlers';
import { withJobWorker } from '@baton/self-invoke';
import { registry } from '../operations/stretch-key.js';

const { deps, worker, logger } = wireService(registry);

export const handler = withJobWorker(worker, createFunctionUrlHandler({ deps, logger }));
