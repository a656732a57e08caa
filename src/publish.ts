// One step of the pipeline's I/O edge: a parsed MasterState becomes the served table.
// Hostnames are resolved first (the only I/O), then build-table runs pure, then one swap.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Config } from './config/typed.js';
import type { MasterState } from './mesos/state.js';
import type { HostPort } from './net/address.js';
import { buildTable } from './records/build-table.js';
import { invalidIpSourceLabels } from './records/table-ips.js';
import { collectHostnames, resolveHostnames } from './records/resolve-hosts.js';
import type { Snapshot, TableStore } from './store.js';
import type { Logger } from './log.js';
import { traceTable } from './records/trace-table.js';
import type { RecordTable } from './records/table.js';

export type HostLookup = (name: string) => Promise<string[]>;

/** The system resolver (getaddrinfo), every A and AAAA, as mesos-dns's net.LookupIP. */
export const systemLookup: HostLookup = async (name) => {
  const all = await dnsLookup(name, { all: true, verbatim: true });
  return all.map((a) => a.address);
};

export interface Publisher {
  /** Build a table from `state` and swap it in; resolves to the new snapshot. */
  publish(state: MasterState, masters: readonly HostPort[]): Promise<Snapshot>;
}

export function createPublisher(deps: {
  config: () => Config;
  store: TableStore;
  selfAddresses: () => readonly string[];
  lookupHost?: HostLookup;
  now?: () => number;
  /** Debug line per swap with where the time went; at trace (-v=2) every name and the counts. */
  logger?: Logger;
  /** After each swap: the table, the leader ("host:port") it names, seconds the build took (metrics). */
  onSwapped?: (table: RecordTable, leader: string, buildSeconds: number) => void;
  /**
   * Last word on the built table before it is swapped in (dns/xfr/zone-history.ts: the serial
   * follows the zones' content, the IXFR journal records the change). May throw: the build fails.
   */
  admit?: (table: RecordTable) => RecordTable;
}): Publisher {
  const lookupHost = deps.lookupHost ?? systemLookup;
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const log = deps.logger?.child({ component: 'publish' });
  let lastSerial = 0;
  // Tasks warned about for an invalid MESOS_DNS_IP_SOURCES label: one warning per task, not per build.
  let warnedLabels = new Set<string>();

  async function build(state: MasterState, masters: readonly HostPort[]): Promise<Snapshot> {
    const config = deps.config();
    const started = performance.now();
    const addresses = await resolveHostnames(collectHostnames(state, [...masters]), lookupHost);
    const resolved = performance.now();
    // mesos-dns sets the serial to the unix time of each reload; with live updates several
    // swaps can land in one second, and RFC 1982 serials must still increase.
    lastSerial = Math.max(now(), lastSerial + 1);
    const fresh = buildTable(state, {
      config,
      masters,
      addresses,
      selfAddresses: deps.selfAddresses(),
      serial: lastSerial,
    });
    const table = deps.admit ? deps.admit(fresh) : fresh;
    // The admitted serial may be ahead of ours (SerialFile): later tables must not go below it.
    if (table.soa.serial > lastSerial) lastSerial = table.soa.serial;
    const snapshot = deps.store.swap(table);
    const built = performance.now();
    const invalid = invalidIpSourceLabels(state);
    const warned = new Set<string>();
    for (const { taskId, value } of invalid) {
      warned.add(taskId);
      if (!warnedLabels.has(taskId)) log?.warn({ task: taskId, label: value }, 'MESOS_DNS_IP_SOURCES is not a list of IP sources (netinfo, mesos, docker, host); the task follows IPSources/AddressPolicy');
    }
    warnedLabels = warned;
    log?.debug(
      { generation: snapshot.generation, names: table.names.size, resolveMs: Math.round(resolved - started), buildMs: Math.round(built - resolved) },
      'table swapped in',
    );
    const leader = state.leader.host.includes(':') ? `[${state.leader.host}]:${state.leader.port}` : `${state.leader.host}:${state.leader.port}`;
    deps.onSwapped?.(table, leader, (built - started) / 1000);
    if (deps.logger?.isLevelEnabled('trace')) traceTable(deps.logger, snapshot.generation, table);
    return snapshot;
  }

  // Publishes run one at a time, latest wins: the stream and the poller may both deliver while
  // a build is resolving hostnames, and an older state must never be swapped in after a newer
  // one. Callers whose state was superseded resolve with the snapshot of the newer state.
  let running: Promise<void> | undefined;
  let next: { state: MasterState; masters: readonly HostPort[]; waiters: Array<{ resolve: (s: Snapshot) => void; reject: (e: unknown) => void }> } | undefined;

  async function drain(): Promise<void> {
    while (next) {
      const job = next;
      next = undefined;
      try {
        const snapshot = await build(job.state, job.masters);
        for (const w of job.waiters) w.resolve(snapshot);
      } catch (err) {
        for (const w of job.waiters) w.reject(err);
      }
    }
    running = undefined;
  }

  return {
    publish(state, masters) {
      return new Promise<Snapshot>((resolve, reject) => {
        const waiters = next ? next.waiters : [];
        waiters.push({ resolve, reject });
        next = { state, masters, waiters };
        running ??= drain();
      });
    },
  };
}
