// MasterState -> RecordTable, the way mesos-dns's RecordGenerator.InsertState does it, with the
// decisions of docs/naming.md (which lists every name and record). Pure and deterministic: hostnames
// were resolved beforehand (resolve-hosts.ts) and the self addresses and serial are passed in.
//
// Insertion order follows mesos-dns (frameworks, agents, self, leader/masters, tasks) because
// it decides the order of values under a name and the /v1/enumerate rows.
import type { Config } from '../config/typed.js';
import type { HostPort } from '../net/address.js';
import { clusterRecords } from './cluster-records.js';
import { ownSourcesOf, toIps, type Ip } from './table-ips.js';
import { DCOS_ZONE } from './dcos-names.js';
import type { MasterState } from '../mesos/state.js';
import { cachedLabelFunc, type LabelFunc } from './labels.js';
import { hostIPs } from './resolve-hosts.js';
import type { EnumerateFramework, RecordTable, SoaData, TableHealth } from './table.js';
import { enumerate, type FrameworkTasks, type PendingEnumeration } from './enumerate-log.js';
import { nameAt, PackedExisting, PackedNames, stringAt, type PackedTable } from './packed-table.js';
import { packedReverseTable, type ReverseMessage } from './packed-reverse.js';
import { TableBuilder } from './table-builder.js';
import type { ReverseTable } from './reverse-table.js';
import { ownerAddresses, reverseFromIds, type ReverseInput } from './reverse-from-ids.js';
import { TaskPtrLog, type TaskPtr } from './reverse-ptrs.js';
import { dcosTaskRecords, frameworkContext, taskRecords, type AgentContext, type FrameworkContext, type TaskRecordOptions } from './task-records.js';
import { HealthGate, passesPolicy, type SharedSink } from './health-policy.js';

export interface BuildInputs {
  config: Pick<
    Config,
    | 'typed'
    | 'TTL'
    | 'SRVRecordDefaultWeight'
    | 'IPSources'
    | 'EnforceRFC952'
    | 'SOAMname'
    | 'SOARname'
    | 'SOARefresh'
    | 'SOARetry'
    | 'SOAExpire'
    | 'HealthPolicy'
  >;
  /** The current masters list, in order (masterN numbering follows it). */
  masters: readonly HostPort[];
  /** hostname -> IPs, resolved beforehand; a missing or empty entry means "contributes nothing". */
  addresses: ReadonlyMap<string, readonly string[]>;
  /** The addresses of this server, for the SOAMname record. */
  selfAddresses: readonly string[];
  serial: number;
}

/**
 * A full build and what the incremental table (incremental/) starts from: the builder's log, where
 * the non-task records end in it, and per framework and task (state order) the log and PTR
 * ranges that task's records took.
 */
export interface BuiltParts {
  table: RecordTable;
  packed: PackedTable;
  log: Int32Array;
  prefixEnd: number;
  /** Per framework: per task, [log start, log end, ptrs start, ptrs end]; the end includes its DC/OS names. */
  spans: Int32Array[];
  /** Under a HealthPolicy: the log entries passing tasks added under their shared names (HealthGate.servedAt); else null. */
  sharedAt: number[] | null;
  /** Per name id: its existing children inside the zones (TableBuilder.finish; name-states.ts starts from it). */
  children: Int32Array;
  /** Per framework: its task-record context (name ids valid in `packed`), undefined when its label is "". */
  contexts: (FrameworkContext | undefined)[];
  agents: ReadonlyMap<string, AgentContext>;
  seenIps: Map<string, Ip | null>;
  /** The task PTRs as ids, three per entry (reverse-ptrs.ts TaskPtrLog: address, canonical name, task name); null when PtrOn is off. */
  taskPtrIds: Int32Array | null;
  mname: string;
  frameworkLabels: string[];
  label: LabelFunc;
}

export function buildTable(state: MasterState, inputs: BuildInputs): RecordTable {
  return buildTableParts(state, inputs).table;
}

export function buildTableParts(state: MasterState, inputs: BuildInputs): BuiltParts {
  const steps = buildSteps(state, inputs);
  let step = steps.next();
  while (step.done !== true) step = steps.next();
  return step.value;
}

