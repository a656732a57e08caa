import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { StateParseError } from '../src/errors.js';
import { parseAgent, parseFramework, parseState, parseStateText } from '../src/mesos/parse-state.js';
import { parseTask } from '../src/mesos/parse-task.js';
import { parsePortRanges } from '../src/mesos/port-ranges.js';
import { parsePid } from '../src/mesos/pid.js';
import type { Task } from '../src/mesos/state.js';

const fixtureText = readFileSync(new URL('./fixtures/mesos-state-fake.json', import.meta.url), 'utf8');

function expectParseError(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StateParseError);
  expect((caught as StateParseError).code).toBe('MDNS_ERR_STATE_PARSE');
  expect((caught as Error).message).toMatch(message);
}

describe('parsePid', () => {
  it.each<[string, { name: string; host: string; port: number }]>([
    ['master@1.2.3.4:5050', { name: 'master', host: '1.2.3.4', port: 5050 }],
    ['slave(1)@[2001:db8::1]:5051', { name: 'slave(1)', host: '2001:db8::1', port: 5051 }],
    ['scheduler-4d2c@mesos-master-1.example.com:25501', { name: 'scheduler-4d2c', host: 'mesos-master-1.example.com', port: 25501 }],
    ['master@m1.example.:5050', { name: 'master', host: 'm1.example.', port: 5050 }],
    ['@1.2.3.4:0', { name: '', host: '1.2.3.4', port: 0 }], // an empty name is accepted, as mesos-go does
    ['5@0.0.0.6:7', { name: '5', host: '0.0.0.6', port: 7 }],
  ])('%j', (text, want) => {
    expect(parsePid(text)).toEqual(want);
  });

  it.each([
    'garbage',
    'null',
    '',
    '@',
    '1@',
    '@2',
    '3@4',
    'a@b@1.2.3.4:5',
    'master@1.2.3.4',
    'master@1.2.3.4:',
    'master@1.2.3.4:65536',
    'master@1.2.3.4:http',
    'master@:5050',
    'master@2001:db8::1:5050', // IPv6 without brackets
    'master@[1.2.3.4]:5050', // brackets are for IPv6 only
    'master@[2001:db8::1]5050',
    'master@[zz::1]:5050',
    'master@bad host:5050',
    'master@-.example..:5050',
    'master@a..:5050',
  ])('rejects %j', (text) => {
    expectParseError(() => parsePid(text), /malformed pid/);
  });
});

