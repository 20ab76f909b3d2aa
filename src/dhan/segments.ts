/**
 * Dhan exchange segments: the string enum used in JSON/REST and the numeric code carried in
 * byte 3 of every binary feed header (docs/dhan-protocol.md §2.4).
 *
 * @module
 */

/** String enum used in subscribe messages and REST bodies. */
export type Segment = 'IDX_I' | 'NSE_EQ' | 'NSE_FNO' | 'NSE_CURRENCY' | 'BSE_EQ' | 'MCX_COMM' | 'BSE_CURRENCY' | 'BSE_FNO';

/** Segment → numeric code in the binary header (docs/dhan-protocol.md §2.4; 6 is unused). */
export const SEGMENT_CODE: Readonly<Record<Segment, number>> = Object.freeze({
  IDX_I: 0,
  NSE_EQ: 1,
  NSE_FNO: 2,
  NSE_CURRENCY: 3,
  BSE_EQ: 4,
  MCX_COMM: 5,
  BSE_CURRENCY: 7,
  BSE_FNO: 8,
});

const byCode: (Segment | undefined)[] = [];
for (const [name, code] of Object.entries(SEGMENT_CODE)) byCode[code] = name as Segment;

/** Numeric header code → segment, or undefined for an unknown code. */
export function segmentFromCode(code: number): Segment | undefined {
  return byCode[code];
}

/** True for a string that is one of Dhan's segment enums. */
export function isSegment(s: unknown): s is Segment {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(SEGMENT_CODE, s);
}

/** Master (EXCH_ID, SEGMENT letter) → segment enum (docs/dhan-protocol.md §1.4). */
export function segmentFromMaster(exchange: string, letter: string): Segment | undefined {
  switch (letter) {
    case 'I':
      return exchange === 'NSE' || exchange === 'BSE' ? 'IDX_I' : undefined;
    case 'E':
      return exchange === 'NSE' ? 'NSE_EQ' : exchange === 'BSE' ? 'BSE_EQ' : undefined;
    case 'D':
      return exchange === 'NSE' ? 'NSE_FNO' : exchange === 'BSE' ? 'BSE_FNO' : undefined;
    case 'C':
      return exchange === 'NSE' ? 'NSE_CURRENCY' : exchange === 'BSE' ? 'BSE_CURRENCY' : undefined;
    case 'M':
      return exchange === 'MCX' ? 'MCX_COMM' : undefined;
    default:
      return undefined;
  }
}

/**
 * Compact numeric key for (segment code, security id), unique across segments because ids are
 * not (docs/dhan-protocol.md §1.1). Security ids fit in 32 bits; the segment code goes above them.
 */
export function instrumentKey(segmentCode: number, securityId: number): number {
  return segmentCode * 0x1_0000_0000 + securityId;
}
