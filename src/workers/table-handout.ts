// Which messages bring the DNS workers to each new snapshot (supervisor.ts posts them): a full
// table message (table-codec.ts) for a new table, the same table id again when only the static
// zones changed (the worker reuses the table it checked), and for a patched table (records/
// incremental/) a patch message over the base the workers hold (patch-codec.ts): the names the
// patch touched when they hold the generation it patched, the whole overlay otherwise. A worker
// that starts later is caught up with the base and then the whole overlay.
import type { Snapshot } from '../store.js';
import type { RecordTable } from '../records/table.js';
import type { ZoneData } from '../zones/zone-check.js';
import type { ToWorker } from './protocol.js';
import { encodeTable, type EncodedTable } from './table-codec.js';
import { encodePatch } from './patch-codec.js';

/** The table generation last handed out (a patched one's base), kept for workers that start later. */
interface Generation {
  generation: number;
  tableId: number;
  /** The snapshot's table (a patched one's base), to tell a zones-only generation from a new table. */
  source: RecordTable;
  table: EncodedTable;
  zones: readonly ZoneData[];
}

export class TableHandout {
  #current: Generation | undefined;
  /** The last patched generation handed out (over `#current`, the base). */
  #patched: { generation: number; table: RecordTable; zones: readonly ZoneData[] } | undefined;

  /** For a worker that starts now: the base, then the whole overlay over it. */
  catchUp(): ToWorker[] {
    const current = this.#current;
    if (current === undefined) return [];
    const patched = this.#patched;
    const out: ToWorker[] = [{ type: 'table', generation: current.generation, tableId: current.tableId, table: current.table, zones: patched ? patched.zones : current.zones }];
    if (patched) out.push({ type: 'patch', generation: patched.generation, base: current.generation, from: current.generation, patch: encodePatch(patched.table, undefined) });
    return out;
  }

  /** For every worker, in order, when `snapshot` is swapped in. */
  next(snapshot: Snapshot): ToWorker[] {
    const out: ToWorker[] = [];
    const table = snapshot.table;
    const zones = snapshot.zones.data;
    let current = this.#current;
    if (table.overlay !== undefined && (current === undefined || table.overlay.base !== current.source)) {
      // A patched table over a base the workers do not hold (they started while it was served):
      // the base first, numbered just below the patch, then the whole overlay below.
      const generation = snapshot.generation - 0.5;
      current = this.#current = { generation, tableId: generation, source: table.overlay.base, table: encodeTable(table.overlay.base), zones };
      this.#patched = undefined;
      out.push({ type: 'table', generation, tableId: generation, table: current.table, zones });
    }
    if (current !== undefined && table.overlay !== undefined && table.overlay.base === current.source) {
      // A patch of a table the workers hold: only the names it touched travel, when they hold
      // the generation it patched; the whole overlay otherwise (also after a zones-only swap,
      // which is no patch). The static zones travel only when they changed.
      const patched = this.#patched;
      const delta = patched?.generation === snapshot.patch?.from || (patched === undefined && snapshot.patch?.from === current.generation);
      const from = delta ? snapshot.patch!.from : current.generation;
      const heldZones = patched ? patched.zones : current.zones;
      out.push({
        type: 'patch',
        generation: snapshot.generation,
        base: current.generation,
        from,
        patch: encodePatch(table, delta ? snapshot.patch!.touched : undefined),
        ...(zones === heldZones ? {} : { zones }),
      });
      this.#patched = { generation: snapshot.generation, table, zones };
      return out;
    }
    // A plain table; the same one as the workers hold when only the static zones changed.
    const same = current !== undefined && current.source === table;
    this.#current = {
      generation: snapshot.generation,
      tableId: same && current ? current.tableId : snapshot.generation,
      source: table,
      table: same && current ? current.table : encodeTable(table),
      zones,
    };
    this.#patched = undefined;
    out.push({ type: 'table', generation: snapshot.generation, tableId: this.#current.tableId, table: this.#current.table, zones });
    return out;
  }
}
