// Job-run events Lambda gave up on, from the failure bus. Composition only: wired once per execution environment.
import { wireFailedEventHandler } from '@baton/handlers';

export const handler = wireFailedEventHandler();
