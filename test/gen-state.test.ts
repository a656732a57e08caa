// The benchmark's tooling (bench/): the synthetic master-state generator must produce a state the
// server accepts and a table with exactly the records the mesos-dns rules give (counted here from
// the generated JSON, independently of build-table.ts); Knot's zone file must hold the same
// records as the table; the query file must have the promised mix; dnsperf's report must parse.
import { describe, expect, test } from '@jest/globals';
import { generateState, generateStateText } from '../bench/gen-state.js';
import { zoneFileChunks, knotConf } from '../bench/knot-zone.js';
import { buildQueries } from '../bench/query-file.js';
import { LatencyCollector, parseDnsperfSummary, quantile } from '../bench/dnsperf.js';
import { benchTable } from '../bench/state-table.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import type { RecordTable } from '../src/records/table.js';
import { buildTestTable } from './helpers/table.js';

interface GenTask {
  id: string;
  name: string;
  slave_id: string;
  resources: { ports: string };
  statuses: { container_status?: { network_infos: { ip_addresses: { ip_address: string }[] }[] } }[];
  discovery?: { name: string; ports: { ports: { number: number; name: string; protocol: string }[] } };
}
interface GenState {
  slaves: { id: string; pid: string }[];
  frameworks: { name: string; tasks: GenTask[] }[];
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

describe('generateState', () => {
  test('is deterministic for a seed and differs between seeds', () => {
    expect(generateStateText(200, 5)).toBe(generateStateText(200, 5));
    expect(generateStateText(200, 5)).not.toBe(generateStateText(200, 6));
  });

  test.each([
    [1, 1],
    [120, 2],
    [1000, 20],
  ])('%i tasks: parseState accepts it, with %i agents, two ports per task, all running', (n, agents) => {
    const state = parseStateText(generateStateText(n, 3));
    const tasks = state.frameworks.flatMap((f) => f.tasks);
    expect(tasks).toHaveLength(n);
    expect(state.agents).toHaveLength(agents);
    const agentIds = new Set(state.agents.map((a) => a.id));
    for (const t of tasks) {
      expect(t.state).toBe('TASK_RUNNING');
      expect(t.ports).toHaveLength(2);
      expect(agentIds.has(t.agentId)).toBe(true);
    }
    expect(new Set(tasks.map((t) => t.id)).size).toBe(n);
  });

  test('has container IPs (some IPv6) and DiscoveryInfo for a fraction of tasks', () => {
    const state = generateState(2000, 1) as unknown as GenState;
    const tasks = state.frameworks.flatMap((f) => f.tasks);
    const withIp = tasks.filter((t) => t.statuses[0].container_status);
    const withV6 = withIp.filter((t) => t.statuses[0].container_status!.network_infos[0].ip_addresses.length > 1);
    const withDi = tasks.filter((t) => t.discovery);
    expect(withIp.length / tasks.length).toBeGreaterThan(0.15);
    expect(withIp.length / tasks.length).toBeLessThan(0.35);
    expect(withV6.length).toBeGreaterThan(0);
    expect(withDi.length / tasks.length).toBeGreaterThan(0.03);
    expect(withDi.length / tasks.length).toBeLessThan(0.2);
    expect(state.frameworks.map((f) => f.name)).toEqual(expect.arrayContaining(['marathon', 'aurora']));
  });

  test('uses the leader it is given', () => {
    expect(generateState(3, 1, { leader: 'master@127.0.0.1:41000' }).leader).toBe('master@127.0.0.1:41000');
  });
});

describe('buildTable on a generated state (n = 400)', () => {
  const json = generateState(400, 11) as unknown as GenState;
  const table = benchTable(json);
  const agentIp = new Map(json.slaves.map((s) => [s.id, s.pid.slice(s.pid.indexOf('@') + 1, s.pid.lastIndexOf(':'))]));

  // Expected records per app, from the JSON and the mesos-dns naming rules (behaviour §5.3/§5.4):
  // `app.fw.mesos.` holds the task IPs (container IP when present, else the agent's), the
  // `.slave.` form the agent IPs; resource ports give SRVs under _tcp/_udp in the slave form,
  // and also in the plain form unless the task has DiscoveryInfo, which instead gives its own
  // ports (tcp) plus one `_portname.` SRV per named port.
  interface Expect {
    a: Set<string>;
    aaaa: Set<string>;
    slaveA: Set<string>;
    srv: Map<string, number>;
  }
  const apps = new Map<string, Expect>();
  for (const fw of json.frameworks) {
    for (const t of fw.tasks) {
      const label = t.name.replace(/\./g, '-');
      const key = `${label}.${fw.name}`;
      let e = apps.get(key);
      if (!e) {
        e = { a: new Set(), aaaa: new Set(), slaveA: new Set(), srv: new Map() };
        apps.set(key, e);
      }
      const add = (name: string, n: number): void => void e!.srv.set(name, (e!.srv.get(name) ?? 0) + n);
      const ips = t.statuses[0].container_status?.network_infos[0].ip_addresses.map((x) => x.ip_address) ?? [agentIp.get(t.slave_id)!];
      for (const ip of ips) (ip.includes(':') ? e.aaaa : e.a).add(ip);
      e.slaveA.add(agentIp.get(t.slave_id)!);
      add(`_${label}._tcp.${fw.name}.slave.mesos.`, 2);
      add(`_${label}._udp.${fw.name}.slave.mesos.`, 2);
      if (t.discovery) {
        add(`_${label}._tcp.${fw.name}.mesos.`, t.discovery.ports.ports.length);
        for (const p of t.discovery.ports.ports) add(`_${p.name}._${label}._tcp.${fw.name}.mesos.`, 1);
      } else {
        add(`_${label}._tcp.${fw.name}.mesos.`, 2);
        add(`_${label}._udp.${fw.name}.mesos.`, 2);
      }
    }
  }

  test('every app name has exactly the task IPs, and its slave form the agent IPs', () => {
    for (const [key, e] of apps) {
      const rec = table.names.get(`${key}.mesos.`);
      expect(sorted(rec?.a ?? [])).toEqual(sorted(e.a));
      expect(sorted(rec?.aaaa ?? [])).toEqual(sorted(e.aaaa));
      const [label, ...fw] = key.split('.');
      expect(sorted(table.names.get(`${label}.${fw.join('.')}.slave.mesos.`)?.a ?? [])).toEqual(sorted(e.slaveA));
    }
  });

  test('every app has its SRV records, two per task per resource-port name', () => {
    for (const e of apps.values()) {
      for (const [name, count] of e.srv) expect([name, table.names.get(name)?.srv.length]).toEqual([name, count]);
    }
  });

  test('one canonical name per task in each form, and the agents under slave.mesos.', () => {
    const canonical = /^[a-z]+-\d{6}(-prod)?-[a-z0-9]{5}-s\d+\.[a-z-]+\.(slave\.)?mesos\.$/;
    const names = [...table.names.keys()].filter((n) => canonical.test(n));
    expect(names.filter((n) => n.includes('.slave.'))).toHaveLength(400);
    expect(names.filter((n) => !n.includes('.slave.'))).toHaveLength(400);
    expect(sorted(table.names.get('slave.mesos.')!.a)).toEqual(sorted(new Set(agentIp.values())));
  });
});

/** Record lines of a zone text, owner lower-cased, without the header and comments. */
function zoneRecords(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith(';') && !l.startsWith('$'))
    .map((l) => l.replace(/\s+/g, ' '));
}

