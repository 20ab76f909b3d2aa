/**
 * Client → server JSON messages of the Dhan live feed (docs/dhan-protocol.md §2.2, §2.3): builders
 * for the feed connection and a strict zod schema for the simulator, so both sides agree on
 * exactly one wire shape: `RequestCode` an integer, `InstrumentCount` equal to the list length
 * and at most 100, `ExchangeSegment` the string enum, `SecurityId` a string of digits (one
 * client reports numeric ids are rejected, docs/dhan-protocol.md §2.2).
 *
 * How Dhan reacts to a bad message is undocumented (docs/dhan-protocol.md §9 item 9); {@link parseFeedRequest} maps
 * failures to the annexure codes that fit best (804 too many instruments, 813 bad SecurityId,
 * 814 anything else) so a simulator can answer with a disconnect packet.
 *
 * @module
 */
import { z } from 'zod';
import { ErrorCodes, OptchainError } from '../errors.js';
import { SEGMENT_CODE, isSegment, type Segment } from './segments.js';
import { DisconnectReason } from './disconnect-reason.js';
import { MAX_INSTRUMENTS_PER_MESSAGE, RequestCode, SUBSCRIPTION_REQUEST_CODES } from './feed-requests.js';

/** One instrument to (un)subscribe. A numeric id is sent as its decimal string. */
export interface FeedInstrument {
  readonly segment: Segment;
  readonly securityId: number | string;
}

/** The wire shape of a subscribe/unsubscribe message. */
export interface SubscribeMessage {
  RequestCode: number;
  InstrumentCount: number;
  InstrumentList: { ExchangeSegment: Segment; SecurityId: string }[];
}

/** Subscription modes, by the request code that subscribes them (docs/dhan-protocol.md §2.2). */
export type FeedMode = 'ticker' | 'quote' | 'full';

const U32_MAX = 0xffff_ffff;
const SEGMENTS = Object.keys(SEGMENT_CODE) as [Segment, ...Segment[]];

function badSubscription(message: string, details?: Record<string, unknown>): OptchainError {
  return new OptchainError(ErrorCodes.FEED_SUBSCRIBE_INVALID, message, details);
}

/** Canonical decimal string of a security id, or throws FEED_SUBSCRIBE_INVALID. */
function securityIdText(id: number | string): string {
  if (typeof id === 'number') {
    if (Number.isInteger(id) && id >= 0 && id <= U32_MAX) return String(id);
  } else if (typeof id === 'string' && /^\d{1,10}$/.test(id) && Number(id) <= U32_MAX) {
    return id;
  }
  throw badSubscription(`security id ${String(id)} is not an unsigned 32-bit integer`, { securityId: String(id) });
}

/**
 * Builds one subscribe/unsubscribe message (JSON text). Throws FEED_SUBSCRIBE_INVALID for a
 * request code without an instrument list, more than 100 or zero instruments, an unknown
 * segment or a security id that does not fit the header's u32 (docs/dhan-protocol.md §2.5).
 */
export function buildSubscribeMessage(requestCode: number, instruments: readonly FeedInstrument[]): string {
  if (!SUBSCRIPTION_REQUEST_CODES.includes(requestCode)) {
    throw badSubscription(`request code ${requestCode} does not take an instrument list`, { requestCode });
  }
  if (instruments.length === 0 || instruments.length > MAX_INSTRUMENTS_PER_MESSAGE) {
    throw badSubscription(`a message carries 1..${MAX_INSTRUMENTS_PER_MESSAGE} instruments, got ${instruments.length}`, { count: instruments.length });
  }
  const list: SubscribeMessage['InstrumentList'] = [];
  for (const inst of instruments) {
    if (!isSegment(inst.segment)) throw badSubscription(`unknown exchange segment ${String(inst.segment)}`, { segment: String(inst.segment) });
    list.push({ ExchangeSegment: inst.segment, SecurityId: securityIdText(inst.securityId) });
  }
  const message: SubscribeMessage = { RequestCode: requestCode, InstrumentCount: list.length, InstrumentList: list };
  return JSON.stringify(message);
}

/** Splits any number of instruments into as many ≤100-instrument messages as needed (docs/dhan-protocol.md §2.3). */
export function buildSubscribeMessages(requestCode: number, instruments: readonly FeedInstrument[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < instruments.length; i += MAX_INSTRUMENTS_PER_MESSAGE) {
    out.push(buildSubscribeMessage(requestCode, instruments.slice(i, i + MAX_INSTRUMENTS_PER_MESSAGE)));
  }
  return out;
}

/** The disconnect request `{"RequestCode":12}` (docs/dhan-protocol.md §2.2; the SDK's trailing v1 binary header is unnecessary). */
export function buildDisconnectMessage(): string {
  return JSON.stringify({ RequestCode: RequestCode.DISCONNECT });
}

