/**
 * Random damage to a JSON document, for the tests that check a native reader agrees with the
 * JavaScript path on broken input (test/read-state-agreement.test.ts,
 * test/read-subscribed-agreement.test.ts).
 */

/** Single characters that break JSON in different ways when cut into a document. */
const DAMAGE_BYTES = [' ', '"', '\\', '{', '}', '[', ']', ',', ':', '0', '-', 'e', 'a', '\u0001', '\u00e9'];

/**
 * `doc` as JSON text with one piece of damage, chosen by `rand`: a value somewhere replaced by one
 * of `values`, a member deleted or repeated with another value, or one character cut, overwritten
 * or inserted. `doc` is changed in place.
 */
export function damagedJson(doc: unknown, rand: () => number, values: readonly unknown[]): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  // Structural damage: replace, delete or duplicate a value somewhere in the document.
  const nodes: Array<[Record<string, unknown> | unknown[], string | number]> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => (nodes.push([v, i]), walk(x)));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) nodes.push([v as Record<string, unknown>, k]), walk(x);
  };
  walk(doc);
  const [parent, key] = pick(nodes);
  const op = rand();
  if (op < 0.5) {
    (parent as Record<string | number, unknown>)[key] = pick(values);
    return JSON.stringify(doc);
  }
  if (op < 0.65 && !Array.isArray(parent)) {
    delete (parent as Record<string, unknown>)[key as string];
    return JSON.stringify(doc);
  }
  if (op < 0.8 && !Array.isArray(parent)) {
    // The member again, with another value, at the start of its object.
    const marker = '"__dup__":0';
    (parent as Record<string, unknown>).__dup__ = 0;
    return JSON.stringify(doc).replace(marker, `${JSON.stringify(key)}:${JSON.stringify(pick(values))}`);
  }
  // Byte damage: cut, overwrite or insert one character.
  const text = JSON.stringify(doc);
  const at = Math.floor(rand() * text.length);
  const kind = rand();
  return kind < 0.2 ? text.slice(0, at) : kind < 0.6 ? text.slice(0, at) + pick(DAMAGE_BYTES) + text.slice(at + 1) : text.slice(0, at) + pick(DAMAGE_BYTES) + text.slice(at);
}
