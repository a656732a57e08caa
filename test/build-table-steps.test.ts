// The build in steps (build-table.ts buildTablePartsInSteps): the same table as the build in one
// go, with turns of the event loop between its steps, so that publish.ts does not hold the main
// thread (the state source, /health, the HTTP API) for a whole 100,000-task build.
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS } from '../src/config/typed.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import { createPublisher } from '../src/publish.js';
import { buildTableParts, buildTablePartsInSteps, type BuildInputs } from '../src/records/build-table.js';
import { firstDifference } from '../src/records/incremental/compare-tables.js';
import { TableStore } from '../src/store.js';
import { generateStateText } from '../bench/gen-state.js';
import { masters } from './helpers/masters.js';
import { startReverseHelper } from '../src/workers/reverse-helper.js';

const MASTERS = masters(['10.0.0.1:5050']);
let text: string | undefined;
// A fresh state each time (publish compares states by identity), from one generated text.
const state = () => parseStateText((text ??= generateStateText(20_000, 3, { leader: 'master@10.0.0.1:5050' })));
function firstDiffering(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('the table built in steps', () => {
  it('is the table built in one go, with pauses between its steps', async () => {
    const s = state();
    const inputs: BuildInputs = { config: DEFAULTS, masters: MASTERS, addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 5 };
    let pauses = 0;
    const stepped = await buildTablePartsInSteps(s, inputs, () => {
      pauses++;
      return turn();
    });
    const whole = buildTableParts(s, inputs);
    // 20,000 tasks: two steps of 8,192 tasks and the rest, then the builder's finish and the PTRs.
    expect(pauses).toBe(5);
    expect(firstDifference(stepped.table, whole.table)).toBeUndefined();
    expect(firstDifference(whole.table, stepped.table)).toBeUndefined();
    // Large: compared as JSON text (toEqual's deep walk of them took seconds).
    expect(JSON.stringify(stepped.table.reverse!.data) === JSON.stringify(whole.table.reverse!.data)).toBe(true);
    expect(stepped.table.reverse!.data.owners.length).toBeGreaterThan(1000);
    // The logs hold millions of numbers: compared in a loop (toEqual on them took ~20 s).
    expect(stepped.log.length).toBe(whole.log.length);
    expect(firstDiffering(stepped.log, whole.log)).toBe(-1);
    expect(JSON.stringify(stepped.table.enumeration) === JSON.stringify(whole.table.enumeration)).toBe(true);
    // A state of one step or less is built in one go.
    const small = parseStateText(generateStateText(2_000, 3, { leader: 'master@10.0.0.1:5050' }));
    let smallPauses = 0;
    await buildTablePartsInSteps(small, inputs, () => {
      smallPauses++;
      return turn();
    });
    expect(smallPauses).toBe(0);
  });

  it('makes the same PTRs on the reverse helper thread, or here when that fails', async () => {
    const s = state();
    const inputs: BuildInputs = { config: DEFAULTS, masters: MASTERS, addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 5 };
    const whole = JSON.stringify(buildTableParts(s, inputs).table.reverse!.data);
    const helper = startReverseHelper(20_000);
    let asked = 0;
    try {
      const elsewhere = await buildTablePartsInSteps(s, inputs, turn, (input) => {
        asked++;
        return helper.make(input);
      });
      expect(helper.failure).toBeUndefined();
      expect(asked).toBe(1);
      expect(JSON.stringify(elsewhere.table.reverse!.data) === whole).toBe(true);
    } finally {
      helper.close();
    }
    const failed = await buildTablePartsInSteps(s, inputs, turn, () => Promise.reject(new Error('no thread')));
    expect(JSON.stringify(failed.table.reverse!.data) === whole).toBe(true);
  });

  it('lets the event loop turn while publish builds a large state', async () => {
    const store = new TableStore();
    const p = createPublisher({ config: () => DEFAULTS, store, selfAddresses: () => ['127.0.0.1'], lookupHost: async () => [] });
    let done = false;
    let turns = 0;
    const published = p.publish(state(), MASTERS, 'poll').finally(() => (done = true));
    expect(p.busy?.()).toBe(true);
    while (!done) {
      await turn();
      turns++;
    }
    await published;
    expect(p.busy?.()).toBe(false);
    // One turn per step at least (five); a build in one go lets through one or two.
    expect(turns).toBeGreaterThanOrEqual(5);
    expect(store.current()!.table.names.get('leader.mesos.')?.a).toEqual(['10.0.0.1']);
  });

  it("gives up a polled state's build for the stream's snapshot queued meanwhile, at start-up", async () => {
    const store = new TableStore();
    let swaps = 0;
    const p = createPublisher({ config: () => DEFAULTS, store, selfAddresses: () => ['127.0.0.1'], lookupHost: async () => [], onSwapped: () => swaps++ });
    const polled = p.publish(state(), MASTERS, 'poll');
    await turn();
    await turn();
    const streamed = parseStateText(generateStateText(100, 3, { leader: 'master@10.0.0.2:5050' }));
    const fromStream = p.publish(streamed, MASTERS, 'stream');
    const [a, b] = await Promise.all([polled, fromStream]);
    // One table, the stream's, for both callers: the poll's build stopped at its next step.
    expect(swaps).toBe(1);
    expect(a).toBe(b);
    expect(b.generation).toBe(1);
    expect(b.table.names.get('leader.mesos.')?.a).toEqual(['10.0.0.2']);
    // Once the stream's incremental table exists, a poll is built to the end.
    const again = p.publish(state(), MASTERS, 'poll');
    await turn();
    await turn();
    await p.publish(streamed, MASTERS, 'stream');
    expect((await again).table.names.get('leader.mesos.')?.a).toEqual(['10.0.0.1']);
    expect(swaps).toBe(3);
  });
});
