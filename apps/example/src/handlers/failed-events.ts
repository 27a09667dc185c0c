// Lambda's on-failure destination for job-run events. Composition only: wired once per execution environment.
import { wireFailedEventHandler } from '../wiring.js';

export const handler = wireFailedEventHandler();
