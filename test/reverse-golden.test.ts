// Byte-identical guard for the reverse (PTR) half of a table, like table-golden.test.ts is for
// the forward zone: every reverse zone, every PTR owner with its targets in answer order, every
// name that exists in a reverse zone, and what the lookup form answers for each owner, built
// through the production path (parseConfig -> parseStateText / fromGetState -> resolve hosts ->
// buildTable), digested and compared with digests taken from the code before the PTR build was
// reworked for speed (issue 16 item 2). Regenerate only on purpose:
// UPDATE_REVERSE_GOLDEN=1 rewrites test/fixtures/reverse-golden.txt.
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { generateStateText } from '../bench/gen-state.js';
import { runningCluster } from '../bench/stream-cluster.js';
import { parseConfig } from '../src/config/validate.js';
import { fromGetState } from '../src/mesos/operator-state.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import { parsePid } from '../src/mesos/pid.js';
import type { MasterState } from '../src/mesos/state.js';
import { buildTable } from '../src/records/build-table.js';
import { collectHostnames, resolveHostnames } from '../src/records/resolve-hosts.js';
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
  return `${createHash('sha256').update(lines.join('\n')).digest('hex')} ${lines.length}`;
}

const HOSTS: Record<string, string[]> = { localhost: ['127.0.0.1'], 'master.local': ['::ffff:10.0.0.9', '2001:0DB8:0:0::2', '10.0.0.9'] };

async function build(raw: Record<string, unknown>, state: MasterState): Promise<RecordTable> {
  const { config } = parseConfig(raw, { file: '/etc/mesos-dns/config.json', resolvConf: '', localAddresses: [], now: 1_700_000_000 });
  const masters = config.typed.masters;
  const addresses = await resolveHostnames(collectHostnames(state, masters), async (name) => HOSTS[name.toLowerCase()] ?? []);
  return buildTable(state, { config, masters, addresses, selfAddresses: ['127.0.0.1', '::1'], serial: 1234 });
}

const synthetic = (): MasterState => parseStateText(generateStateText(20_000, 7));
const streamCluster = (): MasterState => fromGetState(runningCluster(20_000, 5050).getState, parsePid('master@127.0.0.1:5050'));

const CASES: Record<string, () => Promise<RecordTable>> = {
  'fixture-defaults': () => build({ masters: ['144.76.157.37:5050'] }, parseStateText(fixtureText)),
  // IPv4 and IPv6 task addresses (netinfo), derived /24 and /64 zones.
  'synthetic-20000': () => build({ masters: ['10.0.0.1:5050', '[fd00::1]:5050'] }, synthetic()),
  // Configured zones: an address outside them gets no PTR; a /16 holds owners two labels deep.
  'synthetic-20000-zones': () => build({ masters: ['10.0.0.1:5050', '[fd00::1]:5050'], ReverseZones: ['10.0.0.0/8', '172.16.0.0/16', 'fd00::/16'] }, synthetic()),
  // The stream benchmark's cluster: every task has an address of its own.
  'stream-cluster-20000': () => build({ masters: ['127.0.0.1:5050'] }, streamCluster()),
};

function readGolden(): Map<string, string> {
  const text = readFileSync(GOLDEN, 'utf8');
  return new Map(
    text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => {
        const [name, ...rest] = l.split(' ');
        return [name, rest.join(' ')] as const;
      }),
  );
}

describe('reverse tables stay byte-identical (digest against test/fixtures/reverse-golden.txt)', () => {
  if (process.env.UPDATE_REVERSE_GOLDEN === '1') {
    it('rewrites the golden digests', async () => {
      const lines = ['# case sha256-of-reverse-lines line-count (test/reverse-golden.test.ts; UPDATE_REVERSE_GOLDEN=1 rewrites)'];
      for (const [name, make] of Object.entries(CASES)) lines.push(`${name} ${digest(await make())}`);
      writeFileSync(GOLDEN, `${lines.join('\n')}\n`);
    });
    return;
  }
  const golden = readGolden();

  it.each(Object.keys(CASES))('%s', async (name) => {
    expect(golden.has(name)).toBe(true);
    expect(digest(await CASES[name]())).toBe(golden.get(name));
  });

  it('the digest changes when one task address changes', async () => {
    const state = streamCluster();
    const tasks = state.frameworks[0].tasks as MasterState['frameworks'][number]['tasks'][number][];
    expect(tasks[5].running?.networkIPs.length).toBeGreaterThan(0);
    tasks[5] = { ...tasks[5], running: { ...tasks[5].running!, networkIPs: ['10.200.0.1'] } };
    expect(digest(await build({ masters: ['127.0.0.1:5050'] }, state))).not.toBe(golden.get('stream-cluster-20000'));
  });
});
