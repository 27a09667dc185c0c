// The REST API and HTTP API door. Composition only: wired once per execution environment.
import { createApiGatewayHandler } from '@baton/api-gateway';
import { withJobWorker } from '@baton/self-invoke';
import { wireService } from '../wiring.js';

const { deps, worker, logger } = wireService();

export const handler = withJobWorker(worker, createApiGatewayHandler({ deps, logger }));