/** Request code that subscribes a mode, and the one that unsubscribes it (subscribe + 1). */
export function requestCodeFor(mode: FeedMode, subscribe: boolean): number {
  const base = mode === 'ticker' ? RequestCode.SUBSCRIBE_TICKER : mode === 'quote' ? RequestCode.SUBSCRIBE_QUOTE : RequestCode.SUBSCRIBE_FULL;
  return subscribe ? base : base + 1;
}

/** Mode and direction of a subscription request code, or null for any other code. */
export function describeRequestCode(code: number): { mode: FeedMode; subscribe: boolean } | null {
  switch (code) {
    case 15:
    case 16:
      return { mode: 'ticker', subscribe: code === 15 };
    case 17:
    case 18:
      return { mode: 'quote', subscribe: code === 17 };
    case 21:
    case 22:
      return { mode: 'full', subscribe: code === 21 };
    default:
      return null;
  }
}

/** One entry of `InstrumentList`, validated strictly. */
export const instrumentEntrySchema = z.strictObject({
  ExchangeSegment: z.enum(SEGMENTS),
  SecurityId: z
    .string()
    .regex(/^\d{1,10}$/, 'SecurityId must be a string of digits')
    .refine((s) => Number(s) <= U32_MAX, 'SecurityId must fit 32 bits'),
});

/** A subscribe/unsubscribe message exactly as docs/dhan-protocol.md §2.2 describes it. */
export const subscribeMessageSchema = z
  .strictObject({
    RequestCode: z.int().refine((c) => SUBSCRIPTION_REQUEST_CODES.includes(c), 'RequestCode must be 15, 16, 17, 18, 21 or 22'),
    InstrumentCount: z.int().min(1).max(MAX_INSTRUMENTS_PER_MESSAGE),
    InstrumentList: z.array(instrumentEntrySchema).min(1).max(MAX_INSTRUMENTS_PER_MESSAGE),
  })
  .refine((m) => m.InstrumentCount === m.InstrumentList.length, { message: 'InstrumentCount must equal the length of InstrumentList', path: ['InstrumentCount'] });

/** The disconnect request. */
export const disconnectMessageSchema = z.strictObject({ RequestCode: z.literal(RequestCode.DISCONNECT) });

/** Anything a client may send on the live-feed socket. */
export const feedRequestSchema = z.union([disconnectMessageSchema, subscribeMessageSchema]);

/** Result of {@link parseFeedRequest}. */
export type ParsedFeedRequest =
  | { readonly ok: true; readonly kind: 'disconnect' }
  | {
      readonly ok: true;
      readonly kind: 'subscription';
      readonly requestCode: number;
      readonly mode: FeedMode;
      readonly subscribe: boolean;
      readonly instruments: readonly { readonly segment: Segment; readonly securityId: number }[];
    }
  | { readonly ok: false; readonly reasonCode: number; readonly message: string };

/**
 * Validates one text frame from a client the way a strict Dhan server would, for the simulator.
 * On failure returns the disconnect reason to answer with (see the module note on why these).
 */
export function parseFeedRequest(text: string): ParsedFeedRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reasonCode: DisconnectReason.INVALID_REQUEST, message: 'message is not JSON' };
  }
  if (typeof raw === 'object' && raw !== null && (raw as { RequestCode?: unknown }).RequestCode === RequestCode.DISCONNECT) {
    const d = disconnectMessageSchema.safeParse(raw);
    return d.success ? { ok: true, kind: 'disconnect' } : { ok: false, reasonCode: DisconnectReason.INVALID_REQUEST, message: d.error.issues[0]?.message ?? 'invalid disconnect request' };
  }
  const r = subscribeMessageSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues;
    const tooMany = issues.some((i) => i.code === 'too_big' && (i.path[0] === 'InstrumentList' || i.path[0] === 'InstrumentCount'));
    const badId = issues.some((i) => i.path[i.path.length - 1] === 'SecurityId');
    const reasonCode = tooMany ? DisconnectReason.INSTRUMENT_LIMIT_EXCEEDED : badId ? DisconnectReason.INVALID_SECURITY_ID : DisconnectReason.INVALID_REQUEST;
    const first = issues[0];
    return { ok: false, reasonCode, message: first === undefined ? 'invalid request' : `${first.path.join('.') || 'message'}: ${first.message}` };
  }
  const described = describeRequestCode(r.data.RequestCode)!;
  return {
    ok: true,
    kind: 'subscription',
    requestCode: r.data.RequestCode,
    mode: described.mode,
    subscribe: described.subscribe,
    instruments: r.data.InstrumentList.map((e) => ({ segment: e.ExchangeSegment, securityId: Number(e.SecurityId) })),
  };
}
