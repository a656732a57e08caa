// What the golden-digest tests share (table-golden.test.ts, reverse-golden.test.ts): a table
// built from fixed inputs (no system resolver, a fixed clock and serial), a digest of its lines,
// and the golden file of digests that UPDATE_*_GOLDEN=1 rewrites.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/validate.js';
import type { MasterState } from '../../src/mesos/state.js';
import { buildTable } from '../../src/records/build-table.js';
import { collectHostnames, resolveHostnames } from '../../src/records/resolve-hosts.js';
import type { RecordTable } from '../../src/records/table.js';

/** `sha256-of-lines line-count`. */
export function linesDigest(lines: readonly string[]): string {
  return `${createHash('sha256').update(lines.join('\n')).digest('hex')} ${lines.length}`;
}

// Hostnames resolve through this map, never the system resolver: the build input is fixed.
const HOSTS: Record<string, string[]> = {
  localhost: ['127.0.0.1'],
  'master.local': ['::ffff:10.0.0.9', '2001:0DB8:0:0::2', '10.0.0.9'],
};

/** The table of `state` under config `raw`, with every input of the build fixed. */
export async function buildFixed(raw: Record<string, unknown>, state: MasterState): Promise<RecordTable> {
  const { config } = parseConfig(raw, { file: '/etc/mesos-dns/config.json', resolvConf: '', localAddresses: [], now: 1_700_000_000 });
  const masters = config.typed.masters;
  const addresses = await resolveHostnames(collectHostnames(state, masters), async (name) => HOSTS[name.toLowerCase()] ?? []);
  return buildTable(state, { config, masters, addresses, selfAddresses: ['127.0.0.1', '::1'], serial: 1234 });
}

/** case name -> digest, from a golden file (`#` lines are comments). */
export function readGolden(file: URL): Map<string, string> {
  const text = readFileSync(file, 'utf8');
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

/** Rewrites a golden file: `header` as its comment line, then one digest per case. */
export async function writeGolden(file: URL, header: string, cases: Record<string, () => Promise<RecordTable>>, digest: (t: RecordTable) => string): Promise<void> {
  const lines = [`# ${header}`];
  for (const [name, make] of Object.entries(cases)) lines.push(`${name} ${digest(await make())}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
}
