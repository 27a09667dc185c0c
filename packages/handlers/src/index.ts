export { wireFailedEventHandler, wireReconciler, wireService } from './wiring.js';
