// collect-garbage.ts: a full collection shortly after a swap, never in the middle of a build.
import { describe, expect, it } from '@jest/globals';
import { garbageCollector } from '../src/collect-garbage.js';

describe('the collection after a swap', () => {
  it('runs once after the delay, and waits while the thread is busy building', async () => {
    let busy = true;
    let busyAsked = 0;
    const collected: number[] = [];
    const collector = garbageCollector({
      delayMs: 20,
      minIntervalMs: 0,
      onCollected: (ms) => collected.push(ms),
      busy: () => {
        busyAsked++;
        return busy;
      },
    });
    collector.afterSwap();
    collector.afterSwap(); // one collection for both
    while (busyAsked < 3) await new Promise((r) => setTimeout(r, 10));
    expect(collected).toEqual([]);
    busy = false;
    while (collected.length === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 60));
    expect(collected).toHaveLength(1);
    collector.close();
  });

  it('runs no sooner than the delay after the last swap, also when a busy spell ends with one', async () => {
    let clock = 0;
    let busy = true;
    const collected: number[] = [];
    const collector = garbageCollector({ delayMs: 40, minIntervalMs: 0, now: () => clock, onCollected: () => collected.push(clock), busy: () => busy });
    collector.afterSwap(); // at 0: due at 40, but busy
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    clock = 100;
    await wait(60); // the check at ~40 found it busy and set another 40
    busy = false;
    collector.afterSwap(); // the swap that ends the busy spell, at 100
    clock = 120;
    await wait(60); // the check at ~80: 20 since that swap, not 40: waits the rest
    expect(collected).toEqual([]);
    clock = 141;
    await wait(60);
    expect(collected).toEqual([141]);
    collector.close();
  });
});
