// SerialFile: the last SOA serial, kept across restarts so the serial never goes back (RFC 1982:
// a secondary would ignore a smaller serial, and keep the old zone). Written before the table that
// carries the serial is swapped in (rename over the old file, so a crash leaves one or the other).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** The serial in `file`, or undefined when it is missing or does not hold one. */
export function readSerialFile(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= 0 && n < 2 ** 32 ? n : undefined;
}

export function writeSerialFile(file: string, serial: number): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${serial >>> 0}\n`);
  renameSync(tmp, file);
}
