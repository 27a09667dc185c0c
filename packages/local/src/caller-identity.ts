import {
  type LocalCredential,
  parseCredentialScope,
  principalParts,
  type ReceivedRequest,
  type SignatureProblem,
  type SigningService,
  verifySignature,
} from './sigv4.js';

/**
 * Who is calling, as an AWS_IAM-authorized API Gateway or Function URL would tell the function.
 *
 * In AWS the caller signs the request with SigV4 and the service verifies the signature against the caller's
 * secret key. Locally that happens when the emulator verifies signatures (off loopback always, or with
 * `verifySignatures: true`): the signature is recomputed with the configured credentials and the caller is the
 * credential's principal; an unsigned or badly signed request is refused. On loopback without verification the
 * signature is only *parsed*: the access key in its credential scope names the caller, and anyone who can reach
 * the port can claim any key — enough to exercise owner scoping with two keys (`curl --aws-sigv4 … --user
 * KEY:secret`), and no more. An unsigned request, which AWS would refuse with 403, then gets a default local
 * principal so that plain curl works.
 */

export type AuthType = 'AWS_IAM' | 'NONE';

/** The principal the emulators report for an unsigned request. */
export const DEFAULT_LOCAL_PRINCIPAL_ARN = 'arn:aws:iam::000000000000:user/local-developer';

export interface CallerIdentity {
  /** The access key of the signature; null for the default principal (no key was presented). */
  accessKey: string | null;
  accountId: string;
  /** The unique id of the principal. AWS gives an IAM user's id (AIDA…); locally the access key stands in. */
  userId: string;
  userArn: string;
}

export interface IdentityOptions {
  /** The account signed callers belong to (`arn:aws:iam::<accountId>:user/<ACCESS_KEY>`) when not verified. */
  accountId: string;
  region: string;
  /** The service a signature must be scoped to: `execute-api` for API Gateway, `lambda` for Function URLs. */
  service: SigningService;
  defaultPrincipalArn: string;
}

export type IdentityResult =
  | { ok: true; identity: CallerIdentity }
  | { ok: false; problem: SignatureProblem; message: string };

/**
 * The caller of a request as its signature *claims* (not verified), from its `Authorization` header or a
 * presigned URL's `X-Amz-Credential`. A request that carries something other than a usable SigV4 credential is
 * refused, as AWS refuses it: a malformed or mis-scoped signature is a client bug worth seeing locally, not
 * something to paper over with the default.
 */
export function identifyCaller(
  authorization: string | undefined,
  query: URLSearchParams,
  options: IdentityOptions,
): IdentityResult {
  const credential = authorization ? credentialOfHeader(authorization) : query.get('X-Amz-Credential');
  if (credential === undefined) {
    return {
      ok: false,
      problem: 'incomplete',
      message: `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=${authorization}`,
    };
  }
  if (credential === null) return { ok: true, identity: defaultIdentity(options.defaultPrincipalArn) };
  const scope = parseCredentialScope(credential, options);
  if (!scope.ok) return scope;
  return {
    ok: true,
    identity: {
      accessKey: scope.accessKey,
      accountId: options.accountId,
      userId: scope.accessKey,
      userArn: `arn:aws:iam::${options.accountId}:user/${scope.accessKey}`,
    },
  };
}

/**
 * The caller of a request whose signature is checked against `credentials`: the principal of the credential
 * that signed it, or why it is refused (unsigned, malformed, unknown key, mismatch, stale).
 */
export async function verifyCaller(
  request: ReceivedRequest,
  options: Pick<IdentityOptions, 'region' | 'service'> & { credentials: readonly LocalCredential[] },
): Promise<IdentityResult> {
  const check = await verifySignature(request, options);
  if (!check.ok) return check;
  const { accessKeyId, principalArn } = check.credential;
  return {
    ok: true,
    identity: {
      accessKey: accessKeyId,
      accountId: principalParts(principalArn).accountId,
      userId: accessKeyId,
      userArn: principalArn,
    },
  };
}

/** The credential of a SigV4 header; undefined when the header is not SigV4 or has no credential. */
function credentialOfHeader(authorization: string): string | undefined {
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(authorization.trim());
  if (!match?.[1]) return undefined;
  const parameters = new Map<string, string>();
  for (const part of match[1].split(',')) {
    const separator = part.indexOf('=');
    if (separator > 0) parameters.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  if (!parameters.get('Signature') || !parameters.get('SignedHeaders')) return undefined;
  return parameters.get('Credential') || undefined;
}

function defaultIdentity(principalArn: string): CallerIdentity {
  // arn:aws:iam::<account>:user/<name> — the account and the name are the parts a function may look at.
  const { accountId, name } = principalParts(principalArn);
  return {
    accessKey: null,
    accountId,
    userId: name || 'local-developer',
    userArn: principalArn,
  };
}
