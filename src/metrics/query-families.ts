// The query metrics of /metrics, rendered through prom-client from the counters every DNS thread
// keeps in its own typed arrays (dns/query-stats.ts). At scrape time the main thread asks the
// workers for their counts, sums them (serve.ts), and hands the sum to `setSum`; these families
// then read it when the registry renders. prom-client's own Counter/Histogram cannot take values
// computed elsewhere (a histogram's buckets least of all), so each family is a small object with
// the registry's metric interface (name, help, type, get()).
import type { Metric, Registry } from 'prom-client';
import type { UpstreamHealthView } from '../dns/forward/upstream-health.js';
import {
  DROP_REASONS,
  DURATION_BUCKETS,
  FORWARD_OUTCOMES,
  QTYPE_LABELS,
  QueryStats,
  RCODE_LABELS,
  TRANSPORTS,
  responseIndex,
  type HistogramData,
  type QueryCounter,
} from '../dns/query-stats.js';

type Labels = Record<string, string>;
interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}

/** What the families read: the summed counters and the forward cache size, as of this scrape. */
export interface QuerySum {
  stats: QueryStats;
  forwardCacheEntries: number;
  /** Each upstream's health (forward/upstream-health.ts), merged over the DNS threads. */
  upstreams?: readonly UpstreamHealthView[];
}

/** Plain counters with no labels: metric name and help per QueryStats field. One line each. */
const PLAIN_COUNTERS: ReadonlyArray<[QueryCounter, string, string]> = [
  ['forwarded', 'mesos_dns_forwarded_total', 'Queries sent to upstream resolvers (forward-cache misses).'],
  ['forwardFailures', 'mesos_dns_forward_failures_total', 'Forwarded queries where every upstream failed (answered SERVFAIL).'],
  ['cacheHits', 'mesos_dns_forward_cache_hits_total', 'Forwarded queries answered from the forward cache.'],
  ['cacheMisses', 'mesos_dns_forward_cache_misses_total', 'Forwarded queries not found in the forward cache (sent upstream).'],
  ['internalErrors', 'mesos_dns_internal_errors_total', 'Unexpected errors answered with SERVFAIL.'],
  ['udpBatches', 'mesos_dns_udp_batches_total', 'UDP receive batches (recvmmsg calls that returned datagrams); 0 when UDP goes through dgram.'],
  ['udpDatagrams', 'mesos_dns_udp_batched_datagrams_total', 'UDP datagrams received in batches; divided by the batches, the mean batch size.'],
  ['udpSendErrors', 'mesos_dns_udp_send_errors_total', 'UDP replies the kernel refused (send buffer full, unreachable sender); batched socket.'],
  ['udpOversize', 'mesos_dns_udp_oversize_total', 'UDP datagrams over 4 KiB, dropped unanswered; batched socket.'],
  ['recursionRefused', 'mesos_dns_recursion_refused_total', 'Queries for names outside our zones REFUSED: the client is outside RecurseFrom.'],
  ['rrlDropped', 'mesos_dns_rrl_dropped_total', 'UDP responses not sent: over ResponseRateLimit.'],
  ['rrlSlipped', 'mesos_dns_rrl_slipped_total', 'UDP responses over ResponseRateLimit sent truncated (TC, no records) instead (ResponseRateLimitSlip).'],
];

/** Prometheus histogram samples (cumulative buckets, +Inf, _sum, _count) from per-bucket counts. */
export function histogramSamples(name: string, labels: Labels, h: HistogramData): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  for (let i = 0; i < DURATION_BUCKETS.length; i++) {
    cumulative += h.buckets[i];
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(DURATION_BUCKETS[i]) }, value: cumulative });
  }
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}

