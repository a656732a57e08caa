// The Operator API stream's SUBSCRIBED record -> StreamState through the native reader
// (native/operator-state.h, in the state-reader addon), the counterpart of read-state.ts's
// fromNative for the v1 form. The reader declines what it does not read exactly as
// JSON.parse + streamStateFromGetState would, and the caller then takes that path, so both give
// the same StreamState (test/read-subscribed-agreement.test.ts). Pure.
//
// Why: at 100,000 tasks the record is ~60 MB; JSON.parse held the main thread for seconds (and
// /health with it) and built a graph the collector then traced. The reader reads the record on
// its own thread while it arrives (ArrivingDocument), keeps only what DNS needs, computes each
// task's hash and hands over each distinct string once, so tasks share their agent id, state and
// framework id strings, which the table build then hashes and compares cheaply.
import { StateParseError, StreamError } from '../errors.js';
import {
  assembleStreamState, fromAgent, fromFramework, fromTask, idValue, object, recoveredAgentIds, skippedV1, streamStateFromGetState, type StreamState,
} from './operator-state.js';
import { portMappingsAt, spanAddressing } from './native-addressing.js';
import { stringTable } from './native-strings.js';
import { NO_STRINGS } from './parse-task.js';
import { parsePid } from './pid.js';
import type { NativeSubscribed, StateReaderAddon } from './read-state.js';
import type { Agent, Discovery, DiscoveryPort, Framework, Pid, RunningStatus, SkippedElement, Task } from './state.js';
import { networkNamesOf } from './task-addressing.js';

/** A SUBSCRIBED record, read. */
export interface SubscribedRead {
  state: StreamState;
  /** get_agents.recovered_agents' ids (recoveredAgentIds). */
  recovered: string[];
  /** subscribed.heartbeat_interval_seconds when it is a number, else NaN. */
  heartbeat: number;
}

export interface ReadSubscribedOptions {
  /** The native reader's result when it has read the record already (while it arrived). */
  arrived?: NativeSubscribed | string;
  /** Told the record's event type (for /metrics), whether it is SUBSCRIBED or not. */
  onType?: (type: string) => void;
}

/**
 * The stream's first record (bytes) -> the snapshot it carries. `reader` is the native reader,
 * null reads with JSON.parse only; `declined` says why the native reader did not read it. Throws
 * StreamError (not JSON, not SUBSCRIBED) or StateParseError (a snapshot that does not hold
 * together), the same errors whichever reader was asked.
 */
export function readSubscribedRecord(record: Uint8Array, leader: Pid, reader: StateReaderAddon | null, options: ReadSubscribedOptions = {}): { read: SubscribedRead; declined?: string } {
  let declined: string | undefined;
  if (reader !== null) {
    const native = options.arrived ?? reader.readSubscribed(record);
    const read = typeof native === 'string' ? undefined : fromNativeSubscribed(native, record, leader);
    if (read !== undefined) {
      options.onType?.('SUBSCRIBED');
      return { read };
    }
    declined = typeof native === 'string' ? native : 'an element it left out that the JavaScript path keeps';
  }
  let event: unknown;
  try {
    event = JSON.parse(decoder.decode(record));
  } catch (err) {
    throw new StreamError('record is not JSON', { cause: err });
  }
  const type = object(event, 'event').type;
  options.onType?.(typeof type === 'string' ? type : 'unknown');
  if (type !== 'SUBSCRIBED') throw new StreamError(`first event is ${String(type)}, expected SUBSCRIBED`);
  const read = readSubscribedEvent(object(object(event, 'event').subscribed, 'subscribed'), leader);
  return declined === undefined ? { read } : { read, declined };
}

