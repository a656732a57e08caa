// Live cluster state from the Mesos Operator API (POST /api/v1 {"type":"SUBSCRIBE"}): the I/O
// half. It frames the RecordIO body (recordio.ts), turns the SUBSCRIBED snapshot into a
// StreamState (read-subscribed.ts: natively while it arrives, snapshot-decoder.ts), folds later events into its LiveState (operator-events.ts,
// live-state.ts: owned here, changed in place) and emits immutable MasterState snapshots of it. The pure steps do the thinking; this module owns the connection, the
// heartbeat watchdog, reconnect backoff, emit coalescing and the failover hold.
//
// Events:
//   'state'       (MasterState)  a new cluster view; never emitted for a broken or empty stream
//   'mode'        (StreamMode)   lifecycle changes, so the caller can log "stream" vs "polling"
//   'notLeader'   (url?)         the master answered 307; the stream stops (the caller re-detects)
//   'unsupported' (statusCode)   404/405/501: no Operator API; the stream stops (caller polls)
import { EventEmitter } from 'node:events';
import { request, type Dispatcher } from 'undici';
import { StreamError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { applyEvent, LiveState, skippedEvent } from './operator-events.js';
import { object } from './operator-state.js';
import type { NativeSubscribed, StateReaderAddon } from './read-state.js';
import { readSubscribedRecord, type SubscribedRead } from './read-subscribed.js';
import { DEFAULT_MAX_RECORD_BYTES } from './recordio.js';
import { SnapshotDecoder } from './snapshot-decoder.js';
import type { MasterState, Pid, SkippedElement } from './state.js';

export type StreamMode =
  /** Subscribing: request sent, SUBSCRIBED not seen yet. */
  | 'connecting'
  /** Subscribed; the emitted state follows the master live. */
  | 'streaming'
  /** The last subscription failed; waiting out the backoff before the next one. */
  | 'retrying'
  /** Stopped: the master is not the leader (307). */
  | 'not-leader'
  /** Stopped: the master has no Operator API (404/405/501); poll /master/state instead. */
  | 'unsupported'
  /** Stopped by close(). */
  | 'closed';

export interface OperatorStreamOptions {
  /** http(s)://host:port of the master to subscribe to. */
  leaderUrl: string;
  /** That master's pid: get_state does not carry the leader, and the builder needs it. */
  leader: Pid;
  dispatcher?: Dispatcher;
  /** Extra request headers (Authorization…), or a provider asked before each subscription so a
   * renewed token is picked up on reconnect. */
  headers?: Record<string, string> | (() => Promise<Record<string, string>>);
  /** Silence longer than heartbeatMisses × heartbeat interval ends the subscription. Default 5
   * (Mesos advises about 5 × the interval SUBSCRIBED announces; dcos-net uses 3). */
  heartbeatMisses?: number;
  /** Reconnect delay: initialMs doubling per failure up to maxMs, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** Events within this window produce one 'state' (trailing edge). Default 50 ms. */
  coalesceMs?: number;
  /** How long a snapshot listing recovered_agents is held back waiting for them. Default 30 s. */
  recoveryGraceMs?: number;
  maxRecordBytes?: number;
  /** Reads the SUBSCRIBED snapshot while it arrives, on its own thread (the NativeStateReader
   * setting; start-source.ts chooses it); null or absent: JSON.parse once it is complete. */
  stateReader?: StateReaderAddon | null;
  /** Jitter source in [0, 1); injected so tests and callers control randomness. */
  random?: () => number;
  logger?: Logger;
  /** Every event received, by its type (SUBSCRIBED, HEARTBEAT, TASK_UPDATED...): for /metrics. */
  onEvent?: (type: string) => void;
}

interface OperatorStreamEvents {
  state: [MasterState];
  /** Each SUBSCRIBED snapshot: the elements it left out as malformed (often none). */
  snapshotSkipped: [SkippedElement[]];
  /** A malformed event, skipped: the stream goes on without it. */
  eventSkipped: [SkippedElement];
  mode: [StreamMode];
  notLeader: [location: string | undefined];
  unsupported: [statusCode: number];
}

/** Mesos's default heartbeat interval (master/constants.hpp DEFAULT_HEARTBEAT_INTERVAL), used
 * until SUBSCRIBED tells us the real one. */
const DEFAULT_HEARTBEAT_SECONDS = 15;
const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 };
/** Statuses meaning "this master does not speak the v1 API": fall back to /master/state. */
const UNSUPPORTED_STATUSES = new Set([404, 405, 501]);

