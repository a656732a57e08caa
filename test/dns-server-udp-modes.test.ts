// The real DNS server on 127.0.0.1 (UDP + TCP, ephemeral port) with the real query pipeline,
// a hand-built record table in a TableStore, and a real upstream for forwarded names. Clients:
// Node's resolver (c-ares), dig, and raw sockets for what neither can send.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { DnsListenError } from '../src/errors.js';
import { startDnsServer, type DnsServer } from '../src/dns/transport/dns-server.js';
import { UpstreamForwarder } from '../src/dns/forward/forward.js';
import { ForwardCache } from '../src/dns/forward/forward-cache.js';
import { handleQuery } from '../src/dns/answer/handle-query.js';
import { QueryStats } from '../src/dns/query-stats.js';
import { silentLogger } from '../src/log.js';
import { TableStore } from '../src/store.js';
import { checkReply, summaryFromDig, summaryFromWire } from './helpers/dns-case.js';
import { frame, query, table, tcpSession } from './helpers/dns-server.js';
import { seededRandom } from './helpers/seeded-random.js';
import { startUpstream, type FakeUpstream } from './helpers/upstream.js';

const SOA = 'mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. 1 60 600 86400 60';

interface Running {
  server: DnsServer;
  port: number;
  stats: QueryStats;
  forwarder: UpstreamForwarder;
}

async function start(store: TableStore, overrides: Partial<Config>): Promise<Running> {
  const config: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: 0, ...overrides });
  const stats = new QueryStats();
  const forwarder = new UpstreamForwarder({ timeoutMs: config.Timeout * 1000 });
  const ctx = {
    snapshot: () => store.current(),
    config,
    random: seededRandom(7),
    forwarder,
    logger: silentLogger,
    forwardCache: new ForwardCache({ max: 100 }),
    stats,
  };
  const server = await startDnsServer({ config, handler: (buf, transport) => handleQuery(buf, transport, ctx), logger: silentLogger });
  return { server, port: server.udpAddress.port, stats, forwarder };
}

function dig(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', ...args], { timeout: 10_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

function resolverFor(port: number): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  return r;
}

/** One UDP exchange; resolves with the reply, or null when none came within `waitMs`. */
function udpExchange(port: number, query: Buffer, waitMs = 2000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const finish = (reply: Buffer | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(null), waitMs);
    socket.on('message', (msg) => finish(msg));
    socket.send(query, port, '127.0.0.1');
  });
}

