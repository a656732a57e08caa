// A small /master/state document for tests that only need a few named tasks: one agent
// (10.1.0.1), a marathon framework, every task TASK_RUNNING on that agent, led by 127.0.0.1:port.
export function smallState(port: number, tasks: readonly string[]): Record<string, unknown> {
  return {
    leader: `master@127.0.0.1:${port}`,
    slaves: [{ id: 'a1', pid: 'slave(1)@10.1.0.1:5051', hostname: '10.1.0.1' }],
    frameworks: [
      {
        id: 'fw1',
        name: 'marathon',
        pid: 'scheduler@10.1.0.100:8080',
        tasks: tasks.map((name) => ({ id: `${name}.1`, name, slave_id: 'a1', state: 'TASK_RUNNING', resources: { ports: '[]' }, statuses: [] })),
      },
    ],
  };
}
