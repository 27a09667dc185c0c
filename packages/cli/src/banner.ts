/**
 * What `baton dev` prints once the service is up: where each door is, examples that work as printed against
 * the service's real operations, and who the caller is locally. Pure text, so it is tested without a service.
 */

import {
  clientContextFor,
  doorExamples,
  EXAMPLE_CALLER,
  type ExampleEndpoints,
  type ExampleOperation,
  HTTP_DOORS,
  type ServedBy,
  shellQuote,
} from '@baton/local/examples';

/** The endpoints of a running service, as @baton/local reports them (and `.baton/endpoints.json` holds). */
export interface BannerEndpoints extends ExampleEndpoints {
  readonly dynamodb: string;
  /** The dashboard (a browser page): every job, the failed events, these examples. */
  readonly dashboard?: string;
}

// Shared with the dashboard (@baton/local), which shows the same examples.
export { clientContextFor, type ExampleOperation, shellQuote };

export interface BannerInput {
  readonly service: string;
  readonly endpoints: BannerEndpoints;
  /** The function key serving each door, for the doors the service has. */
  readonly servedBy: ServedBy;
  readonly jobsTable: string;
  /** The service's operations (undefined: they could not be listed). */
  readonly operations: readonly ExampleOperation[] | undefined;
  /** Whether signatures are checked (bound off loopback), and against how many keys. */
  readonly signaturesChecked: number | false;
  /** The principal unsigned HTTP calls and unnamed direct invokes act as. */
  readonly localCaller: string;
  readonly startupMs: number;
  readonly resumed: number;
  /** As the user should read them (relative to where they are, when inside it). */
  readonly paths: { readonly definition: string; readonly endpoints: string; readonly data: string };
  readonly reloadOnChange: boolean;
}

export function renderBanner(input: BannerInput): string {
  const { endpoints, servedBy } = input;
  const seconds = (input.startupMs / 1000).toFixed(1);
  const lines: string[] = [
    `${input.service} is up in ${seconds} s, from ${input.paths.definition}.${
      input.resumed > 0 ? ` Resumed ${input.resumed} unfinished job(s) from the last run.` : ''
    }`,
    '',
  ];
  const rows: [string, string, string][] = [];
  for (const { key, door, label, detail } of HTTP_DOORS) {
    const url = endpoints[key];
    if (url !== undefined) rows.push([`${label} (${detail})`, url, `→ ${servedBy[door] ?? '?'}`]);
  }
  const invokeFunction = servedBy.invoke ? endpoints.functions[servedBy.invoke] : undefined;
  rows.push([
    'Lambda Invoke API',
    endpoints.invoke,
    invokeFunction
      ? `→ ${servedBy.invoke} as ${invokeFunction}; any function by name`
      : 'any function by name',
  ]);
  rows.push(['DynamoDB', endpoints.dynamodb, `table ${input.jobsTable}`]);
  if (endpoints.dashboard !== undefined) {
    rows.push([
      'Dashboard (a browser)',
      endpoints.dashboard,
      'every job, live; failed events; these examples',
    ]);
  }
  const labelWidth = Math.max(...rows.map(([label]) => label.length)) + 2;
  const urlWidth = Math.max(...rows.map(([, url]) => url.length)) + 2;
  for (const [label, url, note] of rows)
    lines.push(`  ${label.padEnd(labelWidth)}${url.padEnd(urlWidth)}${note}`);
  lines.push(`  Functions: ${Object.values(endpoints.functions).join(', ')}`);
  lines.push('');

  const operations = input.operations ?? [];
  lines.push(
    input.operations === undefined
      ? 'Operations: could not be listed; GET /operations on any HTTP door lists them.'
      : `Operations: ${operations.map((o) => o.name).join(', ')} (GET /operations describes them, with JSON Schemas).`,
  );
  lines.push('');
  for (const example of doorExamples(endpoints, servedBy, operations[0])) {
    lines.push(`${example.title}:`, ...example.lines.map((line) => `  ${line}`));
  }
  lines.push('');
  lines.push(...callerNotes(input));
  lines.push('');
  if (input.reloadOnChange) {
    lines.push('Source changes are picked up on the next invocation: no restart needed.');
  }
  lines.push(
    `Endpoints are in ${input.paths.endpoints}; jobs are kept in ${input.paths.data}. Ctrl-C stops.`,
  );
  return lines.join('\n');
}

function callerNotes(input: BannerInput): string[] {
  const invoke = input.servedBy.invoke !== undefined;
  const lines = ['Who the caller is, locally:'];
  lines.push(
    '  - a SigV4-signed request: its access key names the owner (arn:aws:iam::000000000000:user/<KEY>), as IAM would.',
  );
  if (input.signaturesChecked === false) {
    lines.push(
      `  - an unsigned request acts as one default principal, ${input.localCaller} (LOCAL_CALLER).`,
      '  - secrets are not checked on loopback: any key gets in, and only names its owner.',
    );
  } else {
    lines.push(
      `  - signatures are checked (not loopback): only requests signed with one of the ${input.signaturesChecked} key(s) in BATON_LOCAL_CREDENTIALS get in; unsigned ones are refused.`,
    );
  }
  if (invoke) {
    lines.push(
      `  - a direct invoke names its caller in the client context ({"custom":{"caller":"${EXAMPLE_CALLER}"}} → owner invoke:${EXAMPLE_CALLER}); one that names none acts as LOCAL_CALLER.`,
    );
  }
  return lines;
}
