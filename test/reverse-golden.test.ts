// Byte-identical guard for the reverse (PTR) half of a table, like table-golden.test.ts is for
// the forward zone: every reverse zone, every PTR owner with its targets in answer order, every
// name that exists in a reverse zone, and what the lookup form answers for each owner, built
// through the production path (parseConfig -> parseStateText / fromGetState -> resolve hosts ->
// buildTable), digested and compared with digests taken from the code before the PTR build was
// reworked for speed (issue 16 item 2). Regenerate only on purpose:
// UPDATE_REVERSE_GOLDEN=1 rewrites test/fixtures/reverse-golden.txt.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { generateStateText } from '../bench/gen-state.js';
import { runningCluster } from '../bench/stream-cluster.js';
import { fromGetState } from '../src/mesos/operator-state.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import { parsePid } from '../src/mesos/pid.js';
import type { MasterState } from '../src/mesos/state.js';
import { buildFixed, linesDigest, readGolden, writeGolden } from './helpers/golden-digest.js';
import type { ReverseTable } from '../src/records/reverse-table.js';
import type { RecordTable } from '../src/records/table.js';

const GOLDEN = new URL('./fixtures/reverse-golden.txt', import.meta.url);
const fixtureText = readFileSync(new URL('./fixtures/mesos-state-fake.json', import.meta.url), 'utf8');

/** Every fact of the reverse table a query or a zone transfer can see, one line per fact. */
function reverseLines(r: ReverseTable): string[] {
  const out: string[] = [];
  for (const zone of r.data.zones) out.push(`zone ${zone}`);
  for (let i = 0; i < r.data.owners.length; i++) out.push(`ptr ${r.data.owners[i]} ${r.data.targets[i].join(' ')}`);
  for (const zone of [...r.zones].sort()) out.push(`zones ${zone}`);
  for (const [owner, targets] of [...r.ptr].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out.push(`map ${owner} ${targets.join(' ')}`);
  for (const name of [...r.existing].sort()) out.push(`exists ${name}`);
  return out;
}

function digest(table: RecordTable): string {
  expect(table.reverse).toBeDefined();
  const lines = reverseLines(table.reverse!);
  return linesDigest(lines);
}

const synthetic = (): MasterState => parseStateText(generateStateText(20_000, 7));
const streamCluster = (): MasterState => fromGetState(runningCluster(20_000, 5050).getState, parsePid('master@127.0.0.1:5050'));

const CASES: Record<string, () => Promise<RecordTable>> = {
  'fixture-defaults': () => buildFixed({ masters: ['144.76.157.37:5050'] }, parseStateText(fixtureText)),
  // IPv4 and IPv6 task addresses (netinfo), derived /24 and /64 zones.
  'synthetic-20000': () => buildFixed({ masters: ['10.0.0.1:5050', '[fd00::1]:5050'] }, synthetic()),
  // Configured zones: an address outside them gets no PTR; a /16 holds owners two labels deep.
  'synthetic-20000-zones': () => buildFixed({ masters: ['10.0.0.1:5050', '[fd00::1]:5050'], ReverseZones: ['10.0.0.0/8', '172.16.0.0/16', 'fd00::/16'] }, synthetic()),
  // The stream benchmark's cluster: every task has an address of its own.
  'stream-cluster-20000': () => buildFixed({ masters: ['127.0.0.1:5050'] }, streamCluster()),
};


describe('reverse tables stay byte-identical (digest against test/fixtures/reverse-golden.txt)', () => {
  if (process.env.UPDATE_REVERSE_GOLDEN === '1') {
    it('rewrites the golden digests', async () => {
      await writeGolden(GOLDEN, 'case sha256-of-reverse-lines line-count (test/reverse-golden.test.ts; UPDATE_REVERSE_GOLDEN=1 rewrites)', CASES, digest);
    });
    return;
  }
  const golden = readGolden(GOLDEN);

  it.each(Object.keys(CASES))('%s', async (name) => {
    expect(golden.has(name)).toBe(true);
    expect(digest(await CASES[name]())).toBe(golden.get(name));
  });

  it('the digest changes when one task address changes', async () => {
    const state = streamCluster();
    const tasks = state.frameworks[0].tasks as MasterState['frameworks'][number]['tasks'][number][];
    expect(tasks[5].running?.networkIPs.length).toBeGreaterThan(0);
    tasks[5] = { ...tasks[5], running: { ...tasks[5].running!, networkIPs: ['10.200.0.1'] } };
    expect(digest(await buildFixed({ masters: ['127.0.0.1:5050'] }, state))).not.toBe(golden.get('stream-cluster-20000'));
  });
});
