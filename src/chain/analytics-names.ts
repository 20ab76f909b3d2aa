/**
 * The wire names of the analytics codes (src/analytics: IvFrom, IvReason, ForwardSource): as
 * strings for decoders of the FlatBuffers codes (browser-safe, the client uses them) and as
 * JSON bytes for the chain encoder. Built once from the analytics module's own name lists, so
 * a new reason there shows up here without a second list to keep in step.
 *
 * @module
 */
import { FORWARD_SOURCE_NAMES, IV_FROM_NAMES, IV_REASON_NAMES } from '../analytics/iv-reason.js';
import type { IvNullReason } from '../client/types.js';

/**
 * The code a leg carries on the wire while the server runs without analytics
 * (OPTCHAIN_ANALYTICS=off): JSON `ivNullReason: "off"`, FlatBuffers LegAnalytics.code -128.
 * Outside the analytics module's reason range on purpose: it is a server state, not a verdict
 * on the quote.
 */
export const ANALYTICS_OFF_CODE = -128;

/** `mid` / `ltp` for a solved leg's code (> 0), null otherwise. */
export function ivFromString(code: number): 'mid' | 'ltp' | null {
  return code > 0 ? ((IV_FROM_NAMES[code] ?? null) as 'mid' | 'ltp' | null) : null;
}

/** Why a leg's IV is null (code ≤ 0), null for a solved leg. */
export function ivNullReasonString(code: number): IvNullReason | null {
  if (code > 0) return null;
  if (code === ANALYTICS_OFF_CODE) return 'off';
  return (IV_REASON_NAMES[-code] ?? 'pending') as IvNullReason;
}

/** `parity` / `spot`, or null when no forward could be formed. */
export function forwardSourceString(code: number): 'parity' | 'spot' | null {
  return (FORWARD_SOURCE_NAMES[code] ?? null) as 'parity' | 'spot' | null;
}

const enc = new TextEncoder();
const json = (name: string | null): Uint8Array => enc.encode(JSON.stringify(name));
/** JSON bytes per code, offset so that every code of a family indexes from 0. */
const FROM_BYTES = IV_FROM_NAMES.map((_, code) => json(ivFromString(code)));
const REASON_BYTES = IV_REASON_NAMES.map((_, i) => json(ivNullReasonString(-i)));
const SOURCE_BYTES = FORWARD_SOURCE_NAMES.map((_, code) => json(forwardSourceString(code)));
const NULL = json(null);
const OFF = json('off');

/** JSON of {@link ivFromString}. */
export function ivFromName(code: number): Uint8Array {
  return code > 0 ? (FROM_BYTES[code] ?? NULL) : NULL;
}

/** JSON of {@link ivNullReasonString}. */
export function ivNullReasonName(code: number): Uint8Array {
  if (code > 0) return NULL;
  return code === ANALYTICS_OFF_CODE ? OFF : (REASON_BYTES[-code] ?? REASON_BYTES[0]!);
}

/** JSON of {@link forwardSourceString}. */
export function forwardSourceName(code: number): Uint8Array {
  return SOURCE_BYTES[code] ?? NULL;
}
