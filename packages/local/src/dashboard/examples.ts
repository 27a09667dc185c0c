/**
 * The copy-paste examples of a running service, per door: what `baton dev` prints under its endpoints and what
 * the dashboard shows beside them, built in one place so the two cannot drift. Plain text from plain data: this
 * module imports nothing, so the CLI loads it (`@baton/local/examples`) without the rest of the local stack.
 */

/** The endpoints the examples need: what `Endpoints` (and `.baton/endpoints.json`) holds. */
export interface ExampleEndpoints {
  readonly invoke: string;
  readonly restApi?: string;
  readonly httpApi?: string;
  readonly functionUrl?: string;
  readonly functions: Readonly<Record<string, string>>;
}

/** An operation to build the examples from: its name and an input it accepts. */
export interface ExampleOperation {
  readonly name: string;
  readonly input: unknown;
}

/** The function key serving each door, for the doors the service has. */
export type ServedBy = Readonly<Partial<Record<'rest-api' | 'http-api' | 'function-url' | 'invoke', string>>>;

export type HttpDoorKey = 'restApi' | 'httpApi' | 'functionUrl';

/** The HTTP doors, in the order they are listed (and their ports follow). */
export const HTTP_DOORS: readonly {
  readonly key: HttpDoorKey;
  readonly door: 'rest-api' | 'http-api' | 'function-url';
  readonly label: string;
  readonly detail: string;
}[] = [
  { key: 'restApi', door: 'rest-api', label: 'REST API', detail: "API Gateway v1, stage 'local'" },
  { key: 'httpApi', door: 'http-api', label: 'HTTP API', detail: 'API Gateway v2' },
  { key: 'functionUrl', door: 'function-url', label: 'Function URL', detail: 'no gateway' },
];

/** The SigV4 service name a door's signatures are scoped to. */
const SIGNING_SERVICE: Record<HttpDoorKey, string> = {
  restApi: 'execute-api',
  httpApi: 'execute-api',
  functionUrl: 'lambda',
};

/** The caller the direct-invoke example names in its client context. */
export const EXAMPLE_CALLER = 'alice';

/** Single-quotes a word for a POSIX shell. */
export const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** The client context naming the caller of a direct invoke, as `aws lambda invoke --client-context` takes it. */
export const clientContextFor = (caller: string) =>
  Buffer.from(JSON.stringify({ custom: { caller } })).toString('base64');

/** One example: what it shows, the door it goes through, and its lines (commands, or a note on the one above). */
export interface DoorExample {
  readonly door: 'rest-api' | 'http-api' | 'function-url' | 'invoke';
  readonly title: string;
  readonly lines: readonly string[];
}

/**
 * The examples for a service's doors, run against `operation` (the placeholder `<operation>` when the
 * operations are not known): a synchronous run, an async job and its polling, a bounded wait, the operations,
 * another caller's jobs, and a direct invoke naming its caller.
 */
export function doorExamples(
  endpoints: ExampleEndpoints,
  servedBy: ServedBy,
  operation: ExampleOperation = { name: '<operation>', input: {} },
): DoorExample[] {
  const payload = shellQuote(JSON.stringify({ operation: operation.name, input: operation.input }));
  const json = `-H 'content-type: application/json'`;
  const doors = HTTP_DOORS.filter(({ key }) => endpoints[key] !== undefined);
  const examples: DoorExample[] = [];
  const [first, second, third] = doors;
  if (first) {
    const base = endpoints[first.key] as string;
    examples.push({
      door: first.door,
      title: `Run ${operation.name} and wait for its result (${first.label})`,
      lines: [`curl -s ${base}/jobs ${json} -d ${payload}`],
    });
    const asyncDoor = second ?? first;
    const asyncBase = endpoints[asyncDoor.key] as string;
    examples.push({
      door: asyncDoor.door,
      title: `Ask for a job instead: 202 + Location (${asyncDoor.label})`,
      lines: [
        `curl -s -i ${asyncBase}/jobs ${json} -H 'prefer: respond-async' -d ${payload}`,
        `then poll the Location it answers: curl -s ${new URL(asyncBase).origin}<Location>   (status, progress, result)`,
      ],
    });
    if (third) {
      examples.push({
        door: third.door,
        title: `Wait at most 2 s for the answer, else 202 (${third.label})`,
        lines: [`curl -s -i ${endpoints[third.key]}/jobs ${json} -H 'prefer: wait=2' -d ${payload}`],
      });
    }
    examples.push(
      {
        door: first.door,
        title: 'The operations, with their input and output schemas',
        lines: [`curl -s ${base}/operations`],
      },
      {
        door: first.door,
        title: `Another caller's jobs (SigV4: the access key names the owner; this one has none yet)`,
        lines: [
          `curl -s ${base}/jobs --aws-sigv4 'aws:amz:us-east-1:${SIGNING_SERVICE[first.key]}' --user 'KEY2:secret'`,
        ],
      },
    );
  }
  const invokeFunction = servedBy.invoke ? endpoints.functions[servedBy.invoke] : undefined;
  if (invokeFunction) {
    examples.push({
      door: 'invoke',
      title: `Direct invoke (AWS CLI v2), naming its caller (${EXAMPLE_CALLER}) in the client context`,
      lines: [
        `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 aws lambda invoke --endpoint-url ${endpoints.invoke} --function-name ${invokeFunction} --cli-binary-format raw-in-base64-out --client-context ${clientContextFor(EXAMPLE_CALLER)} --payload ${payload} /dev/stdout`,
      ],
    });
  }
  return examples;
}
