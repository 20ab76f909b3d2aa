/**
 * A minimal Dhan feed client for the simulator tests: connects with the v2 query string,
 * records every frame and decoded packet, and lets a test wait for a condition.
 */
import WebSocket from 'ws';
import { decodePackets, type DecodedPacket } from './packet-decoder.js';

export interface FeedCreds {
  clientId: string;
  accessToken: string;
}

export interface SimFeedClient {
  ws: WebSocket;
  frames: Buffer[];
  packets: DecodedPacket[];
  /** Bytes left undecoded across all frames (0 for a clean feed). */
  rest: number;
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  send(obj: unknown): void;
  waitFor(pred: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export function feedUrl(base: string, creds: FeedCreds, extra = ''): string {
  return `${base}?version=2&token=${encodeURIComponent(creds.accessToken)}&clientId=${encodeURIComponent(creds.clientId)}&authType=2${extra}`;
}

export function connectFeed(url: string, opts: { autoPong?: boolean } = {}): SimFeedClient {
  const ws = new WebSocket(url, { autoPong: opts.autoPong ?? true });
  let closedFlag = false;
  const client: SimFeedClient = {
    ws,
    frames: [],
    packets: [],
    rest: 0,
    opened: new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    closed: new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        closedFlag = true;
        resolve({ code, reason: reason.toString() });
      });
    }),
    isClosed: () => closedFlag,
    send: (obj) => ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)),
    waitFor: async (pred, timeoutMs = 5000, what = 'condition') => {
      const start = Date.now();
      while (!pred()) {
        if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: async () => {
      if (closedFlag) return;
      ws.close();
      await Promise.race([client.closed, new Promise((r) => setTimeout(r, 2000))]);
      if (!closedFlag) ws.terminate();
    },
  };
  ws.on('error', () => undefined);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    client.frames.push(data);
    const { packets, rest } = decodePackets(data);
    client.packets.push(...packets);
    client.rest += rest;
  });
  return client;
}

/** A subscribe/unsubscribe message body. */
export function subMsg(code: number, list: { seg: string; id: string | number }[]): Record<string, unknown> {
  return { RequestCode: code, InstrumentCount: list.length, InstrumentList: list.map((x) => ({ ExchangeSegment: x.seg, SecurityId: x.id })) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