type Outcome = 'retry' | 'stop';

export class OperatorStream extends EventEmitter<OperatorStreamEvents> {
  readonly #url: string;
  readonly #leader: Pid;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #headers: OperatorStreamOptions['headers'];
  readonly #misses: number;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #coalesceMs: number;
  readonly #graceMs: number;
  readonly #maxRecordBytes: number;
  readonly #reader: StateReaderAddon | null;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #onEvent: (type: string) => void;

  #mode: StreamMode = 'connecting';
  #started = false;
  #closed = false;
  #loop: Promise<void> | undefined;
  #abort: AbortController | undefined;

  /** The master's view as of the last applied event; undefined until the first SUBSCRIBED. Only
   * this stream changes it (applyEvent); what leaves is snapshot().master, never changed after. */
  #state: LiveState | undefined;
  #coalesceTimer: NodeJS.Timeout | undefined;
  /** Failover hold: agent ids still expected to re-register, and the timer that gives up. */
  #awaitedAgents: Set<string> | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #failures = 0;

  constructor(options: OperatorStreamOptions) {
    super();
    this.#url = `${options.leaderUrl.replace(/\/+$/, '')}/api/v1`;
    this.#leader = options.leader;
    this.#dispatcher = options.dispatcher;
    this.#headers = options.headers;
    this.#misses = options.heartbeatMisses ?? 5;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#coalesceMs = options.coalesceMs ?? 50;
    this.#graceMs = options.recoveryGraceMs ?? 30_000;
    this.#maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.#reader = options.stateReader ?? null;
    this.#random = options.random ?? Math.random;
    this.#onEvent = options.onEvent ?? (() => {});
    this.#log = (options.logger ?? silentLogger).child({ component: 'operator-stream', master: options.leaderUrl });
  }

  get mode(): StreamMode {
    return this.#mode;
  }

  /** The master answered SUBSCRIBE and its snapshot (the first record) is still arriving or being read. */
  get readingSnapshot(): boolean {
    return this.#readingSnapshot;
  }
  #readingSnapshot = false;

