// SOA serial numbers (RFC 1982 serial arithmetic, SERIAL_BITS = 32). Pure.

const HALF = 2 ** 31;

/** s1 > s2 in RFC 1982 §3.2 terms; undefined ("not defined") when they are exactly 2^31 apart. */
export function serialGreater(s1: number, s2: number): boolean {
  const a = s1 >>> 0;
  const b = s2 >>> 0;
  return (a < b && b - a > HALF) || (a > b && a - b < HALF);
}

/** s + n for 0 <= n <= 2^31 - 1 (RFC 1982 §3.1), wrapping at 2^32. */
export function serialAdd(s: number, n: number): number {
  return (s + n) % 2 ** 32;
}

/**
 * The serial for a change after `previous` (undefined: none known): the unix time when that is
 * ahead, else previous + 1, so it always increases (RFC 1982 §3.2 "greater than") and stays
 * near the clock, as mesos-dns's reload-time serials do. `floor` is a serial persisted by an
 * earlier run (SerialFile): the result is after it too.
 */
export function nextSerial(previous: number | undefined, now: number, floor?: number): number {
  let serial = Math.floor(now) >>> 0;
  for (const before of [previous, floor]) {
    if (before !== undefined && !serialGreater(serial, before)) serial = serialAdd(before, 1);
  }
  return serial;
}
