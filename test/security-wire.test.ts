// Issue 12, items 3, 7 and 8, against the real DNS server on loopback (UDP + TCP) with the
// servers' own entry point (respond: the fast path in front of the full pipeline) and a stand-in
// upstream that counts what reaches it. Clients: dig, and raw sockets with dns-packet for what
// dig cannot send (a TSIG that is not last, exact header bits).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { startDnsServer, type DnsServer } from '../src/dns/transport/dns-server.js';
import { UpstreamForwarder } from '../src/dns/forward/forward.js';
import { ForwardCache } from '../src/dns/forward/forward-cache.js';
import { respond, type QueryContext } from '../src/dns/answer/handle-query.js';
import { QueryStats } from '../src/dns/query-stats.js';
import { silentLogger } from '../src/log.js';
import { TableStore } from '../src/store.js';
import { summaryFromDig, summaryFromWire } from './helpers/dns-case.js';
import { buildTestTable } from './helpers/table.js';
import { seededRandom } from './helpers/seeded-random.js';
import { startUpstream, type FakeUpstream } from './helpers/upstream.js';

const IDENTITY = 'edge-7.dc1';
/** A name with three RRsets: 40 A, 20 AAAA and 10 SRV records. */
const MANY = [
  ...Array.from({ length: 40 }, (_, i) => `many.marathon.mesos. A 10.1.0.${i}`),
  ...Array.from({ length: 20 }, (_, i) => `many.marathon.mesos. AAAA fd00::${i + 1}`),
  ...Array.from({ length: 10 }, (_, i) => `many.marathon.mesos. SRV 0 1 ${31000 + i} leader.mesos.`),
];

interface Running {
  server: DnsServer;
  port: number;
  ctx: QueryContext;
}

async function start(store: TableStore, overrides: Partial<Config>): Promise<Running> {
  const config: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: 0, ...overrides });
  const ctx: QueryContext = {
    snapshot: () => store.current(),
    config,
    random: seededRandom(3),
    forwarder: new UpstreamForwarder({ timeoutMs: 500 }),
    logger: silentLogger,
    forwardCache: new ForwardCache({ max: 100 }),
    stats: new QueryStats(),
    answers: {},
  };
  const server = await startDnsServer({ config, handler: (buf, transport) => respond(buf, transport, ctx), logger: silentLogger });
  return { server, port: server.udpAddress.port, ctx };
}

function dig(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', ...args], { timeout: 10_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

function udpExchange(port: number, query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no reply'));
    }, 2000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(query, port, '127.0.0.1');
  });
}

const OPT = (options: dnsPacket.PacketOpt[] = []): dnsPacket.OptAnswer =>
  ({ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, options }) as dnsPacket.OptAnswer;

function query(name: string, type: dnsPacket.RecordType | 'ANY', opts: { id?: number; klass?: dnsPacket.RecordClass; nsid?: boolean; edns?: boolean } = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: opts.id ?? 4711,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as dnsPacket.RecordType, class: opts.klass ?? 'IN' }],
    // An empty NSID option asks for the server's NSID (RFC 5001 §2.1).
    additionals: opts.nsid ? [OPT([{ code: 3, data: Buffer.alloc(0) } as unknown as dnsPacket.PacketOpt])] : opts.edns ? [OPT()] : [],
  });
}

/** The NSID option's payload in a reply, or undefined when it has none. */
function nsidOf(reply: Buffer): string | undefined {
  const opt = dnsPacket.decode(reply).additionals?.find((rr) => rr.type === 'OPT') as dnsPacket.OptAnswer | undefined;
  const option = (opt?.options as unknown as { code: number; data?: Buffer }[] | undefined)?.find((o) => o.code === 3);
  return option ? (option.data ?? Buffer.alloc(0)).toString() : undefined;
}

/** Record types of a reply's answer section, in order, runs collapsed ("A A AAAA" -> "A AAAA"). */
function answerTypes(reply: Buffer): string[] {
  const types = (dnsPacket.decode(reply).answers ?? []).map((rr) => rr.type as string);
  return types.filter((t, i) => t !== types[i - 1]);
}