function tableRecords(table: RecordTable): string[] {
  const out: string[] = [];
  for (const [name, r] of table.names) {
    for (const ip of r.a) out.push(`${name} ${table.ttl} IN A ${ip}`);
    for (const ip of r.aaaa) out.push(`${name} ${table.ttl} IN AAAA ${ip}`);
    for (const s of r.srv) out.push(`${name} ${table.ttl} IN SRV ${s.priority} ${s.weight} ${s.port} ${s.target}`);
  }
  return out;
}

describe('Knot zone file', () => {
  test('holds SOA, NS and exactly the records of the table', () => {
    const table = benchTable(generateState(150, 2));
    const text = [...zoneFileChunks(table, 100)].join('');
    const records = zoneRecords(text);
    expect(records[0]).toBe('mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. 1 60 600 86400 60');
    expect(records[1]).toBe('mesos. 60 IN NS ns1.mesos.');
    expect(sorted(records.slice(2))).toEqual(sorted(tableRecords(table)));
  });

  test.each([
    ['a-b_c.mesos.', 'a-b_c.mesos.'],
    ['a*b.mesos.', 'a\\042b.mesos.'],
    ['x y.mesos.', 'x\\032y.mesos.'],
    ['\u00e9.mesos.', '\\195\\169.mesos.'],
  ])('owner %j is written as %s (RFC 1035 §5.1 escapes)', (owner, written) => {
    const names = new Map([[owner, { a: ['10.0.0.1'], aaaa: [], srv: [] }]]);
    const text = [...zoneFileChunks({ ...buildTestTable([]), names })].join('');
    expect(zoneRecords(text).slice(2)).toEqual([`${written} 60 IN A 10.0.0.1`]);
  });

  test('leaves out names with upper case (never answered by us) and names outside the zone', () => {
    const table = buildTestTable(['ok.mesos. A 10.0.0.1', 'Svc.One.fw.mesos. A 10.0.0.2']);
    const names = new Map(table.names);
    names.set('ns1.example.org.', { a: ['10.0.0.3'], aaaa: [], srv: [] });
    expect(zoneRecords([...zoneFileChunks({ ...table, names })].join('')).slice(2)).toEqual(['ok.mesos. 60 IN A 10.0.0.1']);
  });

  test('knot.conf listens where asked and points at the zone file', () => {
    const conf = knotConf({
      rundir: '/r',
      storage: '/s',
      zoneFile: '/z/zone.db',
      zone: 'mesos.',
      address: '127.0.0.1',
      port: 5353,
      udpWorkers: 2,
      tcpWorkers: 1,
      backgroundWorkers: 1,
    });
    expect(conf).toContain('listen: 127.0.0.1@5353');
    expect(conf).toContain('udp-workers: 2');
    expect(conf).toContain('domain: "mesos."');
    expect(conf).toContain('file: "/z/zone.db"');
    expect(conf).toContain('dnssec-signing: off');
  });
});

