// The order of an RRset in a reply (config AnswerOrder; docs/naming.md "Answer order"):
//   shuffle      every reply a uniformly random permutation (mesos-dns shuffles each answer), so
//                clients that take the first address spread over the tasks;
//   round-robin  the table order rotated one step per reply per name (RFC 1794, BIND's "cyclic"):
//                each record leads equally often, in turn, which spreads load even through
//                clients that sort addresses themselves (RFC 6724) from a random start.
// The randomness (`random`, from the query context) and the rotation counters are passed in;
// nothing here reads a clock or Math.random.

/**
 * Fisher–Yates over the indices 0..n-1 into `perm`: the permutation lookup.ts's shuffle gives an
 * RRset of n records in table order for the same `random` values, drawing them in the same order
 * (n - 1 draws; none for one record), so the fast path and the ordinary pipeline write the same
 * bytes for the same draws (test/fast-path-equivalence.test.ts).
 */
export function shuffledIndices(perm: Int32Array, n: number, random: () => number): void {
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const r = random();
    // A `random` that breaks its [0, 1) contract is clamped, as lookup.ts does.
    const j = r > 0 && r < 1 ? Math.floor(r * (i + 1)) : 0;
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

/** Names whose position is kept before the map starts afresh (a bound on memory, not a cache). */
const MAX_NAMES = 100_000;

/**
 * The ordinary pipeline's round-robin positions, per lower-case name and type, one per DNS
 * thread. (The fast path keeps its own on each pre-encoded answer, so a
 * name answered by both paths advances on both; each path alone rotates strictly.)
 */
export class RotationCounters {
  readonly #next = new Map<string, number>();

  /** How far to rotate the `n` records of (name, type) in this reply; the next reply gets one more. */
  next(name: string, type: number, n: number): number {
    if (n < 2) return 0;
    const key = `${type} ${name}`;
    const known = this.#next.get(key);
    if (known === undefined && this.#next.size >= MAX_NAMES) this.#next.clear();
    // A name's set may have shrunk with a new table since its last reply.
    const at = known === undefined ? 0 : known % n;
    this.#next.set(key, at + 1 === n ? 0 : at + 1);
    return at;
  }
}
