// A legacy /master/state with one Marathon framework on two agents, for the HealthPolicy tests
// (test/health-policy.test.ts, test/integration/health-policy.test.ts): each task a container IP
// and, when given, the `healthy` of its newest TASK_RUNNING status.
type Json = Record<string, unknown>;

export interface HealthTask {
  id: string;
  /** The task name; defaults to the id's part before the first dot. */
  name?: string;
  agent?: 'a1' | 'a2';
  ip: string;
  /** Absent: the status has no `healthy` field (never checked). */
  healthy?: boolean;
  state?: string;
  /** resources.ports, e.g. "[31000-31000]"; absent: no ports. */
  ports?: string;
  discovery?: Json;
  /** Replaces the single RUNNING status built from ip/healthy. */
  statuses?: Json[];
}

export const AGENT_IPS = { a1: '10.1.0.1', a2: '10.1.0.2' } as const;

/** A TASK_RUNNING status with a container IP (netinfo) and, when given, `healthy`. */
export function runningStatus(ip: string, timestamp: number, healthy?: boolean): Json {
  const status: Json = { state: 'TASK_RUNNING', timestamp, container_status: { network_infos: [{ ip_addresses: [{ ip_address: ip }] }] } };
  if (healthy !== undefined) status.healthy = healthy;
  return status;
}

export function healthState(tasks: readonly HealthTask[], leader = 'master@10.0.0.1:5050'): Json {
  return {
    leader,
    slaves: [
      { id: 'a1', pid: `slave(1)@${AGENT_IPS.a1}:5051`, hostname: AGENT_IPS.a1 },
      { id: 'a2', pid: `slave(1)@${AGENT_IPS.a2}:5051`, hostname: AGENT_IPS.a2 },
    ],
    frameworks: [
      {
        id: 'fw1',
        name: 'marathon',
        pid: 'scheduler@10.1.0.100:8080',
        hostname: '10.1.0.100',
        tasks: tasks.map((t): Json => {
          const task: Json = {
            id: t.id,
            name: t.name ?? t.id.split('.')[0],
            framework_id: 'fw1',
            slave_id: t.agent ?? 'a1',
            state: t.state ?? 'TASK_RUNNING',
            resources: t.ports === undefined ? {} : { ports: t.ports },
            statuses: t.statuses ?? [runningStatus(t.ip, 100, t.healthy)],
          };
          if (t.discovery) task.discovery = t.discovery;
          return task;
        }),
      },
    ],
  };
}
