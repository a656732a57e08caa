// The empty non-terminals of a finished build (RFC 8020: a name with nothing of its own but names
// below it exists, NOERROR/NODATA, not NXDOMAIN), derived from the owners' names in the builder's
// interner (table-builder.ts finish()). Pure over the interner's bytes; new ancestor names are
// interned there.
import type { NameInterner } from './name-interner.js';

/**
 * Every ancestor of an owner name, inside the zone, that owns nothing itself: the empty
 * non-terminals of RFC 8020 (`_tcp.marathon.mesos.`, `slave.mesos.` without agents), plus the
 * apex. Ancestors outside the zone (a SOAMname under another domain) are not part of it.
 */
export function derivedEmptyNonTerminals(names: NameInterner, counts: Int32Array, zone: string, links?: ChildLinks): number[] {
  const out: number[] = [];
  const marked = new Set<number>();
  const mark = (id: number): void => {
    marked.add(id);
    if (id >= counts.length || counts[id] === 0) out.push(id);
  };
  const apex = names.intern(zone);
  mark(apex);
  const dotZone = Buffer.from(`.${zone}`, 'utf8');
  const owners = counts.length;
  // Owners come in runs under the same few parents (a task group's names cycle through
  // `.fw.domain.`, `.fw.slave.domain.` and four `_tcp`/`_udp` parents): the last parents found
  // are compared byte for byte first, which is cheaper than hashing the name and probing.
  const recent = new RecentSuffixes(names);
  for (let owner = 0; owner < owners; owner++) {
    if (counts[owner] === 0) continue;
    let id = owner;
    const end = names.end(id);
    let start = names.start(id);
    if (!endsWith(names, start, end, dotZone)) continue;
    for (;;) {
      while (names.byte(start) !== 0x2e) start++; // '.'
      start++;
      let ancestor = recent.find(start, end);
      if (ancestor < 0) {
        ancestor = names.internStored(start, end);
        recent.remember(ancestor);
      }
      // Every existing name of the zone but its apex comes here once as the child (an owner on
      // its first step, an empty non-terminal on the step after it was marked).
      links?.add(id, ancestor);
      id = ancestor;
      // Stop at the first ancestor already seen: its own ancestors were handled with it. The
      // apex is marked from the start, so the walk always ends.
      if (marked.has(ancestor) || (ancestor < owners && counts[ancestor] > 0)) break;
      mark(ancestor);
    }
  }
  return out;
}

/** The last few names found by derivedEmptyNonTerminals, to be matched against stored bytes. */
class RecentSuffixes {
  static readonly SIZE = 8;
  readonly #names: NameInterner;
  readonly #ids = new Int32Array(RecentSuffixes.SIZE).fill(-1);
  #next = 0;

  constructor(names: NameInterner) {
    this.#names = names;
  }

  /** The id of the name stored as [start, end) if it is one of the recent ones, else -1. */
  find(start: number, end: number): number {
    const names = this.#names;
    const length = end - start;
    for (let k = 0; k < RecentSuffixes.SIZE; k++) {
      const id = this.#ids[k];
      if (id < 0) continue;
      const from = names.start(id);
      if (names.end(id) - from !== length) continue;
      let i = 0;
      while (i < length && names.byte(from + i) === names.byte(start + i)) i++;
      if (i === length) return id;
    }
    return -1;
  }

  remember(id: number): void {
    this.#ids[this.#next] = id;
    this.#next = (this.#next + 1) % RecentSuffixes.SIZE;
  }
}

/** Whether the stored name [start, end) ends with `suffix`. */
function endsWith(names: NameInterner, start: number, end: number, suffix: Buffer): boolean {
  if (end - start < suffix.length) return false;
  for (let i = 0; i < suffix.length; i++) if (names.byte(end - suffix.length + i) !== suffix[i]) return false;
  return true;
}

/**
 * The child -> parent steps derivedEmptyNonTerminals takes, made into each name's count of
 * existing children: what the incremental table (incremental/name-states.ts) starts from. Why
 * here: the walk finds every existing name's parent anyway; finding them again when the
 * incremental table starts (hashing each name's parent and looking it up) took ~150 ms of the
 * main thread at 100,000 tasks.
 *
 * Counted as the walk goes, unless one zone lies inside another (DcosNames under a Mesos domain
 * that holds thisdcos.directory.): then a name of both is walked twice and the inner apex is not
 * a child, so the steps are kept and counted at the end.
 */
export class ChildLinks {
  readonly #nested: boolean;
  /** Per parent id, its children so far (zones apart); or, nested, child and parent per step. */
  #a: Int32Array;
  #n = 0;

  constructor(zones: readonly string[], nameCount: number) {
    this.#nested = zones.some((z) => zones.some((outer) => z !== outer && z.endsWith(`.${outer}`)));
    this.#a = new Int32Array(this.#nested ? 2048 : nameCount + 1024);
  }

  add(child: number, parent: number): void {
    if (!this.#nested) {
      if (parent >= this.#a.length) this.#a = grown(this.#a, parent + 1);
      this.#a[parent]++;
      return;
    }
    if (this.#n + 2 > this.#a.length) this.#a = grown(this.#a, this.#n + 2);
    this.#a[this.#n++] = child;
    this.#a[this.#n++] = parent;
  }

  /**
   * Per name id (`nameCount` of them): its children that exist and lie inside a zone, apexes
   * (`apexes`) not counted as children; a name inside two zones (one nested in the other) once.
   */
  counts(nameCount: number, apexes: readonly number[]): Int32Array {
    if (!this.#nested) {
      if (this.#a.length >= nameCount) return this.#a.subarray(0, nameCount);
      const exact = new Int32Array(nameCount);
      exact.set(this.#a);
      return exact;
    }
    const children = new Int32Array(nameCount);
    const seen = new Uint8Array(nameCount);
    const pairs = this.#a;
    for (let k = 0; k < this.#n; k += 2) {
      const child = pairs[k];
      if (seen[child] === 1 || apexes.includes(child)) continue;
      seen[child] = 1;
      children[pairs[k + 1]]++;
    }
    return children;
  }
}

/** A copy of `a` with room for at least `size` (doubling). */
function grown(a: Int32Array, size: number): Int32Array {
  const b = new Int32Array(Math.max(size, 2 * a.length));
  b.set(a.subarray(0, Math.min(a.length, b.length)));
  return b;
}
