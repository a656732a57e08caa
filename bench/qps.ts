// Queries per second, Knot DNS against our server, on the same records and the same query file.
// Both servers run side by side on 127.0.0.1 (an idle one costs nothing); dnsperf measures them
// in turn, alternating which goes first in each round, so drift of the machine (other load,
// thermal, caches) is spread over both.
//
// Per server and round: a throughput run (QPS and dnsperf's mean latency), then a verbose run
// (per-response latencies, for the p99). The table shows the median over rounds.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runDnsperf, type DnsperfResult } from './dnsperf.js';
import { queryUdp } from './dns-probe.js';
import { generateState } from './gen-state.js';
import { startKnot, type KnotServer } from './knot-server.js';
import { buildQueries } from './query-file.js';
import { fixed, grouped, markdownTable, median } from './report.js';
import { startOurServer, waitHealthy, type OurServer } from './server-process.js';
import { benchTable } from './state-table.js';

export interface QpsOptions {
  tasks: number;
  dir: string;
  rounds: number;
  seconds: number;
  latencySeconds: number;
  clients: number;
  outstanding: number;
  queries: number;
  seed?: number;
  /** Also measure our server with UDPBatching off (dgram), for the batched/dgram comparison. */
  dgram?: boolean;
  /** Progress lines (one per run). */
  progress?: (line: string) => void;
}

export interface ServerRuns {
  server: string;
  throughput: DnsperfResult[];
  verbose: DnsperfResult[];
}

export interface QpsResult {
  tasks: number;
  queryLines: number;
  /** Sample queries whose answers differed between the two servers (rcode or answer count). */
  mismatches: string[];
  checked: number;
  knot: ServerRuns;
  /** Our server as configured by default first, then (with `dgram`) with UDPBatching off. */
  ours: ServerRuns[];
}

/**
 * Both servers must give the same answers, or the comparison means nothing: the first `count`
 * lines of the query file are asked of both, and rcode and answer count compared.
 */
async function compareAnswers(lines: readonly string[], knotPort: number, ourPort: number, count: number): Promise<string[]> {
  const mismatches: string[] = [];
  for (const line of lines.slice(0, count)) {
    const [name, type] = line.split(' ') as [string, 'A' | 'SRV'];
    const [k, o] = await Promise.all([queryUdp(knotPort, name, type, 2000), queryUdp(ourPort, name, type, 2000)]);
    if (k.rcode !== o.rcode || k.answers !== o.answers) {
      mismatches.push(`${line}: knot rcode ${k.rcode} answers ${k.answers}, ours rcode ${o.rcode} answers ${o.answers}`);
    }
  }
  return mismatches;
}

export async function runQps(o: QpsOptions): Promise<QpsResult> {
  const log = o.progress ?? ((): void => undefined);
  const state = generateState(o.tasks, o.seed ?? 1);
  const stateFile = path.join(o.dir, 'qps-state.json');
  writeFileSync(stateFile, JSON.stringify(state));
  const table = benchTable(state);
  const lines = buildQueries(table, { count: o.queries, seed: (o.seed ?? 1) + 1 });
  const queryFile = path.join(o.dir, 'queries.txt');
  writeFileSync(queryFile, `${lines.join('\n')}\n`);
  const probeName = lines.find((l) => l.endsWith(' A'))!.split(' ')[0];

  let knot: KnotServer | undefined;
  const ours: { name: string; server: OurServer }[] = [];
  try {
    log(`starting knotd on a ${table.names.size.toLocaleString('en-US')}-name zone`);
    knot = await startKnot(table, { dir: path.join(o.dir, 'knot'), probeName });
    const variants = [{ name: 'mesos-dns-ts', extra: {} }, ...(o.dgram ? [{ name: 'mesos-dns-ts (dgram)', extra: { UDPBatching: false } }] : [])];
    for (const v of variants) {
      log(`starting our server: ${v.name}`);
      ours.push({ name: v.name, server: await startOurServer({ dir: o.dir, stateFile, extra: v.extra }) });
    }
    for (const { server } of ours) await waitHealthy(server, 120_000);
    const checked = Math.min(300, lines.length);
    const mismatches: string[] = [];
    for (const { name, server } of ours) {
      for (const m of await compareAnswers(lines, knot.port, server.port, checked)) mismatches.push(`${name}: ${m}`);
    }

    const subjects = [
      { runs: { server: 'Knot DNS', throughput: [], verbose: [] } as ServerRuns, port: knot.port },
      ...ours.map(({ name, server }) => ({ runs: { server: name, throughput: [], verbose: [] } as ServerRuns, port: server.port })),
    ];
    for (let round = 0; round < o.rounds; round++) {
      const order = round % 2 === 0 ? subjects : [...subjects].reverse();
      for (const s of order) {
        const common = { port: s.port, queryFile, clients: o.clients, outstanding: o.outstanding };
        const t = await runDnsperf({ ...common, seconds: o.seconds });
        s.runs.throughput.push(t);
        const v = await runDnsperf({ ...common, seconds: o.latencySeconds, verboseFile: path.join(o.dir, 'dnsperf-verbose.txt') });
        s.runs.verbose.push(v);
        log(
          `round ${round + 1}/${o.rounds} ${s.runs.server}: ${grouped(t.qps)} qps, mean ${fixed(t.meanMs, 3)} ms, ` +
            `p99 ${fixed(v.latency?.p99Ms, 3)} ms, lost ${t.lost + v.lost}`,
        );
      }
    }
    return { tasks: o.tasks, queryLines: lines.length, mismatches, checked, knot: subjects[0].runs, ours: subjects.slice(1).map((s) => s.runs) };
  } finally {
    for (const { server } of ours) await server.stop();
    await knot?.stop();
  }
}

export function formatQps(r: QpsResult): string {
  const knotQps = median(r.knot.throughput.map((t) => t.qps));
  const row = (s: ServerRuns): string[] => {
    const qps = median(s.throughput.map((t) => t.qps));
    const lost = [...s.throughput, ...s.verbose].reduce((n, t) => n + t.lost, 0);
    const sent = [...s.throughput, ...s.verbose].reduce((n, t) => n + t.sent, 0);
    return [
      s.server,
      grouped(qps),
      s.throughput.map((t) => grouped(t.qps)).join(' / '),
      fixed(median(s.throughput.map((t) => t.meanMs)), 3),
      fixed(median(s.verbose.map((t) => t.latency?.p99Ms ?? NaN)), 3),
      `${grouped(lost)} of ${grouped(sent)}`,
      fixed(qps / knotQps, 2),
    ];
  };
  return markdownTable(['server', 'QPS (median)', 'QPS per round', 'mean ms', 'p99 ms', 'lost', 'ratio to Knot'], [row(r.knot), ...r.ours.map(row)]);
}
