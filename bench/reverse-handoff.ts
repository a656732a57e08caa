// In-process figures for issue 16 item 2: what handing a table's PTR records to one DNS worker
// costs, the way it was (the reverse data as arrays of strings in the table message: structured
// clone on the main thread, again on the worker, then a Map of every owner there, as the build
// made on the main thread) and the way it is (records/packed-reverse.ts: packed into shared memory
// once by the build, read in place there; the message carries a handful of strings, the worker
// checks the arrays and reads them in place too). A MessageChannel in this one
// thread stands for the worker's port: postMessage serialises, receiveMessageOnPort deserialises.
//
// Run (`npm run bench` compiles it into bench/out/):
//   node bench/out/bench/reverse-handoff.js [N] [ITERATIONS]
// One JSON line: per path, cold and warm-median ms of each step, and the message's own bytes.
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import v8 from 'node:v8';
import { parseConfig } from '../src/config/validate.js';
import { buildTable } from '../src/records/build-table.js';
import { packedFromData, reverseMessage } from '../src/records/packed-reverse.js';
import { reverseTable, type ReverseData } from '../src/records/reverse-table.js';
import { decodeReverse } from '../src/workers/table-codec.js';
import { firstBuildState } from './first-build.js';

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
}

function main(): void {
  const [nText = '100000', itText = '4'] = process.argv.slice(2);
  const state = firstBuildState('stream', Number(nText));
  const { config } = parseConfig({ masters: ['127.0.0.1:5050'] }, { file: 'bench', resolvConf: '', localAddresses: [], now: 1_700_000_000 });
  const table = buildTable(state, { config, masters: config.typed.masters, addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 });
  const reverse = table.reverse!;
  const { port1, port2 } = new MessageChannel();
  const rows: Record<string, number[]> = {};
  const add = (k: string, ms: number): void => void (rows[k] ??= []).push(ms);
  let oldBytes = 0;
  let newBytes = 0;
  for (let i = 0; i < Number(itText); i++) {
    // Before: the build made Maps of the plain arrays, which went in the header.
    const [, buildOld] = timed(() => reverseTable(reverse.data));
    add('before: lookup form (main, in the build)', buildOld);
    const [, postOld] = timed(() => port1.postMessage({ reverse: reverse.data }));
    const [gotOld, receiveOld] = timed(() => receiveMessageOnPort(port2)!.message as { reverse: ReverseData });
    const [oldTable, decodeOld] = timed(() => reverseTable(gotOld.reverse));
    add('before: post (main)', postOld);
    add('before: receive (worker)', receiveOld);
    add('before: lookup form (worker)', decodeOld);
    oldBytes = v8.serialize({ reverse: reverse.data }).length;
    // Now: packed once in the build, shared.
    const [message, encodeNew] = timed(() => reverseMessage(packedFromData(reverse.data)));
    const [, postNew] = timed(() => port1.postMessage({ reverse: message }));
    const [gotNew, receiveNew] = timed(() => receiveMessageOnPort(port2)!.message as { reverse: typeof message });
    const [newTable, decodeNew] = timed(() => decodeReverse(gotNew.reverse));
    add('now: pack (main, in the build)', encodeNew);
    add('now: post (main)', postNew);
    add('now: receive (worker)', receiveNew);
    add('now: check + lookup form (worker)', decodeNew);
    newBytes = v8.serialize({ ...message, packed: null }).length;
    // Same answers (a sample).
    const owners = reverse.data.owners;
    for (let k = 0; k < owners.length; k += 9973) {
      if (JSON.stringify(newTable.ptr.get(owners[k])) !== JSON.stringify(oldTable.ptr.get(owners[k]))) throw new Error(`differs at ${owners[k]}`);
    }
  }
  port1.close();
  const summary = Object.fromEntries(
    Object.entries(rows).map(([k, v]) => {
      const warm = v.slice(1).sort((a, b) => a - b);
      return [k, { coldMs: Math.round(v[0]), warmMs: warm.length === 0 ? null : Math.round(warm[Math.floor(warm.length / 2)]) }];
    }),
  );
  process.stdout.write(`${JSON.stringify({ owners: reverse.data.owners.length, messageBytesBefore: oldBytes, messageStringBytesNow: newBytes, ...summary })}\n`);
}

main();
