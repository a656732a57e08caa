// A pino logger whose lines are kept as parsed JSON (pino's own test habit), for tests that
// count what the server logged.
import { Writable } from 'node:stream';
import { pino } from 'pino';

export function captureLog(level: pino.Level = 'info'): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
