// A tiny real upstream DNS server for tests: UDP and TCP on 127.0.0.1, one port number for both,
// answering from a programmable map. Its behaviour can be switched at runtime (slow, silent,
// wrong ID, wrong question, garbage bytes, SERVFAIL, REFUSED, NXDOMAIN, truncated) and it counts
// what it receives. Replies are built with dns-packet, an independent implementation of the wire
// format.
import dnsPacket from 'dns-packet';
import { bindBoth, framedTcpServer } from './loopback-dns.js';

export type UpstreamMode =
  | 'answer'
  | 'drop'
  | 'wrong-id'
  | 'wrong-question'
  | 'garbage'
  | 'servfail'
  | 'refused'
  | 'nxdomain'
  | 'truncate';

/** What 'garbage' sends: text, not a DNS message (its first 12 bytes read as a header whose counts the rest cannot hold). */
export const GARBAGE = Buffer.from('this is not a DNS reply', 'latin1');

export interface ReceivedQuery {
  transport: 'udp' | 'tcp';
  id: number;
  name: string;
  type: string;
  raw: Buffer;
}

export interface UpstreamOptions {
  /** Lower-case name (no trailing dot) -> records answered for it (filtered by type, ANY gets all). */
  records?: Record<string, dnsPacket.Answer[]>;
  /** SOA put in the authority section of negative answers. */
  soa?: { ttl: number; minimum: number };
  mode?: UpstreamMode;
  delayMs?: number;
}

export interface FakeUpstream {
  readonly host: string;
  readonly port: number;
  /** "127.0.0.1:port", the form config Resolvers use. */
  readonly address: string;
  records: Record<string, dnsPacket.Answer[]>;
  soa: { ttl: number; minimum: number };
  mode: UpstreamMode;
  delayMs: number;
  /** Queries received that are not health probes (`. IN NS`). */
  queries(): ReceivedQuery[];
  /** Health probes (`. IN NS`) received. */
  probes(): ReceivedQuery[];
  /** Replaces the built-in answering when set; return null to stay silent. */
  respond?: (query: dnsPacket.DecodedPacket, transport: 'udp' | 'tcp') => dnsPacket.Packet | null;
  readonly received: ReceivedQuery[];
  count(transport?: 'udp' | 'tcp'): number;
  close(): Promise<void>;
}

const RCODE_BITS = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

const isProbe = (r: ReceivedQuery): boolean => r.name === '.' && r.type === 'NS';

function buildReply(up: FakeUpstream, query: dnsPacket.DecodedPacket): dnsPacket.Packet {
  const question = query.questions?.[0];
  const name = (question?.name ?? '').toLowerCase().replace(/\.$/, '');
  const rrs = (up.records[name] ?? []).filter((rr) => (question?.type as string) === 'ANY' || rr.type === question?.type);
  const known = up.records[name] !== undefined;
  let rcode: number = RCODE_BITS.NOERROR;
  if (up.mode === 'servfail') rcode = RCODE_BITS.SERVFAIL;
  else if (up.mode === 'refused') rcode = RCODE_BITS.REFUSED;
  else if (up.mode === 'nxdomain' || !known) rcode = RCODE_BITS.NXDOMAIN;
  const negative = rcode !== RCODE_BITS.NOERROR || rrs.length === 0;
  const reply: dnsPacket.Packet = {
    type: 'response',
    id: up.mode === 'wrong-id' ? (query.id! + 1) & 0xffff : query.id,
    flags: (query.flags! & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | rcode,
    questions: up.mode === 'wrong-question' ? [{ name: `other.${question?.name ?? ''}`, type: 'A', class: 'IN' }] : query.questions,
    answers: rcode === RCODE_BITS.NOERROR ? rrs : [],
    authorities:
      negative && rcode !== RCODE_BITS.SERVFAIL && rcode !== RCODE_BITS.REFUSED
        ? [
            {
              name: 'example.',
              type: 'SOA',
              ttl: up.soa.ttl,
              data: {
                mname: 'ns.example.',
                rname: 'hostmaster.example.',
                serial: 1,
                refresh: 3600,
                retry: 600,
                expire: 86400,
                minimum: up.soa.minimum,
              },
            },
          ]
        : [],
  };
  // RFC 6891 §7: echo EDNS only to EDNS clients.
  const opt = query.additionals?.find((rr) => rr.type === 'OPT');
  if (opt) reply.additionals = [
      { type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] },
    ];
  if (up.mode === 'truncate') {
    reply.flags = reply.flags! | dnsPacket.TRUNCATED_RESPONSE;
    reply.answers = [];
  }
  return reply;
}

/** The reply bytes for `raw`, or null to stay silent. */
async function answer(up: FakeUpstream, raw: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | null> {
  let query: dnsPacket.DecodedPacket;
  try {
    query = dnsPacket.decode(raw);
  } catch {
    return null;
  }
  const q = query.questions?.[0];
  up.received.push({ transport, id: query.id ?? 0, name: q?.name ?? '', type: q?.type ?? '', raw });
  if (up.delayMs > 0) await new Promise((r) => setTimeout(r, up.delayMs));
  if (up.mode === 'drop') return null;
  if (up.mode === 'garbage') return GARBAGE;
  const reply = up.respond ? up.respond(query, transport) : buildReply(up, query);
  return reply ? dnsPacket.encode(reply) : null;
}

export async function startUpstream(options: UpstreamOptions = {}): Promise<FakeUpstream> {
  const { tcp, sockets } = framedTcpServer((raw, send) => {
    void answer(up, raw, 'tcp').then((reply) => {
      if (reply) send(reply);
    });
  });
  const { udp, port } = await bindBoth(tcp);
  const up: FakeUpstream = {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    records: options.records ?? {},
    soa: options.soa ?? { ttl: 3600, minimum: 300 },
    mode: options.mode ?? 'answer',
    delayMs: options.delayMs ?? 0,
    received: [],
    count: (transport) => up.received.filter((r) => transport === undefined || r.transport === transport).length,
    queries: () => up.received.filter((r) => !isProbe(r)),
    probes: () => up.received.filter(isProbe),
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
  let closed = false;
  udp.on('message', (raw, rinfo) => {
    void answer(up, raw, 'udp').then((reply) => {
      if (reply && !closed) udp.send(reply, rinfo.port, rinfo.address);
    });
  });
  const close = up.close;
  up.close = async () => {
    closed = true;
    await close();
  };
  return up;
}
