// Reverse lookups end to end (docs/naming.md "Reverse lookups"): stand-in master serving the demo
// state plus two container tasks (one sharing redis's address, one IPv6), the real server on
// loopback, queried with dig -x and Node's resolver.reverse(); a stand-in upstream for the
// reverse names that are not ours.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { checkReply, summaryFromDig } from '../helpers/dns-case.js';
import { fixtureStateWithLeader, startTestServer, type TestServer } from '../helpers/server.js';
import { StreamMaster } from '../helpers/stream-master.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const demo = JSON.parse(await readFile(new URL('../../zones/demo/state.json', import.meta.url), 'utf8')) as Json;

/** A running container task on `agent` whose latest status carries `ip` (netinfo). */
function containerTask(id: string, name: string, agent: string, ip: string): Json {
  const status = { state: 'TASK_RUNNING', timestamp: 1700000000, container_status: { network_infos: [{ ip_addresses: [{ ip_address: ip }], name: 'overlay' }] } };
  return { id, name, framework_id: demo.frameworks[0].id, slave_id: agent, state: 'TASK_RUNNING', resources: {}, statuses: [status] };
}

function state(masterHostPort: string): Json {
  const s = structuredClone(demo);
  s.frameworks[0].tasks.push(containerTask('cache.1', 'cache', 'd3m0-agent-S3', '9.0.0.5'), containerTask('web6.1', 'web6', 'd3m0-agent-S1', 'fd00:1::5'));
  return fixtureStateWithLeader(s, masterHostPort);
}

const SOA = 'ns1.mesos. root.ns1.mesos.';
const V6_REVERSE = '5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa.';

let master: StreamMaster;
let upstream: FakeUpstream;
let server: TestServer;
const config = (extra: Json = {}): Json => ({
  masters: [`127.0.0.1:${master.port}`],
  resolvers: [`127.0.0.1:${upstream.port}`],
  refreshSeconds: 3600,
  timeout: 2,
  SOAMname: 'ns1.mesos',
  ...extra,
});

beforeAll(async () => {
  master = await StreamMaster.start();
  master.subscribeAnswer = { status: 404 }; // polling: the stand-in serves /master/state only
  master.stateDocument = state(`127.0.0.1:${master.port}`);
  upstream = await startUpstream({
    records: {
      '4.4.8.8.in-addr.arpa': [{ name: '4.4.8.8.in-addr.arpa', type: 'PTR', ttl: 300, data: 'dns.google' }],
      '11.0.10.10.in-addr.arpa': [{ name: '11.0.10.10.in-addr.arpa', type: 'PTR', ttl: 300, data: 'upstream.example' }],
    },
  });
  server = await startTestServer(config());
  // The first table, before any query: until then every reverse name is forwarded.
  expect(await server.running.refresh()).toBe(true);
});

afterAll(async () => {
  await server?.close();
  await master?.close();
  await upstream?.close();
});

/** `dig +short -x ip` lines, in the order the server sent them. */
async function ptrs(ip: string): Promise<string[]> {
  return (await server.dig('+short', '-x', ip)).split('\n').filter((l) => l !== '');
}

