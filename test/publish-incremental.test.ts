// publish.ts with the incremental table: stream states are patched in, other states are built in
// full, and a patched table is followed (at the thresholds) by a full build of the same state
// that is compared with it (the consistency check) and swapped in as the new base.
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS } from '../src/config/typed.js';
import type { MasterState, Task } from '../src/mesos/state.js';
import { createPublisher, type UpdateKind } from '../src/publish.js';
import { LiveState } from '../src/mesos/live-state.js';
import { buildTable, buildTableParts, type BuildInputs } from '../src/records/build-table.js';
import { firstDifference } from '../src/records/incremental/compare-tables.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
import { TableStore } from '../src/store.js';
import { masters } from './helpers/masters.js';
import { syntheticState, syntheticTask } from './helpers/workers.js';
import { captureLog } from './helpers/log-capture.js';

const MASTERS = masters(['10.0.0.1:5050']);
const task = (id: string, ip: string): Task => syntheticTask(id, 'extra', ip);
const launched = (state: MasterState, t: Task): MasterState => ({ ...state, frameworks: [{ ...state.frameworks[0], tasks: [...state.frameworks[0].tasks, t] }] });

/** Counts turns of the event loop (a setImmediate chain) until stop(). */
function countTurns(): { count: number; stop(): void } {
  const out = { count: 0, stop: () => void (running = false) };
  let running = true;
  const tick = (): void => {
    if (!running) return;
    out.count++;
    setImmediate(tick);
  };
  tick();
  return out;
}

function publisher(options: { checkMs?: number; mergeNames?: number } = {}) {
  const store = new TableStore();
  const kinds: UpdateKind[] = [];
  const mismatches: string[] = [];
  const p = createPublisher({
    config: () => DEFAULTS,
    store,
    selfAddresses: () => ['127.0.0.1'],
    lookupHost: async () => [],
    onSwapped: (_t, _l, _s, kind) => kinds.push(kind),
    onMismatch: (name) => mismatches.push(name),
    ...options,
  });
  return { p, store, kinds, mismatches };
}

