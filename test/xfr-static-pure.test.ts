// The pure parts of static zone transfer (dns/xfr/static-zone.ts, diff.ts per-RRset TTLs,
// ZoneHistory.admitStatic): zone files parsed and checked as the server does, then compared.
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS, withTyped } from '../src/config/typed.js';
import { diffZone } from '../src/dns/xfr/diff.js';
import { axfrRecords, transferMessages } from '../src/dns/xfr/messages.js';
import { snapshotZoneAt, snapshotZones, staticTransferZone } from '../src/dns/xfr/static-zone.js';
import { ZoneHistory } from '../src/dns/xfr/zone-history.js';
import { QCLASS, QTYPE, type ResourceRecord } from '../src/dns/wire/message.js';
import { checkZone } from '../src/zones/zone-check.js';
import { parseZone } from '../src/zones/zone-parser.js';
import { staticZones, type StaticZones } from '../src/zones/static-zones.js';
import type { Snapshot } from '../src/store.js';
import { buildTable } from '../src/records/build-table.js';
import { parseState } from '../src/mesos/parse-state.js';
import { smallState } from './helpers/small-state.js';
import { inputs } from './helpers/build-table.js';
import { captureLog } from './helpers/log-capture.js';
import dnsPacket from 'dns-packet';

const zones = (...texts: string[]): StaticZones =>
  staticZones(
    texts.map((text, i) => {
      const file = `/z/${i}.zone`;
      return checkZone(file, parseZone({ file, text, origin: 'example.com.', includes: new Map() })).zone;
    }),
  );
const Z = (serial: number, body: string): string => `$TTL 300\n@ SOA ns hm ${serial} 3600 600 86400 120\n@ NS ns\nns A 192.0.2.1\n${body}`;
const one = (text: string) => staticTransferZone(zones(text).zones.get('example.com.')!);
const text = (rrs: ResourceRecord[]): string[] => rrs.map((r) => `${r.name} ${r.ttl} ${JSON.stringify(r.data, (_k, v: { type?: unknown; data?: number[] }) => (v?.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('hex') : v))}`).sort();
const on = withTyped({ ...DEFAULTS, AllowTransfer: ['127.0.0.0/8'], IxfrJournalSize: 5 });

describe('a static zone as a TransferZone', () => {
  const body = 'www 60 A 192.0.2.80\nwww AAAA 2001:db8::80\n@ MX 10 mail\nmail CNAME www\n@ TXT "a b"\n@ CAA 0 issue "ca.example"\ngen TYPE65280 \\# 2 abcd\n';
  it('the SOA is the file\'s, with its serial and TTL; owners in canonical order; every record once', () => {
    const z = one(Z(42, body));
    expect(z.soa.serial).toBe(42);
    expect(z.ttl).toBe(300);
    expect([...z.owners()]).toEqual(['example.com.', 'gen.example.com.', 'mail.example.com.', 'ns.example.com.', 'www.example.com.']);
    expect(z.records('example.com.')!.map((d) => d.type).sort()).toEqual([QTYPE.NS, QTYPE.MX, QTYPE.TXT, QTYPE.CAA].sort());
  });

  it('AXFR carries each RRset\'s TTL and every type, and dig-packet decodes every record', () => {
    const z = one(Z(42, body));
    const records = [...axfrRecords(z)];
    expect(records.find((r) => r.name === 'www.example.com.' && r.data.type === QTYPE.A)!.ttl).toBe(60);
    expect(records.find((r) => r.name === 'www.example.com.' && r.data.type === QTYPE.AAAA)!.ttl).toBe(300);
    const [m] = [...transferMessages({ id: 7, rd: false }, { name: 'example.com.', type: QTYPE.AXFR, class: QCLASS.IN }, records)];
    const decoded = dnsPacket.decode(m);
    // SOA + NS + A(ns) + A + AAAA + MX + CNAME + TXT + CAA + TYPE65280 + SOA: nothing skipped.
    expect(decoded.answers).toHaveLength(11);
    expect(decoded.answers!.map((a) => a.type)).toEqual(expect.arrayContaining(['SOA', 'NS', 'A', 'AAAA', 'MX', 'CNAME', 'TXT', 'CAA', 'UNKNOWN_65280']));
  });

  it('a static zone wins over the table\'s zones at its apex; the others stay', () => {
    const table = buildTable(parseState(smallState(5050, ['a'])), inputs({ serial: 1 }));
    const snapshot: Snapshot = { table, zones: zones(Z(9, '')), generation: 1 };
    expect([...snapshotZones(snapshot).keys()]).toEqual(expect.arrayContaining(['mesos.', 'example.com.']));
    expect(snapshotZoneAt(snapshot, 'EXAMPLE.com.')!.soa.serial).toBe(9);
    expect(snapshotZoneAt(snapshot, 'mesos.')!.soa.serial).toBe(1);
    expect(snapshotZoneAt(snapshot, 'www.example.com.')).toBeUndefined();
  });
});