describe('parsePortRanges', () => {
  it.each<[string, number[]]>([
    ['', []],
    ['[]', []],
    ['[31000-31000]', [31000]],
    ['[31354-31354, 31355-31355]', [31354, 31355]],
    ['[31737-31738]', [31737, 31738]],
    ['[1-3, 10-11]', [1, 2, 3, 10, 11]],
    ['  [5-6]  ', [5, 6]],
    // malformed: no ports (mesos-dns panics on some of these), never an exception
    ['31000-31001', []],
    ['[31000]', []],
    ['[31001-31000]', []],
    ['[65535-65536]', []],
    ['[a-b]', []],
    ['[1-2,]', []],
    ['[1-2', []],
    // the one-pass reader's edges, and what it hands to the general reading
    ['[00031-00032]', [31, 32]],
    ['[ 1-2 ,3-3 ]', [1, 2, 3]],
    ['[ ]', []],
    ['[1-2,,3-4]', []],
    ['[1-2 3-4]', []],
    ['[1 -2]', []],
    ['[-1-2]', []],
    ['[123456-123457]', []],
    ['[2-1, x]', []],
    ['[1-2,\t3-3]', [1, 2, 3]],
    ['[1-2]\n', [1, 2]],
    ['\u00a0[7-7]', [7]],
    ['[1-2,\u00a03-3\u00a0]', [1, 2, 3]],
    ['[1-2,3\u00a0-3]', []],
  ])('%j', (text, want) => {
    expect(parsePortRanges(text)).toEqual(want);
  });

  // The plain form is read in one pass; this is the general reading it must agree with.
  function reference(text: string): number[] {
    const s = text.trim();
    if (s === '' || s === '[]' || !s.startsWith('[') || !s.endsWith(']')) return [];
    const ports: number[] = [];
    for (const part of s.slice(1, -1).split(',')) {
      const m = /^(\d{1,5})-(\d{1,5})$/.exec(part.trim());
      if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) > 65535) return [];
      for (let p = Number(m[1]); p <= Number(m[2]); p++) ports.push(p);
    }
    return ports;
  }

  it('agrees with the general reading on generated texts', () => {
    const alphabet = ['[', ']', '-', ',', ' ', '\t', '0', '1', '5', '9', '12', '655', '65535', '99999', '100000', '\u00a0', 'x'];
    let seed = 42;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let k = 0; k < 20_000; k++) {
      let text = next(4) === 0 ? '' : '[';
      for (let j = next(12); j > 0; j--) text += alphabet[next(alphabet.length)];
      if (next(4) !== 0) text += ']';
      expect([text, parsePortRanges(text)]).toEqual([text, reference(text)]);
    }
    // and on well-formed lists, which the generator above rarely makes
    for (let k = 0; k < 2000; k++) {
      const parts: string[] = [];
      for (let j = next(4); j >= 0; j--) {
        const lo = next(70000);
        parts.push(`${lo}-${lo + next(3)}`);
      }
      const text = `[${parts.join(next(2) === 0 ? ',' : ', ')}]`;
      expect([text, parsePortRanges(text)]).toEqual([text, reference(text)]);
    }
  });
});

describe('parseState on the fixture', () => {
  const state = parseStateText(fixtureText);
  const marathon = state.frameworks.find((f) => f.name === 'marathon')!;
  const task = (name: string): Task => state.frameworks.flatMap((f) => f.tasks).find((t) => t.name === name)!;

  it('reads the leader, the agents and the frameworks in document order', () => {
    expect(state.leader).toEqual({ name: 'master', host: '1.2.3.4', port: 5050 });
    expect(state.agents.map((a) => a.id)).toEqual([
      '20140916-194712-631065744-5050-4798-2',
      '20140803-125133-3041283216-5050-2410-0',
      '20140827-000744-3041283216-5050-2116-1',
      '20140803-194712-3041283216-5050-2116-3',
    ]);
    expect(state.agents[3]).toEqual({
      id: '20140803-194712-3041283216-5050-2116-3',
      hostname: '2001:db8::1',
      pid: { name: 'slave(1)', host: '2001:db8::1', port: 5051 },
    });
    expect(state.frameworks.map((f) => f.name)).toEqual(['ipv6-framework', 'chronos with a space AND MIXED CASE-2.0.1', 'no pid', 'marathon']);
  });

  it('keeps a framework without pid, with its hostname', () => {
    const noPid = state.frameworks[2];
    expect(noPid.pid).toBeUndefined();
    expect(noPid.hostname).toBe('localhost');
    expect(noPid.tasks).toEqual([]);
    expect(marathon.pid).toEqual({ name: 'scheduler(1)', host: '1.2.3.11', port: 25501 });
  });

  it('reads tasks only from tasks[], not completed_tasks[], and sets frameworkId from the nesting', () => {
    expect(marathon.tasks.map((t) => t.name)).toEqual([
      'poseidon.bc4e3796-2d7a-11e4-b8df-d43d7edb01cd',
      'liquor.store',
      'big.dog2',
      'non-human-readable-liquor-store',
      'car.store',
      'chronos',
      'nginx',
      'reviewbot',
    ]);
    // the fixture's some-box has a mismatching framework_id; nesting wins
    expect(task('some-box').frameworkId).toBe('20140703-014514-3041283216-5050-5348-0001');
    expect(task('some-box').agentId).toBe('20140803-125133-3041283216-5050-2410-0');
    expect(task('poseidon.bc4e3796-2d7a-11e4-b8df-d43d7edb01cd').state).toBe('TASK_KILLED');
  });

  it('expands resource port ranges', () => {
    expect(task('car.store').ports).toEqual([31364, 31365]);
    expect(task('non-human-readable-liquor-store').ports).toEqual([31737, 31738]);
    expect(task('nginx').ports).toEqual([]);
  });

  it('takes the newest TASK_RUNNING status, whatever its position', () => {
    // statuses at ...371 (10.3.0.4), ...390 (10.3.0.1), ...381 (no IP label), STARTING ...380
    const liquor = task('liquor.store');
    expect(liquor.running).toEqual({ timestamp: 1413572390.09275, networkIPs: [], mesosLabelIPs: [], dockerLabelIPs: ['10.3.0.1'] });
    expect(task('nginx').running?.mesosLabelIPs).toEqual(['10.3.0.3']);
    expect(task('toy-store').running?.networkIPs).toEqual(['12.0.1.3', '12.0.1.2', 'fd01:b::1:8000:2']);
  });

  it('reads DiscoveryInfo name and ports', () => {
    expect(task('big.dog2').discovery).toEqual({
      name: 'big.dog',
      ports: [
        { number: 80, protocol: 'tcp', name: 'http' },
        { number: 443, protocol: 'tcp', name: 'https' },
      ],
    });
    expect(task('chronos').discovery).toBeUndefined();
  });
});

