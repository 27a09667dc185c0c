import { describe, expect, it } from 'vitest';
import { LocalEventBus } from '../../src/event-bus.js';

const entry = (n: number, extra: Record<string, unknown> = {}) => ({
  Source: 'baton',
  DetailType: 'Baton Job Finished',
  Detail: JSON.stringify({ jobId: `job-${n}` }),
  EventBusName: 'baton-example-events',
  ...extra,
});

describe('the local event bus (EventBridge PutEvents)', () => {
  it('keeps what PutEvents sends as EventBridge delivers it, oldest first', () => {
    const bus = new LocalEventBus();
    const answer = bus.put(
      [
        entry(1, { Time: 1_796_000_000 }),
        entry(2, { EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/other' }),
      ],
      Date.parse('2026-12-03T07:00:00.123Z'),
    );
    expect(answer).toEqual({
      FailedEntryCount: 0,
      Entries: [{ EventId: expect.any(String) }, { EventId: expect.any(String) }],
    });
    expect(bus.events()).toEqual([
      {
        id: expect.any(String),
        time: new Date(1_796_000_000_000).toISOString().replace('.000Z', 'Z'),
        source: 'baton',
        'detail-type': 'Baton Job Finished',
        detail: { jobId: 'job-1' },
        eventBusName: 'baton-example-events',
      },
      expect.objectContaining({ time: '2026-12-03T07:00:00Z', eventBusName: 'other' }),
    ]);
  });

  it('refuses bad entries one by one, and bad requests whole', () => {
    const bus = new LocalEventBus();
    const answer = bus.put([entry(1), entry(2, { Detail: '[1]' }), entry(3, { Source: '' })]);
    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries[1]).toMatchObject({ ErrorCode: 'InvalidArgument' });
    expect(bus.events()).toHaveLength(1);
    expect(() => bus.put([])).toThrow(TypeError);
    expect(() => bus.put(Array.from({ length: 11 }, (_, n) => entry(n)))).toThrow(TypeError);
  });

  it('keeps the last events only', () => {
    const bus = new LocalEventBus(5);
    for (let n = 0; n < 12; n++) bus.put([entry(n)]);
    expect(bus.events().map((event) => (event.detail as { jobId: string }).jobId)).toEqual([
      'job-7',
      'job-8',
      'job-9',
      'job-10',
      'job-11',
    ]);
  });
});