/**
 * buildTableParts with `pause()` awaited between its steps (every TASKS_PER_STEP tasks, and
 * between the builder's finish and the PTRs), so that the thread that builds (the main thread:
 * the state source, `/health`, the HTTP API) is not held for the whole build: at 100,000 tasks a
 * first build is over a second. The result is the same table.
 *
 * `elsewhere`, when given, is asked to make the reverse table (the PTRs) of a build in steps from
 * its input, taken before the forward table is finished, and the build awaits its result after
 * finishing that: publish.ts has another thread make it meanwhile (workers/reverse-helper.ts). A
 * result of undefined (or a failure) and the build makes it here, as without `elsewhere`.
 */
export async function buildTablePartsInSteps(state: MasterState, inputs: BuildInputs, pause: () => Promise<void>, elsewhere?: ReverseElsewhere): Promise<BuiltParts>;
/** With `pause()` resolving to false the build is given up there: undefined. */
export async function buildTablePartsInSteps(state: MasterState, inputs: BuildInputs, pause: () => Promise<boolean>, elsewhere?: ReverseElsewhere): Promise<BuiltParts | undefined>;
export async function buildTablePartsInSteps(
  state: MasterState,
  inputs: BuildInputs,
  pause: () => Promise<void | boolean>,
  elsewhere?: ReverseElsewhere,
): Promise<BuiltParts | undefined> {
  const steps = buildSteps(state, inputs);
  let step = steps.next();
  let reverse: Promise<ReverseMessage | undefined> | undefined;
  while (step.done !== true) {
    const value = step.value;
    if (value === REVERSE_NEEDED) {
      step = steps.next(reverse === undefined ? undefined : await reverse);
      continue;
    }
    if (value !== undefined) {
      // Started, not awaited: the build goes on with the forward table meanwhile.
      reverse = elsewhere?.(value).catch(() => undefined);
      step = steps.next();
      continue;
    }
    if ((await pause()) === false) return undefined;
    step = steps.next();
  }
  return step.value;
}

/** Makes a build's reverse table from its input somewhere else (another thread); undefined: not done there. */
export type ReverseElsewhere = (input: ReverseInput) => Promise<ReverseMessage | undefined>;

/** The tasks of `state` when a build of it runs in steps (and offers its PTRs to be made elsewhere); 0 when it runs in one go. */
export function tasksInSteps(state: MasterState): number {
  let tasks = 0;
  for (const fw of state.frameworks) tasks += fw.tasks.length;
  return tasks > TASKS_PER_STEP ? tasks : 0;
}

/**
 * What buildSteps yields: undefined between two steps (the caller may pause), the reverse table's
 * input (the caller may start making it elsewhere; the build goes on), or REVERSE_NEEDED, where
 * the build takes that result back (undefined: it makes the reverse table itself).
 */
type BuildStep = undefined | ReverseInput | typeof REVERSE_NEEDED;
const REVERSE_NEEDED = Symbol('reverse needed');

/** Tasks added between two pauses of buildTablePartsInSteps (tens of ms on a cold first build); a state with no more is built in one go. */
const TASKS_PER_STEP = 8192;

