import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { traceClients, tracingWanted } from '../../src/tracing.js';

afterEach(() => vi.unstubAllEnvs());

describe('X-Ray tracing of the SDK clients', () => {
  it('is wanted only where Lambda names an X-Ray daemon, unless POWERTOOLS_TRACE_ENABLED is false', () => {
    expect(tracingWanted({})).toBe(false); // baton dev: no daemon address
    expect(tracingWanted({ AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000' })).toBe(true);
    expect(
      tracingWanted({ AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000', POWERTOOLS_TRACE_ENABLED: 'false' }),
    ).toBe(false);
  });

  it('leaves a client alone where tracing is not wanted, and captures it (once) where it is', async () => {
    const local = new DynamoDBClient({ region: 'us-east-1' });
    const before = local.middlewareStack.identify();
    vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', '');
    await traceClients([local], () => {});
    expect(local.middlewareStack.identify()).toEqual(before);

    // As in Lambda (the Tracer also checks that it runs there); the trace header of an unsampled request.
    vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', '127.0.0.1:2000');
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
    vi.stubEnv(
      '_X_AMZN_TRACE_ID',
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=0',
    );
    const warnings: string[] = [];
    await traceClients([local], (message) => warnings.push(message));
    const traced = local.middlewareStack.identify();
    expect(traced.filter((name) => !before.includes(name)).length).toBeGreaterThan(0);
    // Once: a client the wiring hands over again is not captured twice.
    await traceClients([local], (message) => warnings.push(message));
    expect(local.middlewareStack.identify()).toEqual(traced);
    expect(warnings).toEqual([]);
    local.destroy();
  });
});
