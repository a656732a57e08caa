import { describe, expect, it } from '@jest/globals';
import { TableStore } from '../src/store.js';
import type { RecordTable } from '../src/records/table.js';

const table = (zone: string): RecordTable => ({
  zone,
  ttl: 60,
  soa: { zone, mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', serial: 1, refresh: 60, retry: 600, expire: 86400, minimum: 60 },
  ns: ['ns1.mesos.'],
  names: new Map(),
  existing: new Set([zone]),
  enumeration: null,
});

describe('TableStore', () => {
  it('has no snapshot before the first swap and a new generation after each', () => {
    const store = new TableStore();
    expect(store.current()).toBeUndefined();
    const seen: number[] = [];
    store.onSwap((s) => seen.push(s.generation));
    const first = store.swap(table('mesos.'));
    const second = store.swap(table('dc.mesos.'));
    expect(first.generation).toBe(1);
    expect(second.generation).toBe(2);
    // a snapshot read before a swap keeps its own table
    expect(first.table.zone).toBe('mesos.');
    expect(store.current()?.table.zone).toBe('dc.mesos.');
    expect(seen).toEqual([1, 2]);
  });
});
