// Issue 12 item 9: forwarded queries leave with a fresh random ID (RFC 5452 §9.2), replies are
// matched on ID, question and sender, and the client gets its own ID back. The real DNS server
// on loopback, dig and raw UDP clients, and a hand-rolled stand-in upstream that records what
// it receives and answers with whatever a test scripts (wrong ID, wrong question, another port).
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { startDnsServer, type DnsServer } from '../src/dns/transport/dns-server.js';
import { UpstreamForwarder } from '../src/dns/forward/forward.js';
import { handleQuery, type QueryContext } from '../src/dns/answer/handle-query.js';
import { silentLogger } from '../src/log.js';
import { summaryFromDig } from './helpers/dns-case.js';
import { seededRandom } from './helpers/seeded-random.js';

/** What the stand-in sends for one received query: [reply, delay ms, from a second socket?]. */
type Script = (q: dnsPacket.DecodedPacket) => [dnsPacket.Packet, number, boolean?][];

interface StandIn {
  port: number;
  /** IDs of the queries received, in order. */
  ids: number[];
  script: Script;
  close(): Promise<void>;
}

function answerTo(q: dnsPacket.DecodedPacket, over: { id?: number; name?: string; type?: dnsPacket.RecordType; address?: string } = {}): dnsPacket.Packet {
  const name = over.name ?? q.questions![0].name;
  return {
    type: 'response',
    id: over.id ?? q.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ name, type: over.type ?? 'A', class: 'IN' }],
    answers: [{ name, type: 'A', ttl: 30, data: over.address ?? '192.0.2.1' }],
  };
}

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

async function startStandIn(): Promise<StandIn> {
  const main = await bound();
  const other = await bound(); // a different source port, for "spoofed" replies
  const standIn: StandIn = {
    port: main.address().port,
    ids: [],
    script: (q) => [[answerTo(q), 0]],
    close: async () => {
      await new Promise<void>((r) => main.close(() => r()));
      await new Promise<void>((r) => other.close(() => r()));
    },
  };
  main.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    standIn.ids.push(q.id!);
    for (const [reply, delay, fromOther] of standIn.script(q)) {
      setTimeout(() => (fromOther ? other : main).send(dnsPacket.encode(reply), rinfo.port, rinfo.address), delay);
    }
  });
  return standIn;
}

function udpQuery(port: number, name: string, id: number): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no reply'));
    }, 3000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(msg));
    });
    socket.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }] }), port, '127.0.0.1');
  });
}

function dig(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=3', ...args], { timeout: 10_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

const PINNED_ID = 0x5a5a;
let standIn: StandIn;
let server: DnsServer;
let pinned: DnsServer;
const forwarders: UpstreamForwarder[] = [];

async function serve(queryId?: () => number): Promise<DnsServer> {
  const config: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: 0, Resolvers: [`127.0.0.1:${standIn.port}`], ForwardCacheSize: 0 });
  const forwarder = new UpstreamForwarder({ timeoutMs: 1000, queryId });
  forwarders.push(forwarder);
  const ctx: QueryContext = { snapshot: () => undefined, config, random: seededRandom(5), forwarder, logger: silentLogger };
  return startDnsServer({ config, handler: (buf, transport) => handleQuery(buf, transport, ctx), logger: silentLogger });
}

beforeAll(async () => {
  standIn = await startStandIn();
  server = await serve(); // the default, crypto-random IDs
  pinned = await serve(() => PINNED_ID);
});

afterAll(async () => {
  for (const f of forwarders) f.close();
  await server?.close();
  await pinned?.close();
  await standIn?.close();
});

afterEach(() => {
  standIn.ids.length = 0;
  standIn.script = (q) => [[answerTo(q), 0]];
});

describe('forwarded query IDs', () => {
  it('sends the upstream an ID of its own, not the client\'s, and gives the client its ID back', async () => {
    const reply = await udpQuery(pinned.udpAddress.port, 'www.example.org', 0x1111);
    expect(standIn.ids).toEqual([PINNED_ID]);
    expect(reply.id).toBe(0x1111);
    expect(reply.answers).toEqual([expect.objectContaining({ data: '192.0.2.1' })]);
  });

  it('draws a fresh random ID per query by default', async () => {
    for (let i = 0; i < 8; i++) expect((await udpQuery(server.udpAddress.port, 'www.example.org', 0x2222)).id).toBe(0x2222);
    expect(standIn.ids).toHaveLength(8);
    // Eight draws of 16 random bits: all equal (to each other, or all to the client's) has odds of 2^-112.
    expect(new Set(standIn.ids).size).toBeGreaterThan(1);
    expect(standIn.ids.filter((id) => id === 0x2222).length).toBeLessThan(8);
  });

  it('discards a reply with the wrong ID (here: the client\'s own) and takes the real one that follows', async () => {
    standIn.script = (q) => [
      [answerTo(q, { id: 0x3333, address: '198.51.100.66' }), 0],
      [answerTo(q, { id: (q.id! + 1) & 0xffff, address: '198.51.100.67' }), 0],
      [answerTo(q, { address: '192.0.2.3' }), 30],
    ];
    const reply = await udpQuery(server.udpAddress.port, 'www.example.org', 0x3333);
    expect(reply.id).toBe(0x3333);
    expect(reply.answers!.map((a) => (a as dnsPacket.StringAnswer).data)).toEqual(['192.0.2.3']);
  });

  it('discards replies for another question or from another port, and takes the right one in any letter case', async () => {
    standIn.script = (q) => [
      [answerTo(q, { name: 'evil.example.org', address: '198.51.100.66' }), 0],
      [answerTo(q, { type: 'AAAA', address: '198.51.100.67' }), 0],
      [answerTo(q, { address: '198.51.100.68' }), 0, true],
      // 0x20: the name may come back in another case (RFC 4343), it is still the question.
      [answerTo(q, { name: q.questions![0].name.toUpperCase(), address: '192.0.2.4' }), 30],
    ];
    const out = summaryFromDig(await dig(server.udpAddress.port, 'www.example.org', 'A'));
    expect(out.rcode).toBe('NOERROR');
    expect(out.answer).toEqual(['WWW.EXAMPLE.ORG. 30 IN A 192.0.2.4']);
  });

  it('answers SERVFAIL when only mismatching replies come', async () => {
    standIn.script = (q) => [[answerTo(q, { id: (q.id! + 1) & 0xffff }), 0]];
    const out = summaryFromDig(await dig(server.udpAddress.port, 'www.example.org', 'A'));
    expect(out.rcode).toBe('SERVFAIL');
  });
});
