import { describe, expect, it } from 'vitest';
import { attributeValueSizeBytes, itemSizeBytes, MAX_ITEM_BYTES } from '../../src/index.js';

describe('itemSizeBytes', () => {
  it('is 400 KB at most', () => {
    expect(MAX_ITEM_BYTES).toBe(409_600);
  });

  it('counts attribute names and string values in UTF-8 bytes', () => {
    expect(itemSizeBytes({ a: 'abc' })).toBe(1 + 3);
    expect(itemSizeBytes({ é: 'é' })).toBe(2 + 2);
    expect(itemSizeBytes({ name: '✓😀' })).toBe(4 + 3 + 4);
    expect(itemSizeBytes({ empty: '' })).toBe(5);
  });

  it('skips undefined attributes, as the marshaller removes them', () => {
    expect(itemSizeBytes({ a: 'x', gone: undefined })).toBe(2);
    expect(attributeValueSizeBytes({ a: 'x', gone: undefined })).toBe(3 + 1 + 1 + 1);
  });

  it('counts null and booleans as one byte', () => {
    expect(itemSizeBytes({ n: null, t: true, f: false })).toBe(2 + 2 + 2);
  });

  it('counts numbers by significant digits, rounded up, never below what DynamoDB charges', () => {
    expect(attributeValueSizeBytes(0)).toBe(3);
    expect(attributeValueSizeBytes(7)).toBe(3);
    expect(attributeValueSizeBytes(12)).toBe(3);
    expect(attributeValueSizeBytes(123)).toBe(4);
    expect(attributeValueSizeBytes(1000)).toBe(3); // trailing zeros are not stored
    expect(attributeValueSizeBytes(0.001)).toBe(3); // neither are leading ones
    expect(attributeValueSizeBytes(-1.5)).toBe(4);
    expect(attributeValueSizeBytes(1e300)).toBe(3);
    expect(attributeValueSizeBytes(2 ** 53)).toBe(2 + 8); // 9007199254740992: 16 digits
    expect(attributeValueSizeBytes(10n ** 37n + 1n)).toBe(2 + 19); // 38 digits, DynamoDB's maximum
  });

  it('adds 3 bytes to a list or map, and a byte per element', () => {
    expect(attributeValueSizeBytes([])).toBe(3);
    expect(attributeValueSizeBytes({})).toBe(3);
    expect(attributeValueSizeBytes(['ab', null])).toBe(3 + (1 + 2) + (1 + 1));
    expect(attributeValueSizeBytes({ holder: 'r1', n: { x: true } })).toBe(
      3 + (1 + 6 + 2) + (1 + 1 + (3 + 1 + 1 + 1)),
    );
  });

  it('counts binaries and sets by their bytes', () => {
    expect(attributeValueSizeBytes(new Uint8Array(10))).toBe(10);
    expect(attributeValueSizeBytes(new Set(['ab', 'cde']))).toBe(5);
  });

  it('refuses what DynamoDB cannot store', () => {
    expect(() => attributeValueSizeBytes(() => 1)).toThrow(TypeError);
  });
});
