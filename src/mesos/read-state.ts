// State document bytes -> MasterState, through the native reader (native/state-reader.c) when it
// is built, else through JSON.parse + parseState. Both give the same MasterState: the native
// reader declines whatever it does not handle exactly as parseState does (see the C file's
// header), and a declined document, like any bad one, goes the JavaScript way, which also writes
// the precise error. Pure apart from loading the addon once.
//
// Why: for a 100,000-task state (40 MB) JSON.parse builds a graph of about 300 MB that parseState
// walks once and the collector then has to trace and free; the native reader keeps only the
// fields DNS needs (a few MB): about 0.3 s less per read, more in a first load, where most of the
// reading happens while the body arrives (ArrivingDocument).
import { loadAddon, type Loaded } from '../native-addon.js';
import { pidAt } from './json-fields.js';
import { elementFault, parseStateText } from './parse-state.js';
import { NO_STRINGS } from './parse-task.js';
import { portMappingsAt, spanAddressing } from './native-addressing.js';
import { stringTable, type NativeStringTable } from './native-strings.js';
import { networkNamesOf } from './task-addressing.js';
import { parsePortRanges } from './port-ranges.js';
import { parsePid } from './pid.js';
import type { Agent, Discovery, DiscoveryPort, Framework, MasterState, Pid, RunningStatus, SkippedElement, Task } from './state.js';

/** What native/state-reader.c returns; its header describes the layout. */
export interface NativeState extends NativeStringTable {
  leader: number;
  frameworkCount: number;
  agents: Int32Array;
  frameworks: Int32Array;
  numbers: Float64Array;
  /** Elements left out as malformed: kind, index, task index, start and end offsets (the C file's header). */
  skipped: Float64Array;
}

/** What the reader returns for a SUBSCRIBED record; native/operator-state.h describes the layout. */
export interface NativeSubscribed extends NativeStringTable {
  heartbeat: number;
  /** 1 when no two tasks have the same id (then no (framework, task) pair repeats). */
  taskIdsDistinct: number;
  agents: Int32Array;
  frameworks: Int32Array;
  tasks: Int32Array;
  recovered: Int32Array;
  numbers: Float64Array;
  skipped: Float64Array;
}

/** A reader thread over a buffer that is still being filled (native/state-reader.c). */
export type ArrivingHandle = { readonly __stateReader: unique symbol };

export interface StateReaderAddon {
  /** The document's fields, or why the reader declined it. */
  read(bytes: Uint8Array): NativeState | string;
  /** A SUBSCRIBED record's fields (native/operator-state.h), or why the reader declined it. */
  readSubscribed(bytes: Uint8Array): NativeSubscribed | string;
  /** Starts reading `buffer`, which the caller fills in order and reports with push(); as a
   * SUBSCRIBED record when `subscribed` is true, else as a /master/state document. */
  open(buffer: Uint8Array, subscribed?: boolean): ArrivingHandle;
  /** The first `filled` bytes of the buffer are in place. */
  push(handle: ArrivingHandle, filled: number): void;
  /** The first `filled` bytes are the whole document: waits for the reader; read()'s result
   * (readSubscribed()'s for a handle opened with `subscribed`). */
  finish(handle: ArrivingHandle, filled: number): NativeState | NativeSubscribed | string;
  /** Stops the reader; the document will not be completed. */
  cancel(handle: ArrivingHandle): void;
  /** glibc's malloc_trim(0): free pages inside its arenas given back; true when some were. */
  trimMalloc(): boolean;
}

let loaded: Loaded<StateReaderAddon> | undefined;

/** The native reader, or why it cannot be had here. */
export function stateReaderAddon(): Loaded<StateReaderAddon> {
  loaded ??= loadAddon<StateReaderAddon>('state-reader.node');
  return loaded;
}

/**
 * Gives the C allocator's free pages back to the system (the state reader addon's trimMalloc),
 * after the main thread's collection (collect-garbage.ts); nothing without the addon.
 */
export function trimMalloc(): void {
  const r = stateReaderAddon();
  if ('addon' in r) r.addon.trimMalloc();
}

