// GET /ready's decision, pure: given what the server knows at one instant (the table, the DNS
// workers serving it, how current it is and how long the state source has been failing), is it
// fit to take traffic, and why not. The HTTP handler and the stale-table watch (freshness.ts) feed
// it; neither decides anything itself, so every case is a row in test/readiness.test.ts.

export interface ReadinessInput {
  /** Seconds (any epoch, the same as the times below). */
  now: number;
  /** ReadyMaxTableAgeSeconds; 0 turns the age and failure checks off. */
  maxAgeSeconds: number;
  /** Generation of the table built here; undefined before the first one. */
  generation: number | undefined;
  /** DNS threads answering from a table, of all that should (0/0 with DNS off). */
  workers: { serving: number; total: number };
  /** When the table was last known to match the cluster; undefined before the first table. */
  currentAt: number | undefined;
  /** Since when the state source has been failing without a success; undefined when it is not. */
  failingSince: number | undefined;
  /** The last failure's message, kept after a recovery for the operator's curiosity. */
  lastError: string | undefined;
}

export interface Readiness {
  ready: boolean;
  /** The table is served but too old, or the source has failed too long (the watch logs this). */
  stale: boolean;
  reason: string;
  tableAgeSeconds: number | null;
  generation: number;
  workersServing: string;
  lastStateError: string | null;
}

export function decideReadiness(i: ReadinessInput): Readiness {
  const age = i.currentAt === undefined ? null : Math.max(0, Math.floor(i.now - i.currentAt));
  const failingFor = i.failingSince === undefined ? undefined : Math.max(0, Math.floor(i.now - i.failingSince));
  const base = {
    tableAgeSeconds: age,
    generation: i.generation ?? 0,
    workersServing: `${i.workers.serving}/${i.workers.total}`,
    lastStateError: i.lastError ?? null,
  };
  const no = (reason: string, stale = false): Readiness => ({ ready: false, stale, reason, ...base });
  if (i.generation === undefined) return no(i.lastError === undefined ? 'no table yet' : 'no table yet: the state source is failing');
  if (i.workers.serving < i.workers.total) return no(`DNS workers serving a table: ${i.workers.serving}/${i.workers.total}`);
  if (i.maxAgeSeconds > 0) {
    if (failingFor !== undefined && failingFor > i.maxAgeSeconds) return no(`state source failing for ${failingFor} s > ${i.maxAgeSeconds} s`, true);
    if (age !== null && age > i.maxAgeSeconds) return no(`table age ${age} s > ${i.maxAgeSeconds} s`, true);
  }
  return { ready: true, stale: false, reason: 'serving a current table', ...base };
}
