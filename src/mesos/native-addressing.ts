// The addressing facts of the tasks the native readers hand over (native/state-reader.c's
// keep_span, for /master/state and for the SUBSCRIBED record alike): each task with any gives the
// string ids of its `labels`, `container` and `discovery` texts, -1 for one not given or that
// cannot matter. Shared by read-state.ts (fromNative) and read-subscribed.ts
// (fromNativeSubscribed), so both readers turn them into TaskAddressing the same way, with the
// JavaScript paths' own function (task-addressing.ts). Pure.
//
// Why a cache: the texts repeat across the instances of an app, and the reader gives each
// distinct one a single string id, so each is parsed once and equal inputs share one
// TaskAddressing (a JSON.parse per value was seconds for a 100,000-task DC/OS state).
import { labelsReadPorts, taskAddressing } from './task-addressing.js';
import type { PortMapping, TaskAddressing } from './state.js';

/**
 * A running status's port mappings in a native result at `at`: a count m, then m (container port,
 * host port, protocol 0 tcp / 1 udp), as statusPortMappings gives them; undefined when m is 0.
 */
export function portMappingsAt(out: Int32Array, at: number): readonly PortMapping[] | undefined {
  const m = out[at];
  if (m === 0) return undefined;
  const mappings: PortMapping[] = [];
  for (let j = 0, k = at + 1; j < m; j++, k += 3) mappings.push({ containerPort: out[k], hostPort: out[k + 1], protocol: out[k + 2] === 1 ? 'udp' : 'tcp' });
  return mappings;
}

/** (labels, container, discovery string ids, the task's host ports) -> the task's addressing. */
export type SpanAddressing = (labels: number, container: number, discovery: number, ports: readonly number[]) => TaskAddressing | undefined;

/** A converter over one reader result's string table (`str`: string id -> text). */
export function spanAddressing(str: (id: number) => string): SpanAddressing {
  const values = new Map<number, unknown>();
  const addressings = new Map<string, TaskAddressing | undefined>();
  const readsPorts = new Map<number, boolean>();
  // Valid JSON: the reader checked the whole document's syntax and the span's UTF-8.
  const value = (id: number): unknown => {
    if (id < 0) return undefined;
    let v = values.get(id);
    if (v === undefined) {
      v = JSON.parse(str(id));
      values.set(id, v);
    }
    return v;
  };
  return (labels, container, discovery, ports) => {
    // VIP_PORT labels read the host ports, so then they are part of the key.
    let ported = labels >= 0 ? readsPorts.get(labels) : false;
    if (ported === undefined) readsPorts.set(labels, (ported = labelsReadPorts(value(labels))));
    const key = `${container},${discovery},${labels}${ported ? `:${ports.join(',')}` : ''}`;
    let addressing = addressings.get(key);
    if (addressing === undefined && !addressings.has(key)) {
      addressing = taskAddressing(value(labels), value(container), value(discovery), ports);
      addressings.set(key, addressing);
    }
    return addressing;
  };
}
