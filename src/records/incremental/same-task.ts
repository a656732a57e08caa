// Whether two task objects from two documents describe the same task in every field a build reads
// (incremental-table.ts): a new subscription's snapshot, or the first one after a poll, gives every
// task as a new object, and comparing by identity would call all of them changed (a full build:
// over a second at 100,000 tasks) where only a few are.
//
// Generic over the plain data a Task is (strings, numbers, booleans, arrays, plain objects), so a
// field added to Task later is compared without anyone remembering to list it here. `idHash` is
// left out: it is taskHash(id), a value one reader computes and another does not (mesos/state.ts),
// never a difference of its own. A member that is absent equals one that is undefined. Pure.
import type { Task } from '../../mesos/state.js';

/** Whether `a` and `b` have the same content (idHash aside). */
export function sameTask(a: Task, b: Task): boolean {
  if (a === b) return true;
  // The fields most likely to differ first: a cheap refusal for a task that changed.
  if (a.id !== b.id || a.state !== b.state || a.agentId !== b.agentId) return false;
  return sameMembers(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>, 'idHash');
}

function sameValue(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) {
    // NaN (a timestamp read from a bad document) equals itself here, as a rebuild would read it.
    return typeof x === 'number' && typeof y === 'number' && x !== x && y !== y;
  }
  const xs = Array.isArray(x);
  if (xs !== Array.isArray(y)) return false;
  if (xs) {
    const xa = x as readonly unknown[];
    const ya = y as readonly unknown[];
    if (xa.length !== ya.length) return false;
    for (let i = 0; i < xa.length; i++) if (!sameValue(xa[i], ya[i])) return false;
    return true;
  }
  return sameMembers(x as Record<string, unknown>, y as Record<string, unknown>, undefined);
}

/** Every enumerable member of both, but `skip`, has the same value in the other (absent = undefined). */
function sameMembers(x: Record<string, unknown>, y: Record<string, unknown>, skip: string | undefined): boolean {
  for (const key in x) {
    if (key !== skip && !sameValue(x[key], y[key])) return false;
  }
  for (const key in y) {
    if (key !== skip && !(key in x) && y[key] !== undefined) return false;
  }
  return true;
}