/** The JavaScript path over a parsed SUBSCRIBED event's `subscribed`. */
function readSubscribedEvent(subscribed: Record<string, unknown>, leader: Pid): SubscribedRead {
  const seconds = subscribed.heartbeat_interval_seconds;
  const state = streamStateFromGetState(subscribed.get_state, leader);
  return { state, recovered: recoveredAgentIds(subscribed.get_state), heartbeat: typeof seconds === 'number' ? seconds : Number.NaN };
}

const KINDS = ['agent', 'framework', 'task', 'recovered'] as const;
type Kind = Exclude<(typeof KINDS)[number], 'recovered'>;
const LISTS: Record<Kind, string> = {
  agent: 'get_state.get_agents.agents',
  framework: 'get_state.get_frameworks.frameworks',
  task: 'get_state.get_tasks.tasks',
};
const CONVERT: Record<Kind, (json: unknown) => unknown> = { agent: fromAgent, framework: fromFramework, task: fromTask };

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The reader's result as a SubscribedRead: the StreamState streamStateFromGetState gives for the
 * record's get_state (same shapes, same order, same skip list), plus each task's idHash.
 * Undefined when an element the reader left out is one the JavaScript path keeps: the caller
 * then reads the record with JSON.parse. `bytes` is the record the reader read.
 */
export function fromNativeSubscribed(out: NativeSubscribed, bytes: Uint8Array, leader: Pid): SubscribedRead | undefined {
  const skips = out.skipped.length === 0 ? emptySkips() : judgedSkips(out.skipped, bytes);
  if (skips === null) return undefined;
  const str = stringTable(out);

  const a = out.agents;
  const agents: Agent[] = [];
  for (let k = 0, at = 0; k < a.length; k += 3, at++) {
    while (skips.agent.has(at)) at++;
    const agent: Agent = { id: str(a[k]), hostname: str(a[k + 1]) };
    const pid = str(a[k + 2]);
    if (pid !== '') {
      try {
        agent.pid = parsePid(pid);
      } catch (err) {
        // fromAgent's own error for it, which the JavaScript path would list.
        skips.agent.set(at, { kind: 'agent', path: `${LISTS.agent}[${at}]`, id: agent.id, reason: `agent.pid: ${(err as Error).message}` });
        continue;
      }
    }
    agents.push(agent);
  }

  const f = out.frameworks;
  const frameworks: Framework[] = [];
  for (let k = 0; k < f.length; k += 3) frameworks.push({ id: str(f[k]), name: str(f[k + 1]), hostname: str(f[k + 2]), tasks: [] });

  const t = out.tasks;
  const numbers = out.numbers;
  const addressingOf = spanAddressing(str);
  const tasks: Task[] = [];
  let k = 0;
  /**
   * The list at t[k] (a count, then string ids), and k moved past it; empty ones share NO_STRINGS.
   * One or two (nearly every list) as array literals, exactly sized: an array grown by push()
   * keeps room for 17, 136 bytes more per task address, which is kept as long as the task.
   */
  const list = (): readonly string[] => {
    const n = t[k++];
    if (n === 0) return NO_STRINGS;
    if (n === 1) return [str(t[k++])];
    if (n === 2) return [str(t[k++]), str(t[k++])];
    const out: string[] = [];
    for (let j = 0; j < n; j++) out.push(str(t[k++]));
    return out;
  };
  while (k < t.length) {
    const flags = t[k + 6];
    const n = t[k + 7];
    // One or two ports (nearly every task) as array literals: exactly sized.
    const ports = n === 0 ? [] : n === 1 ? [t[k + 8]] : n === 2 ? [t[k + 8], t[k + 9]] : Array.from(t.subarray(k + 8, k + 8 + n));
    const id = str(t[k]);
    const name = str(t[k + 1]);
    const frameworkId = str(t[k + 2]);
    const agentId = str(t[k + 3]);
    const state = str(t[k + 4]);
    const idHash = str(t[k + 5]);
    k += 8 + n;
    let running: RunningStatus | undefined;
    if (flags & 1) {
      const timestamp = numbers[t[k]];
      const healthy = t[k + 1];
      const portMapped = t[k + 2] === 1;
      k += 3;
      const portMappings = portMappingsAt(t, k);
      k += 1 + 3 * t[k];
      const networkIPs = list();
      // The network names, one per IP, without a count of their own.
      const names: string[] = [];
      for (let j = 0; j < networkIPs.length; j++) names.push(str(t[k++]));
      running = { timestamp, networkIPs, mesosLabelIPs: list(), dockerLabelIPs: list() };
      if (healthy >= 0) running.healthy = healthy === 1;
      const networkNames = networkNamesOf(names);
      if (networkNames !== undefined) running.networkNames = networkNames;
      if (portMapped) running.portMapped = true;
      if (portMappings !== undefined) running.portMappings = portMappings;
    }
    // fromTask's member order: discovery, running, addressing. A task without DiscoveryInfo (nearly
    // all) is one literal with its running status: a member added later goes to a properties array
    // of its own (40 bytes per task, kept as long as the task).
    let task: Task;
    if (flags & 2) {
      const discoveryName = str(t[k]);
      const count = t[k + 1];
      k += 2;
      const discoveryPorts: DiscoveryPort[] = [];
      for (let j = 0; j < count; j++, k += 3) discoveryPorts.push({ number: t[k], protocol: str(t[k + 1]), name: str(t[k + 2]) });
      const discovery: Discovery = { name: discoveryName, ports: discoveryPorts };
      task = { id, name, frameworkId, agentId, state, ports, idHash, discovery };
      if (running) task.running = running;
    } else {
      task = running ? { id, name, frameworkId, agentId, state, ports, idHash, running } : { id, name, frameworkId, agentId, state, ports, idHash };
    }
    if (flags & 16) {
      const addressing = addressingOf(t[k], t[k + 1], t[k + 2], ports);
      k += 3;
      if (addressing) task.addressing = addressing;
    }
    tasks.push(task);
  }

  const skipped = [...inOrder(skips.agent), ...inOrder(skips.framework), ...inOrder(skips.task)];
  return {
    state: assembleStreamState(leader, agents, frameworks, tasks, skipped, out.taskIdsDistinct === 1),
    recovered: Array.from(out.recovered, str),
    heartbeat: out.heartbeat,
  };
}

