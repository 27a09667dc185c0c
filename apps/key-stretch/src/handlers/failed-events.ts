import { wireFailedEventHandler } from '@baton/handlers';

export const handler = wireFailedEventHandler();
