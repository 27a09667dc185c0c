import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, parse, resolve } from 'node:path';
import type { Credentials, Target } from '@baton/client';
import { CONFIG_NAMES } from './config.js';
import { UserError } from './errors.js';

/** The flags every command that calls a service takes. */
export interface TargetFlags {
  /** An HTTP door's base URL (Function URL, HTTP API, REST API with its stage). */
  readonly url?: string | undefined;
  /** Sign with SigV4: true/false when given (`--iam` / `--no-iam`), else decided from the URL's host. */
  readonly iam?: boolean | undefined;
  /** A function to invoke directly (name or ARN). */
  readonly function?: string | undefined;
  /** The SSM parameter a Baton deployment publishes a door under: `/baton/<name>/doors/<door>`. */
  readonly ssm?: string | undefined;
  readonly profile?: string | undefined;
  readonly region?: string | undefined;
  /** Which door of the local stack. */
  readonly door?: LocalDoor | undefined;
}

export const LOCAL_DOORS = ['invoke', 'http', 'rest', 'url'] as const;
export type LocalDoor = (typeof LOCAL_DOORS)[number];

/** `.baton/endpoints.json` as `baton dev` writes it. */
export interface LocalEndpoints {
  readonly invoke: string;
  readonly restApi?: string;
  readonly httpApi?: string;
  readonly functionUrl?: string;
  readonly dynamodb?: string;
  readonly functions: Readonly<Record<string, string>>;
  /** The function serving the invoke door, when the service has one. */
  readonly invokeFunction?: string;
}

export interface ResolvedTarget {
  readonly target: Target;
  /** How to name it in a message: "the local stack's HTTP API (http://127.0.0.1:3001)". */
  readonly description: string;
  /** Set for the local stack: where it was found. */
  readonly local?: { readonly endpointsFile: string; readonly endpoints: LocalEndpoints };
}

export interface TargetEnv {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** The keys any loopback door accepts: there a signature only names its caller. */
const LOCAL_KEYS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Where a command sends its calls: `--url`, `--function` or `--ssm` (AWS, with the SDK's credential chain and
 * `--profile`/`--region`), else the local stack `baton dev` runs, found through `.baton/endpoints.json` here or
 * in a folder above. Every mistake is a UserError naming the flag or the file.
 */
export async function resolveTarget(flags: TargetFlags, io: TargetEnv): Promise<ResolvedTarget> {
  const remote = (['url', 'function', 'ssm'] as const).filter((flag) => flags[flag] !== undefined);
  if (remote.length > 1) {
    throw new UserError(`${remote.map((f) => `--${f}`).join(' and ')}: give one target, not several.`, 2);
  }
  const [kind] = remote;
  if (kind !== undefined && flags.door !== undefined) {
    throw new UserError(
      `--door picks a door of the local stack; with --${kind} the door is the one it names.`,
      2,
    );
  }
  if (kind === 'function' && flags.iam !== undefined) {
    throw new UserError('--iam/--no-iam apply to HTTP doors; a direct invoke is always signed.', 2);
  }
  if (kind === undefined) {
    if (flags.iam !== undefined) throw new UserError('--iam/--no-iam go with --url or --ssm.', 2);
    return localTarget(flags.door, io);
  }
  const region = flags.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const profile = flags.profile ?? io.env.AWS_PROFILE;
  const regional = region === undefined ? {} : { region };
  if (kind === 'url') {
    const url = checkedUrl(flags.url as string);
    const iam = flags.iam ?? isAwsDoorHost(url.hostname);
    return {
      target: {
        http: {
          url: url.href.replace(/\/+$/, ''),
          iam,
          ...regional,
          ...(iam && { credentials: await awsCredentials(profile) }),
        },
      },
      description: `${url.href.replace(/\/+$/, '')}${iam ? ' (SigV4-signed)' : ''}`,
    };
  }
  if (kind === 'function') {
    return {
      target: {
        invoke: {
          functionName: flags.function as string,
          ...regional,
          credentials: await awsCredentials(profile),
        },
      },
      description: `function ${flags.function}${region ? ` in ${region}` : ''}`,
    };
  }
  const name = flags.ssm as string;
  if (!name.startsWith('/')) {
    throw new UserError(
      `--ssm ${name}: an SSM parameter name starts with '/', e.g. /baton/<service>/doors/http-api.`,
      2,
    );
  }
  return {
    target: {
      // A published URL is an AWS door with IAM auth (the CDK constructs deploy them so): signed unless --no-iam.
      ssm: { name, ...regional, credentials: await awsCredentials(profile), iam: flags.iam ?? true },
    },
    description: `the door published in SSM as ${name}`,
  };
}

/** AWS's own door hosts: an API Gateway (`execute-api`) or a Function URL (`lambda-url`). */
export function isAwsDoorHost(hostname: string): boolean {
  return (
    /\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(hostname) ||
    /\.lambda-url\.[a-z0-9-]+\.on\.aws$/.test(hostname)
  );
}

function checkedUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(
      `--url ${text}: not a URL (expected e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod).`,
      2,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UserError(`--url ${text}: an http(s) URL is expected.`, 2);
  }
  return url;
}

