/**
 * Reading what a function answered a gateway. The checks are the ones that make API Gateway answer
 * "Malformed Lambda proxy response" in the cloud — a body that is an object rather than a string, a missing or
 * non-numeric statusCode, headers that are not flat — so a mistake shows locally as the same 502/500 it gets
 * deployed. Unknown members are ignored.
 */

export interface RestProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  body: string | null;
  isBase64Encoded: boolean;
}

export interface V2ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string | null;
  isBase64Encoded: boolean;
}

export type Parsed<T> = { ok: true; result: T } | { ok: false; reason: string };

type Scalar = string | number | boolean;
const isScalar = (value: unknown): value is Scalar =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A REST API (payload 1.0) proxy result: `{ statusCode, headers?, multiValueHeaders?, body?, isBase64Encoded? }`. */
export function parseRestProxyResult(payload: Buffer): Parsed<RestProxyResult> {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the function did not answer JSON' };
  }
  if (!isRecord(value)) return { ok: false, reason: 'the answer is not an object with a statusCode' };
  return parseStructured(value, true) as Parsed<RestProxyResult>;
}

export type V2Answer = { ok: true; result: V2ProxyResult } | { ok: false; reason: string };

/**
 * A payload format 2.0 answer (HTTP API, Function URL). An object with `statusCode` is a proxy result; any
 * other JSON is the body of a 200 `application/json` response — a string as it is, anything else as JSON.
 */
export function parseV2ProxyResult(payload: Buffer): V2Answer {
  const text = payload.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the function did not answer JSON' };
  }
  if (isRecord(value) && 'statusCode' in value) {
    return parseStructured(value, false) as Parsed<V2ProxyResult>;
  }
  return {
    ok: true,
    result: {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      cookies: [],
      body: typeof value === 'string' ? value : text,
      isBase64Encoded: false,
    },
  };
}

function parseStructured(
  value: Record<string, unknown>,
  rest: boolean,
): Parsed<RestProxyResult | V2ProxyResult> {
  const statusCode =
    typeof value.statusCode === 'string' && /^\d{3}$/.test(value.statusCode)
      ? Number(value.statusCode)
      : value.statusCode;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return {
      ok: false,
      reason: `statusCode must be an integer from 100 to 599, got ${JSON.stringify(value.statusCode)}`,
    };
  }
  const headers: Record<string, string> = {};
  if (value.headers != null) {
    if (!isRecord(value.headers)) return { ok: false, reason: 'headers must be an object' };
    for (const [name, header] of Object.entries(value.headers)) {
      if (!isScalar(header))
        return { ok: false, reason: `header ${name} must be a string, number or boolean` };
      headers[name] = String(header);
    }
  }
  if (value.body != null && typeof value.body !== 'string') {
    return {
      ok: false,
      reason: `body must be a string, got ${Array.isArray(value.body) ? 'array' : typeof value.body}`,
    };
  }
  if (value.isBase64Encoded != null && typeof value.isBase64Encoded !== 'boolean') {
    return { ok: false, reason: 'isBase64Encoded must be a boolean' };
  }
  const common = {
    statusCode,
    headers,
    body: (value.body as string | null | undefined) ?? null,
    isBase64Encoded: value.isBase64Encoded === true,
  };
  if (rest) {
    const multiValueHeaders: Record<string, string[]> = {};
    if (value.multiValueHeaders != null) {
      if (!isRecord(value.multiValueHeaders))
        return { ok: false, reason: 'multiValueHeaders must be an object' };
      for (const [name, values] of Object.entries(value.multiValueHeaders)) {
        if (!Array.isArray(values) || !values.every(isScalar)) {
          return { ok: false, reason: `multiValueHeaders.${name} must be an array of strings` };
        }
        multiValueHeaders[name] = values.map(String);
      }
    }
    return { ok: true, result: { ...common, multiValueHeaders } };
  }
  const cookies: string[] = [];
  if (value.cookies != null) {
    if (!Array.isArray(value.cookies) || !value.cookies.every((cookie) => typeof cookie === 'string')) {
      return { ok: false, reason: 'cookies must be an array of strings' };
    }
    cookies.push(...(value.cookies as string[]));
  }
  return { ok: true, result: { ...common, cookies } };
}

/** Checks a configured default principal: an IAM or STS ARN with a 12-digit account. */
export function validateDefaultPrincipal(title: string, arn: string): void {
  if (!/^arn:aws[a-z-]*:(iam|sts)::\d{12}:.+/.test(arn)) {
    throw new Error(
      `${title}: defaultPrincipalArn must be an IAM or STS ARN such as arn:aws:iam::000000000000:user/local-developer, got "${arn}"`,
    );
  }
}
