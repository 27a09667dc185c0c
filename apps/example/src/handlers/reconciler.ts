// The reconciler, on a schedule. Composition only: wired once per execution environment.
import { wireReconciler } from '../wiring.js';

export const handler = wireReconciler();
