// Shared by the encoder tests (encode-sections, encode-truncation, encode-layout, dns-case): queries
// as the server gets them, records and answers to encode, and a small table to look up in.
import dnsPacket from 'dns-packet';
import { type EncodeOptions } from '../../src/dns/wire/encode.js';
import { parseQuery } from '../../src/dns/wire/parse-query.js';
import { QTYPE, type Answer, type Query, type ResourceRecord } from '../../src/dns/wire/message.js';
import { buildTestTable } from './table.js';
import { seededRandom } from './seeded-random.js';

export const UDP: EncodeOptions = { maxSize: 512, setTruncateBit: true, ednsUdpSize: 1232 };
export const TCP: EncodeOptions = { maxSize: 65535, setTruncateBit: true, ednsUdpSize: 1232 };

/** A query as the server would get it: dns-packet bytes through our parser. */
export function query(name: string, type: dnsPacket.RecordType, o: { udpSize?: number; dnssecOk?: boolean; version?: number; cd?: boolean; rd?: boolean } = {}): Query {
  const buf = dnsPacket.encode({
    type: 'query',
    id: 0xbeef,
    flags: (o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED) | (o.cd ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ name, type, class: 'IN' }],
    additionals:
      o.udpSize === undefined
        ? []
        : [{ type: 'OPT', name: '.', udpPayloadSize: o.udpSize, ednsVersion: o.version ?? 0, flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0 } as dnsPacket.Answer],
  });
  const r = parseQuery(buf);
  if (r.kind !== 'query') throw new Error(`test query did not parse: ${JSON.stringify(r)}`);
  return r.query;
}

export const a = (name: string, address: string, ttl = 60): ResourceRecord => ({ name, ttl, data: { type: QTYPE.A, address } });
export const aaaa = (name: string, address: string, ttl = 60): ResourceRecord => ({ name, ttl, data: { type: QTYPE.AAAA, address } });
export const srv = (name: string, port: number, target: string): ResourceRecord => ({ name, ttl: 60, data: { type: QTYPE.SRV, priority: 0, weight: 1, port, target } });
export const success = (answer: ResourceRecord[], additional: ResourceRecord[] = [], authority: ResourceRecord[] = []): Answer => ({
  kind: 'success',
  aa: true,
  ra: true,
  answer,
  authority,
  additional,
});

export const decode = (buf: Buffer) => dnsPacket.decode(buf);
export const optOf = (buf: Buffer) => (decode(buf).additionals ?? []).find((rr): rr is dnsPacket.OptAnswer => rr.type === 'OPT');
export const counts = (buf: Buffer) => [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];

export const table = buildTestTable([
  'leader.mesos. A 10.0.0.1',
  'ns1.mesos. A 10.0.0.53',
  '_web._tcp.marathon.mesos. SRV 0 1 31000 web-aaaaa-0.marathon.slave.mesos.',
  '_web._tcp.marathon.mesos. SRV 0 1 31001 web-bbbbb-1.marathon.slave.mesos.',
  'web-aaaaa-0.marathon.slave.mesos. A 1.2.3.11',
  'web-aaaaa-0.marathon.slave.mesos. AAAA 2001:db8::11',
  'web-bbbbb-1.marathon.slave.mesos. A 1.2.3.12',
]);
export const lookupOpts = { random: seededRandom(5), recurseOn: true };
