// Static zones (docs/static-zones.md), in-process: how long a zone file of N names takes from
// text to the served structure (lexer + parser + checks + index: what a file change costs the
// main thread), and what one lookup costs (the pure RFC 1034 §4.3.2 walk, no sockets).
import { performance } from 'node:perf_hooks';
import { lookupStatic } from '../src/dns/answer/static-lookup.js';
import { QCLASS, QTYPE, type Query } from '../src/dns/wire/message.js';
import { checkZone } from '../src/zones/zone-check.js';
import { parseZone } from '../src/zones/zone-parser.js';
import { staticZones } from '../src/zones/static-zones.js';

export interface ZonesRow {
  names: number;
  bytes: number;
  loadMs: number;
  /** Nanoseconds per lookup: A hits, CNAME->A, NXDOMAIN, in equal parts. */
  lookupNs: number;
}

function zoneText(names: number): string {
  const lines = ['$TTL 300', '@ SOA ns1 hostmaster 1 3600 600 86400 60', '@ NS ns1', 'ns1 A 192.0.2.1'];
  for (let i = 0; i < names; i++) {
    lines.push(i % 10 === 9 ? `h${i} CNAME h${i - 1}` : `h${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  }
  return lines.join('\n') + '\n';
}

export function runZones(sizes: readonly number[], lookups = 300_000): ZonesRow[] {
  return sizes.map((names) => {
    const text = zoneText(names);
    const file = '/bench/example.test.zone';
    let loadMs = Infinity;
    let zones = staticZones([]);
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      const { zone } = checkZone(file, parseZone({ file, text, origin: 'example.test.', includes: new Map() }));
      zones = staticZones([zone]);
      loadMs = Math.min(loadMs, performance.now() - t0);
    }
    const queries: Query[] = [];
    for (let i = 0; i < 1024; i++) {
      const n = (i * 7919) % names;
      const name = i % 3 === 2 ? `missing${n}.example.test` : i % 3 === 1 ? `h${n - (n % 10) + 9 < names ? n - (n % 10) + 9 : n}.example.test` : `h${n}.example.test`;
      queries.push({ id: 1, opcode: 0, rd: true, cd: false, question: { name, type: QTYPE.A, class: QCLASS.IN } });
    }
    const opts = { random: () => 0, recurseOn: true };
    let sink = 0;
    for (let i = 0; i < 20_000; i++) sink += lookupStatic(zones, queries[i & 1023], 'example.test.', opts).answer.length; // warm-up
    const t0 = performance.now();
    for (let i = 0; i < lookups; i++) sink += lookupStatic(zones, queries[i & 1023], 'example.test.', opts).answer.length;
    const lookupNs = ((performance.now() - t0) * 1e6) / lookups;
    if (sink < 0) throw new Error('unreachable');
    return { names, bytes: Buffer.byteLength(text), loadMs, lookupNs };
  });
}

export function formatZones(rows: readonly ZonesRow[]): string {
  return [
    '| names in the zone file | file size | text to served structure (ms, best of 3) | one lookup (ns; A, CNAME→A, NXDOMAIN) |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.names.toLocaleString('en-US')} | ${(r.bytes / 1024).toFixed(0)} KiB | ${r.loadMs.toFixed(1)} | ${r.lookupNs.toFixed(0)} |`),
  ].join('\n');
}