const store = new TableStore();
let upstream: FakeUpstream;
let open: Running;
let withIdentity: Running;

beforeAll(async () => {
  store.swap(buildTestTable(['leader.mesos. A 10.0.0.1', ...MANY]));
  upstream = await startUpstream({ records: { 'www.example.org': [{ name: 'www.example.org', type: 'A', ttl: 300, data: '192.0.2.10' }] } });
  open = await start(store, { Resolvers: [upstream.address] });
  withIdentity = await start(store, { Resolvers: [upstream.address], Identity: IDENTITY });
});

afterAll(async () => {
  for (const r of [open, withIdentity]) {
    r?.ctx.forwarder.close();
    await r?.server.close();
  }
  await upstream?.close();
});

describe('ANY (RFC 8482)', () => {
  it('over UDP answers one RRset, the A set, no larger than the A answer itself', async () => {
    const any = await udpExchange(open.port, query('many.marathon.mesos', 'ANY', { edns: true }));
    const a = await udpExchange(open.port, query('many.marathon.mesos', 'A', { edns: true }));
    expect(answerTypes(any)).toEqual(['A']);
    expect(dnsPacket.decode(any).answers).toHaveLength(40);
    expect(any.length).toBe(a.length);
    // dig sends ANY over TCP unless told not to.
    const viaDig = summaryFromDig(await dig(open.port, '+notcp', 'many.marathon.mesos', 'ANY'));
    expect(viaDig.aa).toBe(true);
    expect(new Set(viaDig.answer.map((rr) => rr.split(' ')[3]))).toEqual(new Set(['A']));
  });

  it('over UDP at the apex (only SOA and NS) answers the synthesized HINFO "RFC8482" "" with the zone TTL', async () => {
    const out = summaryFromDig(await dig(open.port, '+notcp', 'mesos', 'ANY'));
    expect(out.rcode).toBe('NOERROR');
    expect(out.answer).toEqual(['mesos. 60 IN HINFO "RFC8482" ""']);
  });

  it('over TCP answers every RRset of the name', async () => {
    const out = summaryFromDig(await dig(open.port, '+tcp', 'many.marathon.mesos', 'ANY'));
    expect(out.tc).toBe(false);
    expect(out.answer).toHaveLength(70);
    const apex = summaryFromDig(await dig(open.port, '+tcp', 'mesos', 'ANY'));
    expect(apex.answer.map((rr) => rr.split(' ')[3])).toEqual(['SOA', 'NS']);
  });

  it('keeps NXDOMAIN and NODATA', async () => {
    expect(summaryFromDig(await dig(open.port, '+notcp', 'nothere.mesos', 'ANY')).rcode).toBe('NXDOMAIN');
    const nodata = summaryFromDig(await dig(open.port, '+notcp', 'marathon.mesos', 'ANY'));
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.answer).toEqual([]);
    expect(nodata.authority).toHaveLength(1);
  });

  it('is forwarded unchanged for names outside the domain', async () => {
    const before = upstream.count();
    const out = summaryFromDig(await dig(open.port, '+notcp', 'www.example.org', 'ANY'));
    expect(out.answer).toEqual(['www.example.org. 300 IN A 192.0.2.10']);
    expect(upstream.count()).toBe(before + 1);
    expect(upstream.received.at(-1)!.type).toBe('ANY');
  });
});