/** The build, yielding between steps (the caller decides whether to pause there). */
function* buildSteps(state: MasterState, inputs: BuildInputs): Generator<BuildStep, BuiltParts, ReverseMessage | undefined> {
  const { config } = inputs;
  const zone = config.typed.zone;
  const label = cachedLabelFunc(config.EnforceRFC952);
  const weight = config.SRVRecordDefaultWeight;
  // Sizes for the builder's arrays, so that they need not grow (a copy of tens of MB, and for the
  // name index a rehash of every name so far) or sit mostly empty: per task its two canonical
  // names, and per task label (shared by a task's instances) two names and four SRV owners, but
  // at least 4 names per task; per task a few A records plus 4 SRVs per port (bench/gen-state.ts:
  // 3.8 names and 13.3 log entries per task; bench/stream-cluster.ts, a label per task: 8 names).
  let tasks = 0;
  let ports = 0;
  let labels = 0;
  for (const fw of state.frameworks) {
    tasks += fw.tasks.length;
    const names = new Set<string>();
    for (let t = 0; t < fw.tasks.length; t++) {
      const task = fw.tasks[t];
      ports += task.ports.length + (task.discovery === undefined ? 0 : task.discovery.ports.length);
      names.add(task.name);
    }
    labels += names.size;
  }
  const names = Math.max(4 * tasks, 2 * tasks + 6 * labels) + 2 * state.agents.length;
  const b = new TableBuilder(0, weight, { names, records: 6 * tasks + 4 * ports + 2 * state.agents.length });
  // Raw address text -> Ip: the builder's own cache, so a new address costs one insertion (toIps).
  const seenIps = b.ipCache;
  const ipsOf = (host: string): Ip[] => toIps(b, seenIps, hostIPs(host, inputs.addresses));
  const { fwNames, agents, mname } = clusterRecords(b, state, inputs, seenIps, ipsOf, label);

  // --- tasks ------------------------------------------------------------------------------
  // Indexed loops and plain arguments: this runs once per task, and on a server's first load it
  // runs before V8 has optimised it, when every iterator result and context object is a real
  // allocation.
  const prefixEnd = b.length;
  const frameworkTasks: FrameworkTasks[] = [];
  const frameworks = state.frameworks;
  // PTR names of tasks with an address of their own (reverse-ptrs.ts); null when PtrOn is off.
  const taskPtrs: TaskPtrLog | null = config.typed.ptr.on ? new TaskPtrLog() : null;
  // Address rules (docs/addresses.md) and each distinct MESOS_DNS_IP_SOURCES label parsed once.
  const options: TaskRecordOptions = { rules: config.typed.addresses, ownSources: ownSourcesOf(), seenIps, ptrs: taskPtrs };
  // Per framework, per task in state order: [log start, log end, ptrs start, ptrs end] (what the
  // incremental table starts from; equal bounds for a task that added nothing).
  const spans: Int32Array[] = [];
  const contexts: (FrameworkContext | undefined)[] = [];
  // HealthPolicy (health-policy.ts): null for "ignore", whose records go straight to the builder.
  // The incremental table reads which records went through the gate from gate.servedAt.
  const policy = config.HealthPolicy ?? 'ignore';
  const gate = policy === 'ignore' ? null : new HealthGate(b);
  const slots: { tasks: FrameworkTasks; k: number }[] = [];
  let failingTasks = 0;
  // A state of one step or less is built in one go, as before: pausing would only spread a build
  // of a few ms over several turns, in which readers see the previous table for longer.
  const stepped = tasks > TASKS_PER_STEP;
  // The tasks [from, to) of framework i. A plain function rather than a loop in the generator:
  // V8 optimises a long-running loop while it runs (on-stack replacement) only outside
  // generators, and on a server's first build this loop runs once, cold.
  const addTasks = (i: number, fwCtx: FrameworkContext, generated: FrameworkTasks, span: Int32Array, from: number, to: number): void => {
    const tasks = frameworks[i].tasks;
    for (let t = from; t < to; t++) {
      const task = tasks[t];
      const start = b.length;
      const ptrStart = taskPtrs === null ? 0 : taskPtrs.length;
      let shared: SharedSink = b;
      let passing = true;
      if (gate !== null) {
        passing = passesPolicy(policy, task.running?.healthy);
        shared = gate.sinkFor(passing, slots.length);
      }
      const added = taskRecords(b, fwCtx, task, agents, options, shared);
      span[4 * t] = start;
      span[4 * t + 1] = b.length;
      span[4 * t + 2] = ptrStart;
      span[4 * t + 3] = taskPtrs === null ? 0 : taskPtrs.length;
      if (!added) continue;
      const dcosStart = b.length;
      // After the bounds: /v1/enumerate lists a task's Mesos records only (dcos-names.ts); in the
      // task's span, which is what the incremental table patches.
      if (config.typed.dcosNames) {
        dcosTaskRecords(b, fwCtx, task, agents, options, frameworks[i].name);
        span[4 * t + 1] = b.length;
      }
      if (gate !== null) {
        if (!passing) failingTasks++;
        slots.push({ tasks: generated, k: generated.names.length });
      }
      generated.names.push(task.name);
      generated.ids.push(task.id);
      generated.bounds.push(start, dcosStart);
    }
  };
  // Tasks since the last step.
  let stepAt = 0;
  for (let i = 0; i < frameworks.length; i++) {
    const generated: FrameworkTasks = { names: [], ids: [], bounds: [] };
    frameworkTasks.push(generated);
    const tasks = frameworks[i].tasks;
    const span = new Int32Array(4 * tasks.length);
    spans.push(span);
    const fname = fwNames[i];
    if (fname === '') {
      contexts.push(undefined);
      span.fill(b.length);
      continue;
    }
    const fwCtx = frameworkContext(fname, zone, label);
    contexts.push(fwCtx);
    for (let from = 0; from < tasks.length; ) {
      const to = stepped ? Math.min(tasks.length, from + TASKS_PER_STEP - stepAt) : tasks.length;
      addTasks(i, fwCtx, generated, span, from, to);
      stepAt += to - from;
      from = to;
      if (stepAt === TASKS_PER_STEP) {
        stepAt = 0;
        yield;
      }
    }
  }

  let health: TableHealth | undefined;
  if (gate !== null) {
    const settled = gate.settle();
    // Records added back for a task are listed under it by /v1/enumerate, like its others.
    const r = settled.ranges;
    for (let i = 0; i < r.length; i += 3) {
      const { tasks: generated, k } = slots[r[i]];
      (generated.extra ??= new Map()).set(k, [r[i + 1], r[i + 2]]);
    }
    health = Object.freeze({ policy, failingTasks, fallbackNames: settled.fallbackNames });
  }

  // The PTRs' input, complete once every task's records are in (the health gate's included): the
  // reverse table can be made from it while the forward table is finished (a build in steps
  // offers it to its caller, who may have another thread make it).
  const reverseInput: ReverseInput | undefined =
    taskPtrs === null
      ? undefined
      : {
          tasks: taskPtrs.entries,
          owners: ownerAddresses(b.logEntries(), b.nameCount, (name) => b.findName(name), zone, [...new Set(fwNames)], mname),
          names: b.namesSoFar(),
          ips: b.ipBlob(),
          configuredZones: config.typed.ptr.zones,
        };
  if (stepped && reverseInput !== undefined) yield reverseInput;
  if (stepped) yield;
  const built = b.finish({ zone, srvPriority: 0, srvWeight: weight, ...(config.typed.dcosNames ? { zones: [DCOS_ZONE] } : {}) });
  if (stepped) yield;
  const pending: PendingEnumeration | null =
    state.frameworks.length === 0
      ? null
      : { frameworkNames: state.frameworks.map((fw) => fw.name), frameworkTasks, packed: built.packed, log: built.log, firstSeen: built.firstSeen };
  const packed = built.packed;
  let reverse: ReverseTable | undefined;
  if (reverseInput !== undefined) {
    const made = stepped ? yield REVERSE_NEEDED : undefined;
    reverse = made === undefined ? reverseFromIds(reverseInput) : packedReverseTable(made);
    if (stepped && made === undefined) yield;
  }
  const table = assemble(zone, mname, inputs, packed, pending, reverse, health);
  return {
    table,
    packed,
    log: built.log,
    prefixEnd,
    spans,
    sharedAt: gate === null ? null : gate.servedAt,
    children: built.children!,
    contexts,
    agents,
    seenIps,
    taskPtrIds: taskPtrs === null ? null : taskPtrs.entries,
    mname,
    frameworkLabels: fwNames,
    label,
  };
}

