// Logging through pino: one root logger, `logger.child({ component })` per module, and
// levels mapped from mesos-dns's -v flag. Disabled levels are no-ops in pino.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** mesos-dns's -v: 0 = info (errors and lifecycle), 1 = debug (VERBOSE), 2 = trace (VERY VERBOSE). */
export function levelForVerbosity(v: number): pino.Level {
  if (v >= 2) return 'trace';
  if (v === 1) return 'debug';
  return 'info';
}

export function createLogger(options: { verbosity?: number; level?: pino.Level | 'silent'; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? levelForVerbosity(options.verbosity ?? 0);
  return pino({ level, base: { name: 'mesos-dns-ts' } }, options.destination ?? pino.destination(1));
}

/** A logger that writes nothing: for tests and pure callers that accept an optional logger. */
export const silentLogger: Logger = pino({ level: 'silent' });
