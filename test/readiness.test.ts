import { describe, expect, it } from '@jest/globals';
import { decideReadiness, type ReadinessInput } from '../src/readiness.js';

const at = (over: Partial<ReadinessInput>): ReadinessInput => ({
  now: 1000,
  maxAgeSeconds: 600,
  generation: 4,
  workers: { serving: 2, total: 2 },
  currentAt: 990,
  failingSince: undefined,
  lastError: undefined,
  ...over,
});

describe('decideReadiness', () => {
  it.each<[string, Partial<ReadinessInput>, boolean, boolean, string]>([
    ['no table yet', { generation: undefined, currentAt: undefined }, false, false, 'no table yet'],
    ['no table, the source failing', { generation: undefined, currentAt: undefined, failingSince: 1, lastError: 'HTTP 500' }, false, false, 'no table yet: the state source is failing'],
    ['one worker of two without the table', { workers: { serving: 1, total: 2 } }, false, false, 'DNS workers serving a table: 1/2'],
    ['a current table on every worker', {}, true, false, 'serving a current table'],
    ['DNS off (no workers)', { workers: { serving: 0, total: 0 } }, true, false, 'serving a current table'],
    ['exactly at the age', { currentAt: 400 }, true, false, 'serving a current table'],
    ['older than the age', { currentAt: 88 }, false, true, 'table age 912 s > 600 s'],
    ['failing, but not yet for the age', { failingSince: 500, lastError: 'HTTP 500' }, true, false, 'serving a current table'],
    ['failing for longer than the age', { failingSince: 300, lastError: 'HTTP 500' }, false, true, 'state source failing for 700 s > 600 s'],
    ['old and failing: the failure is named', { currentAt: 0, failingSince: 100 }, false, true, 'state source failing for 900 s > 600 s'],
    ['the age check off', { maxAgeSeconds: 0, currentAt: 0, failingSince: 0 }, true, false, 'serving a current table'],
    ['a clock that went back', { currentAt: 2000 }, true, false, 'serving a current table'],
  ])('%s', (_name, over, ready, stale, reason) => {
    const r = decideReadiness(at(over));
    expect([r.ready, r.stale, r.reason]).toEqual([ready, stale, reason]);
  });

  it('reports age, generation, workers and the last error', () => {
    expect(decideReadiness(at({ currentAt: 88, lastError: 'GET x: HTTP 500', workers: { serving: 2, total: 2 } }))).toEqual({
      ready: false,
      stale: true,
      reason: 'table age 912 s > 600 s',
      tableAgeSeconds: 912,
      generation: 4,
      workersServing: '2/2',
      lastStateError: 'GET x: HTTP 500',
    });
    expect(decideReadiness(at({ generation: undefined, currentAt: undefined, workers: { serving: 0, total: 2 } }))).toMatchObject({ tableAgeSeconds: null, generation: 0, workersServing: '0/2', lastStateError: null });
  });
});
