// Zone transfer costs, in process (issue 16): for a state of N tasks and the same state with one
// more task (a launch), the diff of the two tables' zones (what every change costs the primary
// with transfers on, zone-history.ts), the IXFR for that launch (messages, bytes, time to build
// them) and a full AXFR (messages, bytes, time). Wire messages are built exactly as the server
// sends them (dns/xfr/messages.ts; the whole zone as transfer-service.ts makes it,
// wholeZoneMessages), without the sockets. The AXFR is timed three ways: the first encoding of a
// new table (it finds the names' wire forms, kept with the table: dns/xfr/axfr/packed-wire.ts),
// a later one (a version patched over the same base, or the same version after the minute its
// encoding is kept), and the generic encoder it replaced (transferMessages over axfrRecords);
// and once more for a table patched by the launch (incremental/: the stream's usual table).
import { performance } from 'node:perf_hooks';
import { generateState } from './gen-state.js';
import { benchTable, BENCH_LISTENER, BENCH_MASTER_ENDPOINTS } from './state-table.js';
import { fixed, grouped, markdownTable, median } from './report.js';
import { withTyped, DEFAULTS } from '../src/config/typed.js';
import { ZoneHistory } from '../src/dns/xfr/zone-history.js';
import { axfrRecords, ixfrRecords, transferMessages, wholeZoneMessages } from '../src/dns/xfr/messages.js';
import { parseState } from '../src/mesos/parse-state.js';
import { buildTableParts } from '../src/records/build-table.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
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
  /** The first encoding of the table (its names' wire forms found). */
  axfrFirstMs: number;
  /** Median of the later ones. */
  axfrMs: number;
  /** The generic encoder (records as objects, NameCompressor), once. */
  axfrGenericMs: number;
  /** The table patched by the launch: its first encoding, and the generic encoder's. */
  patchedMs: number;
  patchedGenericMs: number;
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

function whole(messages: Iterable<Buffer>): { messages: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const m of messages) {
    count++;
    bytes += m.length;
  }
  return { messages: count, bytes };
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const out = f();
  return [out, performance.now() - t0];
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
  let axfrFirstMs = 0;
  let ixfr = { messages: 0, bytes: 0, records: 0 };
  let axfr = { messages: 0, bytes: 0 };
  let zone: ReturnType<typeof zoneAt>;
  for (let i = 0; i < iterations; i++) {
    const history = new ZoneHistory({ config: () => config, now: () => 1000 + i });
    const first = history.admit(undefined, before);
    const t0 = performance.now();
    const second = history.admit(first, after);
    diffs.push(performance.now() - t0);
    zone = zoneAt(second, 'mesos.')!;
    const t1 = performance.now();
    ixfr = build(ixfrRecords(zone, history.journal('mesos.').since(first.soa.serial)!));
    ixfrTimes.push(performance.now() - t1);
    // Each iteration's zone is a new version of the same table (its serial stamped in): the
    // first pays for the names' wire forms, the others find them.
    let ms: number;
    [axfr, ms] = timed(() => whole(wholeZoneMessages(zone!, TSIG_ROOM)));
    if (i === 0) axfrFirstMs = ms;
    else axfrTimes.push(ms);
  }
  const generic = (z: NonNullable<typeof zone>): number => timed(() => whole(transferMessages({ id: 0, rd: false }, { name: z.apex, type: QTYPE.AXFR, class: QCLASS.IN }, axfrRecords(z), 65535, TSIG_ROOM)))[1];
  const axfrGenericMs = generic(zone!);
  // The stream's table: the launch patched over a full build of the state before it.
  const input = { config: DEFAULTS, masters: BENCH_MASTER_ENDPOINTS, addresses: new Map(), selfAddresses: [BENCH_LISTENER], serial: 1 };
  const parsed = parseState(state);
  const engine = new IncrementalTable(parsed, input, buildTableParts(parsed, input));
  const patched = engine.apply(parseState(withLaunch(state)), { ...input, serial: 2 })!.table;
  const patchedZone = zoneAt(patched, 'mesos.')!;
  const patchedMs = timed(() => whole(wholeZoneMessages(patchedZone, TSIG_ROOM)))[1];
  const patchedGenericMs = generic(patchedZone);
  return {
    tasks,
    records: countRecords(zone!),
    diffMs: median(diffs),
    ixfrMessages: ixfr.messages,
    ixfrBytes: ixfr.bytes,
    ixfrRecords: ixfr.records,
    ixfrMs: median(ixfrTimes),
    axfrMessages: axfr.messages,
    axfrBytes: axfr.bytes,
    axfrFirstMs,
    axfrMs: median(axfrTimes),
    axfrGenericMs,
    patchedMs,
    patchedGenericMs,
  };
}

/** Room left in each whole-zone message for a TSIG RR (transfer-service.ts TSIG_ROOM). */
const TSIG_ROOM = 400;

function countRecords(zone: NonNullable<ReturnType<typeof zoneAt>>): number {
  let n = 0;
  for (const _ of axfrRecords(zone)) n++;
  return n;
}

export function formatXfr(rows: readonly XfrRow[]): string {
  return markdownTable(
    ['tasks', 'zone records', 'diff per change (ms)', 'IXFR: records', 'IXFR: messages', 'IXFR: bytes', 'IXFR: build (ms)', 'AXFR: messages', 'AXFR: bytes', 'AXFR: first (ms)', 'AXFR: build (ms)', 'AXFR: generic (ms)', 'patched: AXFR (ms)', 'patched: generic (ms)'],
    rows.map((r) => [
      grouped(r.tasks),
      grouped(r.records),
      fixed(r.diffMs, 1),
      grouped(r.ixfrRecords),
      grouped(r.ixfrMessages),
      grouped(r.ixfrBytes),
      fixed(r.ixfrMs, 2),
      grouped(r.axfrMessages),
      grouped(r.axfrBytes),
      fixed(r.axfrFirstMs, 0),
      fixed(r.axfrMs, 0),
      fixed(r.axfrGenericMs, 0),
      fixed(r.patchedMs, 0),
      fixed(r.patchedGenericMs, 0),
    ]),
  );
}
