// The reconciler, on a schedule. Composition only: wired once per execution environment.
import { wireReconciler } from '@baton/handlers';
import { registry } from '../operations/index.js';

export const handler = wireReconciler(registry);
