// The SUBSCRIBED snapshot read in-process (issue 16 item 2): for the same cluster, the native
// reader's own time (native/operator-state.h, the C part over the whole record), the conversion to
// StreamState (read-subscribed.ts), the LiveState it becomes, and the first table build; the
// JavaScript path (JSON.parse + operator-state.ts) and the poll path's reader over the same
// cluster's /master/state for comparison. Four clusters: bench/gen-state.ts's reference workload
// (in its v1 form), the same with what the addressing rules read on every task ("labelled":
// docs/addresses.md, docs/dcos-names.md), the same with every task a pod's task whose host port
// is mapped in its statuses ("pods"), and the stream benchmark's one (every task RUNNING with an
// IP of its own).
//
// Each row runs in a fresh `node --expose-gc` child, with the generator's garbage collected before
// anything is timed; the first iteration is cold (a server's first snapshot), the others warm.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULTS } from '../src/config/typed.js';
import { LiveState } from '../src/mesos/live-state.js';
import { readStateBytes, stateReaderAddon, type NativeSubscribed } from '../src/mesos/read-state.js';
import { readSubscribedRecord } from '../src/mesos/read-subscribed.js';
import type { MasterState, Pid } from '../src/mesos/state.js';
import { buildTable } from '../src/records/build-table.js';
import { subscribed } from '../test/helpers/stream-master.js';
import { generateState } from './gen-state.js';
import { runCommand } from './processes.js';
import { fixed, markdownTable, median } from './report.js';
import { BENCH_LISTENER, BENCH_MASTER_ENDPOINTS } from './state-table.js';
import { runningCluster } from './stream-cluster.js';

type Json = Record<string, unknown>;
export type Workload = 'gen-state' | 'labelled' | 'pods' | 'ip-per-task';

export interface SnapshotReadRow {
  workload: Workload;
  tasks: number;
  recordMB: number;
  /** [cold, median of the warm ones], ms. */
  nativeC: [number, number];
  nativeConvert: [number, number];
  liveState: [number, number];
  build: [number, number];
  jsonPath: [number, number];
  /** The poll path over the same cluster's /master/state: native read, and its build. */
  pollRead: [number, number];
  pollBuild: [number, number];
}

const LEADER: Pid = { name: 'master', host: '10.0.0.1', port: 5050 };

/** `[a-b, c-d]` -> v1 ranges. */
function ranges(text: unknown): Json[] {
  if (typeof text !== 'string') return [];
  return [...text.matchAll(/(\d+)-(\d+)/g)].map((m) => ({ begin: Number(m[1]), end: Number(m[2]) }));
}

/** A /master/state document as the Operator API's get_state of the same cluster. */
export function v1GetStateOf(doc: Json): Json {
  const slaves = doc.slaves as Json[];
  const frameworks = doc.frameworks as Json[];
  return {
    get_agents: { agents: slaves.map((s) => ({ agent_info: { id: { value: s.id }, hostname: s.hostname, port: 5051 }, pid: s.pid, active: true })), recovered_agents: [] },
    get_frameworks: { frameworks: frameworks.map((f) => ({ framework_info: { id: { value: f.id }, name: f.name, hostname: f.hostname, user: 'root' }, active: true })) },
    get_tasks: {
      tasks: frameworks.flatMap((f) =>
        (f.tasks as Json[]).map((t) => {
          const ports = ranges((t.resources as Json | undefined)?.ports);
          const task: Json = {
            name: t.name,
            task_id: { value: t.id },
            framework_id: { value: f.id },
            agent_id: { value: t.slave_id },
            state: t.state,
            resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }, ...(ports.length > 0 ? [{ name: 'ports', type: 'RANGES', ranges: { range: ports } }] : [])],
            statuses: ((t.statuses as Json[] | undefined) ?? []).map((s) => ({ ...s, task_id: { value: t.id }, ...(s.labels ? { labels: { labels: s.labels } } : {}) })),
          };
          if (t.discovery) task.discovery = t.discovery;
          // Task labels are a bare list in /master/state, Labels{labels} in v1; containers are alike.
          if (t.labels) task.labels = { labels: t.labels };
          if (t.container) task.container = t.container;
          return task;
        }),
      ),
    },
  };
}

/**
 * Every task of `doc` given what the addressing rules read: a MESOS_DNS_IP_SOURCES label, a
 * bridged Docker container mapping its first host port (a text per task: host ports differ), and
 * on its DiscoveryInfo a VIP_0 label (shared by the instances of an app).
 */
function labelled(doc: Json): Json {
  for (const f of doc.frameworks as Json[]) {
    for (const t of f.tasks as Json[]) {
      const port = ranges((t.resources as Json | undefined)?.ports)[0]?.begin ?? 31000;
      t.labels = [{ key: 'MESOS_DNS_IP_SOURCES', value: 'netinfo,host' }, { key: 'HAPROXY_GROUP', value: 'external' }];
      t.container = { type: 'DOCKER', docker: { image: 'nginx', network: 'BRIDGE', port_mappings: [{ host_port: port, container_port: 80, protocol: 'tcp' }] } };
      const discovery = t.discovery as { name: string; ports: { ports: Json[] } } | undefined;
      if (discovery) discovery.ports.ports[0].labels = { labels: [{ key: 'VIP_0', value: `/${discovery.name}:80` }] };
    }
  }
  return doc;
}

