import { describe, expect, it } from 'vitest';
import { FaultInjector, resolveFaultOptions, seededRandom } from '../../src/fault-injection.js';

const FUNCTIONS = ['api', 'worker'];

describe('fault options', () => {
  it('refuses fractions outside 0–1, a seed that is not an integer, unknown functions and options', () => {
    expect(() => resolveFaultOptions({ killFraction: 1.5 }, FUNCTIONS)).toThrow(
      'faults.killFraction must be a number from 0 to 1, got 1.5',
    );
    expect(() => resolveFaultOptions({ dropFraction: -0.1 }, FUNCTIONS)).toThrow(
      'faults.dropFraction must be a number from 0 to 1, got -0.1',
    );
    expect(() => resolveFaultOptions({ killFraction: Number.NaN }, FUNCTIONS)).toThrow(/killFraction/);
    expect(() => resolveFaultOptions({ dropFraction: '0.5' as unknown as number }, FUNCTIONS)).toThrow(
      'faults.dropFraction must be a number from 0 to 1, got "0.5"',
    );
    expect(() => resolveFaultOptions({ seed: 1.5 }, FUNCTIONS)).toThrow('faults.seed must be an integer');
    expect(() => resolveFaultOptions({ functions: ['api', 'nope'] }, FUNCTIONS)).toThrow(
      'faults.functions names "nope", which the service does not have (it has "api", "worker")',
    );
    expect(() => resolveFaultOptions({ killRate: 0.1 } as never, FUNCTIONS)).toThrow(
      /unknown option\(s\) killRate/,
    );
  });

  it('accepts the bounds and fills in a seed', () => {
    expect(resolveFaultOptions({ killFraction: 0, dropFraction: 1, seed: 3 }, FUNCTIONS)).toEqual({
      killFraction: 0,
      dropFraction: 1,
      seed: 3,
      functions: undefined,
    });
    expect(Number.isSafeInteger(resolveFaultOptions({}, FUNCTIONS)?.seed)).toBe(true);
    expect(resolveFaultOptions(undefined, FUNCTIONS)).toBeUndefined();
  });
});

describe('FaultInjector', () => {
  it('kills and drops at about the requested fractions', () => {
    const faults = new FaultInjector(FUNCTIONS, { killFraction: 0.2, dropFraction: 0.35, seed: 42 });
    const draws = 10_000;
    let kills = 0;
    let drops = 0;
    for (let i = 0; i < draws; i++) {
      if (faults.planKill('api', 3_000) !== undefined) kills += 1;
      if (faults.drop('worker')) drops += 1;
    }
    // Binomial: the standard deviation is under 0.005 at n = 10 000, so ±0.02 is four of them.
    expect(kills / draws).toBeGreaterThan(0.18);
    expect(kills / draws).toBeLessThan(0.22);
    expect(drops / draws).toBeGreaterThan(0.33);
    expect(drops / draws).toBeLessThan(0.37);
    const stats = faults.stats();
    expect(stats).toMatchObject({ invocations: draws, events: draws, dropped: drops, killed: 0 });
    expect(stats.byFunction.api).toEqual({ invocations: draws, killed: 0, events: 0, dropped: 0 });
    expect(stats.config).toEqual({ killFraction: 0.2, dropFraction: 0.35, seed: 42, functions: undefined });
  });

  it('draws a kill moment within the timeout window', () => {
    const faults = new FaultInjector(FUNCTIONS, { killFraction: 1, seed: 1 });
    const moments = Array.from({ length: 1_000 }, () => faults.planKill('api', 900) as number);
    expect(Math.min(...moments)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...moments)).toBeLessThan(900);
    // Spread over the window, not bunched at one end.
    expect(moments.filter((moment) => moment < 450).length).toBeGreaterThan(400);
    expect(moments.filter((moment) => moment >= 450).length).toBeGreaterThan(400);
  });

  it('is deterministic per seed and per function, whatever other functions do', () => {
    const sequence = (faults: FaultInjector, fn: string) =>
      Array.from({ length: 50 }, () => faults.planKill(fn, 1_000) !== undefined);
    const a = new FaultInjector(FUNCTIONS, { killFraction: 0.5, seed: 9 });
    const b = new FaultInjector(FUNCTIONS, { killFraction: 0.5, seed: 9 });
    const first = sequence(a, 'api');
    for (let i = 0; i < 17; i++) b.planKill('worker', 1_000); // interleaved calls for another function
    expect(sequence(b, 'api')).toEqual(first);
    expect(sequence(new FaultInjector(FUNCTIONS, { killFraction: 0.5, seed: 10 }), 'api')).not.toEqual(first);
    // Reconfiguring restarts the draws from the seed.
    a.configure({ killFraction: 0.5, seed: 9 });
    expect(sequence(a, 'api')).toEqual(first);
  });

  it('leaves functions outside `functions` alone, and does nothing once turned off', () => {
    const faults = new FaultInjector(FUNCTIONS, { killFraction: 1, dropFraction: 1, functions: ['worker'] });
    expect(faults.planKill('api', 1_000)).toBeUndefined();
    expect(faults.drop('api')).toBe(false);
    expect(faults.drop('worker')).toBe(true);
    faults.configure(undefined);
    expect(faults.drop('worker')).toBe(false);
    expect(faults.stats()).toMatchObject({ config: undefined, events: 1, dropped: 1 });
  });

  it('seededRandom gives numbers in [0, 1)', () => {
    const random = seededRandom('x');
    for (let i = 0; i < 1_000; i++) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
