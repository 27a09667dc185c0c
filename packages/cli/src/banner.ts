/**
 * What `baton dev` prints once the service is up: where each door is, examples that work as printed against
 * the service's real operations, and who the caller is locally. Pure text, so it is tested without a service.
 */

/** The endpoints of a running service, as @baton/local reports them (and `.baton/endpoints.json` holds). */
export interface BannerEndpoints {
  readonly invoke: string;
  readonly restApi?: string;
  readonly httpApi?: string;
  readonly functionUrl?: string;
  readonly dynamodb: string;
  readonly functions: Readonly<Record<string, string>>;
}

/** An operation to build the examples from: its name and an input it accepts. */
export interface ExampleOperation {
  readonly name: string;
  readonly input: unknown;
}

export interface BannerInput {
  readonly service: string;
  readonly endpoints: BannerEndpoints;
  /** The function key serving each door, for the doors the service has. */
  readonly servedBy: Readonly<Partial<Record<'rest-api' | 'http-api' | 'function-url' | 'invoke', string>>>;
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

type HttpDoor = 'restApi' | 'httpApi' | 'functionUrl';
const HTTP_DOORS: readonly {
  key: HttpDoor;
  door: 'rest-api' | 'http-api' | 'function-url';
  label: string;
  detail: string;
}[] = [
  { key: 'restApi', door: 'rest-api', label: 'REST API', detail: "API Gateway v1, stage 'local'" },
  { key: 'httpApi', door: 'http-api', label: 'HTTP API', detail: 'API Gateway v2' },
  { key: 'functionUrl', door: 'function-url', label: 'Function URL', detail: 'no gateway' },
];
/** The SigV4 service name a door's signatures are scoped to. */
const SIGNING_SERVICE: Record<HttpDoor, string> = {
  restApi: 'execute-api',
  httpApi: 'execute-api',
  functionUrl: 'lambda',
};
const EXAMPLE_CALLER = 'alice';

/** Single-quotes a word for a POSIX shell. */
export const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** The client context naming the caller of a direct invoke, as `aws lambda invoke --client-context` takes it. */
export const clientContextFor = (caller: string) =>
  Buffer.from(JSON.stringify({ custom: { caller } })).toString('base64');

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
  const labelWidth = Math.max(...rows.map(([label]) => label.length)) + 2;
  const urlWidth = Math.max(...rows.map(([, url]) => url.length)) + 2;
  for (const [label, url, note] of rows)
    lines.push(`  ${label.padEnd(labelWidth)}${url.padEnd(urlWidth)}${note}`);
  lines.push(`  Functions: ${Object.values(endpoints.functions).join(', ')}`);
  lines.push('');

  const operations = input.operations ?? [];
  const operation = operations[0] ?? { name: '<operation>', input: {} };
  const payload = shellQuote(JSON.stringify({ operation: operation.name, input: operation.input }));
  lines.push(
    input.operations === undefined
      ? 'Operations: could not be listed; GET /operations on any HTTP door lists them.'
      : `Operations: ${operations.map((o) => o.name).join(', ')} (GET /operations describes them, with JSON Schemas).`,
  );
  lines.push('');
  lines.push(...examples(endpoints, servedBy, payload, operation.name));
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

function examples(
  endpoints: BannerEndpoints,
  servedBy: BannerInput['servedBy'],
  payload: string,
  operationName: string,
): string[] {
  const json = `-H 'content-type: application/json'`;
  const doors = HTTP_DOORS.filter(({ key }) => endpoints[key] !== undefined);
  const lines: string[] = [];
  const [first, second, third] = doors;
  if (first) {
    const base = endpoints[first.key] as string;
    lines.push(
      `Run ${operationName} and wait for its result (${first.label}):`,
      `  curl -s ${base}/jobs ${json} -d ${payload}`,
    );
    const asyncDoor = second ?? first;
    const asyncBase = endpoints[asyncDoor.key] as string;
    lines.push(
      `Ask for a job instead: 202 + Location (${asyncDoor.label}):`,
      `  curl -s -i ${asyncBase}/jobs ${json} -H 'prefer: respond-async' -d ${payload}`,
      `  then poll the Location it answers: curl -s ${new URL(asyncBase).origin}<Location>   (status, progress, result)`,
    );
    if (third) {
      lines.push(
        `Wait at most 2 s for the answer, else 202 (${third.label}):`,
        `  curl -s -i ${endpoints[third.key]}/jobs ${json} -H 'prefer: wait=2' -d ${payload}`,
      );
    }
    lines.push(
      'The operations, with their input and output schemas:',
      `  curl -s ${base}/operations`,
      `Another caller's jobs (SigV4: the access key names the owner; this one has none yet):`,
      `  curl -s ${base}/jobs --aws-sigv4 'aws:amz:us-east-1:${SIGNING_SERVICE[first.key]}' --user 'KEY2:secret'`,
    );
  }
  const invokeFunction = servedBy.invoke ? endpoints.functions[servedBy.invoke] : undefined;
  if (invokeFunction) {
    lines.push(
      `Direct invoke (AWS CLI v2), naming its caller (${EXAMPLE_CALLER}) in the client context:`,
      `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 aws lambda invoke --endpoint-url ${endpoints.invoke} --function-name ${invokeFunction} --cli-binary-format raw-in-base64-out --client-context ${clientContextFor(EXAMPLE_CALLER)} --payload ${payload} /dev/stdout`,
    );
  }
  return lines;
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
