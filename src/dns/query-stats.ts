// Per-thread query counters for /metrics: what respond()/handleQuery, the forwarder and the
// socket servers count. A module of its own so that metrics, the worker protocol and serve read
// counters without importing the query pipeline.
//
// Why typed arrays and not prom-client here: every DNS worker thread counts in its own memory,
// per query, on the hot path. A prom-client call costs a label lookup and an object per
// observation; an index into a Float64Array costs a few nanoseconds. The main thread asks each
// worker for a copy at scrape time (workers/protocol.ts), sums them (addStats) and renders the
// sum through prom-client (metrics/query-families.ts). Float64 holds integers exactly up to 2^53,
// so the counters never wrap.
//
// Adding a counter: a label value to one of the lists below (a new drop reason, a new forward
// outcome) is one line, and it shows in /metrics with no other change; a new family is a field
// here, a line in snapshot/addStats, and one entry in metrics/query-families.ts.

export const TRANSPORTS = ['udp', 'tcp'] as const;
export type TransportLabel = (typeof TRANSPORTS)[number];

/** Query types with their own label value; the rest count as "other". */
export const QTYPE_LABELS = ['A', 'AAAA', 'SRV', 'SOA', 'NS', 'PTR', 'TXT', 'ANY', 'other'] as const;
const QTYPE_OTHER = QTYPE_LABELS.length - 1;
/** QTYPE (< 256) -> label index: one array read per query. */
const QTYPE_INDEX = new Uint8Array(256).fill(QTYPE_OTHER);
[1, 28, 33, 6, 2, 12, 16, 255].forEach((qtype, i) => (QTYPE_INDEX[qtype] = i));

/** Reply codes (extended: BADVERS is 16); anything else counts as "other". */
export const RCODE_LABELS = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'BADVERS', 'other'] as const;
const RCODE_NUMBERS = [0, 1, 2, 3, 4, 5, 16] as const;
const RCODE_OTHER = RCODE_LABELS.length - 1;

/**
 * Why a DNS message got no reply. Every place the server drops a query counts one of these
 * (docs/metrics.md lists where each happens).
 */
export const DROP_REASONS = [
  /** parse-query: a response, a runt shorter than a header, or QDCOUNT != 1 with no way to answer. */
  'not_a_query',
  /** UDP: queries already in flight at the cap (udp-server.ts queryRunner). */
  'in_flight_limit',
  /** UDP: a datagram over the 4 KiB receive slot (batched socket). */
  'oversize',
  /** UDP: the kernel refused the reply (send buffer full, unreachable sender). */
  'send_error',
  /** The query handler threw or rejected (a bug; logged). */
  'handler_error',
  /** An error reply (FORMERR, SERVFAIL...) could not be encoded (a bug; logged). */
  'encode_error',
  /** TCP: a reply over 65,535 bytes, which no TCP frame can carry. */
  'reply_too_large',
  /** The reply was ready after its socket or connection had gone (client closed, reconfigure). */
  'closed',
  /** TCP: a frame length no query can have; the connection is closed. */
  'bad_frame',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];
const DROP_INDEX = Object.fromEntries(DROP_REASONS.map((r, i) => [r, i])) as Record<DropReason, number>;

/** Outcomes of one attempt at one upstream (forward/forward.ts). */
export const FORWARD_OUTCOMES = ['answered', 'truncated', 'timeout', 'error', 'mismatch'] as const;
export type ForwardOutcome = (typeof FORWARD_OUTCOMES)[number];
const FORWARD_OUTCOME_INDEX = Object.fromEntries(FORWARD_OUTCOMES.map((r, i) => [r, i])) as Record<ForwardOutcome, number>;

/** Request duration buckets, seconds: a fast-path answer takes microseconds, a forwarded one up to the timeout. */
export const DURATION_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;
/** Per histogram: one count per bucket (not cumulative; summed up at exposition) plus +Inf. */
const SLOTS = DURATION_BUCKETS.length + 1;

/** Bucket index of `seconds` (the first bound it does not exceed, or +Inf). */
function bucketOf(seconds: number): number {
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
  return i;
}

/** One histogram: per-bucket counts (+Inf last), the sum and the count. */
export interface HistogramData {
  buckets: Float64Array;
  sum: number;
  count: number;
}

