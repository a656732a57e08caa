// Where the table's state comes from when talking to a live cluster. It ties together:
//  - who the masters are: ZooKeeper (when `zk` is set) or the static `masters` list;
//  - how the state arrives: the Operator API event stream from the leader (live, sub-second),
//    or polling /master/state every refreshSeconds (old masters, or while the stream is down).
// Every state it receives goes to `publish`; a failure anywhere keeps the last good table.
import { EventEmitter } from 'node:events';
import type { StateReaderAddon } from '../mesos/read-state.js';
import { joinHostPort, sameHostPort, type HostPort } from '../net/address.js';
import type { Config } from '../config/typed.js';
import type { SourceHealth } from '../freshness.js';
import type { Logger } from '../log.js';
import { masterOrigin, type MasterHttp } from '../mesos/master-http.js';
import { OperatorStream, type StreamMode } from '../mesos/operator-stream.js';
import type { Framework, MasterState, Pid } from '../mesos/state.js';
import { carryChanges } from '../mesos/live-state.js';
import type { SkippedElements } from '../skipped-elements.js';
import type { MastersUpdate } from '../mesos/zk-detector.js';
import type { StateOrigin } from '../publish.js';

export type { MastersUpdate };
import { StatePoller, type MastersView } from './poller.js';
import { NO_SOURCE_METRICS, type SourceMetrics } from './source-metrics.js';


/** The part of the ZooKeeper detector the source needs (so tests can drive it). */
export interface LeaderDetector {
  on(event: 'masters', listener: (update: MastersUpdate) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  start(): void;
  close(): void | Promise<void>;
}

export type SourceMode = 'starting' | 'stream' | 'polling';

/** At most one extra /master/state poll this often, to learn new frameworks' scheduler pids. */
const PID_POLL_MS = 5000;

export interface ClusterSourceOptions {
  config: Config;
  http: MasterHttp;
  /** `origin` 'stream' for the event stream's states (they may be patched in), 'poll-before-stream' for a poll its snapshot may patch (publish.ts). */
  publish: (state: MasterState, masters: readonly HostPort[], origin?: StateOrigin) => Promise<unknown>;
  /** Reads fetched state documents and the stream's snapshots (chosen once, by start-source.ts);
   * null reads them with JSON.parse. */
  stateReader: StateReaderAddon | null;
  logger: Logger;
  detector?: LeaderDetector;
  random?: () => number;
  /** Told of failed polls and of the stream coming and going (/ready). */
  health?: SourceHealth;
  /** Told what each document read (poll, stream snapshot, stream event) left out. */
  skipped?: SkippedElements;
  /** Stream tuning, for tests; production uses the OperatorStream defaults. */
  metrics?: SourceMetrics;
  stream?: { heartbeatMisses?: number; backoff?: { initialMs: number; maxMs: number }; coalesceMs?: number; recoveryGraceMs?: number };
}

interface ClusterSourceEvents {
  /** Unrecoverable (ZooKeeper never found a leader within zkDetectionTimeout): the caller exits. */
  fatal: [Error];
  mode: [SourceMode];
}

export class ClusterSource extends EventEmitter<ClusterSourceEvents> {
  readonly #opts: ClusterSourceOptions;
  readonly #log: Logger;
  readonly #poller: StatePoller;
  #view: MastersView;
  #stream: OperatorStream | undefined;
  /** Leader whose master answered the stream with 404/405/501. */
  #noStreamAt: HostPort | undefined;
  #mode: SourceMode = 'starting';
  #closed = false;