describe('query file', () => {
  const table = benchTable(generateState(500, 4));
  const lines = buildQueries(table, { count: 1000, seed: 9 });

  test('has 80% A hits, 10% SRV hits and 10% NXDOMAIN names, deterministically', () => {
    expect(buildQueries(table, { count: 1000, seed: 9 })).toEqual(lines);
    const kinds = { a: 0, srv: 0, nx: 0 };
    for (const line of lines) {
      const [name, type] = line.split(' ');
      const rec = table.names.get(`${name}.`);
      if (!table.existing.has(`${name}.`)) kinds.nx++;
      else if (type === 'A' && rec && rec.a.length > 0) kinds.a++;
      else if (type === 'SRV' && rec && rec.srv.length > 0) kinds.srv++;
    }
    expect(kinds).toEqual({ a: 800, srv: 100, nx: 100 });
  });

  test('is shuffled', () => {
    const firstHundredTypes = new Set(lines.slice(0, 100).map((l) => l.split(' ')[1]));
    expect(firstHundredTypes).toEqual(new Set(['A', 'SRV']));
  });
});

describe('dnsperf report', () => {
  const report = `DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.0.1 -p 45485 -d queries.txt -l 3 -c 2 -q 100 -S 1
1795435963.915104: 108880.400669
1795435964.916201: 129212.254157
[Status] Testing complete (time limit)

Statistics:

  Queries sent:         336522
  Queries completed:    336520 (100.00%)
  Queries lost:         2 (0.00%)

  Response codes:       NOERROR 302844 (89.99%), NXDOMAIN 33676 (10.01%)
  Average packet size:  request 57, response 105
  Run time (s):         3.000369
  Queries per second:   112160.204295

  Average Latency (s):  0.000405 (min 0.000013, max 0.021696)
  Latency StdDev (s):   0.000692
`;

  test('summary fields, response codes and interval lines are read', () => {
    const s = parseDnsperfSummary(report);
    expect(s).toMatchObject({ sent: 336522, completed: 336520, lost: 2, runSeconds: 3.000369 });
    expect(s.qps).toBeCloseTo(112160.204295, 5);
    expect(s.meanMs).toBeCloseTo(0.405, 6);
    expect(s.stddevMs).toBeCloseTo(0.692, 6);
    expect(s.maxMs).toBeCloseTo(21.696, 6);
    expect(s.rcodes).toEqual({ NOERROR: 302844, NXDOMAIN: 33676 });
    expect(s.intervals).toEqual([
      { at: 1795435963.915104, qps: 108880.400669 },
      { at: 1795435964.916201, qps: 129212.254157 },
    ]);
  });

  test('a report without statistics is an error, not zeros', () => {
    expect(() => parseDnsperfSummary('[Status] Command line: dnsperf\n')).toThrow(/Queries sent/);
  });

  test('verbose lines give latency percentiles; timeouts are counted apart', () => {
    const c = new LatencyCollector();
    for (let i = 1; i <= 100; i++) c.line(`> NOERROR t${i}.marathon.mesos A 0.${String(i).padStart(6, '0')}`);
    c.line('> T lost.marathon.mesos A');
    c.line('[Status] Testing complete (time limit)');
    const s = c.stats();
    expect(s.count).toBe(100);
    expect(s.unanswered).toBe(1);
    expect(s.p50Ms).toBeCloseTo(0.05, 9);
    expect(s.p99Ms).toBeCloseTo(0.099, 9);
    expect(s.maxMs).toBeCloseTo(0.1, 9);
  });

  test.each([
    [[1, 2, 3, 4], 0.5, 2],
    [[1, 2, 3, 4], 0.99, 4],
    [[7], 0.99, 7],
  ])('quantile(%j, %d) = %d (nearest rank)', (values, q, expected) => {
    expect(quantile(Float64Array.from(values), q)).toBe(expected);
  });
});