/** The reader the NativeStateReader setting asks for: the addon, or null with the reason. */
export function configuredStateReader(native: boolean): { reader: StateReaderAddon | null; reason?: string } {
  if (!native) return { reader: null, reason: 'NativeStateReader is false' };
  const r = stateReaderAddon();
  return 'addon' in r ? { reader: r.addon } : { reader: null, reason: r.reason };
}

export interface ReadState {
  state: MasterState;
  /** Why the native reader declined this document; undefined when it read it or was not asked. */
  declined?: string;
}

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** A document read while it arrived (ArrivingDocument): its bytes and the native reader's result. */
export interface ReadBytes<T = NativeState> {
  bytes: Uint8Array;
  native: T | string;
}

/**
 * A document of known length (an HTTP body with Content-Length) that the native reader reads on
 * its own thread while the rest arrives: by the last byte, most of it has been read. For a
 * 100,000-task state the body takes 60-100 ms to arrive over loopback and reading it ~150 ms.
 */
export class ArrivingDocument<T extends NativeState | NativeSubscribed = NativeState> {
  readonly #reader: StateReaderAddon;
  readonly #bytes: Buffer;
  readonly #handle: ArrivingHandle;
  #filled = 0;

  /** `subscribed`: the buffer is the Operator API stream's SUBSCRIBED record (T NativeSubscribed). */
  constructor(reader: StateReaderAddon, length: number, subscribed = false) {
    this.#reader = reader;
    this.#bytes = Buffer.allocUnsafeSlow(length);
    this.#handle = reader.open(this.#bytes, subscribed);
  }

  /** The buffer the document is copied into (complete once finish() says so). */
  get bytes(): Buffer {
    return this.#bytes;
  }

