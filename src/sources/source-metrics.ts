// What the state sources count for /metrics (metrics/registry.ts implements it). A narrow
// interface so the sources do not depend on prom-client, and tests can pass a plain object.
export interface SourceMetrics {
  /** A state fetch (or state file read) ended: outcome, seconds, body bytes when known. */
  stateFetched(outcome: 'ok' | 'error', seconds: number, bytes?: number): void;
  /** The Operator API stream subscribed (true) or lost its subscription (false). */
  streamConnected(connected: boolean): void;
  /** An Operator API event arrived, by its type. */
  streamEvent(type: string): void;
}

/** Counts nothing: for callers (tests) that keep no metrics. */
export const NO_SOURCE_METRICS: SourceMetrics = {
  stateFetched: () => {},
  streamConnected: () => {},
  streamEvent: () => {},
};
