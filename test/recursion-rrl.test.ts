// Issue 12 items 2 (RecurseFrom) and 4 (response rate limiting) against the whole server
// (main.ts's start(): worker thread, batched UDP, TCP, /metrics) on loopback, serving the demo
// cluster from a StateFile and forwarding to a stand-in upstream that counts what reaches it.
// Clients: dig bound to a chosen source address (-b), and raw UDP/TCP sockets bound to
// 127.0.0.1 or 127.0.0.2 (all of 127.0.0.0/8 is loopback on Linux). Nothing here measures time:
// the rate limiter is checked by counts, with margins for a loaded machine.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { startTestServer, type TestServer } from './helpers/server.js';
import { summaryFromDig } from './helpers/dns-case.js';
import { startUpstream, type FakeUpstream } from './helpers/upstream.js';

const STATE = path.join(process.cwd(), 'zones', 'demo', 'state.json');
const FORWARDED = 'www.example.org';

let upstream: FakeUpstream;
const servers: TestServer[] = [];

beforeAll(async () => {
  upstream = await startUpstream({ records: { [FORWARDED]: [{ name: FORWARDED, type: 'A', ttl: 300, data: '192.0.2.10' }] } });
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await upstream?.close();
});

async function serve(config: Record<string, unknown>): Promise<TestServer> {
  const s = await startTestServer({ stateFile: STATE, resolvers: [upstream.address], forwardCacheSize: 0, ...config });
  servers.push(s);
  // The table loads from the file after start; wait until the Mesos names answer.
  for (let i = 0; i < 100; i++) {
    if (summaryFromDig(await s.dig('leader.mesos', 'A')).rcode === 'NOERROR') return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the demo table never loaded');
}

/** dig from source address `from`. */
async function digFrom(s: TestServer, from: string, ...args: string[]) {
  return summaryFromDig(await s.dig('-b', from, ...args));
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

const query = (id: number, name = 'leader.mesos') =>
  dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] });

interface Burst {
  full: number;
  truncated: number;
  total: number;
}

/**
 * Sends `n` queries at once over UDP from `from`, for `names` in turn; counts full and truncated
 * replies until quiet (`byName`: the full ones per name).
 */
async function udpBurst(port: number, from: string, n: number, names = ['leader.mesos']): Promise<Burst & { byName: Map<string, number> }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, from, resolve));
  const out = { full: 0, truncated: 0, total: 0, byName: new Map<string, number>() };
  const done = new Promise<void>((resolve) => {
    // Quiet for 500 ms after the last reply (or 3 s with none) ends the count.
    let timer = setTimeout(resolve, 3000);
    socket.on('message', (msg) => {
      const reply = dnsPacket.decode(msg);
      if ((reply.flags! & dnsPacket.TRUNCATED_RESPONSE) !== 0) {
        expect(reply.answers ?? []).toEqual([]);
        out.truncated++;
      } else {
        expect(reply.answers?.length).toBeGreaterThan(0);
        out.full++;
        const name = reply.questions![0].name;
        out.byName.set(name, (out.byName.get(name) ?? 0) + 1);
      }
      out.total++;
      clearTimeout(timer);
      timer = setTimeout(resolve, out.total === n ? 0 : 500);
    });
  });
  for (let i = 0; i < n; i++) socket.send(query(i + 1, names[i % names.length]), port, '127.0.0.1');
  await done;
  socket.close();
  return out;
}

