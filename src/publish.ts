// One step of the pipeline's I/O edge: a parsed MasterState becomes the served table.
// Hostnames are resolved first (the only I/O), then build-table runs pure, then one swap.
// A state from the event stream is patched into the current table instead when it can be
// (records/incremental/: only the names the changed tasks touch), without resolving anything;
// now and then (an overlay grown past MERGE_NAMES, or CHECK_MS after the last full build) a full
// build of the same state follows it, is compared with the patched table (the consistency
// check) and becomes the new base.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Config } from './config/typed.js';
import type { MasterState, Task } from './mesos/state.js';
import type { HostPort } from './net/address.js';
import { buildTablePartsInSteps, tasksInSteps, type BuildInputs, type BuiltParts } from './records/build-table.js';
import { reverseHelperUseful, startReverseHelper } from './workers/reverse-helper.js';
import type { ReverseInput } from './records/reverse-from-ids.js';
import { lazyEngine, type Engine } from './incremental-engine.js';
import { firstDifference } from './records/incremental/compare-tables.js';
import { invalidIpSourceLabels, invalidIpSourceLabelsOf } from './records/table-ips.js';
import { collectHostnames, resolveHostnames } from './records/resolve-hosts.js';
import type { Snapshot, TableStore } from './store.js';
import type { Logger } from './log.js';
import { traceTable } from './records/trace-table.js';
import type { RecordTable } from './records/table.js';

/** The incremental table of the last full build, made when first needed (see `served`). */
export type HostLookup = (name: string) => Promise<string[]>;

/** The system resolver (getaddrinfo), every A and AAAA, as mesos-dns's net.LookupIP. */
export const systemLookup: HostLookup = async (name) => {
  const all = await dnsLookup(name, { all: true, verbatim: true });
  return all.map((a) => a.address);
};

/**
 * Where a state comes from: a stream state may be patched in; any other is built in full.
 * 'poll-before-stream': a polled state while the leader's event stream is being subscribed to (or
 * resubscribed); built in full, and kept as the base its first snapshot is patched onto, which is
 * then a few tasks' work instead of a second full build (incremental-table.ts compares the
 * snapshot's tasks with the poll's by content).
 */
export type StateOrigin = 'stream' | 'poll' | 'poll-before-stream';

/** How a swapped table was made. */
export type UpdateKind = 'patch' | 'full';

