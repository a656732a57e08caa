// Prometheus text exposition (format 0.0.4) of what an operator needs to see: query counts by
// rcode, forwarding, cache, the table's generation/serial/size and its age. mesos-dns has no
// metrics endpoint (it logs nine counters at -v=2); this is ours.
import type { QueryStats } from './dns/query-stats.js';
import type { Snapshot } from './store.js';

const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 16: 'BADVERS',
};

export interface MetricsInput {
  stats: QueryStats;
  snapshot: Snapshot | undefined;
  /** Unix seconds of the last swap, undefined before the first. */
  lastSwapAt: number | undefined;
  /** Unix seconds, now. */
  now: number;
  forwardCacheEntries: number;
  /** Malformed elements the state readers left out, by kind (skipped-elements.ts). */
  skipped?: Readonly<Record<string, number>>;
}

function metric(out: string[], name: string, type: 'counter' | 'gauge', help: string, samples: Array<[labels: string, value: number]>): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
}

export function renderMetrics(m: MetricsInput): string {
  const out: string[] = [];
  const s = m.stats;
  metric(out, 'mesos_dns_requests_total', 'counter', 'DNS messages received.', [['', s.requests]]);
  metric(out, 'mesos_dns_dropped_total', 'counter', 'DNS messages not answered (responses, runts).', [['', s.dropped]]);
  metric(
    out,
    'mesos_dns_responses_total',
    'counter',
    'DNS replies sent, by rcode.',
    [...s.rcodes].sort((a, b) => a[0] - b[0]).map(([code, n]) => [`{rcode="${RCODE_NAMES[code] ?? String(code)}"}`, n]),
  );
  metric(out, 'mesos_dns_forwarded_total', 'counter', 'Queries sent to upstream resolvers.', [['', s.forwarded]]);
  metric(out, 'mesos_dns_forward_failures_total', 'counter', 'Forwarded queries where every upstream failed.', [['', s.forwardFailures]]);
  metric(out, 'mesos_dns_forward_cache_hits_total', 'counter', 'Forwarded queries answered from the cache.', [['', s.cacheHits]]);
  metric(out, 'mesos_dns_forward_cache_entries', 'gauge', 'Replies held in the forwarding cache.', [['', m.forwardCacheEntries]]);
  metric(out, 'mesos_dns_internal_errors_total', 'counter', 'Unexpected errors answered with SERVFAIL.', [['', s.internalErrors]]);
  // The batched UDP socket's (udp-batch-server.ts); all 0 when UDP goes through dgram.
  metric(out, 'mesos_dns_udp_batches_total', 'counter', 'UDP receive batches (recvmmsg calls that returned datagrams).', [['', s.udpBatches]]);
  metric(out, 'mesos_dns_udp_batched_datagrams_total', 'counter', 'UDP datagrams received in batches; divided by the batches, the mean batch size.', [
    ['', s.udpDatagrams],
  ]);
  metric(out, 'mesos_dns_udp_send_errors_total', 'counter', 'UDP replies the kernel refused (send buffer full, unreachable sender).', [['', s.udpSendErrors]]);
  metric(out, 'mesos_dns_udp_oversize_total', 'counter', 'UDP datagrams over 4 KiB, dropped unanswered.', [['', s.udpOversize]]);
  metric(out, 'mesos_dns_state_skipped_total', 'counter', 'Malformed agents, frameworks and tasks left out of the documents read (each document counts its own), by kind.', [
    ...Object.entries(m.skipped ?? { agent: 0, framework: 0, task: 0 }).map(([kind, n]): [string, number] => [`{kind="${kind}"}`, n]),
  ]);
  const t = m.snapshot?.table;
  metric(out, 'mesos_dns_table_loaded', 'gauge', '1 once a record table has been loaded.', [['', t ? 1 : 0]]);
  metric(out, 'mesos_dns_table_generation', 'gauge', 'Record table swaps since start.', [['', m.snapshot?.generation ?? 0]]);
  metric(out, 'mesos_dns_table_serial', 'gauge', 'SOA serial of the served table.', [['', t?.soa.serial ?? 0]]);
  metric(out, 'mesos_dns_table_names', 'gauge', 'Owner names in the served table.', [['', t?.names.size ?? 0]]);
  metric(out, 'mesos_dns_table_age_seconds', 'gauge', 'Seconds since the served table was swapped in.', [
    ['', m.lastSwapAt === undefined ? -1 : Math.max(0, m.now - m.lastSwapAt)],
  ]);
  return `${out.join('\n')}\n`;
}
