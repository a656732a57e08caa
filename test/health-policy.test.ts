// HealthPolicy (records/health-policy.ts) in the table build: which RUNNING tasks a shared task
// name answers with, the fallback to every instance when none passes, and where a task's health
// comes from (the newest TASK_RUNNING status by timestamp, the same from both state readers).
import { describe, expect, it } from '@jest/globals';
import type { HealthPolicy } from '../src/config/schema.js';
import { parseState } from '../src/mesos/parse-state.js';
import { readStateBytes } from '../src/mesos/read-state.js';
import { buildTable, type BuildInputs } from '../src/records/build-table.js';
import { passesPolicy } from '../src/records/health-policy.js';
import type { RecordTable } from '../src/records/table.js';
import { taskHash } from '../src/records/task-hash.js';
import { a, inputs, rows, srv } from './helpers/build-table.js';
import { healthState, runningStatus, type HealthTask } from './helpers/health-state.js';
import { bytesOf, expectSameAsJavaScript, nativeAddon } from './helpers/read-state.js';

const build = (tasks: readonly HealthTask[], policy: HealthPolicy): RecordTable =>
  buildTable(parseState(healthState(tasks)), inputs({ masters: [], config: { HealthPolicy: policy } }));
const sorted = (list: readonly string[] | undefined): string[] => [...(list ?? [])].sort();
const canonical = (id: string, label: string, agent = 'a1'): string => `${label}-${taskHash(id)}-${agent}.marathon.mesos.`;

describe('passesPolicy', () => {
  it.each<[HealthPolicy, boolean | undefined, boolean]>([
    ['ignore', true, true],
    ['ignore', false, true],
    ['ignore', undefined, true],
    ['exclude-unhealthy', true, true],
    ['exclude-unhealthy', false, false],
    ['exclude-unhealthy', undefined, true], // never checked keeps its records
    ['only-healthy', true, true],
    ['only-healthy', false, false],
    ['only-healthy', undefined, false],
  ])('%s, healthy %s: %s', (policy, healthy, passes) => {
    expect(passesPolicy(policy, healthy)).toBe(passes);
  });
});

// web.1 healthy, web.2 unhealthy, web.3 never checked; all with one host port.
const MIXED: HealthTask[] = [
  { id: 'web.1', ip: '9.0.0.1', healthy: true, ports: '[31001-31001]' },
  { id: 'web.2', ip: '9.0.0.2', healthy: false, ports: '[31002-31002]', agent: 'a2' },
  { id: 'web.3', ip: '9.0.0.3', ports: '[31003-31003]' },
];