describe('parseTask details', () => {
  const base = { id: 't1', name: 'web', slave_id: 'a-S0', state: 'TASK_RUNNING' };

  it('picks the first of two RUNNING statuses with the same timestamp', () => {
    const t = parseTask({
      ...base,
      statuses: [
        { state: 'TASK_RUNNING', timestamp: 5, labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '10.0.0.1' }] },
        { state: 'TASK_RUNNING', timestamp: 5, labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '10.0.0.2' }] },
        { state: 'TASK_KILLED', timestamp: 9, labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '10.0.0.9' }] },
      ],
    });
    expect(t.running?.dockerLabelIPs).toEqual(['10.0.0.1']);
  });

  it('falls back per network_info to the Mesos 0.25 ip_address, only when ip_addresses is empty', () => {
    const t = parseTask({
      ...base,
      statuses: [
        {
          state: 'TASK_RUNNING',
          timestamp: 1,
          healthy: true,
          container_status: {
            network_infos: [
              { ip_address: '10.1.0.1' },
              { ip_addresses: [], ip_address: '10.1.0.2' },
              { ip_addresses: [{ ip_address: '10.1.0.3' }], ip_address: '10.1.0.99' },
              { ip_addresses: [{ protocol: 'IPv6' }] },
            ],
          },
        },
      ],
    });
    expect(t.running).toEqual({
      timestamp: 1,
      networkIPs: ['10.1.0.1', '10.1.0.2', '10.1.0.3'],
      mesosLabelIPs: [],
      dockerLabelIPs: [],
      healthy: true,
    });
  });

  it('has no running status without a TASK_RUNNING one', () => {
    expect(parseTask({ ...base, statuses: [{ state: 'TASK_STAGING', timestamp: 1 }] }).running).toBeUndefined();
    expect(parseTask(base).running).toBeUndefined();
  });

  it('ignores DiscoveryInfo without a name, drops DI ports outside 0..65535, keeps empty protocol', () => {
    expect(parseTask({ ...base, discovery: { name: '', ports: { ports: [{ number: 80 }] } } }).discovery).toBeUndefined();
    expect(
      parseTask({ ...base, discovery: { name: 'svc', ports: { ports: [{ number: 70000, protocol: 'tcp' }, { number: 53, name: 'dns' }] } } })
        .discovery,
    ).toEqual({ name: 'svc', ports: [{ number: 53, protocol: '', name: 'dns' }] });
  });

  it('treats a malformed ports string as no ports instead of failing', () => {
    expect(parseTask({ ...base, resources: { ports: '31000-31001' } }).ports).toEqual([]);
  });

  it('converts single agents and frameworks with the exported converters', () => {
    expect(parseAgent({ id: 'a-S1', hostname: 'h', pid: 'slave(1)@10.0.0.1:5051' })).toEqual({
      id: 'a-S1',
      hostname: 'h',
      pid: { name: 'slave(1)', host: '10.0.0.1', port: 5051 },
    });
    expect(parseAgent({ id: 'a-S2' })).toEqual({ id: 'a-S2', hostname: '' });
    expect(parseFramework({ id: 'f', name: 'fw', tasks: [base] }).tasks[0].frameworkId).toBe('f');
  });
});

