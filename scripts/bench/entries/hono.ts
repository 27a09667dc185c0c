// A peer: the same route (POST /jobs, the checksum operation) on Hono's aws-lambda adapter, with the SDK
// clients of the floor.
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { checksum } from './checksum.ts';
import { documents, lambda } from './sdk-clients.ts';

const app = new Hono();
app.post('/jobs', async (c) => {
  if (!documents || !lambda) throw new Error('no clients');
  return c.json(checksum(await c.req.json()));
});

export const handler = handle(app);
