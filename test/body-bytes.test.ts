import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { BodyBytes } from '../src/mesos/body-bytes.js';
import { seededRandom } from './helpers/seeded-random.js';

describe('BodyBytes', () => {
  it('gives back exactly the bytes pushed, across block boundaries and in any chunk sizes', () => {
    const random = seededRandom(3);
    const body = randomBytes(20 * 1024 * 1024 + 12345);
    const sink = new BodyBytes();
    for (let at = 0; at < body.length; ) {
      // Mostly socket-sized reads, sometimes one larger than a whole block.
      const n = Math.min(body.length - at, random() < 0.02 ? 9 * 1024 * 1024 : 1 + Math.floor(random() * 70_000));
      sink.push(body.subarray(at, at + n));
      at += n;
    }
    expect(sink.length).toBe(body.length);
    expect(sink.take().equals(body)).toBe(true);
  });

  it('an empty body is an empty buffer', () => {
    expect(new BodyBytes().take().length).toBe(0);
  });
});