describe('parseState failures (the caller keeps its last table) and malformed elements (left out)', () => {
  const ok = { leader: 'master@1.2.3.4:5050' };

  it.each<[string, unknown, RegExp]>([
    ['null', null, /state: expected an object/],
    ['an array', [], /state: expected an object/],
    ['a string', 'state', /state: expected an object/],
    ['a number', 42, /state: expected an object/],
    ['no leader', {}, /state\.leader: missing or empty/],
    ['an empty leader', { leader: '' }, /state\.leader: missing or empty/],
    ['a malformed leader', { leader: 'master@nowhere' }, /state\.leader: malformed pid/],
    ['a non-string leader', { leader: 5 }, /state\.leader: expected a string/],
    ['slaves that is not an array', { ...ok, slaves: {} }, /state\.slaves: expected an array/],
    ['frameworks that is not an array', { ...ok, frameworks: 'f' }, /state\.frameworks: expected an array/],
  ])('rejects %s', (_what, json, message) => {
    expectParseError(() => parseState(json), message);
  });

  it.each<[string, unknown, RegExp]>([
    ['an agent that is not an object', { ...ok, slaves: [7] }, /state\.slaves\[0\]: expected an object/],
    ['an agent pid that is null', { ...ok, slaves: [{ id: 'a', pid: null }] }, /state\.slaves\[0\]\.pid: expected a pid string, got null/],
    ['an agent pid that is garbage', { ...ok, slaves: [{ id: 'a', pid: 'garbage' }] }, /state\.slaves\[0\]\.pid: malformed pid/],
    ['a framework pid that is null', { ...ok, frameworks: [{ name: 'f', pid: null }] }, /state\.frameworks\[0\]\.pid: expected a pid string/],
    ['a framework pid without port', { ...ok, frameworks: [{ name: 'f', pid: 'scheduler@1.2.3.4' }] }, /state\.frameworks\[0\]\.pid: malformed pid/],
    ['a task name that is a number', { ...ok, frameworks: [{ name: 'f', tasks: [{ name: 5 }] }] }, /state\.frameworks\[0\]\.tasks\[0\]\.name: expected a string/],
    ['a status timestamp that is a string', { ...ok, frameworks: [{ tasks: [{ statuses: [{ state: 'TASK_RUNNING', timestamp: 'now' }] }] }] }, /statuses\[0\]\.timestamp: expected a number/],
    ['a ports value that is not a string', { ...ok, frameworks: [{ tasks: [{ resources: { ports: [1] } }] }] }, /resources\.ports: expected a string/],
    ['a fractional DI port', { ...ok, frameworks: [{ tasks: [{ discovery: { name: 'x', ports: { ports: [{ number: 1.5 }] } } }] }] }, /number: expected an integer/],
    [
      'a network address that is not a string',
      { ...ok, frameworks: [{ tasks: [{ statuses: [{ state: 'TASK_RUNNING', container_status: { network_infos: [{ ip_addresses: [{ ip_address: 7 }] }] } }] }] }] },
      /^state\.frameworks\[0\]\.tasks\[0\]\.statuses\[0\]\.container_status\.network_infos\[0\]\.ip_addresses\[0\]\.ip_address: expected a string$/,
    ],
    [
      'a label of the running status that is not an object',
      { ...ok, frameworks: [{ tasks: [{}, { statuses: [{ state: 'TASK_KILLED' }, { state: 'TASK_RUNNING', labels: [{ key: 'k' }, 5] }] }] }] },
      /^state\.frameworks\[0\]\.tasks\[1\]\.statuses\[1\]\.labels\[1\]: expected an object$/,
    ],
    [
      'a DI port protocol that is a number',
      { ...ok, frameworks: [{}, { tasks: [{ discovery: { name: 'x', ports: { ports: [{ number: 1, protocol: 5 }] } } }] }] },
      /^state\.frameworks\[1\]\.tasks\[0\]\.discovery\.ports\.ports\[0\]\.protocol: expected a string$/,
    ],
    ['a framework hostname that is a number', { ...ok, frameworks: [{ hostname: 1, tasks: [7] }] }, /^state\.frameworks\[0\]\.hostname: expected a string$/],
  ])('leaves out %s and lists it with its path and reason', (_what, json, message) => {
    const state = parseState(json);
    expect(state.skipped).toHaveLength(1);
    const [skipped] = state.skipped ?? [];
    expect(`${skipped.path}${skipped.reason}`).toMatch(message);
  });

  it('keeps the good agents, frameworks and tasks around malformed ones, in order', () => {
    const task = (id: string): Record<string, unknown> => ({ id, name: id, slave_id: 'S1', state: 'TASK_RUNNING' });
    const state = parseState({
      ...ok,
      slaves: [{ id: 'S0', hostname: 5 }, { id: 'S1', hostname: 'h1' }, 'S2', { id: 'S3' }],
      frameworks: [
        { id: 'f0', name: 'a', tasks: [task('t0'), { ...task('t1'), statuses: 'TASK_RUNNING' }, task('t2'), { ...task('t3'), name: 3 }] },
        // Left out with its tasks: its own task errors are not listed.
        { id: 'f1', name: 'b', tasks: [task('u0'), { id: 'u1', name: 1 }], pid: 'nonsense' },
        { id: 'f2', name: 'c', tasks: [{ ...task('v0'), statuses: [{ state: 'TASK_RUNNING', timestamp: 'now' }] }, task('v1')] },
      ],
    });
    expect(state.agents.map((a) => a.id)).toEqual(['S1', 'S3']);
    expect(state.frameworks.map((f) => [f.id, f.tasks.map((t) => t.id)])).toEqual([
      ['f0', ['t0', 't2']],
      ['f2', ['v1']],
    ]);
    expect(state.skipped).toEqual([
      { kind: 'agent', path: 'state.slaves[0]', id: 'S0', reason: '.hostname: expected a string' },
      { kind: 'agent', path: 'state.slaves[2]', reason: ': expected an object' },
      { kind: 'task', path: 'state.frameworks[0].tasks[1]', id: 't1', reason: '.statuses: expected an array' },
      { kind: 'task', path: 'state.frameworks[0].tasks[3]', id: 't3', reason: '.name: expected a string' },
      { kind: 'framework', path: 'state.frameworks[1]', id: 'f1', reason: '.pid: malformed pid "nonsense": expected exactly one "@" (name@host:port)' },
      { kind: 'task', path: 'state.frameworks[2].tasks[0]', id: 'v0', reason: '.statuses[0].timestamp: expected a number' },
    ]);
    // A document without malformed elements has no list at all.
    expect(parseState({ ...ok, frameworks: [{ id: 'f', tasks: [task('t')] }] })).not.toHaveProperty('skipped');
  });

  it('accepts a missing pid key and null for other absent fields', () => {
    const state = parseState({ ...ok, slaves: [{ id: 'a' }], frameworks: [{ name: null, tasks: null }] });
    expect(state.agents).toEqual([{ id: 'a', hostname: '' }]);
    expect(state.frameworks).toEqual([{ id: '', name: '', hostname: '', tasks: [] }]);
  });

  it('wraps JSON syntax errors', () => {
    expectParseError(() => parseStateText('{"leader": '), /state: not JSON/);
    expectParseError(() => parseStateText(''), /state: not JSON/);
  });
});
