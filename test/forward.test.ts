// The forwarder (forward/forward.ts) against stand-in upstreams on loopback: relaying, failing
// over, the race between upstreams, health probes and close().
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { UpstreamForwarder } from '../src/dns/forward/forward.js';
import { ForwardError, NoResolverError } from '../src/errors.js';
import { queryBytes } from './helpers/forward-queries.js';
import { startUpstream, type FakeUpstream } from './helpers/upstream.js';

/** An address where nothing listens: bind a socket, note its port, close it. */
async function deadAddress(): Promise<{ host: string; port: number }> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return { host: '127.0.0.1', port };
}

// The limit for a whole query; the per-try deadline before the next upstream is also asked is
// 400 ms for an upstream with no RTT measured yet (upstream-health.ts), so this leaves room for it.
const SHORT = 1000;

describe('UpstreamForwarder', () => {
  let good: FakeUpstream;
  let silent: FakeUpstream;
  let forwarder: UpstreamForwarder;

  beforeAll(async () => {
    good = await startUpstream({
      records: {
        'www.example.org': [{ name: 'www.example.org', type: 'A', ttl: 120, data: '192.0.2.10' }],
      },
    });
    silent = await startUpstream({ mode: 'drop' });
    // maxFails 0: these cases are about order and matching, so the silent upstream must stay in
    // the order from one case to the next (health is test/forward-health.test.ts's).
    forwarder = new UpstreamForwarder({ timeoutMs: SHORT, maxFails: 0 });
  });

  afterAll(async () => {
    forwarder.close();
    await good.close();
    await silent.close();
  });

  afterEach(() => {
    good.mode = 'answer';
    good.received.length = 0;
    silent.received.length = 0;
  });

  it('sends the query unchanged but for its ID over UDP and relays the reply as-is, with the client ID', async () => {
    const raw = queryBytes('www.example.org', 'A', 0xbeef, true);
    const reply = await forwarder.forward(raw, 'udp', [good]);
    expect(good.received).toHaveLength(1);
    // The ID is a fresh random one (test/forward-id.test.ts); everything after it is the client's.
    expect(good.received[0].raw.subarray(2).equals(raw.subarray(2))).toBe(true);
    const decoded = dnsPacket.decode(reply);
    expect(decoded.id).toBe(0xbeef);
    expect(decoded.answers).toEqual([expect.objectContaining({ name: 'www.example.org', type: 'A', ttl: 120, data: '192.0.2.10' })]);
    // the upstream's OPT echo is relayed too: nothing is re-encoded
    expect(decoded.additionals?.map((rr) => rr.type)).toEqual(['OPT']);
  });

  it('relays NXDOMAIN and SERVFAIL replies as answers, not errors', async () => {
    const nx = dnsPacket.decode(await forwarder.forward(queryBytes('nothere.example.org'), 'udp', [good, silent]));
    expect((nx as unknown as { rcode: string }).rcode).toBe('NXDOMAIN');
    good.mode = 'servfail';
    const sf = dnsPacket.decode(await forwarder.forward(queryBytes('www.example.org'), 'udp', [good, silent]));
    expect((sf as unknown as { rcode: string }).rcode).toBe('SERVFAIL');
    expect(silent.count()).toBe(0);
  });

  it('relays a truncated UDP reply as-is so the client retries over TCP', async () => {
    good.mode = 'truncate';
    const reply = dnsPacket.decode(await forwarder.forward(queryBytes('www.example.org'), 'udp', [good, silent]));
    expect(reply.flag_tc).toBe(true);
    expect(silent.count()).toBe(0);
  });

  it('moves past a silent upstream to the next one, in order', async () => {
    const reply = dnsPacket.decode(await forwarder.forward(queryBytes('www.example.org'), 'udp', [silent, good]));
    expect(reply.answers?.[0]).toEqual(expect.objectContaining({ data: '192.0.2.10' }));
    expect(silent.count()).toBe(1);
    expect(good.count()).toBe(1);
  });

  it('moves past an upstream whose port is closed', async () => {
    const reply = dnsPacket.decode(await forwarder.forward(queryBytes('www.example.org'), 'udp', [await deadAddress(), good]));
    expect(reply.answers).toHaveLength(1);
  });

  it('rejects with ForwardError when every upstream fails', async () => {
    await expect(forwarder.forward(queryBytes('www.example.org'), 'udp', [silent, await deadAddress()])).rejects.toThrow(ForwardError);
    expect(silent.count()).toBe(1);
  });

  it('rejects with NoResolverError when there is no upstream', async () => {
    await expect(forwarder.forward(queryBytes('www.example.org'), 'udp', [])).rejects.toThrow(NoResolverError);
  });

  it('ignores UDP datagrams that do not answer the query and takes the one that does', async () => {
    // A hand-rolled upstream: first a reply with the wrong ID, then one for another question,
    // then the real one.
    const fake = dgram.createSocket('udp4');
    await new Promise<void>((r) => fake.bind(0, '127.0.0.1', () => r()));
    fake.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      const reply = (id: number, name: string, address: string) =>
        dnsPacket.encode({
          type: 'response',
          id,
          flags: dnsPacket.RECURSION_AVAILABLE,
          questions: [{ name, type: 'A', class: 'IN' }],
          answers: [{ name, type: 'A', ttl: 5, data: address }],
        });
      fake.send(reply((q.id! + 1) & 0xffff, q.questions![0].name, '198.51.100.1'), rinfo.port, rinfo.address);
      fake.send(reply(q.id!, 'other.example.org', '198.51.100.2'), rinfo.port, rinfo.address);
      setTimeout(() => fake.send(reply(q.id!, q.questions![0].name, '198.51.100.3'), rinfo.port, rinfo.address), 20);
    });
    try {
      const upstream = { host: '127.0.0.1', port: fake.address().port };
      const reply = dnsPacket.decode(await forwarder.forward(queryBytes('Mixed.Example.Org', 'A', 77), 'udp', [upstream]));
      expect(reply.id).toBe(77);
      expect(reply.answers?.map((a) => (a as dnsPacket.StringAnswer).data)).toEqual(['198.51.100.3']);
    } finally {
      await new Promise<void>((r) => fake.close(() => r()));
    }
  });

  it('treats a wrong-ID reply as a failed attempt when nothing else comes', async () => {
    good.mode = 'wrong-id';
    await expect(forwarder.forward(queryBytes('www.example.org'), 'udp', [good])).rejects.toThrow(ForwardError);
  });

  it('forwards over TCP with length framing when the client used TCP', async () => {
    const raw = queryBytes('www.example.org', 'A', 4242);
    const reply = dnsPacket.decode(await forwarder.forward(raw, 'tcp', [good]));
    expect(reply.id).toBe(4242);
    expect(reply.answers?.[0]).toEqual(expect.objectContaining({ data: '192.0.2.10' }));
    expect(good.count('tcp')).toBe(1);
    expect(good.count('udp')).toBe(0);
    expect(good.received[0].raw.subarray(2).equals(raw.subarray(2))).toBe(true);
  });

  it('over TCP, moves past a silent upstream and past a wrong-ID reply', async () => {
    const other = await startUpstream({ mode: 'wrong-id' });
    try {
      const reply = dnsPacket.decode(await forwarder.forward(queryBytes('www.example.org'), 'tcp', [silent, other, good]));
      expect(reply.answers).toHaveLength(1);
      expect(silent.count('tcp')).toBe(1);
      expect(other.count('tcp')).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('close() aborts attempts in flight', async () => {
    const slowForwarder = new UpstreamForwarder({ timeoutMs: 10_000 });
    const pending = slowForwarder.forward(queryBytes('www.example.org'), 'udp', [silent]);
    await new Promise((r) => setTimeout(r, 20));
    slowForwarder.close();
    await expect(pending).rejects.toThrow(ForwardError);
    await expect(slowForwarder.forward(queryBytes('www.example.org'), 'tcp', [good])).rejects.toThrow(ForwardError);
  });
});

describe('UpstreamForwarder: the race and the probes', () => {
  let good: FakeUpstream;
  let silent: FakeUpstream;

  beforeAll(async () => {
    good = await startUpstream({ records: { 'www.example.org': [{ name: 'www.example.org', type: 'A', ttl: 120, data: '192.0.2.10' }] } });
    silent = await startUpstream({ mode: 'drop' });
  });

  afterAll(async () => {
    await good.close();
    await silent.close();
  });

  afterEach(() => {
    good.delayMs = 0;
    good.received.length = 0;
    silent.received.length = 0;
  });

  it('an earlier upstream that answers after the next one was asked still wins', async () => {
    const forwarder = new UpstreamForwarder({ timeoutMs: 3000 });
    try {
      good.delayMs = 600; // past its 400 ms per-try deadline
      const started = Date.now();
      const reply = dnsPacket.decode(await forwarder.forward(queryBytes('www.example.org'), 'udp', [good, silent]));
      expect(reply.answers?.[0]).toEqual(expect.objectContaining({ data: '192.0.2.10' }));
      expect(silent.count()).toBe(1); // asked at 400 ms, abandoned when the first answered
      expect(Date.now() - started).toBeLessThan(2000);
      // The silent one was cut off before its own deadline: no verdict against it.
      expect(forwarder.health().find((h) => h.upstream === silent.address)?.failed).toBe(0);
    } finally {
      forwarder.close();
    }
  });

  it('bounds the whole query by timeoutMs across all upstreams', async () => {
    const forwarder = new UpstreamForwarder({ timeoutMs: 800, maxFails: 0 });
    try {
      const started = Date.now();
      await expect(forwarder.forward(queryBytes('www.example.org'), 'tcp', [silent, silent, silent, silent]))
        .rejects.toThrow(/no reply within 800 ms/);
      // Per upstream, as before, it would be 4 × 800 ms.
      expect(Date.now() - started).toBeLessThan(2400);
    } finally {
      forwarder.close();
    }
  });

  it('probes a down upstream until it answers, and stops probing on close()', async () => {
    // 500 ms: past the 400 ms per-try deadline, so the silent try counts as failed.
    const forwarder = new UpstreamForwarder({ timeoutMs: 500, maxFails: 1, healthCheckMs: 50 });
    await expect(forwarder.forward(queryBytes('www.example.org'), 'udp', [silent])).rejects.toThrow(ForwardError);
    expect(forwarder.health()).toEqual([expect.objectContaining({ upstream: silent.address, state: 'down', consecutiveFailures: 1 })]);
    await new Promise((r) => setTimeout(r, 400));
    const probes = silent.received.filter((q) => q.name === '.' && q.type === 'NS').length;
    expect(probes).toBeGreaterThanOrEqual(2);
    expect(probes).toBeLessThanOrEqual(10); // one per 50 ms at most
    forwarder.close();
    const atClose = silent.received.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(silent.received.length).toBe(atClose);
  });
});
