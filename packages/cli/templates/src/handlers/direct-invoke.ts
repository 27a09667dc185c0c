// The direct Invoke door (RPC). Composition only: wired once per execution environment.
import { createDirectInvokeHandler } from '@baton/direct-invoke';
import { wireService } from '@baton/handlers';
import { withJobWorker } from '@baton/self-invoke';
import { registry } from '../operations/index.js';

const { deps, worker, logger, settings } = wireService(registry);

export const handler = withJobWorker(
  worker,
  // Lambda does not say who invoked it; a caller that names none acts as BATON_DEFAULT_CALLER, if set.
  createDirectInvokeHandler({
    deps,
    logger,
    ...(settings.defaultCaller !== undefined && { defaultCaller: settings.defaultCaller }),
  }),
);