describe('CHAOS class and identity', () => {
  const NAMES = ['version.bind', 'version.server', 'hostname.bind', 'id.server'];

  it('answers the four identity names with Identity: TXT, class CH, TTL 0, AA; never asking the upstream', async () => {
    const before = upstream.count();
    for (const name of NAMES) {
      for (const type of ['TXT', 'ANY']) {
        const out = summaryFromDig(await dig(withIdentity.port, '+notcp', name, 'CH', type));
        expect([name, type, out.rcode, out.aa, out.answer]).toEqual([name, type, 'NOERROR', true, [`${name}. 0 CH TXT "${IDENTITY}"`]]);
      }
    }
    expect(upstream.count()).toBe(before);
  });

  it('answers REFUSED for them without an Identity (the default), and for other CH names, never forwarding', async () => {
    const before = upstream.count();
    for (const name of [...NAMES, 'www.example.org', 'leader.mesos']) {
      expect([name, summaryFromDig(await dig(open.port, name, 'CH', 'TXT')).rcode]).toEqual([name, 'REFUSED']);
    }
    expect(summaryFromDig(await dig(withIdentity.port, 'www.example.org', 'CH', 'TXT')).rcode).toBe('REFUSED');
    expect(upstream.count()).toBe(before);
  });

  it('sends NSID (RFC 5001) with the identity to queries that ask, on pre-encoded and encoded answers alike', async () => {
    for (const name of ['leader.mesos', 'nothere.mesos', 'many.marathon.mesos']) {
      // Without NSID the fast path answers (its entries carry no NSID) ...
      const plain = await udpExchange(withIdentity.port, query(name, 'A', { edns: true }));
      expect([name, nsidOf(plain)]).toEqual([name, undefined]);
      // ... with it, the full pipeline, which adds it; the records are the same.
      const asked = await udpExchange(withIdentity.port, query(name, 'A', { nsid: true }));
      expect([name, nsidOf(asked)]).toEqual([name, IDENTITY]);
      expect(summaryFromWire(asked).rcode).toBe(summaryFromWire(plain).rcode);
      expect(summaryFromWire(asked).answer.length).toBe(summaryFromWire(plain).answer.length);
    }
    expect(await dig(withIdentity.port, '+nsid', 'leader.mesos', 'A')).toContain(`; NSID: ${[...Buffer.from(IDENTITY)].map((b) => b.toString(16)).join(' ')} ("${IDENTITY}")`);
  });

  it('forwards NSID queries past the cache, so no upstream NSID reaches a client that did not ask', async () => {
    const before = upstream.count();
    for (let i = 0; i < 2; i++) await udpExchange(withIdentity.port, query('www.example.org', 'A', { nsid: true }));
    expect(upstream.count()).toBe(before + 2);
    for (let i = 0; i < 2; i++) await udpExchange(withIdentity.port, query('www.example.org', 'A', { edns: true }));
    expect(upstream.count()).toBe(before + 3);
  });

  it('sends no NSID without an Identity', async () => {
    expect(nsidOf(await udpExchange(open.port, query('leader.mesos', 'A', { nsid: true })))).toBeUndefined();
    expect(await dig(open.port, '+nsid', 'leader.mesos', 'A')).not.toContain('NSID');
  });
});

describe('wire details', () => {
  it('answers an unknown opcode NOTIMP echoing only ID and opcode (no RD, CD or question)', async () => {
    const q = query('leader.mesos', 'A', { id: 0x2b2b });
    q.writeUInt16BE((2 << 11) | 0x0100 | 0x0010, 2); // STATUS, RD, CD
    const reply = await udpExchange(open.port, q);
    expect(reply.readUInt16BE(0)).toBe(0x2b2b);
    // QR, opcode STATUS, nothing else; RCODE 4; no question.
    expect([reply[2], reply[3], reply.readUInt16BE(4)]).toEqual([0x80 | (2 << 3), 4, 0]);
    const viaDig = await dig(open.port, '+opcode=2', '+cdflag', 'leader.mesos');
    expect(viaDig).toContain('opcode: STATUS, status: NOTIMP');
    expect(/;; flags: ([^;]*);/.exec(viaDig)?.[1].trim()).toBe('qr');
  });
});

/**
 * A TSIG RR (RFC 8945 §4.2): key "tsig-key.", hmac-sha256, a 32-byte MAC. dns-packet knows the
 * type but not its RDATA, so the RDATA is built here byte by byte.
 */
function tsigRecord(originalId: number): dnsPacket.Answer {
  const algorithm = Buffer.from([11, ...Buffer.from('hmac-sha256'), 0]);
  const fixed = Buffer.alloc(10);
  fixed.writeUIntBE(1_700_000_123, 0, 6); // Time Signed
  fixed.writeUInt16BE(300, 6); // Fudge
  fixed.writeUInt16BE(32, 8); // MAC Size
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(originalId, 0); // Original ID; Error 0; Other Len 0
  const data = Buffer.concat([algorithm, fixed, Buffer.alloc(32, 7), tail]);
  return { type: 'TSIG', name: 'tsig-key', class: 'ANY', ttl: 0, data } as unknown as dnsPacket.Answer;
}

