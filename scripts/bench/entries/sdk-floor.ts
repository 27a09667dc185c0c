// The floor of the cold-start part: the AWS SDK clients a job service needs, made at module scope, and a
// handler that answers at once. Nothing else: what any handler of this kind pays before its own code.
import { documents, lambda } from './sdk-clients.ts';

export const handler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ ok: Boolean(documents && lambda) }),
});
