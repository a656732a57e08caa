// The upstream health state machine, the per-try deadline and the try order (pure, from tables).
import { describe, expect, it } from '@jest/globals';
import {
  mergeHealthViews,
  tryDeadlineMs,
  tryOrder,
  UpstreamHealth,
  type Transition,
  type UpstreamHealthView,
} from '../src/dns/forward/upstream-health.js';

/** Observations: 'f' a failed try, a number a reply after that many ms. */
type Step = 'f' | number;

function run(maxFails: number, steps: Step[]): { transitions: Transition[]; health: UpstreamHealth } {
  const health = new UpstreamHealth(maxFails);
  const transitions = steps.map((s) => (s === 'f' ? health.failedTry() : health.replied(s)));
  return { transitions, health };
}

describe('UpstreamHealth', () => {
  const cases: [string, number, Step[], Transition[], 'up' | 'down', number][] = [
    ['one failure is not enough (max 2)', 2, ['f'], [undefined], 'up', 1],
    ['two in a row mark it down, once', 2, ['f', 'f', 'f', 'f'], [undefined, 'down', undefined, undefined], 'down', 4],
    ['a reply between failures resets the streak', 2, ['f', 10, 'f'], [undefined, undefined, undefined], 'up', 1],
    ['a reply while down marks it up, once', 2, ['f', 'f', 5, 5], [undefined, 'down', 'up', undefined], 'up', 0],
    ['down again after coming back takes a new streak', 2, ['f', 'f', 5, 'f', 'f'], [undefined, 'down', 'up', undefined, 'down'], 'down', 2],
    ['max 1: the first failure', 1, ['f'], ['down'], 'down', 1],
    ['max 0 never marks down', 0, ['f', 'f', 'f', 'f', 'f'], [undefined, undefined, undefined, undefined, undefined], 'up', 5],
    ['max 3', 3, ['f', 'f', 'f'], [undefined, undefined, 'down'], 'down', 3],
  ];
  it.each(cases)('%s', (_name, maxFails, steps, transitions, state, streak) => {
    const r = run(maxFails, steps);
    expect(r.transitions).toEqual(transitions);
    expect(r.health.state).toBe(state);
    expect(r.health.consecutiveFailures).toBe(streak);
  });

  it('counts replies and failures, and smooths the RTT with gain 1/8 (RFC 6298 §2)', () => {
    const { health } = run(2, [80, 'f', 0]);
    expect(health.answered).toBe(2);
    expect(health.failed).toBe(1);
    expect(health.srttMs).toBe(70); // 80, then 7/8·80 + 1/8·0
  });

  it('bases the deadline on the smoothed RTT', () => {
    expect(new UpstreamHealth(2).deadlineMs()).toBe(400);
    const { health } = run(2, [100]);
    expect(health.deadlineMs()).toBe(350);
  });
});

describe('tryDeadlineMs', () => {
  it.each([
    [undefined, 400],
    [0, 150],
    [1, 150],
    [33, 150],
    [34, 152],
    [100, 350],
    [316, 998],
    [317, 1000],
    [5000, 1000],
  ])('SRTT %s ms: %s ms', (srtt, deadline) => {
    expect(tryDeadlineMs(srtt)).toBe(deadline);
  });
});

describe('tryOrder', () => {
  const states = (s: Record<string, 'up' | 'down'>) => (u: string) => s[u];
  it.each([
    ['all up: as configured', { a: 'up', b: 'up', c: 'up' }, ['a', 'b', 'c']],
    ['a down one is skipped', { a: 'down', b: 'up', c: 'up' }, ['b', 'c']],
    ['only one up: only that one', { a: 'down', b: 'down', c: 'up' }, ['c']],
    ['all down: all, in order', { a: 'down', b: 'down', c: 'down' }, ['a', 'b', 'c']],
  ] as const)('%s', (_name, s, order) => {
    expect(tryOrder(['a', 'b', 'c'], states(s))).toEqual(order);
  });
});

describe('mergeHealthViews', () => {
  const view = (upstream: string, over: Partial<UpstreamHealthView>): UpstreamHealthView => ({
    upstream,
    state: 'up',
    consecutiveFailures: 0,
    rttMs: undefined,
    answered: 0,
    failed: 0,
    ...over,
  });
  it('is down when any thread has it down; sums counts, keeps the longest streak, averages known RTTs', () => {
    const merged = mergeHealthViews([
      [view('a:53', { answered: 3, failed: 1, rttMs: 10 }), view('b:53', { state: 'down', consecutiveFailures: 2, failed: 2 })],
      [view('a:53', { state: 'down', consecutiveFailures: 3, failed: 3, rttMs: 20 }), view('b:53', { answered: 1 })],
      [view('a:53', {})],
    ]);
    expect(merged).toEqual([
      view('a:53', { state: 'down', consecutiveFailures: 3, answered: 3, failed: 4, rttMs: 15 }),
      view('b:53', { state: 'down', consecutiveFailures: 2, answered: 1, failed: 2 }),
    ]);
  });
});