describe('which instances a shared name answers with', () => {
  it.each<[string, HealthPolicy, HealthTask[], string[], number[], number, number]>([
    // name, policy, tasks, A of web.marathon.mesos., SRV ports of _web._tcp.marathon.mesos., failing tasks, fallback names
    ['ignore serves all', 'ignore', MIXED, ['9.0.0.1', '9.0.0.2', '9.0.0.3'], [31001, 31002, 31003], 0, 0],
    ['exclude-unhealthy drops the unhealthy one', 'exclude-unhealthy', MIXED, ['9.0.0.1', '9.0.0.3'], [31001, 31003], 1, 0],
    ['only-healthy keeps the healthy one', 'only-healthy', MIXED, ['9.0.0.1'], [31001], 2, 0],
    [
      'exclude-unhealthy, all unhealthy: all served, 6 names counted',
      'exclude-unhealthy',
      MIXED.map((t) => ({ ...t, healthy: false })),
      ['9.0.0.1', '9.0.0.2', '9.0.0.3'],
      [31001, 31002, 31003],
      3,
      // web.marathon.mesos., web.marathon.slave.mesos., _web._tcp/_udp under both
      6,
    ],
    [
      'only-healthy, none checked: all served',
      'only-healthy',
      MIXED.map((t) => ({ ...t, healthy: undefined })),
      ['9.0.0.1', '9.0.0.2', '9.0.0.3'],
      [31001, 31002, 31003],
      3,
      6,
    ],
    [
      'only-healthy, one unhealthy and one unchecked: both served',
      'only-healthy',
      MIXED.slice(1),
      ['9.0.0.2', '9.0.0.3'],
      [31002, 31003],
      2,
      6,
    ],
  ])('%s', (_name, policy, tasks, wantA, wantPorts, failing, fallback) => {
    const t = build(tasks, policy);
    expect(sorted(a(t, 'web.marathon.mesos.'))).toEqual(wantA);
    expect((t.names.get('_web._tcp.marathon.mesos.')?.srv ?? []).map((s) => s.port).sort()).toEqual(wantPorts);
    expect(sorted(srv(t, '_web._udp.marathon.slave.mesos.')).map((s) => Number(s.split(':')[1]))).toEqual(wantPorts);
    if (policy === 'ignore') expect(t.health).toBeUndefined();
    else expect(t.health).toEqual({ policy, failingTasks: failing, fallbackNames: fallback });
  });

  it('takes an excluded task out of the .slave. name too, by its agent address', () => {
    const t = build(MIXED, 'exclude-unhealthy');
    expect(sorted(a(t, 'web.marathon.slave.mesos.'))).toEqual(['10.1.0.1']); // web.2 is on a2 (10.1.0.2)
    expect(sorted(a(build(MIXED, 'ignore'), 'web.marathon.slave.mesos.'))).toEqual(['10.1.0.1', '10.1.0.2']);
  });

  it("keeps an excluded task's canonical names, the targets of its SRV records", () => {
    const t = build(MIXED, 'only-healthy');
    expect(a(t, canonical('web.2', 'web', 'a2'))).toEqual(['9.0.0.2']);
    expect(a(t, canonical('web.3', 'web'))).toEqual(['9.0.0.3']);
    expect(a(t, `web-${taskHash('web.2')}-a2.marathon.slave.mesos.`)).toEqual(['10.1.0.2']);
  });

  it('decides per name: a name only failing tasks hold falls back while its sibling does not', () => {
    // The healthy instance has no port, so the SRV names have only unhealthy instances.
    const t = build(
      [
        { id: 'db.1', ip: '9.0.1.1', healthy: true },
        { id: 'db.2', ip: '9.0.1.2', healthy: false, ports: '[32000-32000]' },
        { id: 'api.1', ip: '9.0.2.1', healthy: true, ports: '[33000-33000]' },
      ],
      'exclude-unhealthy',
    );
    expect(a(t, 'db.marathon.mesos.')).toEqual(['9.0.1.1']);
    expect(srv(t, '_db._tcp.marathon.mesos.')).toEqual([`db-${taskHash('db.2')}-a1.marathon.slave.mesos.:32000`]);
    expect(t.health).toMatchObject({ failingTasks: 1, fallbackNames: 4 }); // _db._tcp/_udp, both trees
    expect(a(t, 'api.marathon.mesos.')).toEqual(['9.0.2.1']);
  });

  it('applies to DiscoveryInfo names, the legacy raw one and named ports included', () => {
    const discovery = { name: 'Cart.Svc', ports: { ports: [{ number: 8080, protocol: 'tcp', name: 'http' }] } };
    const tasks: HealthTask[] = [
      { id: 'cart.1', ip: '9.0.3.1', healthy: true, discovery },
      { id: 'cart.2', ip: '9.0.3.2', healthy: false, discovery },
    ];
    const t = build(tasks, 'exclude-unhealthy');
    const target = `cart-svc-${taskHash('cart.1')}-a1.marathon.mesos.:8080`;
    expect(a(t, 'cart-svc.marathon.mesos.')).toEqual(['9.0.3.1']);
    expect(a(t, 'Cart.Svc.marathon.mesos.')).toEqual(['9.0.3.1']);
    expect(srv(t, '_cart-svc._tcp.marathon.mesos.')).toEqual([target]);
    expect(srv(t, '_http._cart-svc._tcp.marathon.mesos.')).toEqual([target]);
    expect(t.health?.fallbackNames).toBe(0);
  });

  it('changes nothing with "ignore": the same rows as a build without the key', () => {
    const tasks = MIXED.map((t, i) => ({ ...t, healthy: [true, false, undefined][i] }));
    const { HealthPolicy: _omitted, ...config } = inputs({ masters: [] }).config;
    const without = buildTable(parseState(healthState(tasks)), { ...inputs({ masters: [] }), config: config as unknown as BuildInputs['config'] });
    expect(rows(build(tasks, 'ignore'))).toEqual(rows(without));
  });

  it('/v1/enumerate lists what DNS serves: an excluded task without its shared names, a fallback one with them', () => {
    const t = build([{ id: 'web.1', ip: '9.0.0.1', healthy: true }, { id: 'web.2', ip: '9.0.0.2', healthy: false }, { id: 'solo.1', ip: '9.0.9.1', healthy: false }], 'exclude-unhealthy');
    const [fw] = t.enumeration ?? [];
    const names = (id: string): string[] => (fw.tasks.find((x) => x.id === id)?.records ?? []).map((r) => r.name);
    expect(names('web.2')).not.toContain('web.marathon.mesos.');
    expect(names('web.2')).toContain(canonical('web.2', 'web'));
    expect(names('solo.1')).toEqual(expect.arrayContaining(['solo.marathon.mesos.', 'solo.marathon.slave.mesos.', canonical('solo.1', 'solo')]));
  });
});

