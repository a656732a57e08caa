// Message IDs for forwarded queries (RFC 5452 §9.2: IDs an off-path attacker cannot predict).
// Drawn from the operating system's CSPRNG (crypto.randomFillSync) in blocks, so a forwarded
// query costs two bytes of a buffer rather than a system call.
import { randomFillSync } from 'node:crypto';

/** IDs per refill of the pool. */
const BLOCK_IDS = 256;

/** A source of uniformly random 16-bit IDs. */
export function cryptoQueryIds(): () => number {
  const pool = Buffer.allocUnsafe(BLOCK_IDS * 2);
  let next = pool.length;
  return () => {
    if (next === pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    const id = pool.readUInt16BE(next);
    next += 2;
    return id;
  };
}