  constructor(opts: ClusterSourceOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'cluster-source' });
    this.#view = { masters: opts.config.typed.masters };
    this.#poller = new StatePoller({
      http: opts.http,
      masters: () => this.#view,
      intervalMs: opts.config.RefreshSeconds * 1000,
      onState: (state, master) => this.#onPolledState(state, master),
      // While the stream delivers, polling would only repeat what we already have.
      skip: () => this.#stream?.mode === 'streaming',
      stateReader: opts.stateReader,
      logger: opts.logger,
      health: opts.health,
      metrics: opts.metrics,
    });
  }

  get mode(): SourceMode {
    return this.#mode;
  }

  get masters(): MastersView {
    return this.#view;
  }

  start(): void {
    const detector = this.#opts.detector;
    if (detector) {
      detector.on('masters', (update) => this.#onMasters(update));
      detector.on('error', (err) => this.emit('fatal', err));
      detector.start();
    }
    this.#poller.start();
  }

  /** The stream's snapshot is arriving or being read (main.ts holds its collection meanwhile). */
  get readingSnapshot(): boolean {
    return this.#stream?.readingSnapshot === true;
  }

  /** Fetch the state now (e.g. after SIGHUP); resolves to whether it succeeded. */
  refreshNow(): Promise<boolean> {
    return this.#poller.refreshNow();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#poller.stop();
    this.#stopStream();
    await this.#opts.detector?.close();
  }

  #setMode(mode: SourceMode): void {
    if (mode === this.#mode) return;
    this.#mode = mode;
    const leader = this.#view.leader && joinHostPort(this.#view.leader);
    // While the stream is connected its heartbeats prove the table current, events or not.
    this.#opts.health?.live(mode === 'stream');
    if (mode === 'stream') this.#log.info({ leader }, 'live updates from the Operator API event stream');
    else if (mode === 'polling')
      this.#log.info({ leader, refreshSeconds: this.#opts.config.RefreshSeconds }, 'polling /master/state');
    this.emit('mode', mode);
  }

  #onMasters(update: MastersUpdate): void {
    const previous = this.#view.leader;
    // ZooKeeper's list replaces the configured masters as soon as it reports (mesos-dns §6).
    this.#view = { masters: update.masters.length ? update.masters : this.#view.masters, leader: update.leader ?? previous };
    if (update.leader === undefined) {
      this.#log.warn({ lastLeader: previous && joinHostPort(previous) }, 'no leading master known; serving the last table');
      return;
    }
    if (previous === undefined || !sameHostPort(update.leader, previous)) {
      this.#log.info({ leader: joinHostPort(update.leader), previous: previous && joinHostPort(previous) }, 'leading master changed');
      this.#stopStream();
      this.#poller.invalidate();
      void this.#poller.refreshNow();
    }
  }

  async #onPolledState(state: MasterState, master: HostPort): Promise<void> {
    if (this.#closed) return;
    this.#opts.skipped?.document('poll', state.skipped);
    this.#view = { masters: this.#view.masters, leader: master };
    this.#frameworkPids = new Map(state.frameworks.flatMap((f) => (f.pid ? [[f.id, f.pid] as const] : [])));
    this.#pidless = new Set(state.frameworks.filter((f) => !f.pid).map((f) => f.id));
    // While the stream delivers, its last view is at least as new as any poll (the poll's
    // snapshot was taken before events the stream has already applied): rebuild from that one,
    // or the poll (a refresh, a same-cluster SIGHUP) would swap an older view in after a newer.
    const current = this.#stream?.mode === 'streaming' && this.#isStreamMaster(master) ? this.#streamed : undefined;
    // A poll made only for new frameworks' pids gives the stream's view their pids: a framework
    // change the incremental table patches. Any other poll rebuilds in full (fresh addresses).
    // A poll while no stream delivers, with one to be subscribed to at this master: the base its
    // snapshot is patched onto (publish.ts).
    const origin = current !== undefined ? (this.#pidPoll ? 'stream' : undefined) : this.#streamWanted(master) ? 'poll-before-stream' : undefined;
    this.#pidPoll = false;
    await this.#opts.publish(current ? withFrameworkPids(current, this.#frameworkPids) : state, this.#mastersForRecords(), origin);
    this.#ensureStream(master, state.leader);
    if (!this.#stream) this.#setMode('polling');
  }

  /** Masters for master/masterN records: the known list, or the leader alone when none is known. */
  #isStreamMaster(master: HostPort): boolean {
    return this.#streamMaster !== undefined && sameHostPort(this.#streamMaster, master);
  }

  #mastersForRecords(): readonly HostPort[] {
    const { masters, leader } = this.#view;
    return masters.length ? masters : leader ? [leader] : [];
  }

  /** Whether the stream is (to be) subscribed to at `master`: StreamOn, and it has not answered that it has none. */
  #streamWanted(master: HostPort): boolean {
    return this.#opts.config.StreamOn && !this.#closed && !(this.#noStreamAt && sameHostPort(this.#noStreamAt, master));
  }

  #ensureStream(master: HostPort, leaderPid: Pid): void {
    if (!this.#streamWanted(master)) return;
    if (this.#stream && this.#isStreamMaster(master)) return;
    this.#stopStream();
    const stream = new OperatorStream({
      leaderUrl: masterOrigin(this.#opts.http.scheme, master),
      leader: leaderPid,
      dispatcher: this.#opts.http.dispatcher,
      // The SUBSCRIBED record carries the whole state: the same bound as a /master/state body.
      maxRecordBytes: this.#opts.http.maxStateBytes,
      // The snapshot is read like a polled state: natively while it arrives, unless NativeStateReader is false.
      stateReader: this.#opts.stateReader,
      headers: async (): Promise<Record<string, string>> => {
        const authorization = await this.#opts.http.authorize();
        return authorization ? { authorization } : {};
      },
      random: this.#opts.random,
      logger: this.#opts.logger,
      onEvent: (type) => (this.#opts.metrics ?? NO_SOURCE_METRICS).streamEvent(type),
      ...this.#opts.stream,
    });
    this.#stream = stream;
    this.#streamMaster = master;
    stream.on('state', (state) => {
      if (this.#stream !== stream) return;
      this.#streamed = state;
      this.#fetchMissingPids(state);
      this.#opts.publish(withFrameworkPids(state, this.#frameworkPids), this.#mastersForRecords(), 'stream').catch((err: unknown) => {
        this.#log.error({ err }, 'publishing a streamed state failed; keeping the last good table');
      });
    });
    stream.on('snapshotSkipped', (elements) => {
      if (this.#stream === stream) this.#opts.skipped?.document('stream', elements);
    });
    stream.on('eventSkipped', (element) => {
      if (this.#stream === stream) this.#opts.skipped?.event(element);
    });
    stream.on('mode', (mode: StreamMode) => {
      if (this.#stream !== stream) return;
      // A resubscribed stream may hold its snapshot (agents recovering); until it emits again,
      // the view from before the break is older than a poll.
      if (mode !== 'streaming') this.#streamed = undefined;
      (this.#opts.metrics ?? NO_SOURCE_METRICS).streamConnected(mode === 'streaming');
      if (mode === 'streaming') this.#setMode('stream');
      else if (mode === 'retrying') this.#setMode('polling');
    });
    stream.on('unsupported', (status) => {
      this.#log.info({ master: joinHostPort(master), status }, 'master has no Operator API; polling /master/state');
      this.#noStreamAt = master;
      this.#stopStream();
      this.#setMode('polling');
    });
    stream.on('notLeader', () => {
      this.#log.info({ master: joinHostPort(master) }, 'stream master is no longer the leader');
      this.#stopStream();
      this.#setMode('polling');
      void this.#poller.refreshNow();
    });
    stream.start();
  }

  #streamMaster: HostPort | undefined;
  #lastPidPoll = 0;
  /** The poll under way was asked for by #fetchMissingPids. */
  #pidPoll = false;

  /**
   * A framework that registered after the last /master/state poll has no scheduler pid in the
   * stream (the v1 API carries none), so its `<fw>` and `_framework._tcp` records would wait for
   * the stream to fail. Poll once for it (at most every PID_POLL_MS); the poll rebuilds from the
   * stream's view with the new pids (#onPolledState).
   */
  #fetchMissingPids(state: MasterState): void {
    const now = Date.now();
    if (now - this.#lastPidPoll < PID_POLL_MS) return;
    if (state.frameworks.every((f) => f.pid || this.#frameworkPids.has(f.id) || this.#pidless.has(f.id))) return;
    this.#lastPidPoll = now;
    this.#pidPoll = true;
    void this.#poller.refreshNow();
  }

  /** Frameworks that /master/state lists without a pid (HTTP API schedulers): never ask again for them. */
  #pidless = new Set<string>();
  /** The last state the current stream emitted while subscribed. */
  #streamed: MasterState | undefined;
  /** Scheduler pids by framework id, from the last polled /master/state (the v1 API has none). */
  #frameworkPids = new Map<string, Pid>();

  #stopStream(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#streamMaster = undefined;
    this.#streamed = undefined;
    if (stream) {
      (this.#opts.metrics ?? NO_SOURCE_METRICS).streamConnected(false);
      void stream.close();
    }
  }
}

/**
 * The Operator API's FrameworkInfo carries no scheduler pid, which /master/state has and which
 * mesos-dns uses for `<fw>.<domain>` and `_framework._tcp.<fw>.<domain>`. Fill the pids in from
 * the last polled state so stream mode publishes the same framework records as polling.
 */
export function withFrameworkPids(state: MasterState, pids: ReadonlyMap<string, Pid>): MasterState {
  if (pids.size === 0 || state.frameworks.every((f) => f.pid || !pids.has(f.id))) return state;
  return carryChanges(state, { ...state, frameworks: state.frameworks.map((f) => (f.pid || !pids.has(f.id) ? f : withPid(f, pids.get(f.id)!))) });
}

/** `framework` with a pid, its `tasks` defined as they are (the stream's are read lazily, mesos/task-list.ts). */
function withPid(framework: Framework, pid: Pid): Framework {
  return Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(framework), pid: { value: pid, enumerable: true, writable: true, configurable: true } }) as Framework;
}
