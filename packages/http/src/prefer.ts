/** What a client asked for with RFC 7240 `Prefer`, and what to acknowledge in `Preference-Applied`. */
export interface Preferences {
  readonly respondAsync: boolean;
  /** Seconds the client is willing to wait for a synchronous answer. */
  readonly waitSeconds?: number;
}

const NO_PREFERENCES: Preferences = Object.freeze({ respondAsync: false });

/** Parses `Prefer: respond-async, wait=10` (tokens are case-insensitive; parameters after `;` are ignored). */
export function parsePrefer(header: string | undefined): Preferences {
  if (header === undefined) return NO_PREFERENCES;
  let respondAsync = false;
  let waitSeconds: number | undefined;
  for (const preference of (header ?? '').split(',')) {
    const [token = ''] = preference.split(';');
    const [name = '', rawValue] = token.split('=').map((part) => part.trim());
    const value = rawValue?.replace(/^"(.*)"$/, '$1');
    switch (name.toLowerCase()) {
      case 'respond-async':
        respondAsync = true;
        break;
      case 'wait':
        if (value !== undefined && /^\d{1,6}$/.test(value)) waitSeconds = Number(value);
        break;
    }
  }
  return { respondAsync, ...(waitSeconds !== undefined && { waitSeconds }) };
}
