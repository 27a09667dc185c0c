export {
  EventBridgeJobEvents,
  type EventBridgeJobEventsOptions,
  type JobEventsLogger,
} from './eventbridge-job-events.js';