// Every case runs over both UDP servers: batched (recvmmsg/sendmmsg through native/udp-batch.c,
// the default) and dgram (the fallback).
describe.each([
  ['batched', true],
  ['dgram', false],
] as const)('DNS server (UDP %s)', (udpMode, UDPBatching) => {
  const store = new TableStore();
  let upstream: FakeUpstream;
  let main: Running;
  let closed: Running;

  beforeAll(async () => {
    upstream = await startUpstream({
      records: {
        'www.example.org': [{ name: 'www.example.org', type: 'A', ttl: 300, data: '192.0.2.10' }],
        // The fake upstream ignores the client's size: 100 A records come back in one datagram.
        'many.example.org': Array.from({ length: 100 }, (_, i) => ({ name: 'many.example.org', type: 'A' as const, ttl: 300, data: `198.51.100.${i}` })),
      },
    });
    main = await start(store, { Resolvers: [upstream.address], Timeout: 0.3, UDPBatching });
    closed = await start(store, { ExternalOn: false, Resolvers: [upstream.address], UDPBatching });
  });

  afterAll(async () => {
    for (const r of [main, closed]) {
      r?.forwarder.close();
      await r?.server.close();
    }
    await upstream?.close();
  });

  it('binds UDP and TCP to the same port', () => {
    expect(main.server.udpMode).toBe(udpMode);
    expect(closed.server.udpMode).toBe(udpMode);
    expect(main.server.tcpAddress.port).toBe(main.server.udpAddress.port);
    expect(main.server.udpAddress.address).toBe('127.0.0.1');
  });

  it('answers SERVFAIL in the domain before the first table, and still forwards', async () => {
    const reply = await udpExchange(main.port, query('leader.mesos', 'A', 11));
    expect(summaryFromWire(reply!).rcode).toBe('SERVFAIL');
    await expect(resolverFor(main.port).resolve4('leader.mesos')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    expect(await resolverFor(main.port).resolve4('www.example.org')).toEqual(['192.0.2.10']);
    store.swap(table());
  });

  it('answers in-domain A and SRV queries (Node resolver)', async () => {
    const resolver = resolverFor(main.port);
    expect(await resolver.resolve4('leader.mesos')).toEqual(['10.0.0.1']);
    expect(await resolver.resolveSrv('_leader._tcp.mesos')).toEqual([expect.objectContaining({ name: 'leader.mesos', port: 5050, priority: 0, weight: 1 })]);
  });

  it('answers authoritatively (dig), with glue for SRV', async () => {
    const a = summaryFromDig(await dig(main.port, 'leader.mesos', 'A'));
    checkReply({ qname: 'leader.mesos.', qtype: 'A', rcode: 'NOERROR', aa: true, answer: ['leader.mesos. 60 IN A 10.0.0.1'] }, a);
    const srv = summaryFromDig(await dig(main.port, '_leader._tcp.mesos', 'SRV'));
    checkReply(
      {
        qname: '_leader._tcp.mesos.',
        qtype: 'SRV',
        rcode: 'NOERROR',
        aa: true,
        answer: ['_leader._tcp.mesos. 60 IN SRV 0 1 5050 leader.mesos.'],
        additional: ['leader.mesos. 60 IN A 10.0.0.1'],
      },
      srv,
    );
  });

  it('answers NXDOMAIN with the SOA for unknown names', async () => {
    await expect(resolverFor(main.port).resolve4('nothere.mesos')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const nx = summaryFromDig(await dig(main.port, 'nothere.mesos', 'A'));
    checkReply({ qname: 'nothere.mesos.', qtype: 'A', rcode: 'NXDOMAIN', aa: true, authority: [SOA] }, nx);
  });

  it('answers several pipelined TCP queries on one connection, split across writes', async () => {
    const q1 = query('leader.mesos', 'A', 101);
    const q2 = query('app.marathon.mesos', 'A', 102);
    const q3 = query('nothere.mesos', 'A', 103);
    const q4 = query('www.example.org', 'A', 104);
    const all = Buffer.concat([frame(q1), frame(q2), frame(q3), frame(q4)]);
    // The first write ends in the middle of the second frame's length prefix; the rest follows.
    const cut = frame(q1).length + 1;
    const { replies } = await tcpSession(main.port, [all.subarray(0, cut), all.subarray(cut)], 4);
    const byId = new Map(replies.map((r) => [r.readUInt16BE(0), summaryFromWire(r)]));
    expect([...byId.keys()].sort()).toEqual([101, 102, 103, 104]);
    expect(byId.get(101)!.answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);
    expect(byId.get(102)!.answer).toEqual(['app.marathon.mesos. 60 IN A 10.0.0.2']);
    expect(byId.get(103)!.rcode).toBe('NXDOMAIN');
    expect(byId.get(104)!.answer).toEqual(['www.example.org. 300 IN A 192.0.2.10']);
  });

  it('closes a TCP connection on a bad frame length, and only that one', async () => {
    const bad = Buffer.from([0x00, 0x03, 0x01, 0x02, 0x03]); // 3 bytes cannot hold a DNS header
    const session = await tcpSession(main.port, [bad], 1);
    expect(session.closedByServer).toBe(true);
    expect(session.replies).toHaveLength(0);
    const { replies } = await tcpSession(main.port, [frame(query('leader.mesos', 'A', 7))], 1);
    expect(summaryFromWire(replies[0]).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);
  });

  it('keeps serving after malformed UDP packets: silence for runts, FORMERR for a bad question', async () => {
    expect(await udpExchange(main.port, Buffer.from([1, 2, 3, 4, 5]), 300)).toBeNull();
    // A header that promises one question and carries none.
    const noQuestion = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
    const formerr = await udpExchange(main.port, noQuestion);
    expect(formerr!.readUInt16BE(0)).toBe(0x1234);
    expect(summaryFromWire(formerr!).rcode).toBe('FORMERR');
    expect(await resolverFor(main.port).resolve4('leader.mesos')).toEqual(['10.0.0.1']);
  });

  it('answers NOTIMP to an opcode other than QUERY', async () => {
    const status = query('leader.mesos', 'A', 55);
    status.writeUInt16BE(status.readUInt16BE(2) | (2 << 11), 2); // opcode STATUS
    const reply = await udpExchange(main.port, status);
    expect(reply!.readUInt16BE(0)).toBe(55);
    expect(summaryFromWire(reply!).rcode).toBe('NOTIMP');
  });

  it('answers BADVERS to EDNS version 1, before routing', async () => {
    for (const name of ['leader.mesos', 'www.example.org']) {
      const out = await dig(main.port, '+edns=1', '+noednsnegotiation', name, 'A');
      expect(summaryFromDig(out).rcode).toBe('BADVERS');
    }
  });

  it('forwards outside names to the upstream and serves repeats from the cache', async () => {
    const before = upstream.count();
    const hitsBefore = main.stats.cacheHits;
    const first = summaryFromDig(await dig(main.port, 'www.example.org', 'A'));
    checkReply({ qname: 'www.example.org.', qtype: 'A', rcode: 'NOERROR', aa: false, answer: ['www.example.org. 300 IN A 192.0.2.10'] }, first);
    const second = summaryFromDig(await dig(main.port, 'WWW.example.ORG', 'A'));
    expect(second.answer).toHaveLength(1);
    expect(upstream.count()).toBe(before + 1);
    expect(main.stats.cacheHits).toBe(hitsBefore + 1);
  });

  it('relays an upstream NXDOMAIN, and answers SERVFAIL when the upstream is silent', async () => {
    await expect(resolverFor(main.port).resolve4('missing.example.org')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    upstream.mode = 'drop';
    try {
      const failures = main.stats.forwardFailures;
      const out = summaryFromDig(await dig(main.port, 'silent.example.org', 'A'));
      expect(out.rcode).toBe('SERVFAIL');
      expect(main.stats.forwardFailures).toBe(failures + 1);
    } finally {
      upstream.mode = 'answer';
    }
  });

  it('answers REFUSED with only qr and rd when forwarding is off', async () => {
    const out = await dig(closed.port, 'www.example.org', 'A');
    expect(summaryFromDig(out).rcode).toBe('REFUSED');
    expect(/;; flags: ([^;]*);/.exec(out)?.[1].trim()).toBe('qr rd');
    // the domain is still served
    expect(await resolverFor(closed.port).resolve4('leader.mesos')).toEqual(['10.0.0.1']);
  });

  it('truncates a large answer over UDP with TC, and gives it whole over TCP', async () => {
    const udp = summaryFromDig(await dig(main.port, '+ignore', '+noedns', 'big.mesos', 'A'));
    expect(udp.tc).toBe(true);
    expect(udp.answer.length).toBeGreaterThan(0);
    expect(udp.answer.length).toBeLessThan(100);
    const tcp = summaryFromDig(await dig(main.port, '+tcp', 'big.mesos', 'A'));
    expect(tcp.tc).toBe(false);
    expect(tcp.answer).toHaveLength(100);
    // c-ares retries over TCP on TC by itself
    expect(await resolverFor(main.port).resolve4('big.mesos')).toHaveLength(100);
  });

  it('cuts a forwarded reply over the client UDP limit to its question, with TC', async () => {
    const udp = summaryFromDig(await dig(main.port, '+ignore', '+noedns', 'many.example.org', 'A'));
    expect(udp.rcode).toBe('NOERROR');
    expect(udp.tc).toBe(true);
    expect(udp.answer).toHaveLength(0);
    const tcp = summaryFromDig(await dig(main.port, '+tcp', 'many.example.org', 'A'));
    expect(tcp.answer).toHaveLength(100);
  });

  it('honours a client EDNS buffer size up to EDNSMaxUDPSize', async () => {
    const plain = summaryFromDig(await dig(main.port, '+ignore', '+noedns', 'big.mesos', 'A'));
    const edns = summaryFromDig(await dig(main.port, '+ignore', '+bufsize=4096', 'big.mesos', 'A'));
    expect(edns.tc).toBe(true);
    expect(edns.answer.length).toBeGreaterThan(plain.answer.length);
    expect(edns.answer.length).toBeLessThan(100);
  });

  it('counts what it answered', () => {
    expect(main.stats.requests).toBeGreaterThan(0);
    expect(main.stats.rcodes.get(0)).toBeGreaterThan(0);
    expect(main.stats.rcodes.get(3)).toBeGreaterThan(0);
    expect(main.stats.dropped).toBeGreaterThan(0);
    expect(main.stats.forwarded).toBeGreaterThan(0);
  });

  it('rejects with DnsListenError when the port is taken', async () => {
    const config: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: main.port, UDPBatching });
    await expect(startDnsServer({ config, handler: async () => null, logger: silentLogger })).rejects.toThrow(DnsListenError);
  });
});

describe('a DNS port held by another process', () => {
  it('is refused at start-up even though our sockets use SO_REUSEPORT', async () => {
    const { assertPortFree } = await import('../src/dns/transport/port-probe.js');
    const dgram = await import('node:dgram');
    // Another program on the port, itself with SO_REUSEPORT (the case a plain bind would miss).
    const other = dgram.createSocket({ type: 'udp4', reusePort: true });
    await new Promise<void>((r) => other.bind(0, '127.0.0.1', () => r()));
    const port = other.address().port;
    try {
      await expect(assertPortFree('127.0.0.1', port)).rejects.toMatchObject({ code: 'MDNS_ERR_DNS_LISTEN' });
    } finally {
      other.close();
    }
    await expect(assertPortFree('127.0.0.1', port)).resolves.toBeUndefined();
  });
});