/** Registers the query families on `registry`; call the returned setter before each render. */
export function registerQueryFamilies(registry: Registry): (sum: QuerySum | undefined) => void {
  let current: QuerySum = { stats: new QueryStats(), forwardCacheEntries: 0 };
  const family = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string, values: (s: QuerySum) => Sample[]): void => {
    const metric = { name, help, type, aggregator: 'sum', get: () => ({ name, help, type, aggregator: 'sum', values: values(current) }) };
    registry.registerMetric(metric as unknown as Metric);
  };

  family('mesos_dns_requests_total', 'counter', 'DNS messages received (handed to the query handler), by transport.', ({ stats }) =>
    TRANSPORTS.map((transport, t) => ({ labels: { transport }, value: stats.received[t] })),
  );
  family('mesos_dns_responses_total', 'counter', 'DNS replies sent, by transport, query type and rcode.', ({ stats }) => {
    const out: Sample[] = [];
    TRANSPORTS.forEach((transport, t) =>
      QTYPE_LABELS.forEach((qtype, q) =>
        RCODE_LABELS.forEach((rcode, r) => {
          const value = stats.responses[responseIndex(t, q, r)];
          // Only the combinations seen: 144 mostly-zero series would bury the ones that matter.
          if (value > 0) out.push({ labels: { transport, qtype, rcode }, value });
        }),
      ),
    );
    return out;
  });
  family('mesos_dns_request_duration_seconds', 'histogram', 'Time from receiving a query to having its reply, by transport.', ({ stats }) =>
    TRANSPORTS.flatMap((transport, t) => histogramSamples('mesos_dns_request_duration_seconds', { transport }, stats.duration[t])),
  );
  family('mesos_dns_dropped_total', 'counter', 'DNS messages that got no reply, by reason (docs/metrics.md).', ({ stats }) =>
    DROP_REASONS.map((reason, i) => ({
      labels: { reason },
      // The batched socket counts these two itself, in C.
      value: stats.drops[i] + (reason === 'oversize' ? stats.udpOversize : reason === 'send_error' ? stats.udpSendErrors : 0),
    })),
  );
  for (const [field, name, help] of PLAIN_COUNTERS) family(name, 'counter', help, ({ stats }) => [{ labels: {}, value: stats[field] }]);
  family('mesos_dns_forward_cache_entries', 'gauge', 'Replies held in the forward caches (summed over the DNS threads).', (s) => [
    { labels: {}, value: s.forwardCacheEntries },
  ]);
  family('mesos_dns_forward_attempts_total', 'counter', 'Attempts at upstream resolvers, by upstream and outcome.', ({ stats }) =>
    [...stats.upstreams].flatMap(([upstream, u]) => FORWARD_OUTCOMES.map((outcome, i) => ({ labels: { upstream, outcome }, value: u.outcomes[i] }))),
  );
  family('mesos_dns_forward_duration_seconds', 'histogram', 'Time per attempt at an upstream resolver, by upstream.', ({ stats }) =>
    [...stats.upstreams].flatMap(([upstream, u]) => histogramSamples('mesos_dns_forward_duration_seconds', { upstream }, u.duration)),
  );
  // Upstream health (issue 13): a down upstream is skipped while another is up, and probed.
  const byUpstream = (s: QuerySum, value: (u: UpstreamHealthView) => number): Sample[] =>
    [...(s.upstreams ?? [])].sort((a, b) => a.upstream.localeCompare(b.upstream)).map((u) => ({ labels: { upstream: u.upstream }, value: value(u) }));
  family('mesos_dns_upstream_up', 'gauge', 'Upstream resolver health: 1 up, 0 marked down (skipped while another is up, probed).', (s) =>
    byUpstream(s, (u) => (u.state === 'up' ? 1 : 0)),
  );
  family('mesos_dns_upstream_answers_total', 'counter', 'Matching replies from an upstream (queries and probes).', (s) => byUpstream(s, (u) => u.answered));
  family('mesos_dns_upstream_failures_total', 'counter', 'Failed tries of an upstream (error, or no reply by its deadline).', (s) => byUpstream(s, (u) => u.failed));

  return (sum) => {
    current = sum ?? { stats: new QueryStats(), forwardCacheEntries: 0 };
  };
}
