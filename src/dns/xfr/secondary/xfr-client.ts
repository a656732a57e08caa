// One zone transfer from one primary over TCP (RFC 5936 §4.1, RFC 1995 §2; RFC 7766 framing):
// the request, signed when a key is given (RFC 8945 §5.1), then the reply messages until the
// transfer is complete, each checked (ID, QR, RCODE, TSIG §5.3.1) and read (read-transfer.ts).
// The only I/O of the secondary besides its timers; bounded by a deadline and a byte limit.
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { TransferInError } from '../../../errors.js';
import type { HostPort } from '../../../net/address.js';
import type { TsigKey } from '../../../config/tsig-keys.js';
import { QCLASS, QTYPE, RCODE } from '../../wire/message.js';
import { nameToWire } from '../../wire/name-wire.js';
import { signMessage, verifyReply, type VerifyState } from '../../wire/tsig-mac.js';
import { TSIG_ERROR } from '../../wire/tsig.js';
import { scanTransferMessage, TransferAssembler, type Transfer } from './read-transfer.js';

export interface TransferRequest {
  primary: HostPort;
  /** Absolute, lower-case. */
  apex: string;
  /** IXFR from this serial (RFC 1995 §3); undefined: AXFR. */
  serial?: number;
  key?: TsigKey;
  timeoutMs: number;
  /** Bytes of reply accepted at most (a zone larger than any real one is an attack or a bug). */
  maxBytes: number;
  /** Seconds since the epoch (TSIG times). */
  now: () => number;
}

/** The request message for `apex`: AXFR, or IXFR with our serial in the authority SOA. Pure. */
export function transferRequest(apex: string, id: number, serial: number | undefined): Buffer {
  const name = nameToWire(apex);
  if (name === undefined) throw new TransferInError('error', `zone ${apex} has no wire form`);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4);
  const question = Buffer.concat([name, u16(serial === undefined ? QTYPE.AXFR : QTYPE.IXFR), u16(QCLASS.IN)]);
  if (serial === undefined) return Buffer.concat([header, question]);
  header.writeUInt16BE(1, 8);
  // RFC 1995 §3: the SOA's other fields are not looked at; "." for both names, zero timers.
  const rdata = Buffer.alloc(22);
  rdata.writeUInt32BE(serial, 2);
  const soa = Buffer.concat([Buffer.from([0xc0, 12]), u16(QTYPE.SOA), u16(QCLASS.IN), Buffer.alloc(4), u16(rdata.length), rdata]);
  return Buffer.concat([header, question, soa]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

const RCODE_NAMES = new Map(Object.entries(RCODE).map(([k, v]) => [v as number, k]));

/** Runs one transfer; rejects with TransferInError (its `reason` says what went wrong). */
export function transfer(req: TransferRequest): Promise<Transfer> {
  const id = randomInt(0, 0x10000);
  let message = transferRequest(req.apex, id, req.serial);
  let verify: VerifyState | undefined;
  if (req.key !== undefined) {
    const state = { key: req.key, priorMac: Buffer.alloc(0), signed: 0 };
    message = signMessage(message, state, req.now());
    verify = { key: req.key, priorMac: state.priorMac, verified: 0, unsigned: [] };
  }
  const assembler = new TransferAssembler(req.apex, req.serial !== undefined);
  return new Promise<Transfer>((resolve, reject) => {
    const socket = net.connect({ host: req.primary.host, port: req.primary.port });
    let settled = false;
    const finish = (err: Error | undefined, result?: Transfer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err instanceof TransferInError ? err : new TransferInError('error', err.message, { cause: err }));
      else resolve(result!);
    };
    const timer = setTimeout(() => finish(new TransferInError('error', `no complete transfer within ${req.timeoutMs} ms`)), req.timeoutMs);
    timer.unref();
    let pending: Buffer = Buffer.alloc(0);
    let received = 0;
    socket.on('connect', () => socket.write(Buffer.concat([u16(message.length), message])));
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new TransferInError('error', 'the primary closed the connection before the transfer was complete')));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > req.maxBytes) return finish(new TransferInError('error', `the transfer passed ${req.maxBytes} bytes`));
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      try {
        while (pending.length >= 2) {
          const length = pending.readUInt16BE(0);
          if (pending.length < 2 + length) break;
          const m = pending.subarray(2, 2 + length);
          pending = pending.subarray(2 + length);
          if (onMessage(m)) return finish(undefined, assembler.result());
        }
      } catch (err) {
        finish(err as Error);
      }
    });
  });

  /** One reply message; true when the transfer is complete. */
  function onMessage(m: Buffer): boolean {
    // Scanned only: the records are read once the message is verified (a whole zone's straight into its packed copy).
    const read = scanTransferMessage(m);
    if (read.id !== id || !read.qr) throw new TransferInError('malformed', 'a reply with another ID, or not a reply');
    if (verify !== undefined) {
      const verdict = verifyReply(m, read.tsig?.at ?? m.length, read.tsig?.record, verify, req.now());
      if (!verdict.ok) throw new TransferInError('tsig_error', `the reply's TSIG does not verify (error ${verdict.error}${verdict.error === TSIG_ERROR.BADKEY ? ' BADKEY' : verdict.error === TSIG_ERROR.BADSIG ? ' BADSIG' : ''})`);
    }
    if (read.rcode !== RCODE.NOERROR) {
      // RFC 5936 §2.2.1/§6, RFC 1995 §2: REFUSED, NOTAUTH (not authoritative, or a key it
      // rejects), NOTIMP (no IXFR) all mean "not from this primary this way".
      const name = RCODE_NAMES.get(read.rcode) ?? String(read.rcode);
      throw new TransferInError(read.rcode === RCODE.REFUSED || read.rcode === RCODE.NOTAUTH || read.rcode === RCODE.NOTIMP ? 'refused' : 'error', `the primary answered ${name}`, { cause: { rcode: read.rcode } });
    }
    const done = assembler.addMessage(m, read.records);
    // §5.3.1: the last message of a signed transfer must itself be signed.
    if (done && verify !== undefined && verify.unsigned.length > 0) throw new TransferInError('tsig_error', 'the last message of the transfer is not signed');
    return done;
  }
}
