/** DynamoDB's item size limit: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * The size DynamoDB charges an item (as the document client marshals it), following AWS's published
 * rules, rounded up where they are approximate so that an item this estimate accepts is one DynamoDB
 * accepts:
 * - every attribute name counts its UTF-8 bytes, at the top level and inside maps;
 * - a string its UTF-8 bytes, a binary its bytes;
 * - a number 1 byte per two significant digits, plus 2, plus 1 if negative (AWS says "plus 1", approximately;
 *   dynalite's emulation adds a byte for some exponents and for the sign, and this never counts less);
 * - null and a boolean 1 byte;
 * - a list or a map 3 bytes, plus 1 byte and the size (and, in a map, the name) of each element; AWS documents
 *   only the 3 bytes, the byte per element is what dynalite's emulation counts and costs little to assume.
 * Undefined attributes are skipped, as `removeUndefinedValues` does.
 */
export function itemSizeBytes(item: Readonly<Record<string, unknown>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) size += utf8Bytes(name) + attributeValueSizeBytes(value);
  }
  return size;
}

/** The size of one attribute value, without its name. */
export function attributeValueSizeBytes(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberBytes(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (value instanceof Set) {
    let size = 0;
    for (const member of value) size += attributeValueSizeBytes(member);
    return size;
  }
  if (Array.isArray(value)) {
    let size = 3;
    for (const element of value) size += 1 + attributeValueSizeBytes(element ?? null);
    return size;
  }
  if (typeof value === 'object') {
    let size = 3;
    for (const [name, element] of Object.entries(value)) {
      if (element !== undefined) size += 1 + utf8Bytes(name) + attributeValueSizeBytes(element);
    }
    return size;
  }
  throw new TypeError(`DynamoDB cannot store a value of type ${typeof value}.`);
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Significant digits of the number's decimal form, leading and trailing zeros trimmed, as DynamoDB stores it. */
function numberBytes(value: number | bigint): number {
  const text = typeof value === 'bigint' ? value.toString() : String(value);
  const negative = text.startsWith('-');
  const mantissa = text.replace(/^-/, '').split(/e/i)[0] ?? '';
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
  return 2 + Math.ceil(Math.max(1, digits) / 2) + (negative ? 1 : 0);
}