describe('PtrOn (default), zones derived from the addresses in use', () => {
  it('a container address gives its tasks: every canonical name first, then the shared names; each resolves back to it', async () => {
    const names = await ptrs('9.0.0.5');
    expect(names).toHaveLength(4);
    expect(names[0]).toMatch(/^cache-[a-z0-9]{5}-s3\.marathon\.mesos\.$/);
    expect(names[1]).toBe('redis-88qy1-s2.marathon.mesos.');
    expect(names.slice(2)).toEqual(['cache.marathon.mesos.', 'redis.marathon.mesos.']);
    for (const name of names) expect(await server.dig('+short', name, 'A')).toContain('9.0.0.5');
    const full = summaryFromDig(await server.dig('-x', '9.0.0.5'));
    expect(full).toMatchObject({ rcode: 'NOERROR', aa: true, authority: [] });
    expect(full.answer[0]).toMatch(/^5\.0\.0\.9\.in-addr\.arpa\. 60 IN PTR cache-/);
  });

  it('an agent address gives slave.mesos (host-networked tasks add nothing); the master address gives masterN, leader, master and this server SOAMname; a scheduler its framework', async () => {
    expect(await ptrs('10.10.0.11')).toEqual(['slave.mesos.']);
    expect(await ptrs('127.0.0.1')).toEqual(['master0.mesos.', 'leader.mesos.', 'master.mesos.', 'ns1.mesos.']);
    expect(await ptrs('10.10.0.2')).toEqual(['marathon.mesos.']);
  });

  it('an IPv6 task address answers under ip6.arpa (nibble format), over dig and Node resolver.reverse()', async () => {
    const names = await ptrs('fd00:1::5');
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^web6-[a-z0-9]{5}-s1\.marathon\.mesos\.$/);
    expect(names[1]).toBe('web6.marathon.mesos.');
    checkReply(
      { qname: V6_REVERSE, qtype: 'PTR', rcode: 'NOERROR', aa: true, answer: names.map((n) => `${V6_REVERSE} 60 IN PTR ${n}`) },
      summaryFromDig(await server.dig(V6_REVERSE, 'PTR')),
    );
    expect(await server.resolver().reverse('fd00:1::5')).toEqual(names.map((n) => n.slice(0, -1)));
    expect(await server.resolver().reverse('10.10.0.12')).toEqual(['slave.mesos']);
  });

  it('inside a reverse zone an unknown address is NXDOMAIN and an empty non-terminal NODATA, both with the zone SOA; SOA and NS at the apex', async () => {
    const soa = (zone: string) => `${zone} 60 IN SOA ${SOA} ${server.running.store.current()!.table.soa.serial} 60 600 86400 60`;
    checkReply(
      { qname: '99.0.10.10.in-addr.arpa.', qtype: 'PTR', rcode: 'NXDOMAIN', aa: true, authority: [soa('0.10.10.in-addr.arpa.')] },
      summaryFromDig(await server.dig('-x', '10.10.0.99')),
    );
    checkReply(
      { qname: '5.0.0.9.in-addr.arpa.', qtype: 'A', rcode: 'NOERROR', aa: true, authority: [soa('0.0.9.in-addr.arpa.')] },
      summaryFromDig(await server.dig('5.0.0.9.in-addr.arpa', 'A')),
    );
    checkReply(
      { qname: '0.0.9.in-addr.arpa.', qtype: 'SOA', rcode: 'NOERROR', aa: true, answer: [soa('0.0.9.in-addr.arpa.')] },
      summaryFromDig(await server.dig('0.0.9.in-addr.arpa', 'SOA')),
    );
    checkReply(
      {
        qname: '0.0.9.in-addr.arpa.',
        qtype: 'NS',
        rcode: 'NOERROR',
        aa: true,
        answer: ['0.0.9.in-addr.arpa. 60 IN NS ns1.mesos.'],
        additional: ['ns1.mesos. 60 IN A 127.0.0.1'],
      },
      summaryFromDig(await server.dig('0.0.9.in-addr.arpa', 'NS')),
    );
  });

  it('an address outside every reverse zone is forwarded to the upstream', async () => {
    const before = upstream.count();
    expect(await ptrs('8.8.4.4')).toEqual(['dns.google.']);
    expect(upstream.count()).toBe(before + 1);
  });

  it('the forward zone is unchanged: no PTR under the Mesos domain, /v1/hosts agrees with the PTR names', async () => {
    expect(summaryFromDig(await server.dig('redis.marathon.mesos', 'PTR'))).toMatchObject({ rcode: 'NOERROR', answer: [] });
    const hosts = JSON.parse((await server.http('/v1/hosts/redis-88qy1-s2.marathon.mesos')).body) as { ip: string }[];
    expect(hosts.map((h) => h.ip)).toEqual(['9.0.0.5']);
    // No reverse lookup over HTTP, as in mesos-dns (docs/http-api.md).
    expect(JSON.parse((await server.http('/v1/hosts/5.0.0.9.in-addr.arpa')).body)).toEqual([{ host: '', ip: '' }]);
  });
});

describe('ReverseZones and PtrOn on reload', () => {
  afterAll(async () => {
    await server.writeConfig(config());
    await server.running.reload();
  });

  it('ReverseZones: a CIDR names the zone; addresses outside it are forwarded, inside unknown ones are NXDOMAIN', async () => {
    await server.writeConfig(config({ ReverseZones: ['10.0.0.0/8'] }));
    expect(await server.running.reload()).toBe(true);
    expect(await ptrs('10.10.0.11')).toEqual(['slave.mesos.']);
    const miss = summaryFromDig(await server.dig('-x', '10.99.1.1'));
    expect(miss).toMatchObject({ rcode: 'NXDOMAIN', aa: true });
    expect(miss.authority[0]).toMatch(/^10\.in-addr\.arpa\. 60 IN SOA ns1\.mesos\. /);
    // 9.0.0.5 lies outside 10/8: forwarded (the upstream does not know it).
    const before = upstream.count();
    expect(summaryFromDig(await server.dig('-x', '9.0.0.5'))).toMatchObject({ rcode: 'NXDOMAIN', aa: false });
    expect(upstream.count()).toBe(before + 1);
    expect(JSON.parse((await server.http('/v1/config')).body).ReverseZones).toEqual(['10.0.0.0/8']);
  });

  it('PtrOn false: reverse names are forwarded as before', async () => {
    await server.writeConfig(config({ PtrOn: false }));
    expect(await server.running.reload()).toBe(true);
    const before = upstream.count();
    expect(await ptrs('10.10.0.11')).toEqual(['upstream.example.']);
    expect(await ptrs('10.10.0.12')).toEqual([]); // unknown upstream: its NXDOMAIN
    expect(upstream.count()).toBe(before + 2);
  });
});

describe('with DNS worker threads', () => {
  it('the workers get the PTR records with each table (table-codec) and answer them', async () => {
    const threaded = await startTestServer({ ...config(), workers: 2 });
    try {
      // /health is 200 once every worker answers from a table (docs/http-api.md).
      while ((await threaded.http('/health')).status !== 200) await new Promise((r) => setTimeout(r, 50));
      const names = (await threaded.dig('+short', '-x', 'fd00:1::5')).split('\n').filter((l) => l !== '');
      expect(names).toEqual(await ptrs('fd00:1::5'));
      expect(summaryFromDig(await threaded.dig('-x', '10.10.0.99'))).toMatchObject({ rcode: 'NXDOMAIN', aa: true });
    } finally {
      await threaded.close();
    }
  });
});