  /** The last emitted-or-held view, or undefined before the first snapshot. */
  get state(): MasterState | undefined {
    return this.#state?.snapshot().master;
  }

  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#loop = this.#run();
  }

  /** Aborts the subscription and every timer; resolves once the connection is released. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort?.abort(new StreamError('stream closed'));
    this.#clearTimer('coalesce');
    this.#clearTimer('grace');
    this.#clearTimer('backoff');
    this.#wake?.();
    await this.#loop;
    this.#setMode('closed');
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const outcome = await this.#subscribeOnce();
      if (outcome === 'stop' || this.#closed) return;
      this.#setMode('retrying');
      await this.#sleep(this.#nextDelay());
    }
  }

  /** One subscription, from request to the end of the body. Never throws. */
  async #subscribeOnce(): Promise<Outcome> {
    this.#setMode('connecting');
    const controller = new AbortController();
    this.#abort = controller;
    // One watchdog covers the whole subscription: connecting, waiting for headers and the body.
    // It is pushed back on every chunk received, since any progress proves the master alive.
    const watchdog = { fired: false, timer: undefined as NodeJS.Timeout | undefined };
    const arm = (intervalSeconds: number): void => {
      if (watchdog.timer) clearTimeout(watchdog.timer);
      const ms = Math.max(1, intervalSeconds * 1000 * this.#misses);
      watchdog.timer = setTimeout(() => {
        watchdog.fired = true;
        controller.abort(new StreamError(`no event for ${ms} ms (${this.#misses} heartbeat intervals)`));
      }, ms);
    };
    arm(DEFAULT_HEARTBEAT_SECONDS);

    let body: Dispatcher.ResponseData['body'] | undefined;
    const records = new SnapshotDecoder(this.#reader, this.#maxRecordBytes);
    try {
      const res = await request(this.#url, {
        method: 'POST',
        dispatcher: this.#dispatcher,
        headers: {
          ...(await this.#extraHeaders()),
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': 'Mesos-DNS',
        },
        body: JSON.stringify({ type: 'SUBSCRIBE' }),
        signal: controller.signal,
        // The stream is idle between heartbeats by design; the watchdog above bounds silence.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      body = res.body;
      if (res.statusCode !== 200) return await this.#refused(res.statusCode, res.headers.location, res.body);

      let subscribed = false;
      this.#readingSnapshot = true;
      const decoder = records.decoder;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        watchdog.timer?.refresh();
        for (const record of decoder.push(chunk)) {
          const lastByte = performance.now();
          const interval = this.#handleRecord(record, subscribed, subscribed ? undefined : records.first(), lastByte);
          if (interval !== undefined) {
            subscribed = true;
            this.#readingSnapshot = false;
            arm(interval);
          }
        }
      }
      throw new StreamError(decoder.pending > 0 ? `stream ended mid-record (${decoder.pending} bytes pending)` : 'stream ended by the master');
    } catch (err) {
      if (this.#closed) return 'stop';
      this.#failed(watchdog.fired ? controller.signal.reason : err);
      return 'retry';
    } finally {
      this.#readingSnapshot = false;
      records.cancel();
      if (watchdog.timer) clearTimeout(watchdog.timer);
      if (body && !body.destroyed) body.destroy();
      this.#abort = undefined;
    }
  }

  async #extraHeaders(): Promise<Record<string, string>> {
    const h = this.#headers;
    if (!h) return {};
    return typeof h === 'function' ? await h() : h;
  }

  /** A non-200 answer to SUBSCRIBE. */
  async #refused(statusCode: number, location: string | string[] | undefined, body: Dispatcher.ResponseData['body']): Promise<Outcome> {
    await body.dump().catch(() => undefined);
    if (statusCode === 307) {
      // Non-leading masters redirect to the leader (dcos-net reads 307 as "not leader"); Mesos
      // writes a scheme-relative Location ("//host:port/api/v1"), so resolve it against ours.
      const loc = Array.isArray(location) ? location[0] : location;
      let target: string | undefined;
      try {
        target = loc ? new URL(loc, this.#url).toString() : undefined;
      } catch {
        target = undefined;
      }
      this.#log.info({ location: target }, 'master is not the leader');
      this.#setMode('not-leader');
      this.emit('notLeader', target);
      return 'stop';
    }
    if (UNSUPPORTED_STATUSES.has(statusCode)) {
      this.#log.info({ statusCode }, 'master has no Operator API stream');
      this.#setMode('unsupported');
      this.emit('unsupported', statusCode);
      return 'stop';
    }
    throw new StreamError(`SUBSCRIBE answered HTTP ${statusCode}`);
  }

  /** Apply one record. Returns the heartbeat interval (seconds) when the record is SUBSCRIBED.
   * A malformed event of one element is skipped (eventSkipped); anything else unusable throws
   * StreamError/StateParseError, the subscription then restarts and the last good state stays.
   * `arrived`: the native reader's result for the first record, read while it arrived;
   * `lastByte`: when the record was complete. */
  #handleRecord(record: Buffer, subscribed: boolean, arrived: NativeSubscribed | string | undefined, lastByte: number): number | undefined {
    if (!subscribed) {
      const { read, declined } = readSubscribedRecord(record, this.#leader, this.#reader, { arrived, onType: this.#onEvent });
      return this.#onSubscribed(read, declined, performance.now() - lastByte);
    }
    let event: unknown;
    try {
      event = JSON.parse(record.toString('utf8'));
    } catch (err) {
      throw new StreamError('record is not JSON', { cause: err });
    }
    const type = object(event, 'event').type;
    this.#onEvent(typeof type === 'string' ? type : 'unknown');
    if (type === 'HEARTBEAT') {
      // A heartbeat after SUBSCRIBED proves the stream works end to end: reset the backoff here,
      // not on SUBSCRIBED, so a master that sends a snapshot and then garbage cannot make us
      // reconnect (and re-download the snapshot, MESOS-6552) at the fastest rate forever.
      if (this.#failures > 0) this.#log.info({ failures: this.#failures }, 'stream healthy again');
      this.#failures = 0;
      return undefined;
    }
    let changed: boolean;
    try {
      changed = applyEvent(this.#state!, event);
    } catch (err) {
      // One bad task must not cost the stream (a resubscription re-downloads the whole state):
      // the event is skipped, the state stays as it was (applyEvent changes nothing then).
      this.emit('eventSkipped', skippedEvent(event, err));
      return undefined;
    }
    if (!changed) return undefined;
    if (type === 'AGENT_ADDED' && this.#awaitedAgents) this.#agentBack(this.#state!);
    this.#scheduleEmit();
    return undefined;
  }

  /** The snapshot becomes the state; `readMs`: from the record's last byte to its StreamState. */
  #onSubscribed(read: SubscribedRead, declined: string | undefined, readMs: number): number {
    const interval = read.heartbeat > 0 ? read.heartbeat : DEFAULT_HEARTBEAT_SECONDS;
    const { state: next, recovered } = read;
    this.emit('snapshotSkipped', next.skipped ?? []);
    this.#state = new LiveState(next);
    this.#setMode('streaming');
    this.#clearTimer('coalesce');
    this.#clearTimer('grace');
    this.#awaitedAgents = undefined;
    if (recovered.length > 0) {
      // After a master failover, agents re-register over a while; their tasks are missing from
      // this snapshot. Publishing it would make their records disappear and come back, so hold
      // until they are all back (AGENT_ADDED) or the grace period ends.
      this.#awaitedAgents = new Set(recovered);
      this.#graceTimer = setTimeout(() => this.#releaseHold('grace period over'), this.#graceMs);
      this.#log.info({ awaiting: recovered.length, graceMs: this.#graceMs }, 'master recovering: holding state until agents re-register');
    } else {
      this.#emitNow();
    }
    // Which reader read the snapshot, and why the native one did not (once per subscription).
    const stateReader = this.#reader !== null && declined === undefined ? 'native' : 'JSON.parse';
    const tasks = next.master.frameworks.reduce((n, fw) => n + fw.tasks.length, next.waitingTasks.length);
    this.#log.info({ agents: next.master.agents.length, frameworks: next.master.frameworks.length, tasks, stateReader, ...(declined ? { declined } : {}), readMs: Math.round(readMs) }, 'subscribed: snapshot read');
    return interval;
  }

  #agentBack(state: LiveState): void {
    const awaited = this.#awaitedAgents!;
    for (const id of awaited) if (state.hasAgent(id)) awaited.delete(id);
    if (awaited.size === 0) this.#releaseHold('all recovered agents re-registered');
  }

  #releaseHold(why: string): void {
    if (!this.#awaitedAgents) return;
    this.#log.info({ stillMissing: this.#awaitedAgents.size }, `publishing state: ${why}`);
    this.#awaitedAgents = undefined;
    this.#clearTimer('grace');
    this.#emitNow();
  }

  #scheduleEmit(): void {
    if (this.#awaitedAgents || this.#coalesceTimer) return;
    this.#coalesceTimer = setTimeout(() => this.#emitNow(), this.#coalesceMs);
  }

  #emitNow(): void {
    this.#clearTimer('coalesce');
    if (this.#state && !this.#closed) this.emit('state', this.#state.snapshot().master);
  }

  /** Log once per failure streak at warn; repeats go to debug until the stream is healthy. */
  #failed(err: unknown): void {
    this.#failures++;
    const error = err instanceof Error ? err : new StreamError(String(err));
    const fields = { err: error, failures: this.#failures, keptState: this.#state !== undefined };
    if (this.#failures === 1) this.#log.warn(fields, 'operator stream lost; resubscribing');
    else this.#log.debug(fields, 'operator stream still failing');
  }

  /** Exponential backoff with "equal jitter": half the delay fixed, half random, so a fleet of
   * DNS servers does not resubscribe to a restarted master in lockstep. */
  #nextDelay(): number {
    const exp = Math.min(this.#failures - 1, 30);
    const base = Math.min(this.#backoff.maxMs, this.#backoff.initialMs * 2 ** Math.max(0, exp));
    return base / 2 + this.#random() * (base / 2);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = undefined;
        this.#clearTimer('backoff');
        resolve();
      };
      this.#backoffTimer = setTimeout(() => this.#wake?.(), ms);
    });
  }

  #clearTimer(which: 'coalesce' | 'grace' | 'backoff'): void {
    if (which === 'coalesce') clearTimeout(this.#coalesceTimer), (this.#coalesceTimer = undefined);
    else if (which === 'grace') clearTimeout(this.#graceTimer), (this.#graceTimer = undefined);
    else clearTimeout(this.#backoffTimer), (this.#backoffTimer = undefined);
  }

  #setMode(mode: StreamMode): void {
    if (this.#mode === mode) return;
    this.#mode = mode;
    this.emit('mode', mode);
  }
}