/** The AWS SDK's credential chain (environment, profile, SSO, container, instance), loaded only when used. */
async function awsCredentials(profile: string | undefined): Promise<Credentials> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return fromNodeProviderChain(profile === undefined ? {} : { profile });
}

/**
 * `.baton/endpoints.json` in `cwd` or the nearest folder above that has one — or, in a project folder (one with a
 * baton.config.ts) that has none, an error saying to start the service.
 */
export function findEndpointsFile(cwd: string): string {
  const start = resolve(cwd);
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, '.baton', 'endpoints.json');
    if (existsSync(file)) return file;
    if (CONFIG_NAMES.some((name) => existsSync(join(dir, name)))) {
      throw new UserError(
        `The local service is not running: ${file} is missing (baton dev writes it). Start it with \`baton dev\`, or give a deployed service with --url, --function or --ssm.`,
      );
    }
    if (dir === parse(dir).root) break;
  }
  throw new UserError(
    `No local service found: there is no .baton/endpoints.json in ${start} or a folder above it (baton dev writes it beside baton.config.ts). Start it with \`baton dev\`, or give a deployed service with --url, --function or --ssm.`,
  );
}

export async function readEndpoints(file: string): Promise<LocalEndpoints> {
  let parsed: Partial<LocalEndpoints>;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalEndpoints>;
  } catch (error) {
    throw new UserError(
      `${file} cannot be read (${(error as Error).message}): start the service again with \`baton dev\`, which rewrites it.`,
    );
  }
  if (
    typeof parsed?.invoke !== 'string' ||
    typeof parsed.functions !== 'object' ||
    parsed.functions === null
  ) {
    throw new UserError(`${file} is not what baton dev writes: start the service again with \`baton dev\`.`);
  }
  return parsed as LocalEndpoints;
}

const DOOR_LABEL: Record<LocalDoor, string> = {
  invoke: 'Lambda Invoke API',
  http: 'HTTP API',
  rest: 'REST API',
  url: 'Function URL',
};
const DOOR_KEY = { http: 'httpApi', rest: 'restApi', url: 'functionUrl' } as const;

/**
 * The key to sign local calls with: the first of BATON_LOCAL_CREDENTIALS (what `baton dev` checks signatures
 * against when bound off loopback), else the placeholder any loopback door takes.
 */
export function localKeys(env: NodeJS.ProcessEnv): {
  accessKeyId: string;
  secretAccessKey: string;
  signed: boolean;
} {
  const text = env.BATON_LOCAL_CREDENTIALS;
  if (text === undefined || text.trim() === '') return { ...LOCAL_KEYS, signed: false };
  let first: { accessKeyId?: unknown; secretAccessKey?: unknown } | undefined;
  try {
    first = (JSON.parse(text) as (typeof first)[])[0];
  } catch {
    first = undefined;
  }
  if (typeof first?.accessKeyId !== 'string' || typeof first.secretAccessKey !== 'string') {
    throw new UserError(
      'BATON_LOCAL_CREDENTIALS is set but holds no key to sign with: expected [{"accessKeyId","secretAccessKey","principalArn"}].',
      2,
    );
  }
  return { accessKeyId: first.accessKeyId, secretAccessKey: first.secretAccessKey, signed: true };
}

async function localTarget(door: LocalDoor | undefined, io: TargetEnv): Promise<ResolvedTarget> {
  const endpointsFile = findEndpointsFile(io.cwd);
  const { signed, ...keys } = localKeys(io.env);
  const endpoints = await readEndpoints(endpointsFile);
  const local = { endpointsFile, endpoints };
  const { invokeFunction } = endpoints;
  const has = (d: LocalDoor) =>
    d === 'invoke' ? invokeFunction !== undefined : endpoints[DOOR_KEY[d]] !== undefined;
  const chosen = door ?? LOCAL_DOORS.find(has);
  if (chosen === undefined || !has(chosen)) {
    const available = LOCAL_DOORS.filter(has);
    throw new UserError(
      chosen === undefined
        ? `The local service in ${endpointsFile} serves no door.`
        : `--door ${chosen}: the local service has no ${DOOR_LABEL[chosen]} (its doors: ${available.join(', ') || 'none'}).`,
      chosen === undefined ? 1 : 2,
    );
  }
  if (chosen === 'invoke') {
    return {
      target: {
        invoke: {
          functionName: invokeFunction as string,
          endpoint: endpoints.invoke,
          region: 'us-east-1',
          credentials: keys,
        },
      },
      description: `the local ${DOOR_LABEL.invoke} (${endpoints.invoke}, function ${invokeFunction})`,
      local,
    };
  }
  const url = endpoints[DOOR_KEY[chosen]] as string;
  return {
    target: {
      http: signed
        ? {
            url,
            iam: true,
            region: 'us-east-1',
            credentials: keys,
            service: chosen === 'url' ? 'lambda' : 'execute-api',
          }
        : { url, iam: false },
    },
    description: `the local ${DOOR_LABEL[chosen]} (${url})`,
    local,
  };
}
