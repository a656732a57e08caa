// A stand-in Mesos master on 127.0.0.1 (ephemeral port), speaking just enough of the real thing:
//  - POST /api/v1 {"type":"SUBSCRIBE"} → 200 chunked RecordIO: SUBSCRIBED first, then whatever the
//    test pushes, plus HEARTBEATs on a timer (the Operator API stream);
//  - GET /master/state → a settable JSON document (for polling tests).
// Plus v1-shaped JSON builders for events, so tests read like the cluster story they tell.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeRecord } from '../../src/mesos/recordio.js';

type Json = Record<string, unknown>;

export interface SubscribeAnswer {
  status: number;
  headers?: Record<string, string>;
}

export class StreamMaster {
  readonly #server: Server;
  #port = 0;
  #streams = new Set<ServerResponse>();
  #heartbeatTimers = new Map<ServerResponse, NodeJS.Timeout>();

  /** How many SUBSCRIBE calls were made (answered 200 or not). */
  subscriptions = 0;
  /** Request headers of the last SUBSCRIBE and its parsed body. */
  lastSubscribe: { headers: IncomingMessage['headers']; body: unknown } | undefined;
  /** The get_state sent in SUBSCRIBED to each new subscriber. */
  getState: Json = getState({});
  heartbeatIntervalSeconds = 15;
  /** When set, sent as the SUBSCRIBED record instead of one encoded from getState per subscriber
   * (a benchmark encodes a 100,000-task snapshot once, before it starts measuring). */
  subscribedRecord: Buffer | undefined;
  /** performance.now() when the last subscriber's SUBSCRIBED record was fully handed to the
   * kernel (its last byte written); undefined until then. */
  snapshotWrittenAt: number | undefined;
  /** When set, the SUBSCRIBED record is written in pieces of this many bytes, `delayMs` apart
   * (a large snapshot arriving slowly); `snapshotBytesWritten` counts what went out. */
  snapshotPieces: { bytes: number; delayMs: number } | undefined;
  snapshotBytesWritten = 0;
  /** Send HEARTBEAT every heartbeatIntervalSeconds on every open stream. */
  heartbeats = true;
  /** When set, SUBSCRIBE is answered with this status instead of a stream. */
  subscribeAnswer: SubscribeAnswer | undefined;
  /** Served at GET /master/state, as JSON; a Buffer is served as it is (a benchmark serialises a
   * large document once, instead of blocking this process for it on every request). */
  stateDocument: unknown = {};
  /** When set, GET /master/state is answered with this status and headers (e.g. a 307 to the leader). */
  stateAnswer: SubscribeAnswer | undefined;
  /** How many GET /master/state requests were made. */
  stateRequests = 0;

