// Everything /metrics exposes, on one prom-client registry per server: Node's process metrics
// (collectDefaultMetrics), the table, the state source and the leader (counted here on the main
// thread, where they happen), and the query families summed over the DNS threads
// (query-families.ts). One registry per server, not prom-client's global one: tests run several
// servers in one process, and each must count only its own.
//
// Adding a main-thread metric is one field below (a prom-client Counter/Gauge/Histogram with
// `registers: [registry]`) and one call where the thing happens; the caller receives this object
// (ServerMetrics) from main.ts. Per-query counters live in the DNS threads instead: see
// dns/query-stats.ts.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { countRecords } from '../records/record-counts.js';
import type { RecordTable } from '../records/table.js';
import type { TableStore } from '../store.js';
import { registerQueryFamilies, type QuerySum } from './query-families.js';
import { registerSecondaryMetrics } from './secondary-metrics.js';

/** Seconds: a small table builds in a millisecond, 100,000 tasks in about a second. */
const BUILD_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: a state fetch is a local HTTP GET of kilobytes to a 40 MB body over a WAN. */
const FETCH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export type ServerMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(deps: {
  store: TableStore;
  now?: () => number;
  /** Malformed elements the state readers left out so far, by kind (skipped-elements.ts keeps the counts). */
  skipped?: Readonly<Record<string, number>>;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const now = deps.now ?? (() => Date.now() / 1000);
  const registers = [registry];
  let lastSwapAt: number | undefined;
  let leader: string | undefined;
  deps.store.onSwap(() => {
    lastSwapAt = now();
  });
  const table = () => deps.store.current()?.table;

  const m = {
    registry,
    // --- the state documents (skipped-elements.ts) ---------------------------------------------
    stateSkipped: new Counter({
      name: 'mesos_dns_state_skipped_total',
      help: 'Malformed agents, frameworks and tasks left out of the documents read (each document counts its own), by kind.',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, n] of Object.entries(deps.skipped ?? { agent: 0, framework: 0, task: 0 })) this.inc({ kind }, n);
      },
    }),
    // --- the table (publish.ts) ---------------------------------------------------------------
    tableLoaded: new Gauge({
      name: 'mesos_dns_table_loaded',
      help: '1 once a record table has been loaded.',
      registers,
      collect() {
        this.set(table() ? 1 : 0);
      },
    }),
    tableGeneration: new Gauge({
      name: 'mesos_dns_table_generation',
      help: 'Record table swaps since start.',
      registers,
      collect() {
        this.set(deps.store.current()?.generation ?? 0);
      },
    }),
    tableSerial: new Gauge({
      name: 'mesos_dns_table_serial',
      help: 'SOA serial of the served table.',
      registers,
      collect() {
        this.set(table()?.soa.serial ?? 0);
      },
    }),
    tableNames: new Gauge({
      name: 'mesos_dns_table_names',
      help: 'Owner names in the served table.',
      registers,
      collect() {
        this.set(table()?.names.size ?? 0);
      },
    }),
    tableAge: new Gauge({
      name: 'mesos_dns_table_age_seconds',
      help: 'Seconds since the served table was swapped in; -1 before the first.',
      registers,
      collect() {
        this.set(lastSwapAt === undefined ? -1 : Math.max(0, now() - lastSwapAt));
      },
    }),
    // --- HealthPolicy (records/health-policy.ts), read from the served table's build ----------
    healthFallbackNames: new Gauge({
      name: 'mesos_dns_health_fallback_names',
      help: 'Shared task names answered with all their instances because none passed HealthPolicy (0 with "ignore").',
      registers,
      collect() {
        this.set(table()?.health?.fallbackNames ?? 0);
      },
    }),
    healthFailingTasks: new Gauge({
      name: 'mesos_dns_health_failing_tasks',
      help: 'RUNNING tasks that HealthPolicy keeps out of their shared names (unless a name falls back to all; 0 with "ignore").',
      registers,
      collect() {
        this.set(table()?.health?.failingTasks ?? 0);
      },
    }),
    tableRecords: new Gauge({ name: 'mesos_dns_table_records', help: 'Records in the served table, by type.', labelNames: ['type'] as const, registers }),
    tableBuildDuration: new Histogram({
      name: 'mesos_dns_table_build_duration_seconds',
      help: 'Time to build a record table from a state (hostname resolution included).',
      buckets: BUILD_BUCKETS,
      registers,
    }),
    leaderInfo: new Gauge({
      name: 'mesos_dns_leader_info',
      help: 'The leading master of the served table ("host:port"), value 1.',
      labelNames: ['leader'] as const,
      registers,
      collect() {
        this.reset();
        if (leader !== undefined) this.set({ leader }, 1);
      },
    }),
    // --- the state source ---------------------------------------------------------------------
    stateFetches: new Counter({
      name: 'mesos_dns_state_fetches_total',
      help: 'Fetches of /master/state (or reads of the state file), by outcome (ok, error).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    stateFetchDuration: new Histogram({
      name: 'mesos_dns_state_fetch_duration_seconds',
      help: 'Time to fetch and read a state, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: FETCH_BUCKETS,
      registers,
    }),
    stateFetchBytes: new Counter({ name: 'mesos_dns_state_fetch_bytes_total', help: 'State document bytes read (inflated size when sent gzip).', registers }),
    stateLastBytes: new Gauge({ name: 'mesos_dns_state_last_fetch_bytes', help: 'Size of the last state body received, bytes.', registers }),
    streamConnectedGauge: new Gauge({ name: 'mesos_dns_stream_connected', help: '1 while the Operator API event stream is subscribed.', registers }),
    // --- zone transfer (dns/xfr/) ----------------------------------------------------------------
    zoneTransfers: new Counter({
      name: 'mesos_dns_zone_transfers_total',
      help: 'Zone transfer requests answered, by type (axfr, ixfr: incremental, ixfr_full: the whole zone, ixfr_current: the SOA alone) and result (ok, refused, tsig_error, notauth, error).',
      labelNames: ['type', 'result'] as const,
      registers,
    }),
    notifies: new Counter({
      name: 'mesos_dns_notify_total',
      help: 'NOTIFY messages to the Notify targets, by outcome (sent: first tries and retries, answered, gave_up).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    streamEvents: new Counter({
      name: 'mesos_dns_stream_events_total',
      help: 'Operator API events received, by type (SUBSCRIBED, TASK_ADDED, HEARTBEAT...).',
      labelNames: ['type'] as const,
      registers,
    }),
    // --- static zones (zones/zone-watcher.ts) -----------------------------------------------------
    zoneLoadErrors: new Counter({
      name: 'mesos_dns_zone_load_errors_total',
      help: 'Zone files that could not be served as written (a syntax or data error, or refused), counted once per version of the file.',
      registers,
    }),
    zoneSerial: new Gauge({
      name: 'mesos_dns_zone_serial',
      help: 'SOA serial of each static zone served, by zone.',
      labelNames: ['zone'] as const,
      registers,
    }),
    /** The static zones now served: one serial per zone, the gone ones removed. */
    zonesServed(zones: readonly { apex: string; serial: number }[]): void {
      m.zoneSerial.reset();
      for (const z of zones) m.zoneSerial.set({ zone: z.apex }, z.serial);
    },

    tableUpdates: new Counter({
      name: 'mesos_dns_table_updates_total',
      help: 'Tables swapped in, by how they were made: full (a build from the whole state) or patch (an event patched into the current table).',
      labelNames: ['kind'] as const,
      registers,
    }),
    tableOverlayNames: new Gauge({ name: 'mesos_dns_table_overlay_names', help: 'Names the served table holds in its overlay of patched names (0 after a full build).', registers }),
    tableCheckMismatches: new Counter({
      name: 'mesos_dns_table_check_mismatches_total',
      help: 'Consistency checks that found a patched table differing from a full build of the same state (the full build was swapped in).',
      registers,
    }),

    /** After each swap: the records by type and the leader. */
    tableSwapped(t: RecordTable, leaderAddress: string, buildSeconds: number, kind: 'patch' | 'full' = 'full'): void {
      const counts = countRecords(t);
      for (const [type, n] of Object.entries(counts)) m.tableRecords.set({ type }, n);
      // The build-duration histogram is about full builds; a patch is counted only.
      if (kind === 'full') m.tableBuildDuration.observe(buildSeconds);
      m.tableUpdates.inc({ kind });
      m.tableOverlayNames.set(t.overlay?.entries.size ?? 0);
      leader = leaderAddress;
    },
    tableCheckMismatch(): void {
      m.tableCheckMismatches.inc();
    },
    /** A state fetch ended. */
    stateFetched(outcome: 'ok' | 'error', seconds: number, bytes?: number): void {
      m.stateFetches.inc({ outcome });
      m.stateFetchDuration.observe({ outcome }, seconds);
      if (bytes !== undefined) {
        m.stateFetchBytes.inc(bytes);
        m.stateLastBytes.set(bytes);
      }
    },
    streamConnected(connected: boolean): void {
      m.streamConnectedGauge.set(connected ? 1 : 0);
    },
    streamEvent(type: string): void {
      m.streamEvents.inc({ type });
    },
    /** The exposition, with the query families read from `sum` (the DNS threads' counters now). */
    async render(sum: QuerySum | undefined): Promise<string> {
      setQuerySum(sum);
      return registry.metrics();
    },
    contentType: registry.contentType,
  };
  const setQuerySum = registerQueryFamilies(registry);
  return { ...m, secondary: registerSecondaryMetrics(registry, now) };
}
