// buildTable on the mesos-dns fixture with the defaults, against the records mesos-dns produced,
// and the /v1/enumerate view it builds alongside.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseState } from '../src/mesos/parse-state.js';
import { buildTable } from '../src/records/build-table.js';
import { a, fixtureState, inputs, rows, srv } from './helpers/build-table.js';

const expectedRows = readFileSync(new URL('./fixtures/expected-records-default.tsv', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'));

describe('buildTable on the fixture with the defaults', () => {
  const table = buildTable(fixtureState(), inputs());
  const got = rows(table);

  it('produces exactly the records mesos-dns produced (expected-records-default.tsv)', () => {
    const want = new Set(expectedRows);
    const have = new Set(got);
    expect(got.filter((r) => !want.has(r))).toEqual([]); // nothing extra
    expect(expectedRows.filter((r) => !have.has(r))).toEqual([]); // nothing missing
    expect(got.length).toBe(have.size); // no duplicate values under a name
    expect(got.length).toBe(expectedRows.length);
  });

  it('has no name without records, and only absolute names', () => {
    for (const [name, r] of table.names) {
      expect(r.a.length + r.aaaa.length + r.srv.length).toBeGreaterThan(0);
      expect(name.endsWith('.')).toBe(true);
    }
  });

  it('gives every SRV priority 0 and the configured weight', () => {
    const all = [...table.names.values()].flatMap((r) => r.srv);
    expect(all.length).toBeGreaterThan(0);
    for (const s of all) expect([s.priority, s.weight]).toEqual([0, 1]);
    const weighted = buildTable(fixtureState(), inputs({ config: { SRVRecordDefaultWeight: 7 } }));
    expect(weighted.names.get('_leader._tcp.mesos.')!.srv[0]).toEqual({ target: 'leader.mesos.', port: 5050, priority: 0, weight: 7 });
  });

  it('fills zone, ttl, SOA and NS from the config and inputs, and freezes the table', () => {
    expect(table.zone).toBe('mesos.');
    expect(table.ttl).toBe(60);
    expect(table.soa).toEqual({
      zone: 'mesos.',
      mname: 'mesos-dns.mesos.',
      rname: 'root.ns1.mesos.',
      serial: 1234,
      refresh: 60,
      retry: 600,
      expire: 86400,
      minimum: 60, // the TTL, not SOAMinttl
    });
    expect(table.ns).toEqual(['mesos-dns.mesos.']);
    expect(Object.isFrozen(table)).toBe(true);
    expect(Object.isFrozen(table.soa)).toBe(true);
    const ttl30 = buildTable(fixtureState(), inputs({ config: { TTL: 30 } }));
    expect([ttl30.ttl, ttl30.soa.minimum]).toEqual([30, 30]);
  });

  it('keeps the legacy unsanitised DiscoveryInfo set next to the sanitised one', () => {
    expect(a(table, 'liquor.store.marathon.mesos.')).toEqual(['1.2.3.11', '1.2.3.12']);
    expect(a(table, 'liquor-store.marathon.mesos.')).toEqual(['1.2.3.11', '1.2.3.12']);
    expect(srv(table, '_liquor.store._tcp.marathon.mesos.')).toEqual([
      'liquor.store-4dfjd-0.marathon.mesos.:80',
      'liquor.store-4dfjd-0.marathon.mesos.:443',
      'liquor.store-zasmd-1.marathon.mesos.:80',
      'liquor.store-zasmd-1.marathon.mesos.:443',
    ]);
    // DI tasks publish resource ports only under .slave., and no _udp without a udp DI port
    expect(table.names.get('_liquor-store._udp.marathon.mesos.')).toBeUndefined();
    expect(srv(table, '_liquor-store._udp.marathon.slave.mesos.')).toHaveLength(4);
  });

  it('records values under a name in insertion order (agents in state order)', () => {
    expect(a(table, 'slave.mesos.')).toEqual(['1.2.3.10', '1.2.3.11', '1.2.3.12']);
    expect(srv(table, '_car-store._tcp.marathon.mesos.')).toEqual([
      'car-store-zinaz-0.marathon.slave.mesos.:31364',
      'car-store-zinaz-0.marathon.slave.mesos.:31365',
    ]);
  });

  it('leaves out tasks that are not TASK_RUNNING', () => {
    expect(table.names.has('poseidon-bc4e3796-2d7a-11e4-b8df-d43d7edb01cd.marathon.mesos.')).toBe(false);
    expect(got.some((r) => r.includes('poseidon'))).toBe(false);
  });

  it('knows every owner, every empty non-terminal inside the zone, and the apex', () => {
    for (const name of table.names.keys()) expect(table.existing.has(name)).toBe(true);
    for (const ent of [
      'mesos.',
      '_tcp.marathon.mesos.',
      '_udp.marathon.slave.mesos.',
      'marathon.slave.mesos.',
      'slave.mesos.',
      '_tcp.mesos.',
      '_liquor-store._tcp.marathon.mesos.',
      'store.marathon.mesos.', // parent of the legacy liquor.store.marathon.mesos.
      'ipv6-framework.slave.mesos.',
    ]) {
      expect(table.existing.has(ent)).toBe(true);
    }
    for (const absent of ['nothere.mesos.', 'marathon.', 'slave.marathon.mesos.', '_udp.marathon.mesos.x.', 'com.']) {
      expect(table.existing.has(absent)).toBe(false);
    }
    expect(table.names.has('_tcp.marathon.mesos.')).toBe(false);
    // size and iteration agree with has()
    const listed = [...table.existing];
    expect(new Set(listed).size).toBe(listed.length);
    expect(table.existing.size).toBe(listed.length);
    expect(listed.every((n) => table.existing.has(n))).toBe(true);
  });

  it('enumerates frameworks in state order with their generated tasks', () => {
    const e = table.enumeration!;
    expect(e.map((f) => f.name)).toEqual(['ipv6-framework', 'chronos with a space AND MIXED CASE-2.0.1', 'no pid', 'marathon']);
    expect(e[2].tasks).toEqual([]);
    expect(e[3].tasks.map((t) => t.name)).toEqual([
      'liquor.store',
      'big.dog2',
      'non-human-readable-liquor-store',
      'car.store',
      'chronos',
      'nginx',
      'reviewbot',
    ]);
    const liquor = e[3].tasks[0];
    expect(liquor.id).toBe('liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5');
    // legacy names first, A before SRV, in mesos-dns's insertion order
    expect(liquor.records!.slice(0, 5)).toEqual([
      { name: 'liquor.store.marathon.mesos.', host: '1.2.3.11', rtype: 'A' },
      { name: 'liquor.store-4dfjd-0.marathon.mesos.', host: '1.2.3.11', rtype: 'A' },
      { name: 'liquor.store.marathon.slave.mesos.', host: '1.2.3.11', rtype: 'A' },
      { name: 'liquor.store-4dfjd-0.marathon.slave.mesos.', host: '1.2.3.11', rtype: 'A' },
      { name: '_liquor.store._tcp.marathon.slave.mesos.', host: 'liquor.store-4dfjd-0.marathon.slave.mesos.:31354', rtype: 'SRV' },
    ]);
    const toy = e[0].tasks[0].records!;
    expect(toy.filter((r) => r.rtype === 'AAAA').map((r) => r.host)).toEqual(['fd01:b::1:8000:2', 'fd01:b::1:8000:2', '2001:db8::1', '2001:db8::1']);
    // leader, master, agent, framework and self records are not task records
    const allNames = e.flatMap((f) => f.tasks.flatMap((t) => (t.records ?? []).map((r) => r.name)));
    for (const n of ['leader.mesos.', 'master.mesos.', 'slave.mesos.', 'marathon.mesos.', 'mesos-dns.mesos.']) expect(allNames).not.toContain(n);
    // every enumerated row is a record of the table
    const have = new Set(got);
    for (const f of e) for (const t of f.tasks) for (const r of t.records ?? []) expect(have.has(`${r.rtype}\t${r.name}\t${r.host}`)).toBe(true);
    // JSON shape as /v1/enumerate prints it
    expect(JSON.parse(JSON.stringify(e))[2]).toEqual({ name: 'no pid', tasks: [] });
  });

  it('is deterministic', () => {
    expect(rows(buildTable(fixtureState(), inputs()))).toEqual(got);
  });
});

describe('enumeration edge cases', () => {
  it('is null without frameworks, and a task that adds nothing new has records null', () => {
    const base = { leader: 'master@10.0.0.1:5050', slaves: [{ id: 'a-S0', pid: 'slave(1)@10.0.0.2:5051' }] };
    expect(buildTable(parseState(base), inputs({ masters: [] })).enumeration).toBeNull();
    const task = { id: 'web.1', name: 'web', slave_id: 'a-S0', state: 'TASK_RUNNING' };
    const t = buildTable(parseState({ ...base, frameworks: [{ name: 'fw', tasks: [task, task] }] }), inputs({ masters: [] }));
    const [first, second] = t.enumeration![0].tasks;
    expect(first.records).toHaveLength(4);
    expect(second).toEqual({ name: 'web', id: 'web.1', records: null });
  });
});