  private constructor() {
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  static async start(): Promise<StreamMaster> {
    const master = new StreamMaster();
    await new Promise<void>((resolve) => master.#server.listen(0, '127.0.0.1', resolve));
    master.#port = (master.#server.address() as AddressInfo).port;
    return master;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Number of subscribers currently connected. */
  get openStreams(): number {
    return this.#streams.size;
  }

  /** Push one event (RecordIO-framed JSON) to every open stream. */
  send(event: unknown): void {
    this.sendRaw(encodeRecord(JSON.stringify(event)));
  }

  /** Push bytes as-is: half a record, garbage, a record split across writes. */
  sendRaw(bytes: Buffer | string): void {
    for (const res of this.#streams) res.write(bytes);
  }

  /** Stop heartbeats on open streams and for new ones (to trigger the client's watchdog). */
  stopHeartbeats(): void {
    this.heartbeats = false;
    for (const t of this.#heartbeatTimers.values()) clearInterval(t);
    this.#heartbeatTimers.clear();
  }

  /** End every open stream cleanly (final chunk sent). */
  endStreams(): void {
    for (const res of [...this.#streams]) res.end();
  }

  /** Cut every open stream's connection abruptly. */
  destroyStreams(): void {
    for (const res of [...this.#streams]) res.destroy();
  }

  async close(): Promise<void> {
    this.stopHeartbeats();
    this.destroyStreams();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/master/state') {
        this.stateRequests++;
        if (this.stateAnswer) {
          res.writeHead(this.stateAnswer.status, this.stateAnswer.headers ?? {});
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.isBuffer(this.stateDocument) ? this.stateDocument : JSON.stringify(this.stateDocument));
        return;
      }
      if (req.method === 'POST' && req.url === '/api/v1') {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        if ((body as Json | undefined)?.type === 'SUBSCRIBE') {
          this.subscriptions++;
          this.lastSubscribe = { headers: req.headers, body };
          this.#subscribe(res);
          return;
        }
        res.writeHead(400).end('bad call');
        return;
      }
      res.writeHead(404).end();
    });
  }

  #subscribe(res: ServerResponse): void {
    if (this.subscribeAnswer) {
      res.writeHead(this.subscribeAnswer.status, this.subscribeAnswer.headers ?? {});
      res.end();
      return;
    }
    // No content-length: node:http sends Transfer-Encoding: chunked, as Mesos does.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    this.#streams.add(res);
    res.on('close', () => {
      this.#streams.delete(res);
      clearInterval(this.#heartbeatTimers.get(res));
      this.#heartbeatTimers.delete(res);
    });
    this.snapshotWrittenAt = undefined;
    this.snapshotBytesWritten = 0;
    const record = this.subscribedRecord ?? encodeRecord(JSON.stringify(subscribed(this.getState, this.heartbeatIntervalSeconds)));
    const pieces = this.snapshotPieces;
    if (pieces) {
      const next = (at: number): void => {
        if (res.destroyed) return;
        const end = Math.min(record.length, at + pieces.bytes);
        res.write(record.subarray(at, end), () => {
          this.snapshotBytesWritten = end;
          if (end === record.length) this.snapshotWrittenAt = performance.now();
          else setTimeout(() => next(end), pieces.delayMs);
        });
      };
      next(0);
    } else {
      res.write(record, () => {
        this.snapshotBytesWritten = record.length;
        this.snapshotWrittenAt = performance.now();
      });
    }
    if (this.heartbeats) {
      const timer = setInterval(() => res.write(encodeRecord(JSON.stringify(heartbeat()))), this.heartbeatIntervalSeconds * 1000);
      this.#heartbeatTimers.set(res, timer);
    }
  }
}

/** Poll `predicate` until it holds; fail (reject) with `what` after timeoutMs. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A /master/state document of agent a1 (10.1.0.1) and framework fw1 (marathon) with no tasks: the
 * stream tests' poll, so that whatever resolves came from the stream.
 */
export function emptyLegacyState(port: number): Json {
  return {
    leader: `master@127.0.0.1:${port}`,
    slaves: [{ id: 'a1', pid: 'slave(1)@10.1.0.1:5051', hostname: '10.1.0.1' }],
    frameworks: [{ id: 'fw1', name: 'marathon', pid: 'scheduler@10.1.0.100:8080', hostname: '10.1.0.100', tasks: [] }],
  };
}

// --- v1 JSON builders (master.proto / mesos.proto shapes) -------------------------------------

export interface TaskSpec {
  id: string;
  name?: string;
  frameworkId: string;
  agentId: string;
  state?: string;
  /** [begin, end] host port ranges. */
  ports?: [number, number][];
  discovery?: Json;
  statuses?: Json[];
}

export function v1Task(spec: TaskSpec): Json {
  const task: Json = {
    name: spec.name ?? spec.id.split('.')[0],
    task_id: { value: spec.id },
    framework_id: { value: spec.frameworkId },
    agent_id: { value: spec.agentId },
    state: spec.state ?? 'TASK_STAGING',
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } },
      ...(spec.ports
        ? [{ name: 'ports', type: 'RANGES', ranges: { range: spec.ports.map(([begin, end]) => ({ begin, end })) } }]
        : []),
    ],
    statuses: spec.statuses ?? [],
  };
  if (spec.discovery) task.discovery = spec.discovery;
  return task;
}

export interface StatusSpec {
  taskId: string;
  agentId?: string;
  state: string;
  timestamp?: number;
  ips?: string[];
  healthy?: boolean;
  labels?: { key: string; value: string }[];
  /** Host ports mapped into the container (`port_mappings` beside the ips): how a pod's task shows its host ports. */
  hostPorts?: number[];
}

export function v1Status(spec: StatusSpec): Json {
  const status: Json = {
    task_id: { value: spec.taskId },
    state: spec.state,
    source: 'SOURCE_EXECUTOR',
    timestamp: spec.timestamp ?? 1_700_000_000,
  };
  if (spec.agentId) status.agent_id = { value: spec.agentId };
  if (spec.ips) {
    status.container_status = {
      network_infos: [{ ip_addresses: spec.ips.map((ip) => ({ protocol: ip.includes(':') ? 'IPv6' : 'IPv4', ip_address: ip })) }],
    };
    if (spec.hostPorts) {
      const info = (status.container_status as { network_infos: Json[] }).network_infos[0];
      info.port_mappings = spec.hostPorts.map((p) => ({ host_port: p, container_port: 80, protocol: 'tcp' }));
    }
  }
  if (spec.healthy !== undefined) status.healthy = spec.healthy;
  if (spec.labels) status.labels = { labels: spec.labels };
  return status;
}

export function v1Agent(id: string, ip: string, hostname = `agent-${id}`, port = 5051): Json {
  return {
    agent_info: { hostname, id: { value: id }, port },
    active: true,
    version: '1.11.0',
    pid: `slave(1)@${ip}:${port}`,
  };
}

export function v1FrameworkInfo(id: string, name: string, hostname = 'scheduler.example'): Json {
  return { id: { value: id }, name, hostname, user: 'root' };
}

export function v1Framework(id: string, name: string, hostname?: string): Json {
  return { framework_info: v1FrameworkInfo(id, name, hostname), active: true, connected: true, recovered: false };
}

export function getState(parts: { tasks?: Json[]; agents?: Json[]; frameworks?: Json[]; recoveredAgents?: string[]; completedTasks?: Json[] }): Json {
  return {
    get_tasks: { tasks: parts.tasks ?? [], completed_tasks: parts.completedTasks ?? [] },
    get_executors: {},
    get_frameworks: { frameworks: parts.frameworks ?? [] },
    get_agents: {
      agents: parts.agents ?? [],
      recovered_agents: (parts.recoveredAgents ?? []).map((id) => ({ hostname: `agent-${id}`, id: { value: id } })),
    },
  };
}

export const subscribed = (state: Json, heartbeatIntervalSeconds = 15): Json => ({
  type: 'SUBSCRIBED',
  subscribed: { get_state: state, heartbeat_interval_seconds: heartbeatIntervalSeconds },
});
export const heartbeat = (): Json => ({ type: 'HEARTBEAT' });
export const taskAdded = (task: Json): Json => ({ type: 'TASK_ADDED', task_added: { task } });
/** `state` is the agent's newest state; `status` the last acknowledged one (may lag behind). */
export const taskUpdated = (frameworkId: string, state: string, status: Json): Json => ({
  type: 'TASK_UPDATED',
  task_updated: { framework_id: { value: frameworkId }, status, state },
});
export const agentAdded = (agent: Json): Json => ({ type: 'AGENT_ADDED', agent_added: { agent } });
export const agentRemoved = (id: string): Json => ({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: id } } });
export const frameworkAdded = (framework: Json): Json => ({ type: 'FRAMEWORK_ADDED', framework_added: { framework } });
export const frameworkUpdated = (framework: Json): Json => ({ type: 'FRAMEWORK_UPDATED', framework_updated: { framework } });
export const frameworkRemoved = (frameworkInfo: Json): Json => ({ type: 'FRAMEWORK_REMOVED', framework_removed: { framework_info: frameworkInfo } });
