import { describe, expect, it } from '@jest/globals';
import { LogSampler } from '../src/log-sampler.js';

describe('LogSampler', () => {
  // Each case: the clock (ms) at successive take() calls, and what take() returns for each.
  it.each([
    ['the first line is always written', [0], [0]],
    ['lines within the interval are held back', [0, 10, 999], [0, -1, -1]],
    ['the next line after the interval says how many were held', [0, 10, 999, 1000], [0, -1, -1, 2]],
    ['the count restarts after each written line', [0, 1, 1000, 1001, 1002, 2000], [0, -1, 1, -1, -1, 2]],
    ['lines far apart are all written, none held', [0, 5000, 10000], [0, 0, 0]],
  ])('%s', (_name, times, expected) => {
    let i = 0;
    const sampler = new LogSampler(1000, () => times[i]);
    const got: number[] = [];
    for (; i < times.length; i++) got.push(sampler.take());
    expect(got).toEqual(expected);
  });
});
