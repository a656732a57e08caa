// Shared by the worker tests (worker-pool, worker-swaps): DNS queries over real sockets and
// synthetic clusters of any size, built into tables.
import { describe } from '@jest/globals';
import dgram from 'node:dgram';
import { DEFAULTS, withTyped, type Config } from '../../src/config/typed.js';
import { nameToWire } from '../../src/dns/wire/name-wire.js';
import type { MasterState, Task } from '../../src/mesos/state.js';
import { buildTable } from '../../src/records/build-table.js';
import type { RecordTable } from '../../src/records/table.js';
import { reusePortSupported } from '../../src/workers/worker-entry.js';
import { masters } from './masters.js';

export function query(name: string, type: number, id: number): Buffer {
  const qname = nameToWire(name)!;
  const out = Buffer.alloc(12 + qname.length + 4);
  out.writeUInt16BE(id, 0);
  out[2] = 0x01;
  out.writeUInt16BE(1, 4);
  qname.copy(out, 12);
  out.writeUInt16BE(type, 12 + qname.length);
  out.writeUInt16BE(1, 14 + qname.length);
  return out;
}

/** One client socket that sends queries and matches replies by ID, each waited for up to `waitMs`. */
export async function udpClient(port: number) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const waiting = new Map<number, (reply: Buffer | null) => void>();
  socket.on('message', (msg) => waiting.get(msg.readUInt16BE(0))?.(msg));
  return {
    ask(q: Buffer, waitMs = 3000): Promise<Buffer | null> {
      const id = q.readUInt16BE(0);
      return new Promise((resolve) => {
        const timer = setTimeout(() => finish(null), waitMs);
        const finish = (reply: Buffer | null): void => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(reply);
        };
        waiting.set(id, finish);
        socket.send(q, port, '127.0.0.1');
      });
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/**
 * A deterministic synthetic cluster: `tasks` running tasks of apps with 1-4 instances, spread
 * over tasks/50 agents, two host ports each. `variant` changes every task IP, not the names.
 */
export function syntheticState(tasks: number, variant = 0): MasterState {
  const agents = Array.from({ length: Math.max(1, Math.ceil(tasks / 50)) }, (_, i) => ({
    id: `agent-S${i}`,
    pid: { name: 'slave(1)', host: `10.1.${i >> 8}.${i & 255}`, port: 5051 },
    hostname: `agent${i}.internal`,
  }));
  const list: Task[] = [];
  for (let i = 0, app = 0; i < tasks; app++) {
    const instances = 1 + (app % 4);
    for (let k = 0; k < instances && i < tasks; k++, i++) {
      const n = i + variant * tasks;
      list.push({
        id: `app-${app}.task-${i}`,
        name: `app-${app}`,
        frameworkId: 'fw-1',
        agentId: agents[i % agents.length].id,
        state: 'TASK_RUNNING',
        ports: [31000 + (i % 1000), 32000 + (i % 1000)],
        running: { timestamp: 1, networkIPs: [`172.${16 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`], mesosLabelIPs: [], dockerLabelIPs: [] },
      });
    }
  }
  return {
    leader: { name: 'master', host: '10.0.0.1', port: 5050 },
    agents,
    frameworks: [{ id: 'fw-1', name: 'marathon', pid: { name: 'scheduler', host: '10.0.0.9', port: 8080 }, hostname: 'marathon.internal', tasks: list }],
  };
}

export function tableOf(state: MasterState, serial = 1): RecordTable {
  return buildTable(state, { config: DEFAULTS, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: ['127.0.0.1'], serial });
}

export const LISTEN: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: 0, Resolvers: [], ExternalOn: false });
export const describeWorkers = reusePortSupported() ? describe : describe.skip;

/** A running task of syntheticState's framework on its first agent; `ip` its container address (none: undefined). */
export function syntheticTask(id: string, name: string, ip: string | undefined): Task {
  return {
    id,
    name,
    frameworkId: 'fw-1',
    agentId: 'agent-S0',
    state: 'TASK_RUNNING',
    ports: [31000],
    running: { timestamp: 1, networkIPs: ip === undefined ? [] : [ip], mesosLabelIPs: [], dockerLabelIPs: [] },
  };
}

/** `state` (one framework, as syntheticState's) with `tasks` instead of its own. */
export function withTasks(state: MasterState, tasks: Task[]): MasterState {
  return { ...state, frameworks: [{ ...state.frameworks[0], tasks }] };
}
