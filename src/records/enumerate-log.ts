// /v1/enumerate, made lazily from the table builder's log: per framework its generated tasks, and
// per task the records it newly added (mesos-dns's EnumerateFramework rows). build-table.ts
// keeps the log slices; the rows are materialised on the first read only.
import { KIND_A, KIND_AAAA, nameAt, stringAt, type PackedTable } from './packed-table.js';
import type { EnumerateFramework, EnumerateRecord, EnumerateTask } from './table.js';

/** What /v1/enumerate is made from: per framework its generated tasks and their log slices. */
export interface PendingEnumeration {
  frameworkNames: string[];
  frameworkTasks: FrameworkTasks[];
  packed: PackedTable;
  /** The builder's log (name id, value, kind/port per entry) and which entries added a record. */
  log: Int32Array;
  firstSeen: Uint8Array;
}

/**
 * A framework's generated tasks, in order: name, id, and the slice of the builder's log their
 * records occupy (`bounds[2k]` to `bounds[2k + 1]` for task k). Parallel arrays rather than an
 * object per task: they live as long as the table, and 100,000 small objects surviving each
 * build are work for every garbage collection.
 */
export interface FrameworkTasks {
  names: string[];
  ids: string[];
  bounds: number[];
  /** Task k -> a second log slice [start, end): its records a HealthGate added back at the end. */
  extra?: Map<number, [number, number]>;
}

/** /v1/enumerate: frameworks in state order (all of them), generated tasks, rows newly added by each task. */
export function enumerate(pending: PendingEnumeration): readonly EnumerateFramework[] {
  const { packed, log, firstSeen } = pending;
  return Object.freeze(
    pending.frameworkNames.map((name, i): EnumerateFramework => ({
      name,
      tasks: enumerateTasks(packed, log, firstSeen, pending.frameworkTasks[i]),
    })),
  );
}

function enumerateTasks(packed: PackedTable, log: Int32Array, firstSeen: Uint8Array, generated: FrameworkTasks): EnumerateTask[] {
  const out: EnumerateTask[] = [];
  for (let k = 0; k < generated.names.length; k++) {
    const records: EnumerateRecord[] = [];
    enumerateSlice(packed, log, firstSeen, generated.bounds[2 * k], generated.bounds[2 * k + 1], records);
    const extra = generated.extra?.get(k);
    if (extra !== undefined) enumerateSlice(packed, log, firstSeen, extra[0], extra[1], records);
    out.push({ name: generated.names[k], id: generated.ids[k], records: records.length > 0 ? records : null });
  }
  return out;
}

function enumerateSlice(packed: PackedTable, log: Int32Array, firstSeen: Uint8Array, start: number, end: number, records: EnumerateRecord[]): void {
  for (let j = start; j < end; j++) {
    if (firstSeen[j] === 0) continue;
    const owner = nameAt(packed, log[3 * j]);
    const value = log[3 * j + 1];
    const kind = log[3 * j + 2];
    if (kind === KIND_A || kind === KIND_AAAA) records.push({ name: owner, host: stringAt(packed.ips, value), rtype: kind === KIND_A ? 'A' : 'AAAA' });
    else records.push({ name: owner, host: `${nameAt(packed, value)}:${kind}`, rtype: 'SRV' });
  }
}
