// The worker the API door hands its jobs to. Composition only: wired once per execution environment.
import { wireService } from '../wiring.js';

export const handler = wireService().worker;
