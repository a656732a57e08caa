// Per-thread query counters for /metrics: what respond()/handleQuery and the UDP servers count.
// A module of its own so that metrics, the worker protocol and serve read counters without
// importing the query pipeline.

/** The plain counters of QueryStats, for copying them between threads and summing them. */
export const QUERY_COUNTERS = [
  'requests',
  'dropped',
  'forwarded',
  'forwardFailures',
  'cacheHits',
  'internalErrors',
  'udpBatches',
  'udpDatagrams',
  'udpSendErrors',
  'udpOversize',
] as const;
export type QueryCounter = (typeof QUERY_COUNTERS)[number];

/** Cumulative counters for the metrics endpoint; plain numbers, cheap to bump per query. */
export class QueryStats implements Record<QueryCounter, number> {
  /** Every message handed to handleQuery. */
  requests = 0;
  /** Messages answered with silence (responses, runts). */
  dropped = 0;
  /** Replies by RCODE (extended, so BADVERS is 16). */
  readonly rcodes = new Map<number, number>();
  /** Queries sent upstream (cache misses). */
  forwarded = 0;
  /** Forwarded queries where every upstream failed (answered SERVFAIL). */
  forwardFailures = 0;
  /** Forwarded queries answered from the cache. */
  cacheHits = 0;
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

  countRcode(rcode: number): void {
    this.rcodes.set(rcode, (this.rcodes.get(rcode) ?? 0) + 1);
  }

  toJSON(): Record<string, number | Record<string, number>> {
    const out: Record<string, number | Record<string, number>> = {};
    for (const k of QUERY_COUNTERS) out[k] = this[k];
    out.rcodes = Object.fromEntries([...this.rcodes].map(([k, v]) => [String(k), v]));
    return out;
  }
}
