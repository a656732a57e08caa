// The whole server, end to end: config file -> stand-in master (HTTP, serving the shared
// fixture state) -> poll -> table -> DNS over real UDP/TCP sockets (dig, Node's Resolver) and the
// HTTP API. Nothing under test is mocked.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkReply, summaryFromDig, type DnsCase } from '../helpers/dns-case.js';
import { fixtureStateWithLeader, startTestServer, type TestServer } from '../helpers/server.js';
import { StreamMaster, waitFor } from '../helpers/stream-master.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const fixture = JSON.parse(await readFile(new URL('../fixtures/mesos-state-fake.json', import.meta.url), 'utf8')) as Record<string, unknown>;

let master: StreamMaster;
let upstream: FakeUpstream;
let server: TestServer;

beforeAll(async () => {
  master = await StreamMaster.start();
  // Polling mode for this file: the stand-in answers the Operator API with 404 (an old master).
  master.subscribeAnswer = { status: 404 };
  master.stateDocument = { not: 'a state' };
  upstream = await startUpstream({
    records: { 'example.org': [{ name: 'example.org', type: 'A', ttl: 300, data: '192.0.2.7' }] },
  });
  server = await startTestServer({
    masters: [`127.0.0.1:${master.port}`],
    resolvers: [`127.0.0.1:${upstream.port}`],
    refreshSeconds: 3600,
    timeout: 2,
    SOAMname: 'ns1.mesos',
  });
});

afterAll(async () => {
  await server?.close();
  await master?.close();
  await upstream?.close();
});

describe('before the first state is loaded', () => {
  it('answers SERVFAIL in the domain and still forwards other names', async () => {
    expect(await server.running.refresh()).toBe(false);
    const inDomain = summaryFromDig(await server.dig('leader.mesos', 'A'));
    expect(inDomain.rcode).toBe('SERVFAIL');
    const forwarded = summaryFromDig(await server.dig('example.org', 'A'));
    expect(forwarded.rcode).toBe('NOERROR');
    expect(forwarded.answer.join('\n')).toContain('192.0.2.7');
    const health = await server.http('/health');
    expect(health.status).toBe(503);
  });
});

