// The REST API and HTTP API door. Composition only: wired once per execution environment.
import { createApiGatewayHandler } from '@baton/api-gateway';
import { wireService } from '@baton/handlers';
import { withJobWorker } from '@baton/self-invoke';
import { registry } from '../operations/index.js';

const { deps, worker, logger } = wireService(registry);

export const handler = withJobWorker(worker, createApiGatewayHandler({ deps, logger }));