describe('where health comes from', () => {
  it.each<[string, Record<string, unknown>[], boolean]>([
    // statuses are not in timestamp order in /master/state; the newest TASK_RUNNING one decides
    ['newest unhealthy listed first', [runningStatus('9.0.0.1', 200, false), runningStatus('9.0.0.1', 100, true)], false],
    ['newest healthy listed first', [runningStatus('9.0.0.1', 200, true), runningStatus('9.0.0.1', 100, false)], true],
    ['newest unhealthy listed last', [{ state: 'TASK_STARTING', timestamp: 50 }, runningStatus('9.0.0.1', 100, true), runningStatus('9.0.0.1', 300, false)], false],
    // a newer status of another state carries no health result and does not hide the last one
    ['a newer non-RUNNING status', [runningStatus('9.0.0.1', 100, false), { state: 'TASK_STAGING', timestamp: 400 }], false],
  ])('%s', (_name, statuses, served) => {
    const tasks: HealthTask[] = [{ id: 'web.1', ip: '9.0.0.1', statuses }, { id: 'web.2', ip: '9.0.0.2', healthy: true }];
    const t = build(tasks, 'exclude-unhealthy');
    expect(sorted(a(t, 'web.marathon.mesos.'))).toEqual(served ? ['9.0.0.1', '9.0.0.2'] : ['9.0.0.2']);
  });

  it('is read the same by the native state reader and parseState', () => {
    const doc = healthState([
      { id: 'w.1', ip: '9.0.0.1', statuses: [runningStatus('9.0.0.1', 200, false), runningStatus('9.0.0.1', 100, true)] },
      { id: 'w.2', ip: '9.0.0.2', statuses: [runningStatus('9.0.0.2', 100, false), runningStatus('9.0.0.2', 200, true)] },
      { id: 'w.3', ip: '9.0.0.3' },
      { id: 'w.4', ip: '9.0.0.4', state: 'TASK_KILLING', statuses: [runningStatus('9.0.0.4', 100, false), { state: 'TASK_KILLING', timestamp: 200 }] },
    ]);
    expect(expectSameAsJavaScript(bytesOf(doc))).toBeUndefined(); // read natively, not declined
    const tasks = readStateBytes(bytesOf(doc), nativeAddon()).state.frameworks[0].tasks;
    expect(tasks.map((t) => t.running?.healthy)).toEqual([false, true, undefined, false]);
  });
});