  /** Appends a chunk; false (and nothing is kept) when it would go past the announced length. */
  push(chunk: Uint8Array): boolean {
    if (this.#filled + chunk.length > this.#bytes.length) return false;
    this.#bytes.set(chunk, this.#filled);
    this.#filled += chunk.length;
    this.#reader.push(this.#handle, this.#filled);
    return true;
  }

  /** The document is complete: undefined when fewer bytes came than announced. */
  finish(): ReadBytes<T> | undefined {
    if (this.#filled !== this.#bytes.length) {
      this.cancel();
      return undefined;
    }
    return { bytes: this.#bytes, native: this.#reader.finish(this.#handle, this.#filled) as T | string };
  }

  cancel(): void {
    this.#reader.cancel(this.#handle);
  }
}

/**
 * A state document as bytes (the HTTP body, a state file) -> MasterState. `reader` is the native
 * reader to use; null reads with JSON.parse only. `read` is the native reader's result when it
 * has read the bytes already (ArrivingDocument). Throws StateParseError as parseStateText does.
 */
export function readStateBytes(bytes: Uint8Array, reader: StateReaderAddon | null = nativeReader(), read?: NativeState | string): ReadState {
  let declined: string | undefined;
  if (reader !== null) {
    const out = read ?? reader.read(bytes);
    const state = typeof out === 'string' ? undefined : fromNative(out, bytes);
    if (state !== undefined) return { state };
    declined = typeof out === 'string' ? out : 'a leader parseState refuses, or an element it left out that parseState keeps';
  }
  // ignoreBOM keeps a byte order mark in the text, as Buffer.toString does (JSON.parse refuses it).
  const state = parseStateText(decoder.decode(bytes));
  return declined === undefined ? { state } : { state, declined };
}

function nativeReader(): StateReaderAddon | null {
  return configuredStateReader(true).reader;
}

/**
 * The native reader's result as MasterState, built in the same shapes and property order as
 * parse-state.ts (so that code reading states sees one hidden class per type), with the same
 * `skipped` list. Undefined when the document needs parseState's judgement: no leader, a leader
 * that does not parse (the JavaScript path then throws the error with its path), or an element
 * the reader left out that parseState keeps. `bytes` is the document the reader read.
 */
export function fromNative(out: NativeState, bytes: Uint8Array): MasterState | undefined {
  const skips = out.skipped.length === 0 ? undefined : judgedSkips(out.skipped, bytes);
  if (skips === null) return undefined;
  const str = stringTable(out);
  const pid = (id: number): Pid | undefined | null => {
    if (id < 0) return undefined;
    try {
      return parsePid(str(id));
    } catch {
      return null;
    }
  };

  if (out.leader < 0 || str(out.leader) === '') return undefined;
  const leader = pid(out.leader);
  if (!leader) return undefined;

  // Skipped elements by their index in the document: the agents', and per framework either the
  // framework's or its tasks'. An agent or framework whose pid does not parse joins them here.
  const agentSkips = skips?.agents ?? new Map<number, SkippedElement>();
  const frameworkSkips = skips?.frameworks ?? new Map<number, SkippedElement[]>();
  const a = out.agents;
  const agents: Agent[] = [];
  for (let k = 0, at = 0; k < a.length; k += 3, at++) {
    while (agentSkips.has(at)) at++;
    const agent: Agent = { id: str(a[k]), hostname: str(a[k + 1]) };
    const p = pid(a[k + 2]);
    if (p === null) {
      agentSkips.set(at, pidSkip('agent', `state.slaves[${at}]`, a[k] < 0 ? undefined : agent.id, str(a[k + 2])));
      continue;
    }
    if (p) agent.pid = p;
    agents.push(agent);
  }

  const f = out.frameworks;
  const numbers = out.numbers;
  // Addressing texts (flag 16), each distinct one parsed once (native-addressing.ts).
  const addressingOf = spanAddressing(str);
  const frameworks: Framework[] = [];
  let k = 0;
  let at = 0;
  /** The list at f[k] (a count, then string ids), and k moved past it. Packed arrays, not holey
   * ones; one or two (nearly every list) as literals, exactly sized (push() keeps room for 17). */
  const list = (): string[] => {
    const n = f[k++];
    if (n === 1) return [str(f[k++])];
    if (n === 2) return [str(f[k++]), str(f[k++])];
    const out: string[] = [];
    for (let j = 0; j < n; j++) out.push(str(f[k++]));
    return out;
  };
  for (let i = 0; i < out.frameworkCount; i++, at++) {
    while (frameworkSkips.get(at)?.[0].kind === 'framework') at++;
    const idIndex = f[k];
    const id = str(idIndex);
    const name = str(f[k + 1]);
    const hostname = str(f[k + 2]);
    const pidIndex = f[k + 3];
    const fwPid = pid(pidIndex);
    const tasks: Task[] = new Array(f[k + 4]);
    k += 5;
    for (let t = 0; t < tasks.length; t++) {
      const ranges = f[k + 4];
      const flags = f[k + 6];
      const at = k;
      k += 7;
      let ports: number[];
      if (flags & 8) {
        // Expanded by the reader (its plainPortRanges); the text otherwise. One or two ports
        // (nearly every task) as array literals: exactly sized, where the first push would
        // reserve 17 slots, and these arrays live as long as the state.
        const n = f[k++];
        if (n === 1) ports = [f[k]];
        else if (n === 2) ports = [f[k], f[k + 1]];
        else {
          ports = [];
          for (let j = 0; j < n; j++) ports.push(f[k + j]);
        }
        k += n;
      } else {
        ports = ranges < 0 ? [] : parsePortRanges(str(ranges));
      }
      const task: Task = { id: str(f[at]), name: str(f[at + 1]), frameworkId: id, agentId: str(f[at + 2]), state: str(f[at + 3]), ports, idHash: str(f[at + 5]) };
      if (flags & 1) {
        const timestamp = numbers[f[k]];
        const healthy = f[k + 1];
        const portMapped = f[k + 2] === 1;
        k += 3;
        const portMappings = portMappingsAt(f, k);
        k += 1 + 3 * f[k];
        // A container_status gives a list of its own even when empty; label lists share NO_STRINGS.
        const networkIPs = flags & 4 ? list() : (k += 1 + f[k], NO_STRINGS);
        // The network names, one per IP, without a count of their own.
        const names: string[] = [];
        for (let j = 0; j < networkIPs.length; j++) names.push(str(f[k++]));
        const mesos = f[k] > 0 ? list() : (k++, NO_STRINGS);
        const docker = f[k] > 0 ? list() : (k++, NO_STRINGS);
        const running: RunningStatus = { timestamp, networkIPs, mesosLabelIPs: mesos, dockerLabelIPs: docker };
        if (healthy >= 0) running.healthy = healthy === 1;
        const networkNames = networkNamesOf(names);
        if (networkNames !== undefined) running.networkNames = networkNames;
        if (portMapped) running.portMapped = true;
        if (portMappings !== undefined) running.portMappings = portMappings;
        task.running = running;
      }
      if (flags & 2) {
        const name = str(f[k]);
        const n = f[k + 1];
        k += 2;
        const ports: DiscoveryPort[] = [];
        for (let j = 0; j < n; j++, k += 3) ports.push({ number: f[k], protocol: str(f[k + 1]), name: str(f[k + 2]) });
        const discovery: Discovery = { name, ports };
        task.discovery = discovery;
      }
      if (flags & 16) {
        // The values task-addressing.ts reads, parsed from their own bytes.
        const addressing = addressingOf(f[k], f[k + 1], f[k + 2], ports);
        k += 3;
        if (addressing) task.addressing = addressing;
      }
      tasks[t] = task;
    }
    if (fwPid === null) {
      // parseState reads a framework's tasks before its pid: the framework alone is listed.
      frameworkSkips.set(at, [pidSkip('framework', `state.frameworks[${at}]`, idIndex < 0 ? undefined : id, str(pidIndex))]);
      continue;
    }
    const framework: Framework = { id, name, hostname, tasks };
    if (fwPid) framework.pid = fwPid;
    frameworks.push(framework);
  }
  const state: MasterState = { leader, agents, frameworks };
  if (agentSkips.size > 0 || frameworkSkips.size > 0) state.skipped = [...inOrder(agentSkips), ...inOrder(frameworkSkips).flat()];
  return state;
}

/** The values of a Map keyed by document index, in document order. */
function inOrder<T>(map: Map<number, T>): T[] {
  return [...map.keys()].sort((x, y) => x - y).map((key) => map.get(key) as T);
}

/** An agent or framework left out for its pid, with the reason parseState gives (optPid). */
function pidSkip(kind: 'agent' | 'framework', path: string, id: string | undefined, text: string): SkippedElement {
  let reason = '.pid: malformed pid';
  try {
    pidAt(text, '.pid');
  } catch (err) {
    reason = (err as Error).message;
  }
  const element: SkippedElement = { kind, path, reason };
  if (id !== undefined) element.id = id;
  return element;
}

const KINDS = ['agent', 'framework', 'task'] as const;

/**
 * The reader's skip records (native/state-reader.c's header), each judged again by parseState
 * from the element's own bytes, which also gives the reason and id parseState gives. Null when
 * parseState keeps one of them (the reader checks some fields parseState reads only in some cases).
 */
function judgedSkips(records: Float64Array, bytes: Uint8Array): { agents: Map<number, SkippedElement>; frameworks: Map<number, SkippedElement[]> } | null {
  const agents = new Map<number, SkippedElement>();
  const frameworks = new Map<number, SkippedElement[]>();
  for (let k = 0; k < records.length; k += 5) {
    const kind = KINDS[records[k]];
    const index = records[k + 1];
    const task = records[k + 2];
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(bytes.subarray(records[k + 3], records[k + 4])));
    } catch {
      return null;
    }
    const path = kind === 'agent' ? `state.slaves[${index}]` : kind === 'framework' ? `state.frameworks[${index}]` : `state.frameworks[${index}].tasks[${task}]`;
    const element = elementFault(kind, path, json);
    if (element === undefined) return null;
    if (kind === 'agent') agents.set(index, element);
    else {
      const list = frameworks.get(index);
      if (list === undefined) frameworks.set(index, [element]);
      else list.push(element);
    }
  }
  return { agents, frameworks };
}
