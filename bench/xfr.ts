// Zone transfer costs, in process (issue 16): for a state of N tasks and the same state with one
// more task (a launch), the diff of the two tables' zones (what every change costs the primary
// with transfers on, zone-history.ts), the IXFR for that launch (messages, bytes, time to build
// them) and a full AXFR (messages, bytes, time). Wire messages are built exactly as the server
// sends them (dns/xfr/messages.ts), without the sockets.
import { performance } from 'node:perf_hooks';
import { generateState } from './gen-state.js';
import { benchTable } from './state-table.js';
import { fixed, grouped, markdownTable, median } from './report.js';
import { withTyped, DEFAULTS } from '../src/config/typed.js';
import { ZoneHistory } from '../src/dns/xfr/zone-history.js';
import { axfrRecords, ixfrRecords, transferMessages } from '../src/dns/xfr/messages.js';
import { zoneAt } from '../src/dns/xfr/zones.js';
import { QCLASS, QTYPE } from '../src/dns/wire/message.js';

type Json = Record<string, unknown>;

export interface XfrRow {
  tasks: number;
  records: number;
  diffMs: number;
  ixfrMessages: number;
  ixfrBytes: number;
  ixfrRecords: number;
  ixfrMs: number;
  axfrMessages: number;
  axfrBytes: number;
  axfrMs: number;
}

/** The state with one more running task: a copy of the first task under a new id and name. */
export function withLaunch(state: Json): Json {
  const copy = structuredClone(state) as { frameworks: { tasks: Json[] }[] };
  const fw = copy.frameworks.find((f) => f.tasks.length > 0)!;
  const task = structuredClone(fw.tasks[0]);
  task.id = 'launched-task.0001';
  task.name = 'launched-task';
  fw.tasks.push(task);
  return copy as unknown as Json;
}

function build(records: Iterable<Parameters<typeof transferMessages>[2] extends Iterable<infer R> ? R : never>): { messages: number; bytes: number; records: number } {
  let messages = 0;
  let bytes = 0;
  let count = 0;
  const counted = (function* () {
    for (const r of records) {
      count++;
      yield r;
    }
  })();
  for (const m of transferMessages({ id: 1, rd: false }, { name: 'mesos', type: QTYPE.AXFR, class: QCLASS.IN }, counted)) {
    messages++;
    bytes += m.length;
  }
  return { messages, bytes, records: count };
}

export function runXfr(tasks: number, iterations = 3): XfrRow {
  const state = generateState(tasks, 1);
  const before = benchTable(state, 1);
  const after = benchTable(withLaunch(state), 2);
  const config = withTyped({ ...DEFAULTS, AllowTransfer: ['127.0.0.0/8'] });
  const diffs: number[] = [];
  const ixfrTimes: number[] = [];
  const axfrTimes: number[] = [];
  let ixfr = { messages: 0, bytes: 0, records: 0 };
  let axfr = { messages: 0, bytes: 0, records: 0 };
  for (let i = 0; i < iterations; i++) {
    const history = new ZoneHistory({ config: () => config, now: () => 1000 + i });
    const first = history.admit(undefined, before);
    const t0 = performance.now();
    const second = history.admit(first, after);
    diffs.push(performance.now() - t0);
    const zone = zoneAt(second, 'mesos.')!;
    const t1 = performance.now();
    ixfr = build(ixfrRecords(zone, history.journal('mesos.').since(first.soa.serial)!));
    ixfrTimes.push(performance.now() - t1);
    const t2 = performance.now();
    axfr = build(axfrRecords(zone));
    axfrTimes.push(performance.now() - t2);
  }
  return {
    tasks,
    records: axfr.records,
    diffMs: median(diffs),
    ixfrMessages: ixfr.messages,
    ixfrBytes: ixfr.bytes,
    ixfrRecords: ixfr.records,
    ixfrMs: median(ixfrTimes),
    axfrMessages: axfr.messages,
    axfrBytes: axfr.bytes,
    axfrMs: median(axfrTimes),
  };
}

export function formatXfr(rows: readonly XfrRow[]): string {
  return markdownTable(
    ['tasks', 'zone records', 'diff per change (ms)', 'IXFR: records', 'IXFR: messages', 'IXFR: bytes', 'IXFR: build (ms)', 'AXFR: messages', 'AXFR: bytes', 'AXFR: build (ms)'],
    rows.map((r) => [grouped(r.tasks), grouped(r.records), fixed(r.diffMs, 1), grouped(r.ixfrRecords), grouped(r.ixfrMessages), grouped(r.ixfrBytes), fixed(r.ixfrMs, 2), grouped(r.axfrMessages), grouped(r.axfrBytes), fixed(r.axfrMs, 0)]),
  );
}