/**
 * Every task of `doc` a pod's task (docs/addresses.md): a MESOS container without network_infos
 * (one text per app), and its host port mapped in its statuses' network_infos (a text per task).
 */
function pods(doc: Json): Json {
  for (const f of doc.frameworks as Json[]) {
    for (const t of f.tasks as Json[]) {
      const port = ranges((t.resources as Json | undefined)?.ports)[0]?.begin ?? 31000;
      t.container = { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: `${String(t.name)}:1.0` } } } };
      const mapping = { host_port: port, container_port: 80, protocol: 'tcp' };
      for (const s of (t.statuses as Json[] | undefined) ?? []) {
        const infos = (s.container_status as { network_infos?: Json[] } | undefined)?.network_infos;
        if (infos && infos.length > 0) infos[0].port_mappings = [mapping];
        else s.container_status = { network_infos: [{ name: 'dcos', port_mappings: [mapping] }] };
      }
    }
  }
  return doc;
}

export function documents(workload: Workload, n: number): { record: Buffer; state: Buffer } {
  if (workload !== 'ip-per-task') {
    const doc = workload === 'labelled' ? labelled(generateState(n, 1)) : workload === 'pods' ? pods(generateState(n, 1)) : generateState(n, 1);
    return { record: Buffer.from(JSON.stringify(subscribed(v1GetStateOf(doc)))), state: Buffer.from(JSON.stringify(doc)) };
  }
  const cluster = runningCluster(n, 5050);
  return { record: Buffer.from(JSON.stringify(subscribed(cluster.getState))), state: Buffer.from(JSON.stringify(cluster.stateDocument)) };
}

function build(state: MasterState): unknown {
  return buildTable(state, { config: DEFAULTS, masters: BENCH_MASTER_ENDPOINTS, addresses: new Map(), selfAddresses: [BENCH_LISTENER], serial: 1 });
}

/** The child: times each step `iterations` times; prints the row as JSON. */
function child(workload: Workload, n: number, iterations: number): void {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const loaded = stateReaderAddon();
  if (!('addon' in loaded)) throw new Error(loaded.reason);
  const addon = loaded.addon;
  const { record, state } = documents(workload, n);
  const times: Record<string, number[]> = { nativeC: [], nativeConvert: [], liveState: [], build: [], jsonPath: [], pollRead: [], pollBuild: [] };
  const time = <T>(key: string, f: () => T): T => {
    const t = performance.now();
    const out = f();
    times[key].push(performance.now() - t);
    return out;
  };
  for (let i = 0; i < iterations; i++) {
    gc();
    const raw = time('nativeC', () => addon.readSubscribed(record)) as NativeSubscribed | string;
    if (typeof raw === 'string') throw new Error(`the native reader declined the snapshot: ${raw}`);
    const { read, declined } = time('nativeConvert', () => readSubscribedRecord(record, LEADER, addon, { arrived: raw }));
    if (declined) throw new Error(`declined: ${declined}`);
    const master = time('liveState', () => new LiveState(read.state).snapshot().master);
    time('build', () => build(master));
    gc();
    time('jsonPath', () => readSubscribedRecord(record, LEADER, null));
    gc();
    const polled = time('pollRead', () => readStateBytes(state, addon).state);
    time('pollBuild', () => build(polled));
  }
  const pair = (key: string): [number, number] => [times[key][0], median(times[key].slice(1))];
  const row: SnapshotReadRow = {
    workload, tasks: n, recordMB: record.length / 1e6,
    nativeC: pair('nativeC'), nativeConvert: pair('nativeConvert'), liveState: pair('liveState'), build: pair('build'),
    jsonPath: pair('jsonPath'), pollRead: pair('pollRead'), pollBuild: pair('pollBuild'),
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

export async function runSnapshotRead(workload: Workload, n: number, iterations = 4): Promise<SnapshotReadRow> {
  const self = fileURLToPath(import.meta.url);
  const r = await runCommand(process.execPath, ['--expose-gc', self, '--child', workload, String(n), String(iterations)], { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`snapshot-read child failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as SnapshotReadRow;
}

export function formatSnapshotReadRows(rows: readonly SnapshotReadRow[]): string {
  const ms = ([cold, warm]: [number, number]): string => `${fixed(cold, 0)} / ${fixed(warm, 0)}`;
  return markdownTable(
    ['cluster', 'tasks', 'record MB', 'native: C read', 'native: to StreamState', 'LiveState', 'first table build', 'JSON.parse path', 'poll: native read', 'poll: build'],
    rows.map((r) => [r.workload, r.tasks.toLocaleString('en-US'), fixed(r.recordMB, 1), ms(r.nativeC), ms(r.nativeConvert), ms(r.liveState), ms(r.build), ms(r.jsonPath), ms(r.pollRead), ms(r.pollBuild)]),
  );
}

if (process.argv[2] === '--child' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [workload, n, iterations] = process.argv.slice(3);
  child(workload as Workload, Number(n), Number(iterations));
}