/** The fields of a TSIG RDATA whose algorithm name is written out (RFC 8945 §4.2). */
function readTsigRdata(data: Buffer) {
  const labels: string[] = [];
  let at = 0;
  while (data[at] !== 0) {
    labels.push(data.toString('latin1', at + 1, at + 1 + data[at]));
    at += 1 + data[at];
  }
  at += 1;
  const macSize = data.readUInt16BE(at + 8);
  const after = at + 10 + macSize;
  return {
    algorithm: labels.join('.'),
    timeSigned: data.readUIntBE(at, 6),
    fudge: data.readUInt16BE(at + 6),
    macSize,
    originalId: data.readUInt16BE(after),
    error: data.readUInt16BE(after + 2),
    otherLength: data.readUInt16BE(after + 4),
  };
}

function signedQuery(name: string, id: number, additionals: dnsPacket.Answer[]): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }], additionals });
}

describe('TSIG (RFC 8945) without keys', () => {
  it('answers a signed query NOTAUTH with an unsigned TSIG: BADKEY, the request time, no MAC', async () => {
    const reply = await udpExchange(open.port, signedQuery('leader.mesos', 0x5150, [OPT(), tsigRecord(0x5150)]));
    expect(reply.readUInt16BE(0)).toBe(0x5150);
    expect(reply[3] & 0x0f).toBe(9); // NOTAUTH
    const decoded = dnsPacket.decode(reply);
    expect(decoded.answers).toEqual([]);
    const last = decoded.additionals!.at(-1) as unknown as { type: string; name: string; class: string; ttl: number; data: Buffer };
    expect(decoded.additionals!.map((rr) => rr.type)).toEqual(['OPT', 'TSIG']);
    expect(last).toMatchObject({ name: 'tsig-key', class: 'ANY', ttl: 0 });
    expect(readTsigRdata(last.data)).toEqual({ algorithm: 'hmac-sha256', timeSigned: 1_700_000_123, fudge: 300, macSize: 0, originalId: 0x5150, error: 17, otherLength: 0 });
    // dig signs with a key we do not have and reports the BADKEY it gets back.
    const viaDig = await dig(open.port, '-y', 'hmac-sha256:tsig-key:c2VjcmV0c2VjcmV0c2VjcmV0', 'leader.mesos');
    expect(viaDig).toContain('status: NOTAUTH');
    expect(viaDig).toMatch(/tsig-key\.\s+0\s+ANY\s+TSIG\s+hmac-sha256\. \d+ 300 0 \d+ BADKEY 0/);
  });

  it('answers CH and unforwardable names BADKEY too, and forwards signed queries for outside names unchanged, uncached', async () => {
    const ch = signedQuery('version.bind', 1, [tsigRecord(1)]);
    ch.writeUInt16BE(3, ch.indexOf(Buffer.from([0, 1, 0, 1]), 12) + 2); // class CH
    expect((await udpExchange(withIdentity.port, ch))[3] & 0x0f).toBe(9);
    const before = upstream.count();
    for (let i = 0; i < 2; i++) {
      const reply = await udpExchange(open.port, signedQuery('www.example.org', 40 + i, [tsigRecord(40 + i)]));
      expect(summaryFromWire(reply).rcode).toBe('NOERROR');
    }
    expect(upstream.count()).toBe(before + 2);
    const sent = dnsPacket.decode(upstream.received.at(-1)!.raw);
    expect(sent.additionals!.map((rr) => rr.type)).toEqual(['TSIG']);
  });

  it('answers FORMERR when the TSIG is not the last record', async () => {
    const reply = await udpExchange(open.port, signedQuery('leader.mesos', 77, [tsigRecord(77), OPT()]));
    expect(reply.readUInt16BE(0)).toBe(77);
    expect(summaryFromWire(reply).rcode).toBe('FORMERR');
  });
});