describe('serving the fixture state', () => {
  beforeAll(async () => {
    master.stateDocument = fixtureStateWithLeader(fixture, `127.0.0.1:${master.port}`);
    expect(await server.running.refresh()).toBe(true);
  });

  const cases: DnsCase[] = [
    { qname: 'leader.mesos.', qtype: 'A', rcode: 'NOERROR', aa: true, answer: ['leader.mesos. 60 IN A 127.0.0.1'] },
    {
      qname: '_car-store._tcp.marathon.mesos.',
      qtype: 'SRV',
      rcode: 'NOERROR',
      aa: true,
      answer: [
        '_car-store._tcp.marathon.mesos. 60 IN SRV 0 1 31364 car-store-zinaz-0.marathon.slave.mesos.',
        '_car-store._tcp.marathon.mesos. 60 IN SRV 0 1 31365 car-store-zinaz-0.marathon.slave.mesos.',
      ],
      additional: ['car-store-zinaz-0.marathon.slave.mesos. 60 IN A 1.2.3.11'],
    },
    {
      qname: 'toy-store.ipv6-framework.mesos.',
      qtype: 'AAAA',
      rcode: 'NOERROR',
      aa: true,
      answer: ['toy-store.ipv6-framework.mesos. 60 IN AAAA fd01:b::1:8000:2'],
    },
    {
      qname: 'liquor-store.marathon.mesos.',
      qtype: 'A',
      rcode: 'NOERROR',
      aa: true,
      answer: ['liquor-store.marathon.mesos. 60 IN A 1.2.3.11', 'liquor-store.marathon.mesos. 60 IN A 1.2.3.12'],
    },
    {
      qname: 'nothere.marathon.mesos.',
      qtype: 'A',
      rcode: 'NXDOMAIN',
      aa: true,
      authority: ['mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. SERIAL 60 600 86400 60'],
    },
    {
      // An empty non-terminal exists (RFC 8020): NODATA, not NXDOMAIN as in mesos-dns.
      qname: 'marathon.slave.mesos.',
      qtype: 'A',
      rcode: 'NOERROR',
      aa: true,
      authority: ['mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. SERIAL 60 600 86400 60'],
    },
    {
      qname: 'mesos.',
      qtype: 'NS',
      rcode: 'NOERROR',
      aa: true,
      answer: ['mesos. 60 IN NS ns1.mesos.'],
      // the name server's own address record (the SOAMname self record: the listener's IP)
      additional: ['ns1.mesos. 60 IN A 127.0.0.1'],
    },
    {
      qname: 'leader.mesos.',
      qtype: 'TXT',
      rcode: 'NOERROR',
      aa: true,
      authority: ['mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. SERIAL 60 600 86400 60'],
    },
  ];

  it.each(cases.map((c) => [`${c.qname} ${c.qtype}`, c] as const))('dig %s', async (_label, c) => {
    const serial = server.running.store.current()!.table.soa.serial;
    const expected: DnsCase = {
      ...c,
      authority: c.authority?.map((rr) => rr.replace('SERIAL', String(serial))),
    };
    checkReply(expected, summaryFromDig(await server.dig(c.qname, c.qtype)));
    // The same over TCP (RFC 7766).
    checkReply(expected, summaryFromDig(await server.dig('+tcp', c.qname, c.qtype)));
  });

  it('answers the SOA at the apex in the answer section', async () => {
    const out = summaryFromDig(await server.dig('mesos.', 'SOA'));
    expect(out.rcode).toBe('NOERROR');
    expect(out.answer).toHaveLength(1);
    expect(out.answer[0]).toMatch(/^mesos\. 60 IN SOA ns1\.mesos\. root\.ns1\.mesos\. \d+ 60 600 86400 60$/);
  });

  it("answers Node's resolver", async () => {
    const r = server.resolver();
    expect(await r.resolve4('nginx.marathon.mesos')).toEqual(['10.3.0.3']);
    expect(await r.resolve4('nginx.marathon.slave.mesos')).toEqual(['1.2.3.11']);
    const srv = await r.resolveSrv('_leader._tcp.mesos');
    expect(srv).toEqual([expect.objectContaining({ name: 'leader.mesos', port: master.port, priority: 0, weight: 1 })]);
    await expect(r.resolve4('nope.mesos')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    // Case-insensitive names (RFC 4343).
    expect(await r.resolve4('NGINX.Marathon.MESOS')).toEqual(['10.3.0.3']);
  });

  it('serves the same table over HTTP', async () => {
    const hosts = await server.http('/v1/hosts/leader.mesos');
    expect(hosts.status).toBe(200);
    expect(JSON.parse(hosts.body)).toEqual([{ host: 'leader.mesos.', ip: '127.0.0.1' }]);
    const services = JSON.parse((await server.http('/v1/services/_car-store._tcp.marathon.mesos.')).body) as Array<Record<string, string>>;
    expect(services.map((s) => s.port).sort()).toEqual(['31364', '31365']);
    const metrics = await server.http('/metrics');
    expect(metrics.status).toBe(200);
    // Labelled by transport since prom-client; the family is still there with a count.
    expect(metrics.body).toMatch(/^mesos_dns_requests_total\{transport="udp"\} \d+$/m);
    expect(metrics.body).toMatch(/^mesos_dns_table_loaded 1$/m);
  });

  it('keeps the last good table when the master sends a bad document', async () => {
    const before = server.running.store.current()!.generation;
    for (const bad of ['not json at all', { leader: '' }, { ...fixture, leader: 'garbage' }]) {
      master.stateDocument = bad;
      expect(await server.running.refresh()).toBe(false);
    }
    expect(server.running.store.current()!.generation).toBe(before);
    checkReply(
      { qname: 'leader.mesos.', qtype: 'A', rcode: 'NOERROR', aa: true, answer: ['leader.mesos. 60 IN A 127.0.0.1'] },
      summaryFromDig(await server.dig('leader.mesos', 'A')),
    );
    master.stateDocument = fixtureStateWithLeader(fixture, `127.0.0.1:${master.port}`);
    expect(await server.running.refresh()).toBe(true);
  });

  it('survives malformed packets and keeps answering', async () => {
    const dgram = await import('node:dgram');
    const sock = dgram.createSocket('udp4');
    const garbage = [Buffer.alloc(0), Buffer.from([1, 2, 3]), Buffer.alloc(12, 0xff), Buffer.from('\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3fabc', 'latin1')];
    for (const g of garbage) sock.send(g, server.dnsPort, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    sock.close();
    expect(await server.resolver().resolve4('leader.mesos')).toEqual(['127.0.0.1']);
  });
});

describe('SIGHUP reload', () => {
  it('refuses an invalid config and keeps serving with the old one', async () => {
    const good = await readFile(server.configPath, 'utf8');
    await writeFile(server.configPath, JSON.stringify({ masters: ['127.0.0.1:notaport'], port: server.dnsPort }));
    expect(await server.running.reload()).toBe(false);
    expect(server.running.config().TTL).toBe(60);
    expect(await server.resolver().resolve4('leader.mesos')).toEqual(['127.0.0.1']);
    await writeFile(server.configPath, good);
  });

  it('applies a new TTL to the served table without a new fetch', async () => {
    const original = JSON.parse(await readFile(server.configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(server.configPath, JSON.stringify({ ...original, port: server.dnsPort, httpport: server.httpPort, ttl: 5 }));
    expect(await server.running.reload()).toBe(true);
    const out = summaryFromDig(await server.dig('leader.mesos', 'A'));
    expect(out.answer).toEqual(['leader.mesos. 5 IN A 127.0.0.1']);
    await writeFile(server.configPath, JSON.stringify(original));
    expect(await server.running.reload()).toBe(true);
  });
});

describe('state file source', () => {
  it('serves a state file and picks up changes to it', async () => {
    const dir = server.dir;
    const stateFile = path.join(dir, 'state.json');
    const state = fixtureStateWithLeader(fixture, '127.0.0.1:5050');
    await writeFile(stateFile, JSON.stringify(state));
    const local = await startTestServer({ masters: ['127.0.0.1:5050'], stateFile, externalon: false });
    try {
      expect(await local.resolver().resolve4('nginx.marathon.mesos')).toEqual(['10.3.0.3']);
      const frameworks = (state.frameworks as Array<{ name: string; tasks: Array<{ name: string }> }>).map((f) =>
        f.name === 'marathon' ? { ...f, tasks: f.tasks.map((t) => (t.name === 'nginx' ? { ...t, name: 'webserver' } : t)) } : f,
      );
      await writeFile(stateFile, JSON.stringify({ ...state, frameworks }));
      const r = local.resolver();
      await waitFor(() => local.running.store.current()!.table.names.has('webserver.marathon.mesos.'), 5000, 'state file reload');
      expect(await r.resolve4('webserver.marathon.mesos')).toEqual(['10.3.0.3']);
      await expect(r.resolve4('nginx.marathon.mesos')).rejects.toMatchObject({ code: 'ENOTFOUND' });
      // externalon false: other names are REFUSED.
      const refused = summaryFromDig(await local.dig('example.org', 'A'));
      expect(refused.rcode).toBe('REFUSED');
    } finally {
      await local.close();
    }
  });
});
