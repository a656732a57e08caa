import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { FailureStreak } from '../src/failure-streak.js';

/** A pino logger whose lines are captured as parsed JSON (pino's own test habit). */
function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('FailureStreak', () => {
  it('logs the first failure of a streak as an error, repeats not at all at info, and one recovery line', async () => {
    const { logger, lines } = capture();
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