describe('publishing with the incremental table', () => {
  it('patches stream states after the first, and builds polled states in full', async () => {
    const { p, store, kinds } = publisher();
    let state = syntheticState(50);
    await p.publish(state, MASTERS, 'stream');
    state = launched(state, task('x.1', '10.9.0.1'));
    const patched = await p.publish(state, MASTERS, 'stream');
    expect(patched.patch?.touched).toContain('extra.marathon.mesos.');
    expect(store.current()?.table.names.get('extra.marathon.mesos.')?.a).toEqual(['10.9.0.1']);
    await p.publish(launched(state, task('x.2', '10.9.0.2')), MASTERS, 'poll');
    // after a poll the next stream state is built in full again (and patched from then on)
    state = launched(state, task('x.3', '10.9.0.3'));
    await p.publish(state, MASTERS, 'stream');
    await p.publish(launched(state, task('x.4', '10.9.0.4')), MASTERS, 'stream');
    expect(kinds).toEqual(['full', 'patch', 'full', 'full', 'patch']);
    // serials keep increasing over patches and full builds (RFC 1982)
    expect(store.current()!.table.soa.serial).toBeGreaterThan(patched.table.soa.serial);
  });

  it("keeps patching after a poll rebuilt the stream's own view", async () => {
    const { p, kinds } = publisher();
    const live = new LiveState({ master: syntheticState(50), waitingTasks: [] });
    await p.publish(live.snapshot().master, MASTERS, 'stream');
    // a poll in stream mode publishes the stream's view (with its place in the change log)
    await p.publish(live.snapshot().master, MASTERS, 'poll');
    live.putTask(task('x.1', '10.9.0.1'));
    await p.publish(live.snapshot().master, MASTERS, 'stream');
    expect(kinds).toEqual(['full', 'full', 'patch']);
  });

  it('follows a patch with a checked full build of the same state when the check is due', async () => {
    const { p, store, kinds, mismatches } = publisher({ checkMs: 0 });
    const state = syntheticState(50);
    await p.publish(state, MASTERS, 'stream');
    const patched = await p.publish(launched(state, task('x.1', '10.9.0.1')), MASTERS, 'stream');
    for (let i = 0; i < 100 && kinds.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(kinds).toEqual(['full', 'patch', 'full']);
    expect(mismatches).toEqual([]);
    const merged = store.current()!.table;
    expect(merged.overlay).toBeUndefined(); // a new packed base
    expect(firstDifference(patched.table, merged)).toBeUndefined();
  });

  it('starts the incremental table once the DNS threads serve the full build, or at the first event before that', async () => {
    const { logger, lines } = captureLog('debug');
    const started = () => lines.filter((l) => l.msg === 'incremental table started').map((l) => l.generation);
    const served: Array<{ generation: number; done: () => void }> = [];
    const store = new TableStore();
    const kinds: UpdateKind[] = [];
    const p = createPublisher({
      config: () => DEFAULTS,
      store,
      selfAddresses: () => ['127.0.0.1'],
      lookupHost: async () => [],
      logger,
      onSwapped: (_t, _l, _s, kind) => kinds.push(kind),
      served: (generation) => new Promise<void>((done) => served.push({ generation, done })),
    });
    const turn = () => new Promise((r) => setImmediate(r));
    const state = syntheticState(50);
    await p.publish(state, MASTERS, 'stream');
    await turn();
    await turn();
    expect(served.map((s) => s.generation)).toEqual([1]);
    expect(started()).toEqual([]); // the workers do not serve generation 1 yet
    served[0].done();
    await turn();
    await turn();
    expect(started()).toEqual([1]);
    // the next full build's: an event before the workers serve it starts it, and is patched
    await p.publish(state, MASTERS, 'poll');
    const next = launched(state, task('x.1', '10.9.0.1'));
    await p.publish(next, MASTERS, 'stream');
    await p.publish(launched(next, task('x.2', '10.9.0.2')), MASTERS, 'stream');
    expect(started()).toEqual([1, 3]);
    expect(kinds).toEqual(['full', 'full', 'full', 'patch']);
    expect(store.current()!.table.names.get('extra.marathon.mesos.')?.a).toEqual(['10.9.0.1', '10.9.0.2']);
    expect(served.map((s) => s.generation)).toEqual([1, 3]); // a polled document is never patched: no incremental table
    served[1].done();
    await turn();
    await turn();
    expect(started()).toEqual([1, 3]); // not a second time
  });

  it('starts a large incremental table in steps, with turns of the event loop between them, once the workers serve the build', async () => {
    const { logger, lines } = captureLog('debug');
    const store = new TableStore();
    const p = createPublisher({ config: () => DEFAULTS, store, selfAddresses: () => ['127.0.0.1'], lookupHost: async () => [], logger, served: async () => undefined });
    await p.publish(syntheticState(20_000), MASTERS, 'stream');
    const turns = countTurns();
    while (!lines.some((l) => l.msg === 'incremental table started')) await new Promise((r) => setImmediate(r));
    turns.stop();
    const start = lines.find((l) => l.msg === 'incremental table started');
    expect(start?.steps).toBe(6); // 20,000 tasks: three whole-table passes, a pause every 8192 tasks, one before the PTRs
    expect(turns.count).toBeGreaterThanOrEqual(6);
  });

  it('patches the events that wait for the start, in order (the steps left run without turns between them)', async () => {
    const { logger, lines } = captureLog('debug');
    const store = new TableStore();
    const kinds: UpdateKind[] = [];
    // No `served`: the start waits for the first event, which then waits for it.
    const p = createPublisher({ config: () => DEFAULTS, store, selfAddresses: () => ['127.0.0.1'], lookupHost: async () => [], logger, onSwapped: (_t, _l, _s, kind) => kinds.push(kind) });
    const state = syntheticState(20_000);
    await p.publish(state, MASTERS, 'stream');
    const first = launched(state, task('x.1', '10.9.0.1'));
    const second = launched(first, task('x.2', '10.9.0.2'));
    const turns = countTurns();
    const [a, b] = await Promise.all([p.publish(first, MASTERS, 'stream'), p.publish(second, MASTERS, 'stream')]);
    turns.stop();
    // Six steps, and only the turns a publish takes anyway (one before each of the two patches),
    // where a start in the background gives one per step (the test above).
    expect(turns.count).toBeLessThan(6);
    expect(kinds).toEqual(['full', 'patch', 'patch']);
    expect(a.table.names.get('extra.marathon.mesos.')?.a).toEqual(['10.9.0.1']);
    expect(b.table.names.get('extra.marathon.mesos.')?.a).toEqual(['10.9.0.1', '10.9.0.2']);
    expect(lines.find((l) => l.msg === 'incremental table started')?.steps).toBe(6);
    const fresh = buildTable(second, { config: DEFAULTS, masters: MASTERS, addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 });
    expect(firstDifference(store.current()!.table, fresh)).toBeUndefined();
  });

  it('merges when the overlay grows past the threshold', async () => {
    const { p, kinds } = publisher({ mergeNames: 1 });
    const state = syntheticState(20);
    await p.publish(state, MASTERS, 'stream');
    await p.publish(launched(state, task('x.1', '10.9.0.1')), MASTERS, 'stream');
    for (let i = 0; i < 100 && kinds.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(kinds).toEqual(['full', 'patch', 'full']);
  });
});

describe('agent and framework events', () => {
  it('resolves a new agent\'s hostname before patching it in, and checks the patch against a full build', async () => {
    const store = new TableStore();
    const kinds: UpdateKind[] = [];
    const mismatches: string[] = [];
    const looked: string[] = [];
    const p = createPublisher({
      config: () => DEFAULTS,
      store,
      selfAddresses: () => ['127.0.0.1'],
      lookupHost: async (name) => (looked.push(name), name === 'agent-new.example' ? ['10.1.9.9'] : []),
      onSwapped: (_t, _l, _s, kind) => kinds.push(kind),
      onMismatch: (name) => mismatches.push(name),
      checkMs: 0,
    });
    const live = new LiveState({ master: syntheticState(50), waitingTasks: [] });
    await p.publish(live.snapshot().master, MASTERS, 'stream');
    looked.length = 0;
    live.putAgent({ id: 'agent-new', hostname: 'agent-new.example', pid: { name: 'slave(1)', host: 'agent-new.example', port: 5051 } });
    live.putTask({ ...task('x.1', '10.9.0.1'), agentId: 'agent-new' });
    await p.publish(live.snapshot().master, MASTERS, 'stream');
    expect(looked).toEqual(['agent-new.example']); // only the new name, not those the base resolved
    expect(store.current()!.table.names.get('extra.marathon.slave.mesos.')?.a).toEqual(['10.1.9.9']);
    expect(store.current()!.table.names.get('slave.mesos.')?.a).toContain('10.1.9.9');
    // the check (due at once here) builds the same state in full and finds no difference
    for (let i = 0; i < 100 && kinds.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(kinds).toEqual(['full', 'patch', 'full']);
    expect(mismatches).toEqual([]);
  });
});

describe('the consistency check', () => {
  it('names the first name where a table differs from a fresh build', () => {
    const inputs: BuildInputs = { config: DEFAULTS, masters: MASTERS, addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 };
    const state = syntheticState(30);
    const engine = new IncrementalTable(state, inputs, buildTableParts(state, inputs));
    const next = launched(state, task('x.1', '10.9.0.1'));
    const patch = engine.apply(next, inputs)!;
    expect(firstDifference(patch.table, buildTable(next, inputs))).toBeUndefined();
    // against the state without the launch: the launched task's first name differs
    expect(firstDifference(patch.table, buildTable(state, inputs))).toMatch(/^(_extra\._tcp\.|extra[.-])/);
    expect(firstDifference(buildTable(state, inputs), patch.table)).toMatch(/extra/);
  });
});