/** `n` queries pipelined on one TCP connection from `from` (RFC 7766 §6.2.1.1); the replies. */
async function tcpQueries(port: number, from: string, n: number): Promise<dnsPacket.DecodedPacket[]> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
  const frames = Array.from({ length: n }, (_, i) => {
    const q = query(i + 1);
    const framed = Buffer.alloc(q.length + 2);
    framed.writeUInt16BE(q.length);
    q.copy(framed, 2);
    return framed;
  });
  socket.write(Buffer.concat(frames));
  const replies: dnsPacket.DecodedPacket[] = [];
  let buffered = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${replies.length} of ${n} TCP replies`)), 5000);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        replies.push(dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
      }
      if (replies.length === n) {
        clearTimeout(timer);
        resolve();
      }
    });
    socket.on('error', reject);
  });
  socket.destroy();
  return replies;
}

describe('RecurseFrom', () => {
  it('refuses names outside our zones to clients outside it (UDP and TCP, RA clear, upstream never asked), answers our zone, forwards for clients inside', async () => {
    const s = await serve({ recurseFrom: ['127.0.0.2/32'] });
    const before = upstream.count();
    for (const transport of ['+notcp', '+tcp']) {
      const refused = await s.dig('-b', '127.0.0.1', transport, FORWARDED, 'A');
      expect(summaryFromDig(refused).rcode).toBe('REFUSED');
      expect(/^;; flags: ([^;]*);/m.exec(refused)?.[1].split(' ')).not.toContain('ra');
      expect(upstream.count()).toBe(before);
      const ours = await digFrom(s, '127.0.0.1', transport, 'leader.mesos', 'A');
      expect(ours.rcode).toBe('NOERROR');
      expect(ours.answer.length).toBeGreaterThan(0);
    }
    for (const transport of ['+notcp', '+tcp']) {
      const allowed = await digFrom(s, '127.0.0.2', transport, FORWARDED, 'A');
      expect(allowed.rcode).toBe('NOERROR');
      expect(allowed.answer.join('\n')).toContain('192.0.2.10');
    }
    expect(upstream.count()).toBe(before + 2);
    expect(metric((await s.http('/metrics')).body, 'mesos_dns_recursion_refused_total')).toBe(2);
  });

  it('by default forwards for loopback clients', async () => {
    const s = await serve({});
    const answered = await digFrom(s, '127.0.0.1', FORWARDED, 'A');
    expect(answered.rcode).toBe('NOERROR');
    expect(answered.answer.join('\n')).toContain('192.0.2.10');
    expect(JSON.parse((await s.http('/v1/config')).body).RecurseFrom).toContain('127.0.0.0/8');
  });

  it('rejects a bad entry at load, naming the key and the entry', async () => {
    await expect(startTestServer({ stateFile: STATE, RECURSEFROM: ['10.0.0.0/8', '10.0.0.1/8'] })).rejects.toThrow(/RECURSEFROM.*10\.0\.0\.1\/8/);
  });
});

describe('response rate limiting', () => {
  it('with rate 5 and slip 2, a burst of 100 UDP queries gets a few answers, truncated ones, the rest dropped; another client is answered meanwhile; counters move', async () => {
    const s = await serve({ responseRateLimit: 5, responseRateLimitSlip: 2, responseRateLimitIPv4Prefix: 32 });
    const [burst, other] = await Promise.all([udpBurst(s.dnsPort, '127.0.0.1', 100), digFrom(s, '127.0.0.2', 'leader.mesos', 'A')]);
    // 5 from the full bucket, plus 5/s refill while a loaded machine works through the burst.
    expect(burst.full).toBeGreaterThanOrEqual(1);
    expect(burst.full).toBeLessThanOrEqual(25);
    // Of the ~95 limited, every second one slips (TC, no records); the others get nothing.
    expect(burst.truncated).toBeGreaterThanOrEqual(20);
    expect(burst.total).toBeLessThanOrEqual(80);
    expect(other.rcode).toBe('NOERROR');
    expect(other.tc).toBe(false);
    expect(other.answer.length).toBeGreaterThan(0);
    const metrics = (await s.http('/metrics')).body;
    expect(metric(metrics, 'mesos_dns_rrl_slipped_total')).toBe(burst.truncated);
    expect(metric(metrics, 'mesos_dns_rrl_dropped_total')).toBe(100 - burst.total);
    // TCP is never limited: the same client, over its bucket, gets every answer in full.
    const overTcp = await tcpQueries(s.dnsPort, '127.0.0.1', 50);
    expect(overTcp.every((r) => (r.answers?.length ?? 0) > 0 && (r.flags! & dnsPacket.TRUNCATED_RESPONSE) === 0)).toBe(true);
    // Answers are limited per name (the fast path keys them by its cache entry): with
    // leader.mesos drained, the same client's first queries for another name are answered.
    const mixed = await udpBurst(s.dnsPort, '127.0.0.1', 40, ['leader.mesos', 'master.mesos']);
    expect(mixed.byName.get('master.mesos') ?? 0).toBeGreaterThanOrEqual(5);
  });

  it('ResponseRateLimitExempt: an exempt client (127.0.0.2 in 127.0.0.2/32) gets all 100 in full while a client outside it is limited; the exempt replies leave the counters alone', async () => {
    const s = await serve({ responseRateLimit: 5, responseRateLimitSlip: 2, responseRateLimitIPv4Prefix: 32, ResponseRateLimitExempt: ['127.0.0.2/32', 'fd00::/8'] });
    const [exempt, limited] = await Promise.all([udpBurst(s.dnsPort, '127.0.0.2', 100), udpBurst(s.dnsPort, '127.0.0.1', 100)]);
    expect(exempt).toMatchObject({ full: 100, truncated: 0, total: 100 });
    expect(limited.full).toBeLessThanOrEqual(25);
    const metrics = (await s.http('/metrics')).body;
    expect(metric(metrics, 'mesos_dns_rrl_dropped_total')).toBe(100 - limited.total);
    expect(metric(metrics, 'mesos_dns_rrl_slipped_total')).toBe(limited.truncated);
    expect(JSON.parse((await s.http('/v1/config')).body).ResponseRateLimitExempt).toEqual(['127.0.0.2/32', 'fd00::/8']);
  });

  it('on SIGHUP (reload) a new ResponseRateLimitExempt applies: a client limited before is answered in full after it is exempted', async () => {
    const base = { stateFile: STATE, resolvers: [upstream.address], forwardCacheSize: 0, responseRateLimit: 5, responseRateLimitSlip: 2, responseRateLimitIPv4Prefix: 32 };
    const s = await serve(base);
    const before = await udpBurst(s.dnsPort, '127.0.0.3', 100);
    expect(before.full).toBeLessThanOrEqual(25);
    await s.writeConfig({ ...base, ResponseRateLimitExempt: ['127.0.0.3/32'] });
    expect(await s.running.reload()).toBe(true);
    const after = await udpBurst(s.dnsPort, '127.0.0.3', 100);
    expect(after).toMatchObject({ full: 100, truncated: 0, total: 100 });
  });

  it('ResponseRateLimitExempt: a bad entry is refused at load, naming the key and the entry', async () => {
    await expect(startTestServer({ stateFile: STATE, ResponseRateLimit: 5, ResponseRateLimitExempt: ['127.0.0.1'] })).rejects.toThrow(/ResponseRateLimitExempt.*127\.0\.0\.1/);
  });

  it('off (the default): all 100 are answered in full', async () => {
    const s = await serve({});
    const burst = await udpBurst(s.dnsPort, '127.0.0.1', 100);
    expect(burst).toMatchObject({ full: 100, truncated: 0, total: 100 });
    expect(metric((await s.http('/metrics')).body, 'mesos_dns_rrl_dropped_total')).toBe(0);
  });
});
