// One query from bytes to reply bytes: parse → route → (authority: one snapshot → lookup → encode)
// | (forward: cache → upstreams → fit to the client's UDP limit) | REFUSED. It never throws: a
// failure anywhere becomes SERVFAIL (CoreDNS's recover(), mesos-dns's panicRecover), logged once
// here. Both socket servers call it; neither knows about DNS beyond framing.
//
// respond() puts the fast path in front: most queries for our zone are answered synchronously
// from answers pre-encoded for the current table (answer-cache.ts, fast-path.ts), the same
// bytes this pipeline would produce; the rest go through handleQuery.
import type { Config } from '../../config/typed.js';
import { ForwardError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { LogSampler } from '../../log-sampler.js';
import type { Snapshot } from '../../store.js';
import { AnswerCache } from './answer-cache.js';
import { encodeAnswer, encodeError, maxResponseSize, type EncodeOptions } from '../wire/encode.js';
import { fastAnswer } from './fast-path.js';
import type { Forwarder, Transport } from '../forward/forward.js';
import type { ForwardCache } from '../forward/forward-cache.js';
import { lookup } from './lookup.js';
import { RotationCounters } from './answer-order.js';
import { QCLASS, QTYPE, RCODE, type Query } from '../wire/message.js';
import { isNotifyRequest } from '../xfr/secondary/notify-in.js';
import { parseQuery } from '../wire/parse-query.js';
import { scanMessage } from '../wire/reply-scan.js';
import { route, type Route } from './route.js';
import { questionType, type QueryStats } from '../query-stats.js';
import { lookupReverse } from './reverse-lookup.js';
import { chaseIntoTable, lookupStatic } from './static-lookup.js';
import { lookupChaos, nsidBytes } from './chaos.js';
import { TSIG_ERROR, tsigErrorReply } from '../wire/tsig.js';
import { peerText, peerWords, type Peer } from '../../net/peer.js';
import { wordsMatcherFor, type Cidr } from '../../net/cidr.js';
import type { TransferAnswer } from '../xfr/transfer-service.js';

export interface QueryContext {
  /** The store's current(): called once per query, so one query sees one table generation. */
  snapshot: () => Snapshot | undefined;
  config: Config;
  /** [0, 1), for answer shuffling. */
  random: () => number;
  /** The ordinary pipeline's round-robin positions (AnswerOrder "round-robin"); made on first use. */
  rotations?: RotationCounters;
  forwarder: Forwarder;
  /** The caller's logger; this module's lines are scoped as component 'dns' (queryLog). */
  logger: Logger;
  /** Absent when ForwardCacheSize is 0. */
  forwardCache?: ForwardCache;
  /** Absent: nothing is counted. */
  stats?: QueryStats;
  /** Where respond() keeps pre-encoded answers; absent: respond() never uses the fast path. */
  answers?: AnswerSlot;
  /** Limits the "forwarding failed" warnings (one line per interval); absent: one per failure. */
  forwardFailureLog?: LogSampler;
  /**
   * Answers AXFR/IXFR and TSIG-signed queries for our zones (dns/xfr/transfer-service.ts, on the
   * main thread; a worker's relays there). Absent: those are REFUSED / NOTAUTH+BADKEY as before.
   */
  transfer?: TransferAnswer;
}

/** One message, several (a zone transfer over TCP), or nothing. */
export type Reply = Buffer | Buffer[] | null;

/** The pre-encoded answers of one (snapshot, config) pair; replaced when either changes. */
export interface AnswerSlot {
  cache?: AnswerCache;
  /** Exceptions out of the fast path (a bug: it is written not to throw); they are logged sparsely. */
  failures?: number;
}

/** This module's child of each context's logger, made on first use: lines are only written on failures. */
const queryLogs = new WeakMap<Logger, Logger>();
function queryLog(ctx: QueryContext): Logger {
  let log = queryLogs.get(ctx.logger);
  if (log === undefined) queryLogs.set(ctx.logger, (log = ctx.logger.child({ component: 'dns' })));
  return log;
}

/**
 * The servers' entry point: a reply (or null) right away when the fast path can answer, else
 * the promise of handleQuery. Never throws or rejects. `peer` is the client (see handleQuery).
 */
export function respond(buf: Buffer, transport: Transport, ctx: QueryContext, peer?: Peer): Buffer | null | Promise<Buffer | null> {
  const reply = respondMessages(buf, transport, ctx, peer);
  return reply instanceof Promise ? reply.then(firstMessage) : firstMessage(reply);
}

/** The first message of a reply: what a UDP client gets, and what callers of respond() see. */
export function firstMessage(reply: Reply): Buffer | null {
  return Array.isArray(reply) ? (reply[0] ?? null) : reply;
}

/** respond(), with every message of a multi-message reply (a zone transfer over TCP). */
export function respondMessages(buf: Buffer, transport: Transport, ctx: QueryContext, peer?: Peer): Reply | Promise<Reply> {
  const slot = ctx.answers;
  if (slot) {
    let reply: Buffer | undefined;
    try {
      reply = answerFromCache(buf, transport, ctx, slot);
    } catch (err) {
      // The ordinary pipeline below still answers; log the 1st, 2nd, 4th, 8th... failure.
      const failures = (slot.failures = (slot.failures ?? 0) + 1);
      if ((failures & (failures - 1)) === 0) queryLog(ctx).error({ err, failures }, 'fast path failed; answering through the full pipeline');
    }
    if (reply !== undefined) {
      const stats = ctx.stats;
      // Counted here; its duration is timed by the socket server, which knows when the reply
      // leaves (a whole batch of them per two clock reads).
      if (stats) {
        const t = transport === 'tcp' ? 1 : 0;
        stats.receive(t);
        stats.count(t, questionType(reply), reply[3] & 0x0f);
      }
      return reply;
    }
  }
  return handleQueryMessages(buf, transport, ctx, performance.now(), peer);
}

function answerFromCache(buf: Buffer, transport: Transport, ctx: QueryContext, slot: AnswerSlot): Buffer | undefined {
  // The snapshot is read again by handleQuery when this declines; both reads happen in the same
  // tick (nothing is awaited in between), so they see the same generation.
  const snapshot = ctx.snapshot();
  if (snapshot === undefined) return undefined;
  let cache = slot.cache;
  if (cache === undefined || cache.snapshot !== snapshot || cache.config !== ctx.config) {
    // A patched generation keeps the previous one's answers but the touched names' (answer-cache.ts).
    cache = slot.cache =
      cache !== undefined && cache.config === ctx.config && snapshot.patch?.from === cache.snapshot.generation ? AnswerCache.patched(cache, snapshot) : new AnswerCache(snapshot, ctx.config);
  }
  return fastAnswer(buf, transport, cache, ctx.random);
}

/**
 * Replies to `buf`, received over `transport` from `peer`; null means send nothing. Never rejects.
 * `started`: a performance.now() reading when the message arrived, for the duration histogram
 * (a monotonic double: no allocation, unlike process.hrtime.bigint()). `peer` is read before the
 * first await (a batched-UDP SockaddrRef is only valid that long); absent (callers inside the
 * process, tests of other parts) RecurseFrom is not applied.
 */
export async function handleQuery(buf: Buffer, transport: Transport, ctx: QueryContext, started = performance.now(), peer?: Peer): Promise<Buffer | null> {
  return firstMessage(await handleQueryMessages(buf, transport, ctx, started, peer));
}

/** handleQuery, with every message of a multi-message reply. */
export async function handleQueryMessages(buf: Buffer, transport: Transport, ctx: QueryContext, started = performance.now(), peer?: Peer): Promise<Reply> {
  const stats = ctx.stats;
  const t = transport === 'tcp' ? 1 : 0;
  if (stats) stats.receive(t);
  // A secondary's NOTIFY (RFC 1996) goes where its zone copies are: the main thread's
  // secondary source, through the transfer relay; without Primaries it stays NOTIMP (parseQuery).
  if (ctx.transfer && ctx.config.typed.secondary.on && isNotifyRequest(buf)) return ctx.transfer(buf, transport, peer === undefined ? '' : peerText(peer));
  const parsed = parseQuery(buf);
  if (parsed.kind === 'drop') {
    if (stats) stats.drop('not_a_query');
    return null;
  }
  const encodeOptions: EncodeOptions = {
    maxSize: maxResponseSize(parsed.kind === 'query' ? parsed.query : undefined, transport, ctx.config.EDNSMaxUDPSize),
    setTruncateBit: ctx.config.SetTruncateBit,
    ednsUdpSize: ctx.config.EDNSMaxUDPSize,
  };
  const edns = parsed.kind === 'query' ? parsed.query.edns : parsed.edns;
  if (edns?.nsid) encodeOptions.nsid = nsidBytes(ctx.config.Identity);
  if (parsed.kind === 'error') {
    // FORMERR, NOTIMP, BADVERS: decided before routing, so they never reach an upstream.
    const reply = safeEncodeError(parsed, encodeOptions, ctx);
    if (stats) {
      if (reply === null) stats.drop('encode_error');
      else {
        stats.count(t, questionType(buf), parsed.rcode);
        stats.timed(t, 1, (performance.now() - started) / 1000);
      }
    }
    return reply;
  }
  const query = parsed.query;
  let reply: Reply;
  let rcode: number;
  try {
    reply = await answerQuery(buf, query, transport, encodeOptions, ctx, peer);
    const first = Array.isArray(reply) ? reply[0] : reply;
    rcode = first === undefined || first === null ? RCODE.NOERROR : first[3] & 0x0f;
  } catch (err) {
    if (err instanceof ForwardError) {
      if (stats) stats.forwardFailures++;
      const held = ctx.forwardFailureLog ? ctx.forwardFailureLog.take() : 0;
      if (held >= 0) {
        queryLog(ctx).warn(
          { qname: query.question.name, qtype: query.question.type, err: err.message, ...(held > 0 ? { heldBack: held } : {}) },
          'forwarding failed, answering SERVFAIL',
        );
      }
    } else {
      if (stats) stats.internalErrors++;
      queryLog(ctx).error({ qname: query.question.name, qtype: query.question.type, err }, 'query failed, answering SERVFAIL');
    }
    rcode = RCODE.SERVFAIL;
    reply = safeEncodeError({ ...query, rcode: RCODE.SERVFAIL, ra: ctx.config.RecurseOn }, encodeOptions, ctx);
  }
  if (stats) {
    if (reply === null) stats.drop('encode_error');
    else {
      stats.count(t, query.question.type, rcode);
      stats.timed(t, 1, (performance.now() - started) / 1000);
    }
  }
  return reply;
}

async function answerQuery(
  buf: Buffer,
  query: Query,
  transport: Transport,
  encodeOptions: EncodeOptions,
  ctx: QueryContext,
  peer: Peer | undefined,
): Promise<Buffer | Buffer[] | null> {
  const config = ctx.config;
  // Class CH is answered here and never forwarded (chaos.ts), whatever the name.
  const chaos = query.question.class === QCLASS.CH;
  // Read once: the reverse zones route() uses and the records answered come from one generation.
  const snapshot = ctx.snapshot();
  const where = chaos
    ? undefined
    : route(query.question.name.toLowerCase(), config.typed.routing, snapshot?.table.reverse?.zones, snapshot?.zones.zones);
  // Zone transfers and signed queries for our zones go to the transfer service, which holds the
  // journal and the TSIG keys (xfr/transfer-service.ts). The client's address is read now,
  // before any await (see handleQuery).
  const ours = where?.kind === 'authority' || where?.kind === 'reverse' || where?.kind === 'static';
  const type = query.question.type;
  if (ctx.transfer && ours && (query.tsig || type === QTYPE.AXFR || type === QTYPE.IXFR)) {
    return ctx.transfer(buf, transport, peer === undefined ? '' : peerText(peer));
  }
  // RFC 8945 §5.2: without the transfer service we hold no TSIG keys, so a signed query we would
  // answer ourselves gets NOTAUTH/BADKEY. A forwarded one goes upstream unchanged (§5.5).
  if (query.tsig && where?.kind !== 'forward') return tsigErrorReply({ ...query, tsig: query.tsig }, TSIG_ERROR.BADKEY, encodeOptions);
  if (where === undefined) return encodeAnswer(query, lookupChaos(query.question, config.Identity, config.RecurseOn), encodeOptions);
  if (expiredZone(snapshot, where)) return encodeError({ ...query, rcode: RCODE.SERVFAIL, ra: config.RecurseOn }, encodeOptions);
  switch (where.kind) {
    case 'authority': {
      // ANY: one RRset over UDP, all over TCP (lookup.ts minimalAny, RFC 8482 §4.1).
      const answer = lookup(snapshot?.table, query, {
        random: ctx.random,
        recurseOn: config.RecurseOn,
        fullAny: transport === 'tcp',
        rotation: config.typed.roundRobin ? rotationOf((ctx.rotations ??= new RotationCounters()), query.question.name.toLowerCase()) : undefined,
      }, where.zone);
      return encodeAnswer(query, answer, encodeOptions);
    }
    case 'reverse':
      return encodeAnswer(query, lookupReverse(snapshot?.table, query, where.zone, { random: ctx.random, recurseOn: config.RecurseOn, fullAny: transport === 'tcp' }), encodeOptions);
    case 'static':
      // route() names a static zone only from this snapshot, so it is there.
    {
      const opts = { random: ctx.random, recurseOn: config.RecurseOn, fullAny: transport === 'tcp' };
      const chase = chaseIntoTable(snapshot!.table, query, opts, config.typed.routing);
      return encodeAnswer(query, lookupStatic(snapshot!.zones, query, where.zone, { ...opts, chase }), encodeOptions);
    }
    case 'refused':
      // mesos-dns answers names it has no forwarder for with REFUSED, flags `qr rd` only (§8.4).
      return encodeError({ ...query, rcode: RCODE.REFUSED, ra: false }, encodeOptions);
    case 'forward': {
      // RFC 5358 §4: recursion only for the clients we serve. REFUSED (RFC 1035 §4.1.1: "refuses
      // to perform the specified operation for policy reasons") with RA clear, as BIND's
      // allow-recursion does: this client is offered no recursion. Checked before the cache,
      // so no cached answer leaks either; read synchronously, before any await (see handleQuery).
      if (peer !== undefined && !recursionAllowed(config.typed.recurseFrom, peer)) {
        if (ctx.stats) ctx.stats.recursionRefused++;
        return encodeError({ ...query, rcode: RCODE.REFUSED, ra: false }, encodeOptions);
      }
      // Past the cache: a signed reply is for its client alone, and an upstream's NSID must not
      // reach a client that did not ask for it (RFC 5001 §2.1); the cache key has no options.
      const cache = query.tsig || query.edns?.nsid ? undefined : ctx.forwardCache;
      let reply = cache?.get(query, buf);
      if (reply) {
        if (ctx.stats) ctx.stats.cacheHits++;
      } else {
        if (ctx.stats) ctx.stats.cacheMisses++;
        reply = await ctx.forwarder.forward(buf, transport, where.upstreams, ctx.stats);
        if (ctx.stats) ctx.stats.forwarded++;
        cache?.set(query, reply);
      }
      return reply.length > encodeOptions.maxSize ? truncateToQuestion(reply, encodeOptions.maxSize) : reply;
    }
  }
}

/** lookup's rotation for the RRsets of `name` (lower-case), from the thread's counters. */
function rotationOf(counters: RotationCounters, name: string): (type: number, n: number) => number {
  return (type, n) => counters.next(name, type, n);
}

function safeEncodeError(e: Parameters<typeof encodeError>[0], opts: EncodeOptions, ctx: QueryContext): Buffer | null {
  try {
    return encodeError(e, opts);
  } catch (err) {
    queryLog(ctx).error({ err }, 'could not encode an error reply; dropping the query');
    return null;
  }
}

/**
 * Cuts a relayed reply that exceeds the client's UDP limit down to header + question (+ the
 * upstream's OPT, which an EDNS client must get back, RFC 6891 §7), with TC set so the client
 * retries over TCP (RFC 1035 §4.2.1, RFC 7766 §5). Usually the upstream already kept within the
 * size, since it saw the client's own EDNS; this catches a cache hit made over TCP, or an
 * upstream that ignores the advertised size. TC is set even with SetTruncateBit off: a reply
 * with no records and no TC would read as an empty answer.
 */
export function truncateToQuestion(reply: Buffer, maxSize: number): Buffer {
  const scanned = scanMessage(reply);
  let opt = scanned.records.find((rr) => rr.type === QTYPE.OPT && rr.section === 'additional');
  // An OPT stuffed with options could itself overflow; the header and question always fit.
  if (opt && scanned.questionEnd + opt.end - opt.start > maxSize) opt = undefined;
  const optLength = opt ? opt.end - opt.start : 0;
  const out = Buffer.allocUnsafe(scanned.questionEnd + optLength);
  reply.copy(out, 0, 0, scanned.questionEnd);
  if (opt) reply.copy(out, scanned.questionEnd, opt.start, opt.end);
  out.writeUInt16BE(out.readUInt16BE(2) | 0x0200, 2); // TC
  out.writeUInt16BE(0, 6); // ANCOUNT
  out.writeUInt16BE(0, 8); // NSCOUNT
  out.writeUInt16BE(opt ? 1 : 0, 10); // ARCOUNT
  return out;
}

/**
 * Whether `where` is a secondary's zone past SOA EXPIRE without a primary (RecordTable.expired):
 * RFC 1035 §3.3.13, it is no longer answered authoritatively (SERVFAIL, as BIND does).
 */
function expiredZone(snapshot: Snapshot | undefined, where: Route): boolean {
  const expired = snapshot?.table.expired;
  if (expired === undefined) return false;
  if (where.kind === 'authority') return expired.includes(where.zone ?? snapshot!.table.zone);
  return where.kind === 'reverse' && expired.includes(where.zone);
}

const peerWordsOut = new Uint32Array(4);

/**
 * Whether RecurseFrom lets `peer` have names forwarded: matched on the peer's address words, as
 * RRL's exemption is, without making text of it. Not an address (never from a socket): no.
 */
function recursionAllowed(ranges: readonly Cidr[], peer: Peer): boolean {
  const family = peerWords(peer, peerWordsOut);
  return family !== 0 && wordsMatcherFor(ranges)(family, peerWordsOut);
}
