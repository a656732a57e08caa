// A framework's tasks in the stream's working copy (live-state.ts): keyed by id, in the order a
// Map would keep (a replaced task keeps its place, a new one goes last, a removed one leaves the
// rest in order), stored as chunks of at most CHUNK tasks that are never changed once a snapshot
// may hold them: a change copies one chunk and the list of chunks, so a snapshot of a framework
// of 100,000 tasks costs a few hundred pointers instead of a copy of every task (issue 16: the
// cost of an event must not grow with the cluster).
import type { Task } from './state.js';

const CHUNK = 256;

/** A chunk: its tasks now (a frozen array, replaced on change). */
interface Chunk {
  items: readonly Task[];
}

export class TaskList {
  readonly #byId = new Map<string, Chunk>();
  #chunks: Chunk[] = [];
  /** The chunks' arrays as of the last read, while nothing changed. */
  #view: readonly (readonly Task[])[] | undefined;

  /** Chunks filled in one pass (set() would copy the open chunk per task); a repeated id replaces in place. */
  constructor(tasks: Iterable<Task> = []) {
    let open: { items: Task[] } | undefined;
    for (const task of tasks) {
      if (this.#byId.has(task.id)) {
        if (open !== undefined) Object.freeze(open.items);
        open = undefined;
        this.set(task);
        continue;
      }
      if (open === undefined || open.items.length >= CHUNK) {
        if (open !== undefined) Object.freeze(open.items);
        open = { items: [] };
        this.#chunks.push(open);
      }
      open.items.push(task);
      this.#byId.set(task.id, open);
    }
    if (open !== undefined) Object.freeze(open.items);
  }

  get size(): number {
    return this.#byId.size;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  get(id: string): Task | undefined {
    const chunk = this.#byId.get(id);
    return chunk?.items.find((t) => t.id === id);
  }

  /** Replaces the task with this id in place, or appends it. */
  set(task: Task): void {
    this.#view = undefined;
    const chunk = this.#byId.get(task.id);
    if (chunk !== undefined) {
      chunk.items = Object.freeze(chunk.items.map((t) => (t.id === task.id ? task : t)));
      return;
    }
    let last = this.#chunks[this.#chunks.length - 1];
    if (last === undefined || last.items.length >= CHUNK) {
      last = { items: Object.freeze([task]) };
      this.#chunks.push(last);
    } else {
      last.items = Object.freeze([...last.items, task]);
    }
    this.#byId.set(task.id, last);
  }

  /** Removes the task; false when there was none. */
  delete(id: string): boolean {
    const chunk = this.#byId.get(id);
    if (chunk === undefined) return false;
    this.#view = undefined;
    this.#byId.delete(id);
    chunk.items = Object.freeze(chunk.items.filter((t) => t.id !== id));
    if (chunk.items.length === 0) this.#chunks.splice(this.#chunks.indexOf(chunk), 1);
    return true;
  }

  /** The tasks now, as chunk arrays that never change afterwards. */
  chunks(): readonly (readonly Task[])[] {
    this.#view ??= Object.freeze(this.#chunks.map((c) => c.items));
    return this.#view;
  }

  values(): Task[] {
    return this.chunks().flat();
  }
}

/**
 * `framework` with `tasks` read from `chunks` when first asked for: publishing a patch never
 * reads the task list, a full build does once.
 */
export function frameworkView<F extends { tasks: Task[] }>(framework: Omit<F, 'tasks'>, chunks: readonly (readonly Task[])[]): F {
  let tasks: Task[] | undefined;
  const view = { ...framework } as F;
  Object.defineProperty(view, 'tasks', {
    enumerable: true,
    configurable: true,
    get: () => (tasks ??= chunks.flat()),
  });
  return view;
}
