// Health-aware answers (HealthPolicy, docs/naming.md "Health-aware answers"): which RUNNING tasks
// a shared task name answers with. Pure; build-table.ts routes each task's records under its
// shared names through a HealthGate and settles it once every task has been seen.
//
// The rule is per owner name: a task the policy does not pass adds nothing to a shared name
// (`app.fw.mesos`, `app.fw.slave.mesos`, `_app._tcp.fw.mesos`, ...) that some passing task adds
// to; a name that only failing tasks add to gets all of their records (the fallback), because a
// failing health check must not become an outage. A task's canonical names (`app-hash-agent...`)
// name that one task and are never subject to the policy.
import type { HealthPolicy } from '../config/schema.js';
import type { TableBuilder } from './table-builder.js';

/**
 * Whether a task whose newest TASK_RUNNING status says `healthy` (undefined: no health check
 * result, the field is absent) serves under its shared names.
 */
export function passesPolicy(policy: HealthPolicy, healthy: boolean | undefined): boolean {
  switch (policy) {
    case 'exclude-unhealthy':
      return healthy !== false;
    case 'only-healthy':
      return healthy === true;
    default:
      return true; // 'ignore': mesos-dns
  }
}

/** Where one task's records under its shared names go. TableBuilder is one (policy "ignore"). */
export interface SharedSink {
  addA(owner: number, ip: number): void;
  addAAAA(owner: number, ip: number): void;
  addSRV(owner: number, target: number, port: number): void;
}

/** What settling added back, for /metrics and /v1/enumerate. */
export interface Settled {
  /** Shared names answered with every instance because none passed the policy. */
  fallbackNames: number;
  /** Per task slot that got records back: slot, then the builder log range [start, end). */
  ranges: number[];
}

const HELD_A = -1;
const HELD_AAAA = -2;

/**
 * Collects a build's shared-name records under a policy other than "ignore": a passing task's go
 * to the builder at once (and mark their owner as served), a failing task's are held, each with
 * the slot (the caller's task number) they belong to. settle() adds the held records whose owner
 * no passing task served, in the order they were held.
 */
export class HealthGate {
  readonly #b: TableBuilder;
  readonly #served = new Set<number>();
  /** Per held record: owner, value (IP id or SRV target), port (or HELD_A / HELD_AAAA), slot. */
  #held: number[] = [];
  #slot = 0;
  readonly #serving: SharedSink;
  readonly #holding: SharedSink;
  /**
   * The builder log entries (b.length before each add) of the records passing tasks added under
   * their shared names: the incremental table tells them from the canonical ones by these.
   */
  readonly servedAt: number[] = [];

  constructor(b: TableBuilder) {
    this.#b = b;
    const served = this.#served;
    const at = this.servedAt;
    this.#serving = {
      addA: (owner, ip) => {
        served.add(owner);
        at.push(b.length);
        b.addA(owner, ip);
      },
      addAAAA: (owner, ip) => {
        served.add(owner);
        at.push(b.length);
        b.addAAAA(owner, ip);
      },
      addSRV: (owner, target, port) => {
        served.add(owner);
        at.push(b.length);
        b.addSRV(owner, target, port);
      },
    };
    const held = this.#held;
    this.#holding = {
      addA: (owner, ip) => void held.push(owner, ip, HELD_A, this.#slot),
      addAAAA: (owner, ip) => void held.push(owner, ip, HELD_AAAA, this.#slot),
      addSRV: (owner, target, port) => void held.push(owner, target, port, this.#slot),
    };
  }

  /** The sink for the shared-name records of the task numbered `slot`. */
  sinkFor(passing: boolean, slot: number): SharedSink {
    if (passing) return this.#serving;
    this.#slot = slot;
    return this.#holding;
  }

  /** Adds the held records of names no passing task served; call once, after the last task. */
  settle(): Settled {
    const b = this.#b;
    const held = this.#held;
    const fallback = new Set<number>();
    const ranges: number[] = [];
    let slot = -1;
    for (let i = 0; i < held.length; i += 4) {
      const owner = held[i];
      if (this.#served.has(owner)) continue;
      fallback.add(owner);
      if (held[i + 3] !== slot) {
        if (slot !== -1) ranges.push(b.length);
        slot = held[i + 3];
        ranges.push(slot, b.length);
      }
      const kind = held[i + 2];
      if (kind === HELD_A) b.addA(owner, held[i + 1]);
      else if (kind === HELD_AAAA) b.addAAAA(owner, held[i + 1]);
      else b.addSRV(owner, held[i + 1], kind);
    }
    if (slot !== -1) ranges.push(b.length);
    return { fallbackNames: fallback.size, ranges };
  }
}
