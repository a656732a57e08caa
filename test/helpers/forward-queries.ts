// Test queries for the forwarding tests (forward.test.ts, forward-cache.test.ts): wire bytes
// built with dns-packet, and the same bytes parsed the way the server parses them.
import dnsPacket from 'dns-packet';
import type { Query } from '../../src/dns/wire/message.js';
import { parseQuery } from '../../src/dns/wire/parse-query.js';

export function queryBytes(name: string, type: dnsPacket.RecordType = 'A', id = 0x1234, edns = false): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    additionals: edns
      ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
      : [],
  });
}

export function parsed(raw: Buffer): Query {
  const result = parseQuery(raw);
  if (result.kind !== 'query') throw new Error(`test query did not parse: ${result.kind}`);
  return result.query;
}