/**
 * The frozen table. Kept apart from buildTable so that the enumeration getter's closure holds
 * only the enumeration log, not the build's working state (the master state, the builder).
 */
function assemble(
  zone: string,
  mname: string,
  inputs: BuildInputs,
  packed: PackedTable,
  pending: PendingEnumeration | null,
  reverse: ReverseTable | undefined,
  health: TableHealth | undefined,
): RecordTable {
  const { config } = inputs;
  const soa: SoaData = Object.freeze({
    zone,
    mname,
    rname: config.SOARname,
    serial: inputs.serial,
    refresh: config.SOARefresh,
    retry: config.SOARetry,
    expire: config.SOAExpire,
    // RFC 2308 §4 negative-caching TTL; mesos-dns puts `ttl` here, not SOAMinttl.
    minimum: config.TTL,
  });
  // /v1/enumerate is rare; its rows (one object per added record, over a million for 100,000
  // tasks) are materialised from the log on first read instead of during every build.
  let log = pending;
  let enumeration: readonly EnumerateFramework[] | null = null;
  return Object.freeze({
    zone,
    ttl: config.TTL,
    soa,
    ns: Object.freeze([mname]),
    names: new PackedNames(packed),
    existing: new PackedExisting(packed),
    packed,
    // Packed once here: the form this thread reads and the DNS workers get (packed-reverse.ts).
    ...(reverse === undefined ? {} : { reverse }),
    ...(health === undefined ? {} : { health }),
    get enumeration(): readonly EnumerateFramework[] | null {
      if (log !== null) {
        enumeration = enumerate(log);
        log = null;
      }
      return enumeration;
    },
    releaseEnumeration(): void {
      log = null;
    },
  });
}
