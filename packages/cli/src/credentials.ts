import type { LocalCredential } from '@baton/local';
import { UserError } from './errors.js';

export const CREDENTIALS_EXAMPLE =
  '[{"accessKeyId":"AKIDALICE","secretAccessKey":"<a long random secret>","principalArn":"arn:aws:iam::000000000000:user/alice"}]';

/**
 * `BATON_LOCAL_CREDENTIALS`: the callers allowed in, as JSON. Needed when the host is not loopback: every door
 * and the Invoke API then check SigV4 signatures against these secrets. On loopback it is optional (signatures
 * then only name callers). Checked before anything listens.
 */
export function localCredentials(
  host: string,
  text: string | undefined,
  isLoopbackHost: (host: string) => boolean,
): LocalCredential[] | undefined {
  if (text === undefined || text.trim() === '') {
    if (isLoopbackHost(host)) return undefined;
    throw new UserError(
      `${host} is not a loopback address, so every request must be signed (SigV4) and checked. Set BATON_LOCAL_CREDENTIALS to the callers allowed in, as JSON, e.g. BATON_LOCAL_CREDENTIALS='${CREDENTIALS_EXAMPLE}' — or use --host 127.0.0.1.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `BATON_LOCAL_CREDENTIALS is not JSON (${(error as Error).message}); expected ${CREDENTIALS_EXAMPLE}`,
    );
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new UserError(
      `BATON_LOCAL_CREDENTIALS must be a non-empty JSON array such as ${CREDENTIALS_EXAMPLE}`,
    );
  }
  // Each entry's fields are checked, with their index, by the local service.
  return parsed as LocalCredential[];
}
