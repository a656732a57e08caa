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
import { parseStateText } from './parse-state.js';
import { NO_STRINGS } from './parse-task.js';
import { parsePortRanges } from './port-ranges.js';
import { parsePid } from './pid.js';
import type { Agent, Discovery, DiscoveryPort, Framework, MasterState, Pid, RunningStatus, Task } from './state.js';

/** What native/state-reader.c returns; its header describes the layout. */
export interface NativeState {
  leader: number;
  frameworkCount: number;
  agents: Int32Array;
  frameworks: Int32Array;
  numbers: Float64Array;
  stringBytes: Uint8Array;
  stringEnds: Int32Array;
  stringAscii: Uint8Array;
}

/** A reader thread over a buffer that is still being filled (native/state-reader.c). */
export type ArrivingHandle = { readonly __stateReader: unique symbol };

export interface StateReaderAddon {
  /** The document's fields, or why the reader declined it. */
  read(bytes: Uint8Array): NativeState | string;
  /** Starts reading `buffer`, which the caller fills in order and reports with push(). */
  open(buffer: Uint8Array): ArrivingHandle;
  /** The first `filled` bytes of the buffer are in place. */
  push(handle: ArrivingHandle, filled: number): void;
  /** The first `filled` bytes are the whole document: waits for the reader; read()'s result. */
  finish(handle: ArrivingHandle, filled: number): NativeState | string;
  /** Stops the reader; the document will not be completed. */
  cancel(handle: ArrivingHandle): void;
}

let loaded: Loaded<StateReaderAddon> | undefined;

/** The native reader, or why it cannot be had here. */
export function stateReaderAddon(): Loaded<StateReaderAddon> {
  loaded ??= loadAddon<StateReaderAddon>('state-reader.node');
  return loaded;
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
export interface ReadBytes {
  bytes: Uint8Array;
  native: NativeState | string;
}

/**
 * A document of known length (an HTTP body with Content-Length) that the native reader reads on
 * its own thread while the rest arrives: by the last byte, most of it has been read. For a
 * 100,000-task state the body takes 60-100 ms to arrive over loopback and reading it ~150 ms.
 */
export class ArrivingDocument {
  readonly #reader: StateReaderAddon;
  readonly #bytes: Buffer;
  readonly #handle: ArrivingHandle;
  #filled = 0;

  constructor(reader: StateReaderAddon, length: number) {
    this.#reader = reader;
    this.#bytes = Buffer.allocUnsafeSlow(length);
    this.#handle = reader.open(this.#bytes);
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
  finish(): ReadBytes | undefined {
    if (this.#filled !== this.#bytes.length) {
      this.cancel();
      return undefined;
    }
    return { bytes: this.#bytes, native: this.#reader.finish(this.#handle, this.#filled) };
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
    const state = typeof out === 'string' ? undefined : fromNative(out);
    if (state !== undefined) return { state };
    declined = typeof out === 'string' ? out : 'a value parseState refuses';
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
 * parse-state.ts (so that code reading states sees one hidden class per type). Undefined when a
 * value needs parseState's judgement: no leader, or a pid that does not parse (the JavaScript
 * path then throws the error with its path).
 */
export function fromNative(out: NativeState): MasterState | undefined {
  const bytes = Buffer.from(out.stringBytes.buffer, out.stringBytes.byteOffset, out.stringBytes.byteLength);
  const ends = out.stringEnds;
  const flags = out.stringAscii;
  // All strings decoded in one call, each ASCII one then cut out of it (String.prototype.slice is
  // a builtin; a Buffer.toString per string was most of this function's time). In a Latin-1
  // decoding, character offsets are byte offsets, so ASCII strings come out right whatever else
  // the table holds; the others are decoded from UTF-8 one by one.
  const all = bytes.toString('latin1');
  const strings: (string | undefined)[] = new Array(ends.length);
  /** String `id`, or '' for -1 (an absent or null field, which parseState reads as `?? ''`). */
  const str = (id: number): string => {
    if (id < 0) return '';
    let s = strings[id];
    if (s === undefined) {
      const start = id === 0 ? 0 : ends[id - 1];
      s = (flags[id] & 1) === 1 ? all.slice(start, ends[id]) : bytes.toString('utf8', start, ends[id]);
      strings[id] = s;
    }
    return s;
  };
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

  const a = out.agents;
  const agents: Agent[] = new Array(a.length / 3);
  for (let i = 0, k = 0; k < a.length; i++, k += 3) {
    const agent: Agent = { id: str(a[k]), hostname: str(a[k + 1]) };
    const p = pid(a[k + 2]);
    if (p === null) return undefined;
    if (p) agent.pid = p;
    agents[i] = agent;
  }

  const f = out.frameworks;
  const numbers = out.numbers;
  const frameworks: Framework[] = new Array(out.frameworkCount);
  let k = 0;
  /** The list at f[k] (a count, then string ids), and k moved past it. Filled with push, as
   * parse-state.ts does: packed arrays, not holey ones. */
  const list = (): string[] => {
    const out: string[] = [];
    for (let n = f[k++]; n > 0; n--) out.push(str(f[k++]));
    return out;
  };
  for (let i = 0; i < frameworks.length; i++) {
    const id = str(f[k]);
    const name = str(f[k + 1]);
    const hostname = str(f[k + 2]);
    const fwPid = pid(f[k + 3]);
    if (fwPid === null) return undefined;
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
        k += 2;
        // A container_status gives a list of its own even when empty; label lists share NO_STRINGS.
        const networkIPs = flags & 4 ? list() : (k += 1 + f[k], NO_STRINGS);
        const mesos = f[k] > 0 ? list() : (k++, NO_STRINGS);
        const docker = f[k] > 0 ? list() : (k++, NO_STRINGS);
        const running: RunningStatus = { timestamp, networkIPs, mesosLabelIPs: mesos, dockerLabelIPs: docker };
        if (healthy >= 0) running.healthy = healthy === 1;
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
      tasks[t] = task;
    }
    const framework: Framework = { id, name, hostname, tasks };
    if (fwPid) framework.pid = fwPid;
    frameworks[i] = framework;
  }
  return { leader, agents, frameworks };
}
