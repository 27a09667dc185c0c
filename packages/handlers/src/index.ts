export { JOB_METRICS, JobMetrics, METRICS_NAMESPACE } from './job-metrics.js';
export { tracingWanted } from './tracing.js';
export { type WiringAdapters, wireFailedEventHandler, wireReconciler, wireService } from './wiring.js';
