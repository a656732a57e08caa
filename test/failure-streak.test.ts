import { describe, expect, it } from '@jest/globals';
import { FailureStreak } from '../src/failure-streak.js';
import { captureLog } from './helpers/log-capture.js';


describe('FailureStreak', () => {
  it('logs the first failure of a streak as an error, repeats not at all at info, and one recovery line', async () => {
    const { logger, lines } = captureLog('info');
    const streak = new FailureStreak(logger, 'state refresh');
    for (let i = 0; i < 5; i++) streak.fail(new Error(`boom ${i}`));
    streak.ok();
    streak.ok();
    streak.fail(new Error('again'));
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, 'state refresh failed; keeping the last good table'],
      [30, 'state refresh recovered'],
      [50, 'state refresh failed; keeping the last good table'],
    ]);
    expect((lines[0].err as { message: string }).message).toBe('boom 0');
    expect(lines[1].failures).toBe(5);
  });
});
