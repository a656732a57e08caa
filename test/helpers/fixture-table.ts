// The record table of the mesos-dns fixture state (test/fixtures/mesos-state-fake.json), built
// the way the server builds it, for tests that need a realistic table without a master.
import { readFileSync } from 'node:fs';
import { DEFAULTS, withTyped, type Config } from '../../src/config/typed.js';
import { parseStateText } from '../../src/mesos/parse-state.js';
import { parsePid } from '../../src/mesos/pid.js';
import { buildTable } from '../../src/records/build-table.js';
import type { RecordTable } from '../../src/records/table.js';
import { masters } from './masters.js';

const fixtureText = readFileSync(new URL('../fixtures/mesos-state-fake.json', import.meta.url), 'utf8');

export const FIXTURE_CONFIG: Config = withTyped({ ...DEFAULTS, SOAMname: 'mesos-dns.mesos.' });

export function fixtureTable(config: Config = FIXTURE_CONFIG): RecordTable {
  const state = parseStateText(fixtureText);
  state.leader = parsePid('master@144.76.157.37:5050');
  return buildTable(state, {
    config,
    masters: masters(['144.76.157.37:5050']),
    addresses: new Map([['localhost', ['127.0.0.1']]]),
    selfAddresses: ['127.0.0.1', 'fd00::53'],
    serial: 1234,
  });
}
