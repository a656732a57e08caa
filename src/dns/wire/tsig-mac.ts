// TSIG MACs (RFC 8945 §4.3, §5.3): verifying a request and signing replies with HMAC-SHA256.
// Pure: the time is passed in. The key is plain data (config/tsig-keys.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { QCLASS, QTYPE, type TsigRecord } from './message.js';
import { nameToWire } from './name-wire.js';
import { TSIG_ERROR } from './tsig.js';

export interface MacKey {
  /** Absolute, lower-case. */
  name: string;
  /** Absolute, lower-case ("hmac-sha256."). */
  algorithm: string;
  secret: Uint8Array;
}

/** Fudge we put in what we sign (RFC 8945 §10: 300 seconds recommended). */
export const FUDGE = 300;
const MAC_SIZE = 32;

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u48(n: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
}

function wireName(name: string): Buffer {
  // Canonical form (RFC 8945 §4.3.3): lower-case, uncompressed.
  return nameToWire(name.toLowerCase()) ?? Buffer.from([0]);
}

/** The TSIG variables of §4.3.3: key name, class, TTL, algorithm, time, fudge, error, other. */
function variables(key: MacKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  const ttl = Buffer.alloc(4);
  return Buffer.concat([wireName(key.name), u16(QCLASS.ANY), ttl, wireName(key.algorithm), u48(timeSigned), u16(fudge), u16(error), u16(other.length), other]);
}

function hmac(key: MacKey, parts: Buffer[]): Buffer {
  const h = createHmac('sha256', key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

export type Verdict = { ok: true } | { ok: false; error: number };

/**
 * Checks a request signed with `key` (its name and algorithm already matched). `message` is the
 * request's bytes and `tsigAt` where its TSIG RR starts. §4.3.1/§5.2.2: the MAC covers the
 * message without the TSIG RR, ARCOUNT one less and the ID the Original ID, then the variables.
 * §5.2.2.1: we accept only the full 32-octet MAC (no truncation), else BADSIG; §5.2.3: a time
 * further than fudge from ours is BADTIME (checked after the MAC, as the RFC orders them).
 */
export function verifyRequest(message: Buffer, tsigAt: number, tsig: TsigRecord, key: MacKey, now: number): Verdict {
  if (tsig.mac.length !== MAC_SIZE) return { ok: false, error: TSIG_ERROR.BADSIG };
  const body = Buffer.from(message.subarray(0, tsigAt));
  body.writeUInt16BE(tsig.originalId, 0);
  body.writeUInt16BE(body.readUInt16BE(10) - 1, 10);
  const expected = hmac(key, [body, variables(key, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other)]);
  if (!timingSafeEqual(expected, tsig.mac)) return { ok: false, error: TSIG_ERROR.BADSIG };
  if (Math.abs(Math.floor(now) - tsig.timeSigned) > tsig.fudge) return { ok: false, error: TSIG_ERROR.BADTIME };
  return { ok: true };
}

export interface SignState {
  key: MacKey;
  /** The MAC the next message chains from: the request's for the first reply, then the previous reply's. */
  priorMac: Buffer;
  /** Messages signed so far in this reply stream. */
  signed: number;
}

/**
 * `message` with a TSIG RR appended and ARCOUNT raised. The first message of a reply covers the
 * request MAC, the message and all the variables (§4.3.2); later ones of a multi-message reply
 * (AXFR/IXFR, §5.3.1) cover the prior MAC, the message and the timers only. We sign every
 * message. `error` BADTIME puts our time in Other Data (§5.2.3). Advances `state`.
 */
export function signMessage(message: Buffer, state: SignState, now: number, error = 0): Buffer {
  const { key } = state;
  const time = Math.floor(now);
  const other = error === TSIG_ERROR.BADTIME ? u48(time) : Buffer.alloc(0);
  const prior = Buffer.concat([u16(state.priorMac.length), state.priorMac]);
  const parts =
    state.signed === 0 || state.priorMac.length === 0
      ? [prior.subarray(0, state.priorMac.length === 0 ? 0 : prior.length), message, variables(key, time, FUDGE, error, other)]
      : [prior, message, Buffer.concat([u48(time), u16(FUDGE)])];
  const mac = hmac(key, parts);
  state.priorMac = mac;
  state.signed++;
  const owner = wireName(key.name);
  const algorithm = wireName(key.algorithm);
  const rdata = Buffer.concat([algorithm, u48(time), u16(FUDGE), u16(mac.length), mac, u16(message.readUInt16BE(0)), u16(error), u16(other.length), other]);
  const rr = Buffer.concat([owner, u16(QTYPE.TSIG), u16(QCLASS.ANY), Buffer.alloc(4), u16(rdata.length), rdata]);
  const out = Buffer.concat([message, rr]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

/** Bytes a TSIG RR with `key` adds to a message: what a message builder must leave room for. */
export function tsigLength(key: MacKey): number {
  return wireName(key.name).length + 10 + wireName(key.algorithm).length + 16 + MAC_SIZE + 6;
}

/** Where a reply stream's verification stands (verifyReply). */
export interface VerifyState {
  key: MacKey;
  /** The request's MAC for the first message, then the last verified one's. */
  priorMac: Buffer;
  /** Messages verified so far. */
  verified: number;
  /** Unsigned messages since the last signed one (§5.3.1 allows up to 99 of them). */
  unsigned: Buffer[];
}

/**
 * Checks one message of a reply to a request we signed (a transfer's or a NOTIFY's): `tsig` its
 * TSIG RR starting at `tsigAt`, or undefined when the message carries none. §5.3.1: the first
 * message must be signed and covers the request MAC, the message and every variable; later ones
 * cover the prior MAC, the unsigned messages since, the message and the timers, and at most 99
 * in a row may go unsigned (the caller checks that the last one was signed). Advances `state`.
 */
export function verifyReply(message: Buffer, tsigAt: number, tsig: TsigRecord | undefined, state: VerifyState, now: number): Verdict {
  if (tsig === undefined) {
    if (state.verified === 0 || state.unsigned.length >= 99) return { ok: false, error: TSIG_ERROR.BADSIG };
    state.unsigned.push(message);
    return { ok: true };
  }
  const { key } = state;
  if (keyNameOf(tsig.keyName) !== key.name || keyNameOf(tsig.algorithm) !== key.algorithm) return { ok: false, error: TSIG_ERROR.BADKEY };
  if (tsig.error !== 0) return { ok: false, error: tsig.error };
  if (tsig.mac.length !== MAC_SIZE) return { ok: false, error: TSIG_ERROR.BADSIG };
  const body = Buffer.from(message.subarray(0, tsigAt));
  body.writeUInt16BE(tsig.originalId, 0);
  body.writeUInt16BE(body.readUInt16BE(10) - 1, 10);
  const prior = Buffer.concat([u16(state.priorMac.length), state.priorMac]);
  const parts =
    state.verified === 0
      ? [prior, body, variables(key, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other)]
      : [prior, ...state.unsigned, body, Buffer.concat([u48(tsig.timeSigned), u16(tsig.fudge)])];
  const expected = hmac(key, parts);
  if (!timingSafeEqual(expected, tsig.mac)) return { ok: false, error: TSIG_ERROR.BADSIG };
  if (Math.abs(Math.floor(now) - tsig.timeSigned) > tsig.fudge) return { ok: false, error: TSIG_ERROR.BADTIME };
  state.priorMac = Buffer.from(tsig.mac);
  state.verified++;
  state.unsigned = [];
  return { ok: true };
}

/** A name as keys are held: absolute, lower-case. */
function keyNameOf(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}
