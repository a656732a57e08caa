// A patched table generation (records/incremental/) as a message to the DNS workers: the names
// it changed, with their records and existence, over a base the worker already holds (posted
// once as a table message, table-codec.ts). The worker keeps its own overlay over that base and
// applies each message to it, so an event costs a message of a few names, not the table.
// A worker that starts (or restarts) mid-way gets the base and then one message with the whole
// overlay (supervisor.ts sendCurrent).
import { TableMessageError } from '../errors.js';
import { overlayTable, type OverlayEntry, type RecordTotals } from '../records/incremental/overlay-table.js';
import { overlayReverse, type ReverseEntry } from '../records/incremental/reverse-patch.js';
import type { NameRecords, RecordTable } from '../records/table.js';
import { withReverseSerials } from '../records/reverse-table.js';
import { VersionedMap } from '../records/incremental/versioned-map.js';

export interface PatchBody {
  serial: number;
  /** Name, records (null: none), exists. */
  names: Array<[string, NameRecords | null, boolean]>;
  ownerCount: number;
  existingCount: number;
  records: RecordTotals;
  /** PTR owners and their ancestors that changed, and the reverse zones now; absent when unchanged or PtrOn is off. */
  reverse?: { names: Array<[string, readonly string[] | null, boolean]>; zones: readonly string[] };
  /** The reverse zones' own serials (zone transfer on), by zone; absent when none has its own. */
  reverseSerials?: Array<[string, number]>;
}

/**
 * The message for `table`, an overlay table: the entries of `names` (the names this generation
 * touched), or every overlay entry when `names` is undefined (a worker starting from the base).
 */
export function encodePatch(table: RecordTable, names: readonly string[] | undefined): PatchBody {
  const overlay = table.overlay;
  if (overlay === undefined) throw new TableMessageError('not a patched table');
  const pick = names ?? [...overlay.entries.keys()];
  const out: PatchBody = {
    serial: table.soa.serial,
    names: pick.flatMap((name): Array<[string, NameRecords | null, boolean]> => {
      const e = overlay.entries.get(name);
      return e === undefined ? [] : [[name, e.records, e.exists]];
    }),
    ownerCount: overlay.ownerCount,
    existingCount: overlay.existingCount,
    records: overlay.records,
  };
  if (table.reverse !== undefined && table.reverse.serials.size > 0) out.reverseSerials = [...table.reverse.serials];
  const reverse = table.reverse?.patch;
  if (reverse !== undefined) {
    const changed = names === undefined ? [...reverse.entries.keys()] : (reverse.changed ?? []);
    out.reverse = {
      names: changed.flatMap((name): Array<[string, readonly string[] | null, boolean]> => {
        const e = reverse.entries.get(name);
        return e === undefined ? [] : [[name, e.targets, e.exists]];
      }),
      zones: reverse.zones,
    };
  }
  return out;
}

/**
 * The table `body` makes over `base` (a decoded table message) and `previous`, the table this
 * worker serves now when it is the same base patched, else undefined (then `body` must be a whole
 * overlay). Throws TableMessageError on a message that does not hold together.
 */
export function decodePatch(base: RecordTable, previous: RecordTable | undefined, body: PatchBody): RecordTable {
  if (!Array.isArray(body.names) || typeof body.serial !== 'number') throw new TableMessageError('patch: malformed');
  const updates = new Map<string, OverlayEntry>();
  for (const item of body.names) {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || typeof item[2] !== 'boolean' || !validRecords(item[1])) throw new TableMessageError('patch: malformed name entry');
    updates.set(item[0], { records: item[1], exists: item[2] });
  }
  const entries = layered(previous?.overlay?.entries).with(updates);
  let reverse = previous?.reverse ?? base.reverse;
  if (body.reverse !== undefined) {
    if (base.reverse === undefined || !Array.isArray(body.reverse.names) || !Array.isArray(body.reverse.zones)) throw new TableMessageError('patch: malformed reverse');
    const ptr = new Map<string, ReverseEntry>();
    for (const item of body.reverse.names) {
      if (!Array.isArray(item) || typeof item[0] !== 'string' || typeof item[2] !== 'boolean') throw new TableMessageError('patch: malformed reverse entry');
      ptr.set(item[0], { targets: item[1], exists: item[2] });
    }
    reverse = overlayReverse(base.reverse, { entries: layered(previous?.reverse?.patch?.entries).with(ptr), zones: body.reverse.zones });
  }
  if (body.reverseSerials !== undefined) {
    if (reverse === undefined || !Array.isArray(body.reverseSerials) || !body.reverseSerials.every((e) => Array.isArray(e) && typeof e[0] === 'string' && Number.isInteger(e[1]) && e[1] >= 0 && e[1] < 2 ** 32)) {
      throw new TableMessageError('patch: malformed reverse serials');
    }
    reverse = withReverseSerials(reverse, new Map(body.reverseSerials));
  }
  return overlayTable(
    { base, entries, ownerCount: body.ownerCount, existingCount: body.existingCount, records: body.records },
    body.serial,
    reverse,
    () => null,
  );
}

function validRecords(r: unknown): r is NameRecords | null {
  if (r === null) return true;
  if (typeof r !== 'object') return false;
  const x = r as NameRecords;
  return Array.isArray(x.a) && Array.isArray(x.aaaa) && Array.isArray(x.srv) && x.srv.every((s) => typeof s?.target === 'string' && typeof s.port === 'number');
}

/** The previous overlay's entries to build on (a VersionedMap when this worker made them). */
function layered<V>(entries: ReadonlyMap<string, V> | undefined): VersionedMap<string, V> {
  if (entries === undefined) return VersionedMap.empty();
  return entries instanceof VersionedMap ? (entries as VersionedMap<string, V>) : VersionedMap.empty<string, V>().with(new Map(entries));
}
