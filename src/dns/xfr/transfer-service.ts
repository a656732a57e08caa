// Zone transfers and signed queries for our zones, answered on the main thread, which owns the
// zone history (serials, IXFR journals) and the TSIG keys. With DNS worker threads, a worker that
// receives one relays the query's bytes here and sends back what this returns
// (workers/worker-main.ts): transfers are rare and long, so one hop between threads costs
// nothing that matters, and the journal lives in one place instead of being copied into every
// worker with every table.
//
// What comes here (handle-query.ts decides): AXFR and IXFR for a name we are authoritative for
// (the Mesos zone, the reverse zones, the static zones: static-zone.ts),
// and any query carrying a TSIG RR for such a name (a secondary signs its SOA queries with the
// transfer key: Knot does).
import type { Config } from '../../config/typed.js';
import type { Logger } from '../../log.js';
import { matcherFor } from '../../net/cidr.js';
import type { Snapshot } from '../../store.js';
import { lookup } from '../answer/lookup.js';
import { lookupReverse } from '../answer/reverse-lookup.js';
import { chaseIntoTable, lookupStatic } from '../answer/static-lookup.js';
import { route } from '../answer/route.js';
import { encodeAnswer, encodeError, maxResponseSize, type EncodeOptions } from '../wire/encode.js';
import { QCLASS, QTYPE, RCODE, type Query } from '../wire/message.js';
import { nameToWire, readName } from '../wire/name-wire.js';
import { parseQuery } from '../wire/parse-query.js';
import { scanMessage } from '../wire/reply-scan.js';
import { signMessage, tsigLength, verifyRequest, type SignState } from '../wire/tsig-mac.js';
import { TSIG_ERROR, tsigErrorReply } from '../wire/tsig.js';
import { TCP_MAX } from '../wire/constants.js';
import { keyName } from '../../config/tsig-keys.js';
import { axfrRecords, ixfrRecords, soaRecord, transferClassOk, transferMessages, wholeZoneMessages } from './messages.js';
import { serialGreater } from './serial.js';
import type { ZoneHistory } from './zone-history.js';
import type { TransferZone } from './zones.js';
import { snapshotZoneAt } from './static-zone.js';

/** Whole-zone messages made between two turns of the event loop (about 4 MB of records). */
const MESSAGES_PER_TURN = 64;

function* signed(messages: Iterable<Buffer>, sign: (m: Buffer) => Buffer): Generator<Buffer> {
  for (const m of messages) yield sign(m);
}

/** Octets left free in each shared whole-zone message for a TSIG RR (a 255-octet key name's is 330). */
const TSIG_ROOM = 400;
/** A whole-zone encoding nobody asked for this long is dropped (it is the size of the zone). */
const WHOLE_ZONE_KEEP_MS = 60_000;

/** One request in, its reply messages out (null: send nothing). Never rejects. */
export type TransferAnswer = (query: Buffer, transport: 'udp' | 'tcp', client: string) => Promise<Buffer[] | null>;

export interface TransferServiceOptions {
  config: () => Config;
  snapshot: () => Snapshot | undefined;
  history: ZoneHistory;
  logger: Logger;
  /** Seconds since the epoch (TSIG times). */
  now?: () => number;
  random?: () => number;
  /** Counts each transfer request answered (mesos_dns_zone_transfers_total). */
  count?: (type: 'axfr' | 'ixfr' | 'ixfr_full' | 'ixfr_current', result: 'ok' | 'refused' | 'tsig_error' | 'notauth' | 'error') => void;
}

/** Where the request's TSIG RR starts and the serial of its authority SOA (IXFR, RFC 1995 §3). */
function scanRequest(buf: Buffer): { tsigAt: number; clientSerial: number | undefined } {
  const scanned = scanMessage(buf);
  const last = scanned.records.at(-1);
  const tsigAt = last !== undefined && last.type === QTYPE.TSIG ? last.start : buf.length;
  let clientSerial: number | undefined;
  const soa = scanned.records.find((r) => r.section === 'authority' && r.type === QTYPE.SOA);
  if (soa !== undefined) {
    const mname = readName(buf, soa.rdataOffset);
    const rname = mname.ok ? readName(buf, mname.next) : undefined;
    if (rname?.ok && rname.next + 4 <= soa.rdataOffset + soa.rdlength) clientSerial = buf.readUInt32BE(rname.next);
  }
  return { tsigAt, clientSerial };
}