export function newHistogram(): HistogramData {
  return { buckets: new Float64Array(SLOTS), sum: 0, count: 0 };
}

export function observe(h: HistogramData, seconds: number): void {
  h.buckets[bucketOf(seconds)]++;
  h.sum += seconds;
  h.count++;
}

/** One upstream's attempts by outcome and their durations. */
export interface UpstreamStats {
  outcomes: Float64Array;
  duration: HistogramData;
}

/** The plain counters, for copying them between threads and summing them. */
export const QUERY_COUNTERS = ['forwarded', 'forwardFailures', 'cacheHits', 'cacheMisses', 'internalErrors', 'udpBatches', 'udpDatagrams', 'udpSendErrors', 'udpOversize', 'recursionRefused', 'rrlDropped', 'rrlSlipped'] as const;
export type QueryCounter = (typeof QUERY_COUNTERS)[number];

/** Cumulative counters for the metrics endpoint, cheap to bump per query. */
export class QueryStats implements Record<QueryCounter, number> {
  /** Messages handed to the query handler, by transport. */
  readonly received = new Float64Array(TRANSPORTS.length);
  /** Replies sent, by [transport][qtype][rcode] (index responseIndex). */
  readonly responses = new Float64Array(TRANSPORTS.length * QTYPE_LABELS.length * RCODE_LABELS.length);
  /** Time from handing the message to the handler to having the reply bytes, by transport. */
  readonly duration: HistogramData[] = TRANSPORTS.map(() => newHistogram());
  /** Messages that got no reply, by DROP_REASONS index. */
  readonly drops = new Float64Array(DROP_REASONS.length);
  /** Forwarding attempts by upstream ("host:port"). */
  readonly upstreams = new Map<string, UpstreamStats>();
  /** Queries sent upstream (forward-cache misses). */
  forwarded = 0;
  /** Forwarded queries where every upstream failed (answered SERVFAIL). */
  forwardFailures = 0;
  /** Forwarded queries answered from the cache. */
  cacheHits = 0;
  /** Forwarded queries that went upstream (not in the cache, or no cache). */
  cacheMisses = 0;
  /** Unexpected exceptions turned into SERVFAIL. */
  internalErrors = 0;
  // The batched UDP socket's own counts (udp-batch-server.ts), copied in by DnsService.countedStats.
  /** recvmmsg calls that returned datagrams. */
  udpBatches = 0;
  /** Datagrams those calls returned (udpDatagrams / udpBatches: the mean batch). */
  udpDatagrams = 0;
  /** Replies the kernel refused (send buffer full, unreachable address): lost to the client, which retries. */
  udpSendErrors = 0;
  /** Datagrams larger than a receive slot (4 KiB), dropped unanswered. */
  udpOversize = 0;
  /** Names outside our zones REFUSED because the client is outside RecurseFrom. */
  recursionRefused = 0;
  /** UDP replies response rate limiting dropped (not sent at all). */
  rrlDropped = 0;
  /** UDP replies response rate limiting sent truncated (TC, no records) instead. */
  rrlSlipped = 0;

  /** A message arrived (transport 0 udp, 1 tcp). */
  receive(transport: number): void {
    this.received[transport]++;
  }

  /** A reply is ready: counted by transport, qtype and rcode. */
  count(transport: number, qtype: number, rcode: number): void {
    const q = qtype >= 0 && qtype < 256 ? QTYPE_INDEX[qtype] : QTYPE_OTHER;
    const r = rcode === 0 ? 0 : rcodeIndex(rcode);
    this.responses[(transport * QTYPE_LABELS.length + q) * RCODE_LABELS.length + r]++;
  }

  /**
   * `n` replies over `transport` took `seconds` each, from the socket handing the query over to
   * the reply being ready. The socket servers time the replies answered at once (a batch of
   * them with two clock reads, docs/metrics.md), handleQuery the rest.
   */
  timed(transport: number, n: number, seconds: number): void {
    const h = this.duration[transport];
    h.buckets[bucketOf(seconds)] += n;
    h.sum += seconds * n;
    h.count += n;
  }

  drop(reason: DropReason): void {
    this.drops[DROP_INDEX[reason]]++;
  }

