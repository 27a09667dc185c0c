import { wireReconciler } from '@baton/handlers';
import { registry } from '../operations/stretch-key.js';

export const handler = wireReconciler(registry);
