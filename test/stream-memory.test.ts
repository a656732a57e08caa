// What the Operator API stream keeps in memory once it is live (issue 16, steady RSS with the
// stream on): the SUBSCRIBED record's bytes are let go once read, the incremental table does not
// keep the full build's per-label and per-address caches, and the change log does not keep
// replaced tasks for long. Each check holds a WeakRef to the
// thing that must go, drops its own references, collects, and expects it gone; with the
// retention back, the WeakRef still answers.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { encodeRecord } from '../src/mesos/recordio.js';
import { configuredStateReader } from '../src/mesos/read-state.js';
import { readSubscribedRecord } from '../src/mesos/read-subscribed.js';
import { SnapshotDecoder } from '../src/mesos/snapshot-decoder.js';
import { LiveState } from '../src/mesos/live-state.js';
import { buildTableParts } from '../src/records/build-table.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
import { inputs } from './helpers/build-table.js';
import { getState, subscribed, v1Agent, v1Framework, v1Status, v1Task } from './helpers/stream-master.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collects until `ref` is cleared (WeakRef targets live at least until the current job ends). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  // Up to 30 collections over ~0.3 s: on a loaded machine (the suite's other worker, other
  // builds) a reference can outlive the first few turns; one kept for good never goes.
  for (let i = 0; i < 30 && ref.deref() !== undefined; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
  return ref.deref() === undefined;
}

const leader = { name: 'master', host: '127.0.0.1', port: 5050 };

function snapshotJson(tasks: number): Record<string, unknown> {
  return subscribed(
    getState({
      agents: [v1Agent('a1', '10.1.0.1')],
      frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')],
      tasks: Array.from({ length: tasks }, (_, i) =>
        v1Task({
          id: `t${i}.0000`,
          name: `t${i}`,
          frameworkId: 'fw1',
          agentId: 'a1',
          state: 'TASK_RUNNING',
          ports: [[31000, 31001]],
          statuses: [v1Status({ taskId: `t${i}.0000`, agentId: 'a1', state: 'TASK_RUNNING', ips: [`10.2.${i >> 8}.${i & 255}`] })],
        }),
      ),
    }),
  );
}

describe('the stream keeps no more than it serves from', () => {
  const reader = configuredStateReader(true).reader;
  (reader === null ? it.skip : it)('lets go of the SUBSCRIBED record once the native reader has read it', async () => {
    const decoder = new SnapshotDecoder(reader, 1 << 30);
    // In a function of its own, so no frame of this test holds the record.
    const { ref, tasks } = ((): { ref: WeakRef<Buffer>; tasks: number } => {
      const bytes = encodeRecord(JSON.stringify(snapshotJson(200)));
      let record: Buffer | undefined;
      // Pieces, as the stream's chunks come: the record is read while it arrives.
      for (let at = 0; at < bytes.length; at += 4096) for (const r of decoder.decoder.push(bytes.subarray(at, at + 4096))) record = r;
      const native = decoder.first();
      expect(typeof native).toBe('object');
      const { read } = readSubscribedRecord(record!, leader, reader, { arrived: native });
      return { ref: new WeakRef(record!), tasks: read.state.master.frameworks[0].tasks.length };
    })();
    expect(tasks).toBe(200);
    // The decoder lives as long as the subscription; the record must not live with it.
    expect(await collected(ref)).toBe(true);
    expect(decoder.first()).toBeUndefined();
    decoder.cancel();
  });

  it("does not keep the full build's label and address caches in the incremental table", async () => {
    const { read } = readSubscribedRecord(Buffer.from(JSON.stringify(snapshotJson(300))), leader, null);
    const live = new LiveState(read.state);
    const state = live.snapshot().master;
    const i = inputs();
    let parts: ReturnType<typeof buildTableParts> | undefined = buildTableParts(state, i);
    const groups = new WeakRef(parts.contexts.find((c) => c !== undefined)!.groups);
    const seenIps = new WeakRef(parts.seenIps);
    expect(groups.deref()!.size).toBeGreaterThanOrEqual(300);
    expect(seenIps.deref()!.size).toBeGreaterThanOrEqual(300);
    const engine = new IncrementalTable(state, i, parts);
    parts = undefined;
    expect(await collected(groups)).toBe(true);
    expect(await collected(seenIps)).toBe(true);
    // And it still patches: a task launched with a new address gets its records.
    live.putTask({ ...state.frameworks[0].tasks[0], id: 'new.0000', name: 'new', idHash: undefined, running: { timestamp: 2, networkIPs: ['10.9.0.1'], mesosLabelIPs: [], dockerLabelIPs: [] } });
    const patch = engine.apply(live.snapshot().master, { ...i, serial: i.serial + 1 });
    expect(patch?.table.names.get('new.marathon.mesos.')?.a).toEqual(['10.9.0.1']);
  });
});

describe("the stream's change log", () => {
  it('lets the tasks it replaced go within 10,000 changes (the incremental table reads 4,000 back at most)', async () => {
    // The first state is not kept here: it carries the first change log (MasterState.changes),
    // which holds the first task below, and a local that outlives it could keep it reachable
    // (the test then failed now and then, depending on what V8 kept of the async frame).
    const live = new LiveState(readSubscribedRecord(Buffer.from(JSON.stringify(snapshotJson(10))), leader, null).read.state);
    const template = live.snapshot().master.frameworks[0].tasks[0];
    // A task updated over and over (a health check flapping): each update replaces the last.
    const first = ((): WeakRef<object> => {
      const task = { ...template, running: { ...template.running!, timestamp: 0 } };
      live.putTask(task);
      return new WeakRef(task);
    })();
    for (let i = 1; i <= 10_000; i++) live.putTask({ ...template, running: { ...template.running!, timestamp: i } });
    expect(live.task('fw1', template.id)?.running?.timestamp).toBe(10_000);
    expect(await collected(first)).toBe(true);
  });
});

describe('a task in the stream state', () => {
  const reader = configuredStateReader(true).reader;
  (reader === null ? it.skip : it)('takes at most ~500 bytes of heap when read natively (one address, two ports)', async () => {
    const bytes = Buffer.from(JSON.stringify(snapshotJson(20_000)));
    await collected(new WeakRef({}));
    const before = process.memoryUsage().heapUsed;
    const { read } = readSubscribedRecord(bytes, leader, reader);
    await collected(new WeakRef({}));
    const perTask = (process.memoryUsage().heapUsed - before) / 20_000;
    expect(read.state.master.frameworks[0].tasks).toHaveLength(20_000);
    // 400-470 bytes here (the string table included); 630 with an address list grown by push()
    // (room for 17) and the running status added after the task was made (a properties array).
    expect(perTask).toBeLessThan(520);
  });
});
