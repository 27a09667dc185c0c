// A peer: the same route (POST /jobs, the checksum operation) on Powertools' event-handler Router, with the
// Powertools Logger and the SDK clients of the floor.
import { Router } from '@aws-lambda-powertools/event-handler/http';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { checksum } from './checksum.ts';
import { documents, lambda } from './sdk-clients.ts';

const logger = new Logger();
const app = new Router({ logger } as never);
app.post('/jobs', async ({ req }) => {
  if (!documents || !lambda) throw new Error('no clients');
  return checksum(await req.json()) as never;
});

export const handler = (event: unknown, context: Context) => app.resolve(event, context);
