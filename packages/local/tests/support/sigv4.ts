import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 / HMAC-SHA-256 from node:crypto, in the shape the signer takes (what @aws-crypto/sha256-js is in the SDK). */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

export interface SigningKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedFetchOptions {
  key: SigningKey;
  service: 'execute-api' | 'lambda';
  region?: string;
  /** Sign as of this moment (a stale date); default now. */
  signingDate?: Date;
  /** Send this body instead of the one that was signed (a tampered request). */
  sendBody?: string;
  /** Add `x-amz-content-sha256` (the body's hash) to the signed headers. */
  contentSha256?: boolean;
}

/**
 * fetch, with the request signed by `@smithy/signature-v4` (the SDK's own signer) as a client signs a call to
 * an IAM-authorized API Gateway or Function URL.
 */
export async function signedFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  options: SignedFetchOptions,
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const target = new URL(url);
  const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of target.searchParams) {
    const existing = query[name];
    query[name] = existing === undefined ? value : [...[existing].flat(), value];
  }
  const signer = new SignatureV4({
    credentials: options.key,
    region: options.region ?? 'us-east-1',
    service: options.service,
    sha256: Sha256,
    applyChecksum: options.contentSha256 ?? false,
  });
  const signed = await signer.sign(
    {
      method,
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port ? { port: Number(target.port) } : {}),
      path: target.pathname,
      query,
      headers: { host: target.host, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  const headers = Object.fromEntries(
    Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'),
  ) as Record<string, string>;
  const body = options.sendBody ?? init.body;
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A presigned URL for a GET (query-string authentication). */
export async function presignedUrl(
  url: string,
  options: SignedFetchOptions & { expiresIn?: number },
): Promise<string> {
  const target = new URL(url);
  const signer = new SignatureV4({
    credentials: options.key,
    region: options.region ?? 'us-east-1',
    service: options.service,
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port ? { port: Number(target.port) } : {}),
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers: { host: target.host },
    },
    {
      expiresIn: options.expiresIn ?? 300,
      ...(options.signingDate ? { signingDate: options.signingDate } : {}),
    },
  );
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(presigned.query ?? {})) {
    for (const one of [value].flat()) if (typeof one === 'string') search.append(name, one);
  }
  return `${target.origin}${target.pathname}?${search.toString()}`;
}

export const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
