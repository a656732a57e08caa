// The full build's PTRs are packed from ids (records/reverse-from-ids.ts); reversePtrs() over the
// same tasks' PTRs as strings (reverse-ptrs.ts, what the build did before) is the reference. The
// cases the digests in reverse-golden.test.ts do not single out: addresses shared by several
// tasks (target order across tasks, canonical names sorted by bytes), a task listed twice (equal
// canonical names, a repeat dropped), a task on its framework's or master's address (task and
// non-task names on one owner), IPv6, and configured reverse zones.
import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../src/config/validate.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import { buildTableParts, type BuiltParts } from '../src/records/build-table.js';
import { packedFromData } from '../src/records/packed-reverse.js';
import { reversePtrs, type TaskPtr } from '../src/records/reverse-ptrs.js';
import { namesBetween, ownersInZones, type ReverseTable } from '../src/records/reverse-table.js';
import { derivedV4Owners } from '../src/records/reverse-owners.js';
import { nameAt, packStrings, stringAt } from '../src/records/packed-table.js';
import { indexStrings } from '../src/records/packed-reverse.js';

function task(id: string, name: string, ips: string[]): Record<string, unknown> {
  return {
    id,
    name,
    slave_id: 'c1-S1',
    state: 'TASK_RUNNING',
    resources: { ports: '[]' },
    statuses: [{ state: 'TASK_RUNNING', timestamp: 1, container_status: { network_infos: [{ ip_addresses: ips.map((ip_address) => ({ ip_address })) }] } }],
  };
}

const state = parseStateText(
  JSON.stringify({
    leader: 'master@10.1.0.200:5050',
    slaves: [{ id: 'c1-S1', pid: 'slave(1)@10.1.0.1:5051', hostname: '10.1.0.1' }],
    frameworks: [
      {
        id: 'fw1',
        name: 'marathon',
        pid: 'scheduler@10.1.0.100:8080',
        tasks: [
          // z, then a, then m on one address: its targets are their canonical names sorted, then their task names.
          task('zeta.1', 'zeta', ['10.2.0.5']),
          task('alpha.1', 'alpha', ['10.2.0.5', 'fd00::5']),
          task('mid.1', 'mid', ['10.2.0.5', '10.3.0.7']),
          // Listed twice: one canonical name, the repeat dropped.
          task('twice.1', 'twice', ['10.2.0.9']),
          task('twice.1', 'twice', ['10.2.0.9']),
          // On the scheduler's and the master's addresses: the task names come first.
          task('sched.1', 'sched', ['10.1.0.100']),
          task('leader.1', 'lead', ['10.1.0.200']),
          // On the agent's address: no PTR.
          task('host.1', 'host', ['10.1.0.1']),
        ],
      },
      { id: 'fw2', name: 'chronos', pid: 'scheduler@10.1.0.100:9090', tasks: [task('beta.1', 'beta', ['10.2.0.5']), task('alpha.2', 'alpha', ['10.3.0.7'])] },
    ],
  }),
);

/** The build's task PTRs (ids) as the strings reversePtrs() takes. */
function taskPtrsOf(parts: BuiltParts): TaskPtr[] {
  const ids = parts.taskPtrIds!;
  const out: TaskPtr[] = [];
  for (let k = 0; k < ids.length; k += 3) out.push({ ip: stringAt(parts.packed.ips, ids[k]), canonical: nameAt(parts.packed, ids[k + 1]), name: nameAt(parts.packed, ids[k + 2]) });
  return out;
}

function entries(r: ReverseTable): unknown {
  return { zones: [...r.zones], ptr: [...r.ptr], existing: [...r.existing].sort() };
}

