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
});
