// The worker the API door hands its jobs to. Composition only: wired once per execution environment.
import { wireService } from '@baton/handlers';
import { registry } from '../operations/index.js';

export const handler = wireService(registry).worker;
