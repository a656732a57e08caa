// Shared by the buildTable tests (build-table-fixture, build-table-tasks,
// build-table-frameworks-masters): the mesos-dns fixture state, build inputs, and the table read
// back as rows or per-name values.
import { readFileSync } from 'node:fs';
import { DEFAULTS, withTyped, type Config } from '../../src/config/typed.js';
import { parseStateText } from '../../src/mesos/parse-state.js';
import { parsePid } from '../../src/mesos/pid.js';
import type { MasterState } from '../../src/mesos/state.js';
import type { BuildInputs } from '../../src/records/build-table.js';
import type { RecordTable } from '../../src/records/table.js';
import { masters as endpoints } from './masters.js';

const fixtureText = readFileSync(new URL('../fixtures/mesos-state-fake.json', import.meta.url), 'utf8');

/** The fixture as mesos-dns's testRecordGenerator uses it: leader replaced by 144.76.157.37:5050. */
export function fixtureState(): MasterState {
  const state = parseStateText(fixtureText);
  state.leader = parsePid('master@144.76.157.37:5050');
  return state;
}

export type InputOverrides = Partial<Omit<BuildInputs, 'config'>> & { config?: Partial<Omit<Config, 'typed'>> };

export function inputs(overrides: InputOverrides = {}): BuildInputs {
  return {
    masters: endpoints(['144.76.157.37:5050']),
    // the "no pid" framework is found by its hostname, which the tsv shows as 127.0.0.1
    addresses: new Map([['localhost', ['127.0.0.1']]]),
    selfAddresses: ['127.0.0.1'],
    serial: 1234,
    ...overrides,
    config: withTyped({ ...DEFAULTS, SOAMname: 'mesos-dns.mesos.', ...overrides.config }),
  };
}

/** Every record as "KIND<TAB>name<TAB>value" (SRV value = target:port), in table order. */
export function rows(table: RecordTable): string[] {
  const out: string[] = [];
  for (const [name, r] of table.names) {
    for (const ip of r.a) out.push(`A\t${name}\t${ip}`);
    for (const ip of r.aaaa) out.push(`AAAA\t${name}\t${ip}`);
    for (const s of r.srv) out.push(`SRV\t${name}\t${s.target}:${s.port}`);
  }
  return out;
}

export const a = (t: RecordTable, name: string): readonly string[] | undefined => t.names.get(name)?.a;
export const aaaa = (t: RecordTable, name: string): readonly string[] | undefined => t.names.get(name)?.aaaa;
export const srv = (t: RecordTable, name: string): string[] | undefined => t.names.get(name)?.srv.map((s) => `${s.target}:${s.port}`);