describe('diff of two versions of a static zone', () => {
  it.each<[string, string, string, string[], string[]]>([
    ['an address changed', 'www A 192.0.2.80\n', 'www A 192.0.2.81\n', ['www.example.com. 300 {"type":1,"address":"192.0.2.80"}'], ['www.example.com. 300 {"type":1,"address":"192.0.2.81"}']],
    ['an RRset\'s TTL changed: deleted and added again', 'www 60 A 192.0.2.80\n', 'www 90 A 192.0.2.80\n', ['www.example.com. 60 {"type":1,"address":"192.0.2.80"}'], ['www.example.com. 90 {"type":1,"address":"192.0.2.80"}']],
    ['a name gone', 'old TXT "x"\n', '', ['old.example.com. 300 {"type":16,"texts":["78"]}'], []],
    ['a generic record added', '', 'gen TYPE65280 \\# 1 ff\n', [], ['gen.example.com. 300 {"type":-1,"rrtype":65280,"bytes":"ff"}']],
    ['nothing', 'www A 192.0.2.80\n', 'www A 192.0.2.80\n', [], []],
  ])('%s', (_what, a, b, removed, added) => {
    const d = diffZone(one(Z(1, a)), one(Z(2, b)));
    expect(text(d.removed)).toEqual(removed);
    expect(text(d.added)).toEqual(added);
  });
});

describe('ZoneHistory.admitStatic', () => {
  it('journals a version whose serial rose, from the old file serial to the new', () => {
    const history = new ZoneHistory({ config: () => on });
    const v1 = zones(Z(10, 'www A 192.0.2.80\n'));
    const v2 = zones(Z(11, 'www A 192.0.2.81\n'));
    history.admitStatic(staticZones([]), v1);
    history.admitStatic(v1, v2);
    const z2 = staticTransferZone(v2.zones.get('example.com.')!);
    const [entry] = history.journalOf(z2).since(10)!;
    expect([entry.from, entry.to]).toEqual([10, 11]);
    expect(text(entry.added)).toEqual(['www.example.com. 300 {"type":1,"address":"192.0.2.81"}']);
    // The table zones' journals are apart.
    expect(history.journal('example.com.').size).toBe(0);
  });

  it.each([
    ['the same serial', 11],
    ['a lower serial', 9],
  ])('content changed with %s: warned, journal emptied', (_what, serial) => {
    const log = captureLog('info');
    const history = new ZoneHistory({ config: () => on, logger: log.logger });
    const v1 = zones(Z(10, 'www A 192.0.2.80\n'));
    const v2 = zones(Z(11, 'www A 192.0.2.81\n'));
    const v3 = zones(Z(serial, 'www A 192.0.2.82\n'));
    history.admitStatic(v1, v2);
    const journal = history.journalOf(staticTransferZone(v3.zones.get('example.com.')!));
    expect(journal.size).toBe(1);
    history.admitStatic(v2, v3);
    expect(journal.size).toBe(0);
    expect(log.lines.filter((l) => l.level === 40 && l.zone === 'example.com.')).toHaveLength(1);
  });

  it('a file reloaded unchanged (same serial, same records) is no change', () => {
    const log = captureLog('info');
    const history = new ZoneHistory({ config: () => on, logger: log.logger });
    const v1 = zones(Z(10, 'www A 192.0.2.80\n'));
    const v2 = zones(Z(11, 'www A 192.0.2.81\n'));
    const again = zones(Z(11, 'www A 192.0.2.81\n'));
    history.admitStatic(v1, v2);
    history.admitStatic(v2, again);
    expect(history.journalOf(staticTransferZone(again.zones.get('example.com.')!)).since(10)).toHaveLength(1);
    expect(log.lines.filter((l) => l.level === 40)).toHaveLength(0);
  });

  it('keeps no journal with transfers off', () => {
    const history = new ZoneHistory({ config: () => DEFAULTS });
    const v1 = zones(Z(10, 'www A 192.0.2.80\n'));
    const v2 = zones(Z(11, 'www A 192.0.2.81\n'));
    history.admitStatic(v1, v2);
    expect(history.journalOf(staticTransferZone(v2.zones.get('example.com.')!)).size).toBe(0);
  });
});
