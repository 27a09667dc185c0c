import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCAL_PRINCIPAL_ARN, identifyCaller } from '../../src/caller-identity.js';

const options = {
  accountId: '111122223333',
  region: 'us-east-1',
  service: 'execute-api' as const,
  defaultPrincipalArn: DEFAULT_LOCAL_PRINCIPAL_ARN,
};
const signed = (credential: string) =>
  `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date, Signature=abc123`;
const noQuery = new URLSearchParams();

describe('identifyCaller', () => {
  it('names the caller after the access key of a SigV4 header', () => {
    expect(
      identifyCaller(signed('AKIDEXAMPLE/20240617/us-east-1/execute-api/aws4_request'), noQuery, options),
    ).toEqual({
      ok: true,
      identity: {
        accessKey: 'AKIDEXAMPLE',
        accountId: '111122223333',
        userId: 'AKIDEXAMPLE',
        userArn: 'arn:aws:iam::111122223333:user/AKIDEXAMPLE',
      },
    });
  });

  it('reads a presigned URL credential too', () => {
    const query = new URLSearchParams({
      'X-Amz-Credential': 'KEY9/20240617/us-east-1/execute-api/aws4_request',
    });
    const result = identifyCaller(undefined, query, options);
    expect(result.ok && result.identity.userArn).toBe('arn:aws:iam::111122223333:user/KEY9');
  });

  it('gives an unsigned request the default principal', () => {
    expect(
      identifyCaller(undefined, noQuery, {
        ...options,
        defaultPrincipalArn: 'arn:aws:iam::444455556666:user/bob',
      }),
    ).toEqual({
      ok: true,
      identity: {
        accessKey: null,
        accountId: '444455556666',
        userId: 'bob',
        userArn: 'arn:aws:iam::444455556666:user/bob',
      },
    });
  });

  it('refuses what AWS would refuse: another scheme, a missing signature, a bad scope', () => {
    const refused = (authorization: string) => identifyCaller(authorization, noQuery, options);
    expect(refused('Bearer abc').ok).toBe(false);
    expect(refused('AWS4-HMAC-SHA256 Credential=K/20240617/us-east-1/execute-api/aws4_request').ok).toBe(
      false,
    );
    expect(refused(signed('K/20240617/us-east-1/execute-api'))).toMatchObject({
      ok: false,
      message: /should be of the form/,
    });
    expect(refused(signed('K/20240617/us-east-1/lambda/aws4_request'))).toEqual({
      ok: false,
      problem: 'incomplete',
      message: "Credential should be scoped to correct service: 'execute-api'.",
    });
    expect(refused(signed('K/20240617/eu-west-1/execute-api/aws4_request'))).toEqual({
      ok: false,
      problem: 'incomplete',
      message: "Credential should be scoped to a valid region, not 'eu-west-1'.",
    });
  });
});