  /** One attempt at `upstream` ended with `outcome` after `seconds`. */
  forwardAttempt(upstream: string, outcome: ForwardOutcome, seconds: number): void {
    let u = this.upstreams.get(upstream);
    if (u === undefined) this.upstreams.set(upstream, (u = { outcomes: new Float64Array(FORWARD_OUTCOMES.length), duration: newHistogram() }));
    u.outcomes[FORWARD_OUTCOME_INDEX[outcome]]++;
    observe(u.duration, seconds);
  }

  // Totals, as the counters were before they had labels (tests and the worker tests read them).
  /** Every message handed to the handler. */
  get requests(): number {
    return this.received.reduce((a, b) => a + b, 0);
  }

  /** Messages answered with silence for any reason. */
  get dropped(): number {
    return this.drops.reduce((a, b) => a + b, 0);
  }

  /** Replies by numeric RCODE (extended: BADVERS is 16), over every transport and qtype. */
  get rcodes(): Map<number, number> {
    const out = new Map<number, number>();
    for (let i = 0; i < this.responses.length; i++) {
      const n = this.responses[i];
      const r = i % RCODE_LABELS.length;
      if (n > 0 && r < RCODE_NUMBERS.length) out.set(RCODE_NUMBERS[r], (out.get(RCODE_NUMBERS[r]) ?? 0) + n);
    }
    return out;
  }
}

function rcodeIndex(rcode: number): number {
  const i = (RCODE_NUMBERS as readonly number[]).indexOf(rcode);
  return i < 0 ? RCODE_OTHER : i;
}

/** Index into QueryStats.responses. */
export function responseIndex(transport: number, qtypeLabel: number, rcodeLabel: number): number {
  return (transport * QTYPE_LABELS.length + qtypeLabel) * RCODE_LABELS.length + rcodeLabel;
}

/** The QTYPE of a plain (uncompressed) question starting at byte 12, or -1. */
export function questionType(msg: Uint8Array): number {
  let p = 12;
  while (p < msg.length) {
    const len = msg[p];
    if (len === 0) return p + 2 < msg.length ? (msg[p + 1] << 8) | msg[p + 2] : -1;
    if (len >= 0x40) return -1; // a pointer or a reserved label type: not in a question we answered from bytes
    p += len + 1;
  }
  return -1;
}

/** QueryStats as plain data that crosses threads (structured clone copies the typed arrays). */
export interface StatsSnapshot extends Record<QueryCounter, number> {
  received: Float64Array;
  responses: Float64Array;
  duration: HistogramData[];
  drops: Float64Array;
  upstreams: Array<[string, UpstreamStats]>;
}

export function statsSnapshot(s: QueryStats): StatsSnapshot {
  const out = {
    received: s.received.slice(),
    responses: s.responses.slice(),
    duration: s.duration.map(copyHistogram),
    drops: s.drops.slice(),
    upstreams: [...s.upstreams].map(([k, u]) => [k, { outcomes: u.outcomes.slice(), duration: copyHistogram(u.duration) }]),
  } as unknown as StatsSnapshot;
  for (const k of QUERY_COUNTERS) out[k] = s[k];
  return out;
}

function copyHistogram(h: HistogramData): HistogramData {
  return { buckets: h.buckets.slice(), sum: h.sum, count: h.count };
}

function addArray(into: Float64Array, from: Float64Array): void {
  for (let i = 0; i < into.length && i < from.length; i++) into[i] += from[i];
}

function addHistogram(into: HistogramData, from: HistogramData): void {
  addArray(into.buckets, from.buckets);
  into.sum += from.sum;
  into.count += from.count;
}

/** Adds a thread's counters into `into` (the primary's sum for /metrics). */
export function addStats(into: QueryStats, s: StatsSnapshot): void {
  for (const k of QUERY_COUNTERS) into[k] += s[k];
  addArray(into.received, s.received);
  addArray(into.responses, s.responses);
  s.duration.forEach((h, i) => addHistogram(into.duration[i], h));
  addArray(into.drops, s.drops);
  for (const [name, u] of s.upstreams) {
    let mine = into.upstreams.get(name);
    if (mine === undefined) into.upstreams.set(name, (mine = { outcomes: new Float64Array(FORWARD_OUTCOMES.length), duration: newHistogram() }));
    addArray(mine.outcomes, u.outcomes);
    addHistogram(mine.duration, u.duration);
  }
}
