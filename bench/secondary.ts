// What a secondary pays (issue 16, secondary mode), in process: for a state of N tasks, the
// primary's whole zone as the AXFR messages it sends (dns/xfr/messages.ts) is read back
// (read-transfer.ts), made a zone copy (zone-copy.ts) and built into the served table
// (secondary-table.ts); then the IXFR of one launch is read, applied to the copy and the table
// rebuilt in full, and the same launch patched into the table (secondary-patch.ts, what the
// secondary does between a NOTIFY's transfer arriving and the swap). No sockets.
import { performance } from 'node:perf_hooks';
import { generateState } from './gen-state.js';
import { benchTable } from './state-table.js';
import { withLaunch } from './xfr.js';
import { fixed, grouped, markdownTable, median } from './report.js';
import { withTyped, DEFAULTS } from '../src/config/typed.js';
import { ZoneHistory } from '../src/dns/xfr/zone-history.js';
import { axfrRecords, ixfrRecords, transferMessages } from '../src/dns/xfr/messages.js';
import { zoneAt } from '../src/dns/xfr/zones.js';
import { QCLASS, QTYPE, type ResourceRecord } from '../src/dns/wire/message.js';
import { scanTransferMessage, TransferAssembler, type Transfer } from '../src/dns/xfr/secondary/read-transfer.js';
import { applyDeltas, copyOfRecords, type ZoneCopy } from '../src/dns/xfr/secondary/zone-copy.js';
import { secondaryTable } from '../src/dns/xfr/secondary/secondary-table.js';
import { SecondaryPatcher } from '../src/dns/xfr/secondary/secondary-patch.js';

type Json = Record<string, unknown>;

export interface SecondaryRow {
  tasks: number;
  records: number;
  axfrReadMs: number;
  copyMs: number;
  tableMs: number;
  launchMs: number;
  /** The same launch patched into the table instead (what the secondary does). */
  patchMs: number;
  /** The zone copy's memory (heap + array buffers after, minus before, collected), MB; NaN without --expose-gc. */
  copyMB: number;
}

/** Heap plus array buffers in use after a full collection, MB; NaN without node --expose-gc. */
function usedMB(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return NaN;
  gc();
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1e6;
}

/** What the copy of the whole zone holds once the transfer is over (what a secondary keeps). */
function copyMemory(axfrMessages: readonly Buffer[]): number {
  const copyOf = (): ZoneCopy => {
    const whole = readBack(axfrMessages, false);
    if (whole.kind !== 'full') throw new Error('expected the whole zone');
    return copyOfRecords(whole.soa, whole.records);
  };
  const start = usedMB();
  let copy: ZoneCopy | undefined = copyOf();
  const held = usedMB() - start;
  if (copy.owners.size === 0) throw new Error('an empty copy');
  copy = undefined;
  return held;
}

/** The messages of `records` as the primary sends them (encoded before the reading is timed). */
function messagesOf(records: Iterable<ResourceRecord>, ixfr: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (const m of transferMessages({ id: 1, rd: false }, { name: 'mesos', type: ixfr ? QTYPE.IXFR : QTYPE.AXFR, class: QCLASS.IN }, records)) {
    m[2] |= 0x80;
    out.push(m);
  }
  return out;
}

/** Messages read back as one transfer, as the secondary's client reads them. */
function readBack(messages: readonly Buffer[], ixfr: boolean): Transfer {
  const assembler = new TransferAssembler('mesos.', ixfr);
  for (const m of messages) {
    assembler.addMessage(m, scanTransferMessage(m).records);
  }
  return assembler.result();
}

export function runSecondary(tasks: number, iterations = 3): SecondaryRow {
  const state = generateState(tasks, 1);
  const config = withTyped({ ...DEFAULTS, AllowTransfer: ['127.0.0.0/8'] });
  const history = new ZoneHistory({ config: () => config, now: () => 1000 });
  const before = history.admit(undefined, benchTable(state, 1));
  const after = history.admit(before, benchTable(withLaunch(state), 2));
  const axfrMessages = messagesOf(axfrRecords(zoneAt(before, 'mesos.')!), false);
  const ixfrMessages = messagesOf(ixfrRecords(zoneAt(after, 'mesos.')!, history.journal('mesos.').since(before.soa.serial)!), true);
  const reads: number[] = [];
  const copies: number[] = [];
  const tables: number[] = [];
  const launches: number[] = [];
  const patches: number[] = [];
  let records = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const whole = readBack(axfrMessages, false);
    const t1 = performance.now();
    if (whole.kind !== 'full') throw new Error('expected the whole zone');
    records = whole.records.length;
    const copy = copyOfRecords(whole.soa, whole.records);
    const t2 = performance.now();
    secondaryTable(copy, [], 0);
    const base = secondaryTable(copy, [], 0).table;
    const patcher = new SecondaryPatcher(base, copy);
    // The first patch also counts the owners below each name; measured apart below.
    patcher.patch(base, copy, copy, new Set());
    const t3 = performance.now();
    const changes = readBack(ixfrMessages, true);
    if (changes.kind !== 'incremental') throw new Error('expected changes');
    const next = applyDeltas(copy, changes.soa, changes.deltas);
    const table = secondaryTable(next, [], 0).table;
    const t4 = performance.now();
    const again = readBack(ixfrMessages, true);
    if (again.kind !== 'incremental') throw new Error('expected changes');
    const patchedCopy = applyDeltas(copy, again.soa, again.deltas);
    const owners = new Set(again.deltas.flatMap((d) => [...d.removed, ...d.added].map((r) => r.owner)));
    const patched = patcher.patch(base, copy, patchedCopy, owners);
    const t5 = performance.now();
    if (patched === undefined || patched.table.names.size !== table.names.size) throw new Error('the patch does not match the build');
    patches.push(t5 - t4);
    if (table.soa.serial !== after.soa.serial || table.names.size <= copy.owners.size) throw new Error('the launch did not reach the table');
    reads.push(t1 - t0);
    copies.push(t2 - t1);
    tables.push(t3 - t2);
    launches.push(t4 - t3);
  }
  return { tasks, records, axfrReadMs: median(reads), copyMs: median(copies), tableMs: median(tables), launchMs: median(launches), patchMs: median(patches), copyMB: copyMemory(axfrMessages) };
}

export function formatSecondary(rows: readonly SecondaryRow[]): string {
  return markdownTable(
    ['tasks', 'zone records', 'AXFR read (ms)', 'zone copy (ms)', 'table build (ms)', 'one launch, built in full: IXFR read + apply + table (ms)', 'one launch, patched: IXFR read + apply + patch (ms)', 'zone copy held (MB)'],
    rows.map((r) => [grouped(r.tasks), grouped(r.records), fixed(r.axfrReadMs, 0), fixed(r.copyMs, 0), fixed(r.tableMs, 0), fixed(r.launchMs, 0), fixed(r.patchMs, 1), Number.isNaN(r.copyMB) ? '-' : fixed(r.copyMB, 1)]),
  );
}
