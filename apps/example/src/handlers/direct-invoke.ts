// The direct Invoke door (RPC). Composition only: wired once per execution environment.
import { createDirectInvokeHandler } from '@baton/direct-invoke';
import { withJobWorker } from '@baton/self-invoke';
import { wireService } from '../wiring.js';

const { deps, worker, logger, settings } = wireService();

export const handler = withJobWorker(
  worker,
  // Lambda does not say who invoked it; a caller that names none acts as BATON_DEFAULT_CALLER, if set.
  createDirectInvokeHandler({
    deps,
    logger,
    ...(settings.defaultCaller !== undefined && { defaultCaller: settings.defaultCaller }),
  }),
);