export interface Publisher {
  /** Build a table from `state` (or patch the current one) and swap it in; resolves to the new snapshot. */
  publish(state: MasterState, masters: readonly HostPort[], origin?: StateOrigin): Promise<Snapshot>;
  /** A state is being published (a build may be between two of its steps). */
  busy?(): boolean;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Overlay names past which a patch is followed by a full build (the merge into a new base). */
export const MERGE_NAMES = 20_000;
/**
 * A patched table is checked against a full build at least this often while events come. The
 * build holds the main thread (about a second per 100,000 tasks), so not too often.
 */
export const CHECK_MS = 5 * 60_000;

export function createPublisher(deps: {
  config: () => Config;
  store: TableStore;
  selfAddresses: () => readonly string[];
  lookupHost?: HostLookup;
  now?: () => number;
  /** Debug line per swap with where the time went; at trace (-v=2) every name and the counts. */
  logger?: Logger;
  /** After each swap: the table, the leader ("host:port") it names, seconds the build took (metrics). */
  onSwapped?: (table: RecordTable, leader: string, buildSeconds: number, kind: UpdateKind) => void;
  /** A consistency check found the patched table differing from a full build, first at `name`. */
  onMismatch?: (name: string) => void;
  /** For tests: the merge and check thresholds. */
  mergeNames?: number;
  checkMs?: number;
  /**
   * Last word on the built table before it is swapped in (dns/xfr/zone-history.ts: the serial
   * follows the zones' content, the IXFR journal records the change). May throw: the build fails.
   * `touched`: for a patched table, the names (forward and reverse) it may differ in from the
   * table served now, so the diff need not walk every name.
   */
  admit?: (table: RecordTable, touched?: readonly string[]) => RecordTable;
  /**
   * Resolves once the DNS threads answer from `generation` (serve.ts). The incremental table of a
   * full build starts after that, so its pass over the build (over half a second of this thread
   * at 100,000 tasks) does not compete for the cores with the workers taking the table over.
   * Absent: it starts on the next turn. An event that comes first starts it at once.
   */
  served?: (generation: number) => Promise<void>;
}): Publisher {
  const lookupHost = deps.lookupHost ?? systemLookup;
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const log = deps.logger?.child({ component: 'publish' });
  let lastSerial = 0;
  // Tasks warned about for an invalid MESOS_DNS_IP_SOURCES label: one warning per task, not per build.
  let warnedLabels = new Set<string>();

  const mergeNames = deps.mergeNames ?? MERGE_NAMES;
  const checkMs = deps.checkMs ?? CHECK_MS;
  /** The incremental table over the last full build of a stream state; undefined after any other. */
  let engine: Engine | undefined;
  /** The last patched table and its state, for the check. */
  let patched: { table: RecordTable; state: MasterState } | undefined;
  /** A full build is between its steps. */
  let building = false;

  function nextSerial(): number {
    // mesos-dns sets the serial to the unix time of each reload; with live updates several
    // swaps can land in one second, and RFC 1982 serials must still increase.
    lastSerial = Math.max(now(), lastSerial + 1);
    return lastSerial;
  }

  /** `patchedTasks`: a patch's tasks taken in (their labels are checked). */
  function swapped(fresh: RecordTable, state: MasterState, kind: UpdateKind, started: number, resolved: number, touched?: readonly string[], ptrsOn?: 'helper' | 'main', patchedTasks?: readonly Task[]): Snapshot {
    const made = performance.now();
    const table = deps.admit ? deps.admit(fresh, touched === undefined ? undefined : withReverseChanges(fresh, touched)) : fresh;
    // The admitted serial may be ahead of ours (SerialFile): later tables must not go below it.
    if (table.soa.serial > lastSerial) lastSerial = table.soa.serial;
    const admitted = performance.now();
    // The swap's listeners include the hand-off to the DNS workers (supervisor.ts).
    const snapshot = deps.store.swap(table, undefined, touched);
    const built = performance.now();
    // Once per task: a full build checks every task (and forgets the tasks gone), a patch the
    // tasks it took in.
    const invalid = kind === 'full' ? invalidIpSourceLabels(state) : invalidIpSourceLabelsOf(patchedTasks ?? []);
    const warned = kind === 'full' ? new Set<string>() : warnedLabels;
    for (const { taskId, value } of invalid) {
      if (!warnedLabels.has(taskId)) log?.warn({ task: taskId, label: value }, 'MESOS_DNS_IP_SOURCES is not a list of IP sources (netinfo, mesos, docker, host); the task follows IPSources/AddressPolicy');
      warned.add(taskId);
    }
    warnedLabels = warned;
    const labelled = performance.now();
    log?.debug(
      {
        generation: snapshot.generation,
        kind,
        names: table.names.size,
        resolveMs: Math.round(resolved - started),
        buildMs: Math.round(made - resolved),
        admitMs: Math.round(admitted - made),
        swapMs: Math.round(built - admitted),
        labelsMs: Math.round(labelled - built),
        // A full build's PTRs: made on the reverse helper thread or on this one.
        ...(ptrsOn === undefined || fresh.reverse === undefined ? {} : { ptrs: ptrsOn }),
      },
      'table swapped in',
    );
    const leader = state.leader.host.includes(':') ? `[${state.leader.host}]:${state.leader.port}` : `${state.leader.host}:${state.leader.port}`;
    deps.onSwapped?.(table, leader, (built - started) / 1000, kind);
    if (deps.logger?.isLevelEnabled('trace')) traceTable(deps.logger, snapshot.generation, table);
    return snapshot;
  }

  /** The new snapshot; undefined when the build was given up for a newer state (see below). */
  async function build(state: MasterState, masters: readonly HostPort[], origin: StateOrigin | 'check'): Promise<Snapshot | undefined> {
    const config = deps.config();
    const started = performance.now();
    // Its start (~0.1 s at 100,000 tasks) runs in steps with turns of the event loop between
    // them (/health, the stream's reading); this build waits for it, and the builds after it
    // wait for this one (drain), so the events are applied in order. A start given up (another
    // full build replaced its table, which cannot happen while this build waits) builds in full.
    const startedEngine = origin === 'stream' && engine !== undefined && engine.inputs.config === config && (await engine.start(true)) !== undefined ? engine : undefined;
    if (startedEngine !== undefined) {
      const e = startedEngine;
      // An agent or framework named by a hostname the base did not resolve: looked up here (the
      // only I/O), so that the patch stays pure; the names the base resolved keep their addresses
      // until the next full build.
      let addresses = e.inputs.addresses;
      const hosts = e.table().hostsToResolve(state, addresses);
      if (hosts.length > 0) addresses = new Map([...addresses, ...(await resolveHostnames(hosts, lookupHost))]);
      const inputs: BuildInputs = { ...e.inputs, addresses, masters, selfAddresses: deps.selfAddresses(), serial: lastSerial + 1 };
      const patch = e.table().apply(state, inputs);
      if (patch !== undefined) {
        e.inputs = { ...e.inputs, addresses };
        nextSerial();
        let snapshot: Snapshot;
        try {
          snapshot = swapped(patch.table, state, 'patch', started, started, patch.touched, undefined, patch.tasks);
        } catch (err) {
          // Not served (admit failed): the incremental table is ahead of what is served now.
          engine = undefined;
          patched = undefined;
          throw err;
        }
        patched = { table: patch.table, state };
        // The base is served only under the overlay from now on: its /v1/enumerate log can go
        // (after a snapshot patched onto a poll's table it holds that poll's task names and ids,
        // ~10 MB at 100,000 tasks, which nothing else shares).
        patch.table.overlay?.base.releaseEnumeration?.();
        if (e.table().overlaySize >= mergeNames || Date.now() - e.builtAt >= checkMs) scheduleCheck(state, masters);
        return snapshot;
      }
      log?.debug({ reason: e.table().refusal }, 'building the table in full: not a change a patch makes');
    }
    // The full build, hostname lookups included: while it runs, the previous build's incremental
    // table neither starts nor goes on with a start in steps (this build replaces it).
    building = true;
    try {
      return await fullBuild(state, masters, origin, config, started);
    } finally {
      building = false;
    }
  }

  /** build()'s full build of `state`; undefined when it was given up for a newer state. */
  async function fullBuild(state: MasterState, masters: readonly HostPort[], origin: StateOrigin | 'check', config: Config, started: number): Promise<Snapshot | undefined> {
    const addresses = await resolveHostnames(collectHostnames(state, [...masters]), lookupHost);
    const resolved = performance.now();
    const inputs: BuildInputs = { config, masters, addresses, selfAddresses: deps.selfAddresses(), serial: nextSerial() };
    // In steps, with a turn of the event loop between them: /health, the HTTP API and the stream
    // keep being served while a large build runs (DNS is answered by the workers meanwhile).
    // A polled state's build is given up for a stream state queued meanwhile while no incremental
    // table exists (at start-up: the subscription's snapshot arriving during the poll's build): the
    // newer state is built next anyway, and its waiters take this one's.
    // A large build's PTRs are made on a thread of their own while this one finishes the forward
    // table (workers/reverse-helper.ts); started now, so that it is up when they can start.
    const stepped = tasksInSteps(state);
    const helper = config.typed.ptr.on && stepped > 0 && reverseHelperUseful() ? startReverseHelper(stepped) : undefined;
    // Where the PTRs were made, for the debug line: 'helper' when its result was taken.
    let ptrsOn: 'helper' | 'main' = 'main';
    const elsewhere =
      helper &&
      (async (input: ReverseInput) => {
        const made = await helper.make(input);
        if (made !== undefined) ptrsOn = 'helper';
        return made;
      });
    let parts: BuiltParts | undefined;
    try {
      parts = await buildTablePartsInSteps(
        state,
        inputs,
        async () => {
          await nextTurn();
          return !(origin !== 'stream' && origin !== 'check' && next?.origin === 'stream' && engine === undefined);
        },
        elsewhere,
      );
    } finally {
      helper?.close();
    }
    if (helper?.failure !== undefined) log?.warn({ reason: helper.failure }, 'the PTRs were made on the main thread');
    else if (helper?.ms !== undefined) log?.debug({ ms: Math.round(helper.ms), cpuMs: Math.round(helper.cpuMs ?? 0) }, 'PTRs made on the helper thread');
    if (parts === undefined) {
      log?.debug({ kind: 'full' }, 'a polled state superseded by the stream during its build');
      return undefined;
    }
    if (origin === 'check' && patched?.state === state && sameAddresses(addresses, engine?.inputs.addresses)) {
      const name = firstDifference(patched.table, parts.table);
      if (name !== undefined) {
        log?.error({ name }, 'the patched table differs from a full build of the same state; serving the full build');
        deps.onMismatch?.(name);
      }
    }
    patched = undefined;
    // Swapped first: starting the incremental table (a pass over the build's log) need not delay it.
    const snapshot = swapped(parts.table, state, 'full', started, resolved, undefined, ptrsOn);
    // A polled document is never patched, but one polled while the stream is being subscribed to is
    // the base its snapshot patches; so is the stream's own view rebuilt on a poll (cluster-source.ts,
    // for the framework pids and fresh addresses) for the next event.
    // Its base is the table as served (admitted: zone serials), which the workers hold too.
    const patchable = !(origin === 'poll' && state.changes === undefined);
    const fresh = (engine = patchable ? lazyEngine(state, inputs, { ...parts, table: snapshot.table }, snapshot.generation, { log, replaced: (self) => engine !== self || building }) : undefined);
    if (fresh !== undefined) {
      // After the workers took the table over; not while a later full build runs between its steps
      // (it replaces this engine: starting it then, ~0.1 s at 100,000 tasks, only delays that
      // build; a build given up or failed leaves it to start when a stream state needs it).
      const served = deps.served?.(snapshot.generation) ?? Promise.resolve();
      void served.then(() => setImmediate(() => engine === fresh && !building && void fresh.start()));
    }
    return snapshot;
  }

  /** A full build of `state` after the current turn, unless newer work is queued by then. */
  function scheduleCheck(state: MasterState, masters: readonly HostPort[]): void {
    setTimeout(() => {
      if (next !== undefined || patched?.state !== state) return; // a newer state will schedule its own
      enqueue(state, masters, 'check').catch((err: unknown) => log?.error({ err }, 'the check build failed; keeping the patched table'));
    }, 0).unref();
  }

  // Publishes run one at a time, latest wins: the stream and the poller may both deliver while
  // a build is resolving hostnames, and an older state must never be swapped in after a newer
  // one. Callers whose state was superseded resolve with the snapshot of the newer state.
  let running: Promise<void> | undefined;
  let next:
    | { state: MasterState; masters: readonly HostPort[]; origin: StateOrigin | 'check'; waiters: Array<{ resolve: (s: Snapshot) => void; reject: (e: unknown) => void }> }
    | undefined;

  async function drain(): Promise<void> {
    let first = true;
    while (next) {
      // A turn of the event loop between two publishes (HTTP, the workers' messages).
      if (!first) await nextTurn();
      first = false;
      if (next === undefined) break;
      const job = next;
      next = undefined;
      try {
        const snapshot = await build(job.state, job.masters, job.origin);
        // Given up for the queued state (set meanwhile: TypeScript cannot see that across the await).
        if (snapshot === undefined) (next as typeof job | undefined)?.waiters.unshift(...job.waiters);
        else for (const w of job.waiters) w.resolve(snapshot);
      } catch (err) {
        for (const w of job.waiters) w.reject(err);
      }
    }
    running = undefined;
  }

  function enqueue(state: MasterState, masters: readonly HostPort[], origin: StateOrigin | 'check'): Promise<Snapshot> {
    return new Promise<Snapshot>((resolve, reject) => {
      const waiters = next ? next.waiters : [];
      waiters.push({ resolve, reject });
      // A poll's state replacing a queued stream state is built in full, and so is anything
      // replacing a check.
      const merged = next === undefined || next.origin === origin ? origin : next.origin === 'check' || origin === 'check' ? 'check' : 'poll';
      next = { state, masters, origin: merged, waiters };
      running ??= drain();
    });
  }

  return {
    publish(state, masters, origin = 'poll') {
      return enqueue(state, masters, origin);
    },
    busy: () => running !== undefined,
  };
}

/** The touched forward names and the reverse names the same patch changed (zone transfer diffs). */
function withReverseChanges(table: RecordTable, touched: readonly string[]): readonly string[] {
  const reverse = table.reverse?.patch?.changed;
  return reverse === undefined || reverse.length === 0 ? touched : [...touched, ...reverse];
}

function sameAddresses(a: ReadonlyMap<string, readonly string[]>, b: ReadonlyMap<string, readonly string[]> | undefined): boolean {
  if (b === undefined || a.size !== b.size) return false;
  for (const [host, ips] of a) if (b.get(host)?.join() !== ips.join()) return false;
  return true;
}
