import { describe, expect, it } from '@jest/globals';
import { captureLog } from './helpers/log-capture.js';
import type { SkippedElement } from '../src/mesos/state.js';
import { SkippedElements } from '../src/skipped-elements.js';

function tracker(now: () => number = () => 0): { skipped: SkippedElements; lines: () => Array<Record<string, unknown>> } {
  const { logger, lines } = captureLog('info');
  return { skipped: new SkippedElements(logger, now), lines: () => lines };
}

const task = (j: number, id?: string): SkippedElement => ({ kind: 'task', path: `state.frameworks[0].tasks[${j}]`, ...(id === undefined ? {} : { id }), reason: '.name: expected a string' });
const WARN = 40;

describe('SkippedElements', () => {
  it('writes one line per element per streak, counts every time, and one line when they are gone', () => {
    const { skipped, lines } = tracker();
    skipped.document('poll', [task(1, 't1')]);
    skipped.document('poll', [task(1, 't1')]);
    // The same task moved in the list (an earlier one went): still the same streak, by its id.
    skipped.document('poll', [task(0, 't1'), task(4)]);
    expect(lines().filter((l) => l.level === WARN).map((l) => [l.path, l.id])).toEqual([
      ['state.frameworks[0].tasks[1]', 't1'],
      ['state.frameworks[0].tasks[4]', undefined],
    ]);
    expect(skipped.total).toEqual({ agent: 0, framework: 0, task: 4 });
    skipped.document('poll', []);
    expect(lines().at(-1)).toMatchObject({ msg: 'malformed elements no longer in the state', elements: 2, origin: 'poll' });
    // Each source keeps its own streaks: the stream's snapshot names it again.
    skipped.document('stream', [task(1, 't1')]);
    expect(lines().filter((l) => l.level === WARN)).toHaveLength(3);
  });

  it('names at most 20 new elements of one document and sums up the rest', () => {
    const { skipped, lines } = tracker();
    skipped.document('poll', Array.from({ length: 500 }, (_, j) => task(j, `t${j}`)));
    const warn = lines().filter((l) => l.level === WARN);
    expect(warn).toHaveLength(21);
    expect(warn[20]).toMatchObject({ more: 480 });
    expect(skipped.total.task).toBe(500);
  });

  it('writes malformed events at most once a second, with how many were held back', () => {
    let t = 0;
    const { skipped, lines } = tracker(() => t);
    for (; t < 2500; t += 100) skipped.event({ kind: 'agent', path: 'AGENT_ADDED event', reason: 'x' });
    expect(lines().map((l) => l.held)).toEqual([0, 9, 9]);
    expect(skipped.total.agent).toBe(25);
  });
});