export function transferService(options: TransferServiceOptions): TransferAnswer {
  const log = options.logger.child({ component: 'xfr' });
  const now = options.now ?? (() => Date.now() / 1000);
  const random = options.random ?? Math.random;
  /** Whole-zone encodings by apex (see wholeZone). */
  const wholeZones = new Map<string, { zone: TransferZone; messages: Promise<Buffer[]>; timer?: NodeJS.Timeout }>();
  return async (buf, transport, client) => {
    try {
      return await answer(buf, transport, client);
    } catch (err) {
      log.error({ err, client }, 'transfer request failed; no reply sent');
      return null;
    }
  };

  /**
   * The messages of a whole-zone transfer, made a slice at a time with the event loop turning in
   * between: 100,000 tasks are about 1,100 messages and a quarter to half a second of work
   * (axfr/mesos-axfr.ts; seconds with the generic encoder), during which this thread also
   * answers queries (Workers = 1), reads the state and serves HTTP. The zone object holds the
   * table it was made from, so a swap meanwhile does not mix two versions.
   */
  async function collect(messages: Iterable<Buffer>): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const m of messages) {
      out.push(m);
      if (out.length % MESSAGES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return out;
  }

  /**
   * The whole zone's messages, unsigned, ID 0, question `apex AXFR`: made once per zone version
   * and shared by every transfer of it (when a cluster's secondaries start together, each would
   * otherwise cost the primary the whole encoding again: 74 MB at 100,000 tasks). Room for a
   * TSIG RR is left in every message. Dropped when a newer version is asked for, or when unused
   * for WHOLE_ZONE_KEEP_MS.
   */
  function wholeZone(zone: TransferZone): Promise<Buffer[]> {
    let entry = wholeZones.get(zone.apex);
    if (entry === undefined || entry.zone !== zone) {
      if (entry?.timer) clearTimeout(entry.timer);
      const messages = collect(wholeZoneMessages(zone, TSIG_ROOM));
      entry = { zone, messages };
      wholeZones.set(zone.apex, entry);
    }
    const mine = entry;
    if (mine.timer) clearTimeout(mine.timer);
    mine.timer = setTimeout(() => wholeZones.get(zone.apex) === mine && wholeZones.delete(zone.apex), WHOLE_ZONE_KEEP_MS);
    mine.timer.unref();
    return mine.messages;
  }

  /** A shared whole-zone message made this request's: its ID, RD and question type (AXFR, or IXFR answered AXFR-style). */
  function forRequest(m: Buffer, first: boolean, id: number, rd: boolean, type: number, typeAt: number): Buffer {
    const out = Buffer.from(m);
    out.writeUInt16BE(id, 0);
    out[2] = (out[2] & 0xfe) | (rd ? 1 : 0);
    if (first) out.writeUInt16BE(type, typeAt);
    return out;
  }

  function answer(buf: Buffer, transport: 'udp' | 'tcp', client: string): Buffer[] | Promise<Buffer[]> | null {
    const config = options.config();
    const parsed = parseQuery(buf);
    if (parsed.kind !== 'query') return null;
    const query = parsed.query;
    const { tsigAt, clientSerial } = scanRequest(buf);
    type Counted = Parameters<NonNullable<TransferServiceOptions['count']>>;
    const transferType: Counted[0] | undefined = query.question.type === QTYPE.AXFR ? 'axfr' : query.question.type === QTYPE.IXFR ? 'ixfr' : undefined;
    /** Counts a transfer request (signed ordinary queries are not counted here). */
    const counted = (result: Counted[1], type: Counted[0] | undefined = transferType): void => {
      if (type !== undefined) options.count?.(type, result);
    };
    const at = now();
    const opts: EncodeOptions = {
      maxSize: maxResponseSize(query, transport, config.EDNSMaxUDPSize),
      setTruncateBit: config.SetTruncateBit,
      ednsUdpSize: config.EDNSMaxUDPSize,
    };

    // RFC 8945 §5.2: the key is found and the MAC checked before anything else is decided.
    let signer: SignState | undefined;
    if (query.tsig) {
      const tsig = query.tsig;
      const key = config.typed.transfer.keys.find((k) => k.name === keyName(tsig.keyName) && k.algorithm === keyName(tsig.algorithm));
      if (key === undefined) {
        counted('tsig_error');
        return [tsigErrorReply({ ...query, tsig }, TSIG_ERROR.BADKEY, opts)];
      }
      const verdict = verifyRequest(buf, tsigAt, tsig, key, at);
      // §5.3.2: BADSIG (like BADKEY) goes back unsigned: we cannot sign for a MAC we did not verify.
      if (!verdict.ok && verdict.error === TSIG_ERROR.BADSIG) {
        log.warn({ client, key: key.name }, 'TSIG signature does not verify (BADSIG)');
        counted('tsig_error');
        return [tsigErrorReply({ ...query, tsig }, TSIG_ERROR.BADSIG, opts)];
      }
      signer = { key, priorMac: tsig.mac, signed: 0 };
      if (!verdict.ok) {
        // §5.2.3: BADTIME is signed, with our time in Other Data, so the client can tell the skew.
        log.warn({ client, key: key.name, timeSigned: tsig.timeSigned, now: Math.floor(at) }, 'TSIG time outside the fudge (BADTIME)');
        counted('tsig_error');
        return [signMessage(encodeError({ ...query, rcode: RCODE.NOTAUTH }, opts), signer, at, TSIG_ERROR.BADTIME)];
      }
      opts.maxSize -= tsigLength(key);
    }
    const sign = (m: Buffer): Buffer => (signer ? signMessage(m, signer, at) : m);
    // RA as lookup.ts sets it on the REFUSED it gave transfers before they were served.
    const fail = (rcode: number): Buffer[] => {
      counted(rcode === RCODE.REFUSED ? 'refused' : rcode === RCODE.NOTAUTH ? 'notauth' : 'error');
      return [sign(encodeError({ ...query, rcode, ra: config.RecurseOn }, opts))];
    };
    const snapshot = options.snapshot();
    const type = query.question.type;

    if (type !== QTYPE.AXFR && type !== QTYPE.IXFR) return [sign(signedQuery(query, transport, config, snapshot, opts))];

    // Access: AllowTransfer by address, and TransferTsigKey when set (RFC 5936 §6: REFUSED).
    if (!matcherFor(config.typed.transfer.allow)(client)) return fail(RCODE.REFUSED);
    const required = config.typed.transfer.requiredKey;
    if (required !== undefined && signer?.key.name !== required) return fail(RCODE.REFUSED);
    // RFC 5936 §4.2: AXFR over UDP is not defined; we refuse it, as before transfers existed.
    if (type === QTYPE.AXFR && transport === 'udp') return fail(RCODE.REFUSED);
    if (!transferClassOk(query.question.class)) return fail(RCODE.REFUSED);
    if (snapshot === undefined) return fail(RCODE.SERVFAIL);
    const zone = snapshotZoneAt(snapshot, `${query.question.name}.`);
    // RFC 5936 §2.2.1: a name that is not the apex of a zone we serve is NOTAUTH.
    if (zone === undefined) return fail(RCODE.NOTAUTH);
    const header = { id: query.id, rd: query.rd };
    const question = query.question;
    const reserve = signer ? tsigLength(signer.key) : 0;

    const whole = (): Promise<Buffer[]> => {
      const typeAt = 12 + (nameToWire(zone.apex)?.length ?? 1);
      return wholeZone(zone).then((ms) => ms.map((m, i) => sign(forRequest(m, i === 0, query.id, query.rd, type, typeAt))));
    };
    if (type === QTYPE.AXFR) {
      log.info({ client, zone: zone.apex, serial: zone.soa.serial }, 'AXFR');
      counted('ok');
      return whole();
    }
    // IXFR (RFC 1995 §3): the client's serial is the SOA in the authority section.
    if (clientSerial === undefined) return fail(RCODE.FORMERR);
    if (!serialGreater(zone.soa.serial, clientSerial)) {
      // §2/§4: the client is up to date (or ahead): the current SOA alone.
      counted('ok', 'ixfr_current');
      return [...transferMessages(header, question, [soaRecord(zone)], opts.maxSize + reserve, reserve)].map(sign);
    }
    const journal = options.history.journalOf(zone);
    const entries = journal.newest() === zone.soa.serial ? journal.since(clientSerial) : undefined;
    // §4: a serial the journal does not reach gets the whole zone, AXFR-style.
    const records = entries ? ixfrRecords(zone, entries) : axfrRecords(zone);
    // Every secondary takes every change: incremental ones at debug (thousands of agents would
    // flood the log), whole-zone ones at info like AXFR (/metrics counts both).
    log[entries ? 'debug' : 'info']({ client, zone: zone.apex, from: clientSerial, serial: zone.soa.serial, incremental: entries !== undefined, changes: entries?.length ?? 0 }, 'IXFR');
    counted('ok', entries ? 'ixfr' : 'ixfr_full');
    if (transport === 'udp') {
      // §2: over UDP the reply is one message; when the changes do not fit, the SOA alone tells
      // the client to come back over TCP.
      // The messages are made lazily: a second one means it does not fit, and nothing more is built.
      const messages = transferMessages(header, question, records, opts.maxSize + reserve, reserve)[Symbol.iterator]();
      const first = messages.next();
      if (!first.done && messages.next().done === true) return [sign(first.value)];
      return [...transferMessages(header, question, [soaRecord(zone)], opts.maxSize + reserve, reserve)].map(sign);
    }
    if (!entries) return whole();
    // A long chain of changes can be large too (the journal holds up to 500,000 records): made in slices as well.
    return collect(signed(transferMessages(header, question, records, TCP_MAX, reserve), sign));
  }

  /** A signed ordinary query for one of our zones: answered as handle-query would, then signed. */
  function signedQuery(query: Query, transport: 'udp' | 'tcp', config: Config, snapshot: Snapshot | undefined, opts: EncodeOptions): Buffer {
    const where = route(query.question.name.toLowerCase(), config.typed.routing, snapshot?.table.reverse?.zones, snapshot?.zones.zones);
    const lookupOpts = { random, recurseOn: config.RecurseOn, fullAny: transport === 'tcp' };
    if (where.kind === 'static' && snapshot !== undefined) {
      const chase = chaseIntoTable(snapshot.table, query, lookupOpts, config.typed.routing);
      return encodeAnswer(query, lookupStatic(snapshot.zones, query, where.zone, { ...lookupOpts, chase }), opts);
    }
    if (where.kind === 'reverse') return encodeAnswer(query, lookupReverse(snapshot?.table, query, where.zone, lookupOpts), opts);
    if (where.kind === 'authority') return encodeAnswer(query, lookup(snapshot?.table, query, lookupOpts), opts);
    return encodeError({ ...query, rcode: RCODE.REFUSED, ra: false }, opts);
  }
}
