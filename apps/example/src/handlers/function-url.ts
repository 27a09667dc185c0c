// The Function URL door. Composition only: wired once per execution environment.
import { createFunctionUrlHandler } from '@baton/function-url';
import { withJobWorker } from '@baton/self-invoke';
import { wireService } from '../wiring.js';

const { deps, worker, logger } = wireService();

export const handler = withJobWorker(worker, createFunctionUrlHandler({ deps, logger }));
