// Per name, for the incremental table (incremental-table.ts): whether it owns records and how many
// existing children it has, so that empty non-terminals (RFC 8020) appear and disappear with their
// last descendant, in each zone the table serves (the Mesos domain, and with DcosNames the DC/OS
// names' zone); and the overlay entries one patch makes for the names it touched.
import { KIND_A, KIND_AAAA, NAME_OWNER, type PackedTable } from '../packed-table.js';
import type { NameRecords } from '../table.js';
import type { TableBuilder } from '../table-builder.js';
import type { OverlayEntry, RecordTotals, TableOverlay } from './overlay-table.js';

/** What one patch changes in the overlay. */
export interface NamesUpdate {
  entries: Map<string, OverlayEntry>;
  ownerCount: number;
  existingCount: number;
  records: RecordTotals;
  /** The names whose records or existence may have changed. */
  names: Set<string>;
}

export class NameStates {
  readonly #b: TableBuilder;
  #owner: Uint8Array;
  #children: Int32Array;
  readonly #apexes: number[];
  readonly #dotZones: Uint8Array[];

  /**
   * From the base build: `b` resumed from `packed`, `zones` the zones' apexes, `children` the
   * build's count of existing children per name (TableBuilder.finish, which found every existing
   * name's parent when it derived the empty non-terminals). Copied: patches change the counts.
   */
  constructor(b: TableBuilder, packed: PackedTable, zones: readonly string[], children: Int32Array) {
    this.#b = b;
    this.#apexes = zones.map((z) => b.name(z));
    this.#dotZones = zones.map((z) => Buffer.from(`.${z}`, 'utf8'));
    this.#owner = new Uint8Array(b.nameCount + 1024);
    this.#children = new Int32Array(b.nameCount + 1024);
    this.#children.set(children);
    const kinds = packed.nameKind;
    for (let id = 0; id < kinds.length; id++) if (kinds[id] === NAME_OWNER) this.#owner[id] = 1;
  }

  /** Room for name ids up to `id` (names the patch interned). */
  grow(id: number): void {
    if (id < this.#owner.length) return;
    const size = Math.max(id + 1, this.#owner.length * 2);
    const owner = new Uint8Array(size);
    owner.set(this.#owner);
    this.#owner = owner;
    const children = new Int32Array(size);
    children.set(this.#children);
    this.#children = children;
  }

  /**
   * The overlay entries for the `touched` name ids: `compute` gives a name's records now,
   * `current(updates, name)` what the table served before (this patch's updates first).
   */
  update(
    touched: Iterable<number>,
    overlay: TableOverlay,
    compute: (id: number) => NameRecords | null,
    current: (updates: ReadonlyMap<string, OverlayEntry>, name: string) => NameRecords | null,
  ): NamesUpdate {
    const b = this.#b;
    const entries = new Map<string, OverlayEntry>();
    const records = { ...overlay.records };
    let { ownerCount, existingCount } = overlay;
    const changedExistence: number[] = [];
    const names = new Set<string>();
    for (const id of touched) {
      const name = b.nameText(id);
      const before = current(entries, name);
      const after = compute(id);
      count(records, before, -1);
      count(records, after, 1);
      const wasOwner = this.#owner[id] === 1;
      const isOwner = after !== null;
      const existed = this.#exists(id);
      this.#owner[id] = isOwner ? 1 : 0;
      ownerCount += (isOwner ? 1 : 0) - (wasOwner ? 1 : 0);
      if (existed !== this.#exists(id)) {
        existingCount += existed ? -1 : 1;
        changedExistence.push(id, existed ? -1 : 1);
      }
      entries.set(name, { records: after, exists: this.#exists(id) });
      names.add(name);
    }
    // A name that came or went changes its parent's child count, which may make the parent (an
    // empty non-terminal) come or go in turn.
    // A name may come and go within one patch (its last child leaves, another arrives): each flip
    // is applied with the direction it had.
    for (let k = 0; k < changedExistence.length; k += 2) {
      const id = changedExistence[k];
      if (!this.#inZone(id)) continue;
      const parent = b.parentName(id);
      this.grow(parent);
      const existed = this.#exists(parent);
      this.#children[parent] += changedExistence[k + 1];
      if (existed === this.#exists(parent)) continue;
      existingCount += existed ? -1 : 1;
      changedExistence.push(parent, existed ? -1 : 1);
      const name = b.nameText(parent);
      entries.set(name, { records: current(entries, name), exists: !existed });
      names.add(name);
    }
    return { entries, ownerCount, existingCount, records, names };
  }

  #exists(id: number): boolean {
    return this.#apexes.includes(id) || this.#owner[id] === 1 || (this.#children[id] > 0 && this.#inZone(id));
  }

  #inZone(id: number): boolean {
    if (this.#apexes.includes(id)) return false;
    for (const dotZone of this.#dotZones) if (this.#b.nameEndsWith(id, dotZone)) return true;
    return false;
  }
}

/** Records by type in a packed table. */
export function recordTotals(packed: PackedTable): RecordTotals {
  const records: RecordTotals = { A: 0, AAAA: 0, SRV: 0 };
  const end = packed.recStart[packed.recStart.length - 1];
  for (let r = 0; r < end; r++) {
    const p = packed.recPort[r];
    if (p === KIND_A) records.A++;
    else if (p === KIND_AAAA) records.AAAA++;
    else records.SRV++;
  }
  return records;
}

function count(totals: RecordTotals, records: NameRecords | null, sign: number): void {
  if (records === null) return;
  totals.A += sign * records.a.length;
  totals.AAAA += sign * records.aaaa.length;
  totals.SRV += sign * records.srv.length;
}
