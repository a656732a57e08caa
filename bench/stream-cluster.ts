// The stand-in cluster of the stream benchmarks: `n` RUNNING tasks of one framework on one agent,
// as the Operator API snapshot (get_state) and as the /master/state document the poller reads.
import { getState, v1Agent, v1Framework, v1Status, v1Task } from '../test/helpers/stream-master.js';

type Json = Record<string, unknown>;

const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/**
 * `snapshotOnly` names tasks (A record `<name>.marathon.mesos`) that the snapshot has and the
 * polled document has not: a table answering them came from the stream. Otherwise the two
 * documents describe the same tasks, as a master's do, each with its container address in its
 * TASK_RUNNING status; `pollDiffers` leaves the statuses out of the polled document, so that
 * every task differs between the poll and the snapshot (the server then builds the snapshot's
 * table in full, as after a new leader, instead of patching the poll's).
 */
export function runningCluster(n: number, masterPort: number, snapshotOnly: readonly string[] = [], pollDiffers = false): { getState: Json; stateDocument: Json } {
  const base = Array.from({ length: n }, (_, i) => ({ id: `base${i}.0000`, name: `base${i}`, ip: ip(i) }));
  const streamed = snapshotOnly.map((name, i) => ({ id: `${name}.0000`, name, ip: ip(n + i) }));
  return {
    getState: getState({
      agents: [v1Agent('a1', '10.1.0.1')],
      frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')],
      tasks: [...base, ...streamed].map((t) =>
        v1Task({
          id: t.id,
          name: t.name,
          frameworkId: 'fw1',
          agentId: 'a1',
          state: 'TASK_RUNNING',
          ports: [[31000, 31001]],
          statuses: [v1Status({ taskId: t.id, agentId: 'a1', state: 'TASK_RUNNING', ips: [t.ip] })],
        }),
      ),
    }),
    stateDocument: {
      leader: `master@127.0.0.1:${masterPort}`,
      slaves: [{ id: 'a1', pid: 'slave(1)@10.1.0.1:5051', hostname: 'agent-a1' }],
      frameworks: [
        {
          id: 'fw1',
          name: 'marathon',
          pid: 'scheduler@10.1.0.100:8080',
          hostname: '10.1.0.100',
          tasks: base.map((t) => ({
            id: t.id,
            name: t.name,
            slave_id: 'a1',
            state: 'TASK_RUNNING',
            resources: { ports: '[31000-31001]' },
            // v1Status's, as /master/state writes a status.
            statuses: pollDiffers ? [] : [{ state: 'TASK_RUNNING', timestamp: 1_700_000_000, container_status: { network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: t.ip }] }] } }],
          })),
        },
      ],
    },
  };
}