describe('the build packs PTRs from ids as reversePtrs() orders the strings', () => {
  for (const [what, raw] of [
    ['derived zones', {}],
    ['configured zones', { ReverseZones: ['10.2.0.0/16', 'fd00::/16'] }],
  ] as const) {
    it(`with ${what}`, () => {
      const { config } = parseConfig({ masters: ['10.1.0.200:5050'], ...raw }, { file: 'test', resolvConf: '', localAddresses: [], now: 1_700_000_000 });
      const parts = buildTableParts(state, { config, masters: config.typed.masters, addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 });
      const reverse = parts.table.reverse!;
      const expected = packedFromData(reversePtrs(taskPtrsOf(parts), parts.table.names, config.typed.zone, ['marathon', 'chronos'], parts.mname, config.typed.ptr.zones));
      expect(entries(reverse)).toEqual(entries(expected));
      // The cases above are in it: a shared address's targets, a repeat dropped, a scheduler's address.
      const shared = reverse.ptr.get('5.0.2.10.in-addr.arpa.')!;
      expect(shared.slice(4)).toEqual(['alpha.marathon.mesos.', 'beta.chronos.mesos.', 'mid.marathon.mesos.', 'zeta.marathon.mesos.']);
      expect(shared.slice(0, 4).map((n) => n.replace(/-[a-z0-9]{5}-s1\./, '-H-s1.'))).toEqual(['alpha-H-s1.marathon.mesos.', 'beta-H-s1.chronos.mesos.', 'mid-H-s1.marathon.mesos.', 'zeta-H-s1.marathon.mesos.']);
      expect(reverse.ptr.get('9.0.2.10.in-addr.arpa.')).toHaveLength(2);
      // Outside the configured zones: no PTRs.
      const derived = !('ReverseZones' in raw);
      expect(reverse.ptr.get('100.0.1.10.in-addr.arpa.')?.slice(1)).toEqual(derived ? ['sched.marathon.mesos.', 'marathon.mesos.', 'chronos.mesos.'] : undefined);
      expect(reverse.ptr.has('1.0.1.10.in-addr.arpa.')).toBe(derived);
    });
  }
});

describe('the canonical names sorted in rounds of three bytes (byCanonicalNames)', () => {
  it('orders names that are prefixes of each other, equal up to their hash, and of every length as reversePtrs does', () => {
    // Labels over a small alphabet ('-' sorts before the letters and digits), so that many
    // canonical names share long prefixes or are prefixes of other labels; five shared addresses.
    const labels: string[] = [];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 400; i++) {
      let label = '';
      const length = 1 + (next() % 9);
      for (let k = 0; k < length; k++) label += 'ab1-'[next() % 4];
      labels.push(label.replace(/^-+|-+$/g, '') || 'a');
    }
    const tasks = labels.map((name, i) => task(`${name}.${i}`, name, [`10.9.0.${i % 5}`]));
    const s = parseStateText(
      JSON.stringify({
        leader: 'master@10.1.0.200:5050',
        slaves: [{ id: 'c1-S1', pid: 'slave(1)@10.1.0.1:5051', hostname: '10.1.0.1' }],
        frameworks: [{ id: 'fw1', name: 'marathon', pid: 'scheduler@10.1.0.100:8080', tasks }],
      }),
    );
    const { config } = parseConfig({ masters: ['10.1.0.200:5050'] }, { file: 'test', resolvConf: '', localAddresses: [], now: 1_700_000_000 });
    const parts = buildTableParts(s, { config, masters: config.typed.masters, addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 });
    const expected = packedFromData(reversePtrs(taskPtrsOf(parts), parts.table.names, config.typed.zone, ['marathon'], parts.mname, config.typed.ptr.zones));
    expect(entries(parts.table.reverse!)).toEqual(entries(expected));
    const shared = parts.table.reverse!.ptr.get('0.0.9.10.in-addr.arpa.')!;
    expect(shared.length).toBeGreaterThan(50);
  });
});

describe('IPv4 owners written as bytes (reverse-owners.ts)', () => {
  it('gives the owners, zones, existing names and owner index of the string path', () => {
    // Runs from one /24, a /24 seen again later, edge octets.
    const ips = ['10.0.0.0', '10.0.0.255', '10.2.3.4', '10.0.0.7', '255.255.255.255', '0.0.0.0', '192.168.10.1', '10.2.3.200', '1.2.3.4'];
    const blob = packStrings(ips);
    const order = [2, 0, 1, 4, 3, 5, 7, 6, 8];
    const v4 = derivedV4Owners(blob, order)!;
    const reference = ownersInZones(
      order.map((i) => ips[i]),
      [],
    );
    const owners = packStrings(reference.owners);
    expect(v4.zones).toEqual(reference.zones);
    expect(Buffer.compare(v4.owners.bytes, owners.bytes)).toBe(0);
    expect([...v4.owners.ends]).toEqual([...owners.ends]);
    expect([...v4.slots]).toEqual([...indexStrings(owners)]);
    expect([...namesBetween({ zones: reference.zones, owners: reference.owners })]).toEqual(v4.zones);
    // Anything else takes the string path.
    for (const other of ['fd00::1', '010.1.1.1', '10.1.1', '10.1.1.256', '10.1.1.1.1']) expect(derivedV4Owners(packStrings(['10.1.1.1', other]), [0, 1])).toBeUndefined();
  });
});
