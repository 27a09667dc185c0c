// The direct Invoke door (RPC). Composition only: wired once per execution environment.
import { createDirectInvokeHandler } from '@baton/direct-invoke';
import { wireService } from '@baton/handlers';
import { withJobWorker } from '@baton/self-invoke';
import { registry } from '../operations/index.js';

const { deps, worker, logger, settings } = wireService(registry);

// Lambda does not say who invoked it: a caller that names none in the client context acts as
// BATON_DEFAULT_CALLER, when that is set.
export const handler = withJobWorker(
  worker,
  createDirectInvokeHandler({ deps, logger, defaultCaller: settings.defaultCaller }),
);