function throwsStateParseError(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (err) {
    return err instanceof StateParseError;
  }
}

type Skips = Record<Kind, Map<number, SkippedElement>>;

function emptySkips(): Skips {
  return { agent: new Map(), framework: new Map(), task: new Map() };
}

/** The values of a Map keyed by list index, in index order. */
function inOrder<T>(map: Map<number, T>): T[] {
  return [...map.keys()].sort((x, y) => x - y).map((key) => map.get(key) as T);
}

/**
 * The reader's skip records (kind, index, -1, start, end), each judged again by operator-state.ts
 * from the element's own bytes, which gives the reason and id the JavaScript path gives. Null
 * when that path keeps one of them (the reader checks some fields it reads only in some cases).
 */
function judgedSkips(records: Float64Array, bytes: Uint8Array): Skips | null {
  const skips = emptySkips();
  for (let k = 0; k < records.length; k += 5) {
    const kind = KINDS[records[k]];
    const index = records[k + 1];
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(bytes.subarray(records[k + 3], records[k + 4])));
    } catch {
      return null;
    }
    if (kind === 'recovered') {
      // recoveredAgentIds passes over an entry without an id, and lists nothing for it.
      if (!throwsStateParseError(() => idValue(object(json, 'agent_info').id, 'agent_info.id'))) return null;
      continue;
    }
    const path = `${LISTS[kind]}[${index}]`;
    try {
      CONVERT[kind](json);
      return null;
    } catch (err) {
      if (!(err instanceof StateParseError)) return null;
      skips[kind].set(index, skippedV1(kind, path, json, err));
    }
  }
  return skips;
}
