// A second layout: one Function URL, no API Gateway; long jobs hop from invocation to invocation of itself.
import { defineService } from '@baton/service';

export default defineService({
  name: 'key-stretch',
  functions: {
    url: { entry: 'src/handlers/function-url.ts', doors: ['function-url'], memoryMb: 512 },
  },
  maintenance: {
    reconciler: { entry: 'src/handlers/reconciler.ts' },
    failedEvents: { entry: 'src/handlers/failed-events.ts' },
  },
});
