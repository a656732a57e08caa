// The overlay's map (src/records/incremental/versioned-map.ts): every generation reads what it
// held when it was made, however many updates follow, and a key keeps a bounded number of values.
import { describe, expect, it } from '@jest/globals';
import { VersionedMap } from '../src/records/incremental/versioned-map.js';

describe('VersionedMap', () => {
  it('keeps each generation as it was', () => {
    const g0 = VersionedMap.empty<string, number>();
    const g1 = g0.with(new Map([['a', 1], ['b', 1]]));
    const g2 = g1.with(new Map([['a', 2], ['c', 2]]));
    expect([...g0]).toEqual([]);
    expect(Object.fromEntries(g1)).toEqual({ a: 1, b: 1 });
    expect(Object.fromEntries(g2)).toEqual({ a: 2, b: 1, c: 2 });
    expect([g1.size, g2.size]).toEqual([2, 3]);
    expect(g1.has('c')).toBe(false);
    // an older generation updated gets a map of its own; the newer one is unchanged
    const branch = g1.with(new Map([['b', 9]]));
    expect(Object.fromEntries(branch)).toEqual({ a: 1, b: 9 });
    expect(Object.fromEntries(g2)).toEqual({ a: 2, b: 1, c: 2 });
  });

  it('keeps the newest value of a key and the 16 before it, and a view further behind reads the oldest kept', () => {
    let m = VersionedMap.empty<string, number>().with(new Map([['hot', 0], ['cold', 0]]));
    const views = [m];
    for (let i = 1; i <= 40; i++) views.push((m = m.with(new Map([['hot', i]]))));
    expect(views[40].get('hot')).toBe(40);
    expect(views[30].get('hot')).toBe(30);
    expect(views[25].get('hot')).toBe(25);
    expect(views[24].get('hot')).toBe(24);
    expect(views[3].get('hot')).toBe(24); // dropped: the oldest value kept
    expect(views[3].get('cold')).toBe(0);
    expect(views[3].has('new')).toBe(false);
  });
});
