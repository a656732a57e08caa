// What the forwarder remembers about each upstream, and the decisions made from it (pure: the
// I/O in forward.ts and health-probe.ts reports observations, this module keeps no clock).
//
// - Down after `maxFails` consecutive failures, as CoreDNS's forward plugin does (max_fails,
//   default 2): one lost datagram must not take a server out, two in a row on a loopback or LAN
//   path mean it is gone. Any matching reply, whatever its rcode, counts as alive: REFUSED or
//   SERVFAIL is the upstream speaking, not a dead path (CoreDNS treats only network errors as
//   failures, and its health check takes any reply as healthy). `maxFails` 0 never marks down.
// - Back up on the first matching reply: a probe's (health-probe.ts) or, when every upstream is
//   down and queries go to them anyway, a query's.
// - The per-try deadline: how long a query waits for this upstream before it is also sent to the
//   next one (forward.ts races them). Derived from the smoothed RTT like a TCP retransmission
//   timer (RFC 6298 §2: SRTT ← 7/8·SRTT + 1/8·R), bounded so a fast LAN upstream still gets a
//   scheduling hiccup's grace and a slow one never holds a query past a second.

export type UpstreamState = 'up' | 'down';

/** A change of state, to log once; undefined when the state did not change. */
export type Transition = 'down' | 'up' | undefined;

/** Deadline bounds and initial value, milliseconds. */
export const TRY_DEADLINE_MIN_MS = 150;
export const TRY_DEADLINE_MAX_MS = 1000;
/**
 * Before any RTT is known. A first query to an unknown server should not wait long for it:
 * Unbound starts an unknown server at 376 ms; 400 ms also covers a first TCP handshake to an
 * upstream on another continent (~300 ms RTT) without racing it needlessly.
 */
export const TRY_DEADLINE_INITIAL_MS = 400;
/** Added to 3 × SRTT: the spread of a healthy upstream's RTT is not all in its mean. */
export const TRY_DEADLINE_MARGIN_MS = 50;

/** The per-try deadline for an upstream with smoothed RTT `srttMs` (undefined: none measured yet). */
export function tryDeadlineMs(srttMs: number | undefined): number {
  if (srttMs === undefined) return TRY_DEADLINE_INITIAL_MS;
  const ms = Math.round(3 * srttMs + TRY_DEADLINE_MARGIN_MS);
  return Math.min(TRY_DEADLINE_MAX_MS, Math.max(TRY_DEADLINE_MIN_MS, ms));
}

/** One upstream's read-only view, for /metrics and tests. */
export interface UpstreamHealthView {
  /** "host:port" ("[v6]:port"). */
  upstream: string;
  state: UpstreamState;
  consecutiveFailures: number;
  /** Smoothed RTT of its replies, ms; undefined before the first. */
  rttMs: number | undefined;
  /** Replies accepted from it (queries and probes). */
  answered: number;
  /** Tries that failed: error, no reply before the race ended past its deadline, or the overall timeout. */
  failed: number;
}

export class UpstreamHealth {
  state: UpstreamState = 'up';
  consecutiveFailures = 0;
  srttMs: number | undefined;
  answered = 0;
  failed = 0;

  constructor(readonly maxFails: number) {}

  /** A matching reply arrived `rttMs` after the query (or probe) was sent. */
  replied(rttMs: number): Transition {
    this.answered++;
    this.srttMs = this.srttMs === undefined ? rttMs : (7 * this.srttMs + rttMs) / 8;
    this.consecutiveFailures = 0;
    if (this.state === 'up') return undefined;
    this.state = 'up';
    return 'up';
  }

  /** A try failed (see UpstreamHealthView.failed). */
  failedTry(): Transition {
    this.failed++;
    this.consecutiveFailures++;
    if (this.state === 'down' || this.maxFails === 0 || this.consecutiveFailures < this.maxFails) return undefined;
    this.state = 'down';
    return 'down';
  }

  deadlineMs(): number {
    return tryDeadlineMs(this.srttMs);
  }
}

/**
 * One view per upstream from the views of several threads (each DNS worker has its own
 * forwarder): down if any thread has it down (that thread skips it), failures and replies
 * summed, the largest streak, the mean of the RTTs known.
 */
export function mergeHealthViews(lists: readonly (readonly UpstreamHealthView[])[]): UpstreamHealthView[] {
  const merged = new Map<string, UpstreamHealthView & { rtts: number[] }>();
  for (const list of lists) {
    for (const v of list) {
      let m = merged.get(v.upstream);
      if (m === undefined) merged.set(v.upstream, (m = { ...v, answered: 0, failed: 0, consecutiveFailures: 0, rtts: [] }));
      if (v.state === 'down') m.state = 'down';
      m.consecutiveFailures = Math.max(m.consecutiveFailures, v.consecutiveFailures);
      m.answered += v.answered;
      m.failed += v.failed;
      if (v.rttMs !== undefined) m.rtts.push(v.rttMs);
    }
  }
  return [...merged.values()].map(({ rtts, ...v }) => ({
    ...v,
    rttMs: rtts.length > 0 ? rtts.reduce((a, b) => a + b, 0) / rtts.length : undefined,
  }));
}

/**
 * The upstreams a query is sent to, in order: the ones that are up, in the configured order; when
 * none is up, all of them in order (health checking may be what is wrong; CoreDNS then also
 * tries them anyway).
 */
export function tryOrder<U>(upstreams: readonly U[], state: (u: U) => UpstreamState): readonly U[] {
  const up = upstreams.filter((u) => state(u) === 'up');
  return up.length > 0 ? up : upstreams;
}
