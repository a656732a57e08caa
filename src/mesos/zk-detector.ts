// Leader detection through ZooKeeper, the way mesos-dns does it with the mesos-go detector: watch
// the children of the zk path, read every master node, and report `[leader, others...]` whenever
// that changes. Decoding and ordering are pure (master-info.ts); this module owns the I/O.
//
// Where we differ from mesos-dns on purpose (project issue 3): once a leader has been seen, losing
// ZooKeeper or the leader node never ends the process. We log, report "leader unknown" with the
// last masters list, keep the session (or start a new one), and the caller keeps serving the last
// table. Only a leader that never shows up within zkDetectionTimeout is fatal, as in mesos-dns.
import { EventEmitter } from 'node:events';
import { createClient, Exception, State, type Client, type Event, type Stat } from 'node-zookeeper-client';
import { NoLeaderError, ZooKeeperError } from '../errors.js';
import type { Logger } from '../log.js';
import { mastersFromChildren, masterNodes, type MastersResult } from './master-info.js';
import { parseZkUrl } from './zk-url.js';
import { joinHostPort, sameHostPort, type HostPort } from '../net/address.js';

/** What a leader detector reports: the leader and every master, leader first. */
export interface MastersUpdate {
  /** The leading master; undefined while it is unknown. */
  leader: HostPort | undefined;
  /** Master addresses, leader first. Kept from the last report while ZooKeeper shows none. */
  masters: HostPort[];
}

export interface ZkDetectorOptions {
  /** mesos-dns's `zk` value, zk://host:port[,host:port]/path. Parsed at construction (ConfigError). */
  url: string;
  /** Requested ZooKeeper session timeout; mesos-dns uses 60 s. The server may lower it. */
  sessionTimeoutMs?: number;
  /** zkDetectionTimeout: seconds from start() to the first leader before `error`; 0 = wait forever. */
  detectionTimeoutSeconds: number;
  /**
   * How long the client may go without a session (connecting, or reconnecting after a drop)
   * before it is replaced by a new one. Default 10 s. See armConnectWatchdog for why.
   */
  connectTimeoutMs?: number;
  logger: Logger;
}

export interface ZkDetectorEvents {
  masters: [MastersUpdate];
  /** Only NoLeaderError, when no leader was found in time. The caller should exit, as mesos-dns does. */
  error: [NoLeaderError];
}

const DEFAULT_SESSION_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Backoff for a new session after expiry, and for retrying reads that failed for other reasons. */
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;

export class ZkDetector extends EventEmitter<ZkDetectorEvents> {
  private readonly servers: string;
  private readonly path: string;
  private readonly sessionTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly detectionTimeoutSeconds: number;
  private readonly log: Logger;

  private client: Client | undefined;
  private started = false;
  private closed = false;
  private everConnected = false;
  private leaderSeen = false;
  private last: MastersUpdate = { leader: undefined, masters: [] };

  // One read cycle at a time per client; a watch firing mid-cycle asks for another one afterwards.
  // Keyed by client because a replaced client may never answer requests it had queued.
  private syncing: Client | undefined;
  private syncAgain = false;

  private failures = 0;
  private detectionTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;

  /** Every watch (children of the path, or its existence) lands here; one function so the client de-duplicates it. */
  private readonly onWatch = (_event: Event): void => this.sync();

  constructor(options: ZkDetectorOptions) {
    super();
    const { servers, path } = parseZkUrl(options.url);
    this.servers = servers;
    this.path = path;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.detectionTimeoutSeconds = options.detectionTimeoutSeconds;
    this.log = options.logger.child({ component: 'zk-detector' });
  }

  /** The last report (leader unknown and no masters before the first one). */
  current(): MastersUpdate {
    return { leader: this.last.leader, masters: [...this.last.masters] };
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.detectionTimeoutSeconds > 0) {
      this.detectionTimer = setTimeout(() => this.detectionTimedOut(), this.detectionTimeoutSeconds * 1000);
    }
    this.log.info({ servers: this.servers, path: this.path }, 'watching ZooKeeper for Mesos masters');
    this.openSession();
  }

  /**
   * Stops watching and closes the session, clearing every timer of ours. Idempotent. (A client
   * caught between reconnect attempts may still make one last, at once abandoned, attempt within
   * the library's spin delay, at most 1 s.)
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.detectionTimer);
    clearTimeout(this.retryTimer);
    this.detectionTimer = undefined;
    this.retryTimer = undefined;
    this.dropClient();
  }

  private openSession(): void {
    const client = createClient(this.servers, { sessionTimeout: this.sessionTimeoutMs });
    this.client = client;
    this.armConnectWatchdog();
    client.on('connected', () => {
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      this.everConnected = true;
      this.failures = 0;
      this.log.info({ servers: this.servers }, 'connected to ZooKeeper');
      this.sync();
    });
    client.on('disconnected', () => {
      // The client reconnects by itself and keeps the session and its watches if it makes it in
      // time. Until then nobody can say who leads.
      this.log.warn({ servers: this.servers }, 'lost the ZooKeeper connection; reconnecting');
      this.armConnectWatchdog();
      this.publish({ leader: undefined, masters: [] });
    });
    client.on('expired', () => {
      // The session and its watches are gone for good and this client will not reconnect.
      this.log.warn({ servers: this.servers }, 'ZooKeeper session expired; starting a new one');
      this.dropClient();
      this.publish({ leader: undefined, masters: [] });
      this.retryLater(() => this.openSession());
    });
    client.on('authenticationFailed', () => {
      this.log.error({ servers: this.servers }, 'ZooKeeper refused the session (authentication failed)');
    });
    client.connect();
  }

  /**
   * node-zookeeper-client (1.1.3) stops timing a connection attempt once TCP connects, so a server
   * that accepts the connection but never answers the handshake (one that is still starting up,
   * or overloaded) leaves it waiting forever (alexguan/node-zookeeper-client PR #57, unmerged).
   * The Java client bounds this with its read timeout; we bound it by replacing the client when
   * no session is up within connectTimeoutMs. The new client opens a new session, which is fine
   * for a reader: sync() re-reads everything and re-arms the watches once it connects.
   */
  private armConnectWatchdog(): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      if (this.closed) return;
      this.log.debug({ servers: this.servers, timeoutMs: this.connectTimeoutMs }, 'no ZooKeeper session yet; replacing the client');
      this.dropClient();
      this.openSession();
    }, this.connectTimeoutMs);
  }

  private dropClient(): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners();
    const state = client.getState();
    // An expired client is already closed; close() on it would only queue a packet nobody sends.
    if (state === State.EXPIRED) return;
    if (!hasSocket(client)) {
      abandonPendingConnect(client);
      return;
    }
    client.close();
    // Not connected, the goodbye cannot be sent, and a half-open handshake would keep the socket
    // (and this process) alive: cut it. The server expires the session on its own.
    if (state !== State.SYNC_CONNECTED) destroySocket(client);
  }

  private retryLater(action: () => void): void {
    const delay = Math.min(RETRY_BASE_MS * 2 ** this.failures, RETRY_MAX_MS);
    this.failures += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed) action();
    }, delay);
  }

  private sync(): void {
    const client = this.client;
    if (this.closed || !client) return;
    if (this.syncing === client) {
      this.syncAgain = true;
      return;
    }
    this.syncing = client;
    this.syncAgain = false;
    this.readMasters(client)
      .then(
        (result) => {
          if (client !== this.client) return;
          if (result === 'again') this.syncAgain = true;
          else this.publish(result);
        },
        (error: unknown) => {
          if (client !== this.client) return;
          this.readFailed(error);
        },
      )
      .finally(() => {
        if (this.syncing !== client) return; // a newer client's cycle took over
        this.syncing = undefined;
        if (this.syncAgain) this.sync();
      });
  }

  /** One read cycle: children (watched), then every master node's data. */
  private async readMasters(client: Client): Promise<MastersResult | 'again'> {
    let children: string[];
    try {
      children = await getChildren(client, this.path, this.onWatch);
    } catch (error) {
      if (!hasCode(error, Exception.NO_NODE)) throw error;
      // No master has created the path yet: watch for it to appear.
      if (await exists(client, this.path, this.onWatch)) return 'again';
      this.log.debug({ path: this.path }, 'ZooKeeper path does not exist yet');
      return { leader: undefined, masters: [] };
    }
    const nodes = masterNodes(children);
    const data = await Promise.all(
      nodes.map((node) =>
        getData(client, `${this.path}/${node.name}`).catch((error: unknown) => {
          // Deleted since the listing; the children watch brings another cycle.
          if (hasCode(error, Exception.NO_NODE)) return undefined;
          throw error;
        }),
      ),
    );
    return mastersFromChildren(nodes.map((node, i) => ({ name: node.name, data: data[i] })));
  }

  private readFailed(error: unknown): void {
    // A lost connection is followed by 'connected' (which reads again) or 'expired' (new session).
    if (hasCode(error, Exception.CONNECTION_LOSS) || hasCode(error, Exception.SESSION_EXPIRED)) {
      this.log.debug({ err: error }, 'ZooKeeper read interrupted');
      return;
    }
    this.log.warn({ err: new ZooKeeperError('reading the Mesos master nodes failed', { cause: error }) }, 'ZooKeeper read failed; retrying');
    this.retryLater(() => this.sync());
  }

  private publish(result: MastersResult): void {
    if (this.closed) return;
    const leader = result.leader;
    // ZooKeeper showing nobody (or being unreachable) is no news about the masters themselves:
    // keep the last list so the state can still be fetched from them.
    const masters = leader === undefined && result.masters.length === 0 ? this.last.masters : result.masters;
    if (leader !== undefined && !this.leaderSeen) {
      this.leaderSeen = true;
      clearTimeout(this.detectionTimer);
      this.detectionTimer = undefined;
    }
    if (sameLeader(leader, this.last.leader) && sameList(masters, this.last.masters)) return;
    const text = masters.map(joinHostPort);
    if (leader === undefined && this.last.leader !== undefined) {
      this.log.warn({ lastLeader: joinHostPort(this.last.leader), masters: text }, 'no leading master in ZooKeeper; keeping the last masters');
    } else {
      this.log.info({ leader: leader && joinHostPort(leader), masters: text }, 'Mesos masters changed');
    }
    this.last = { leader, masters };
    this.emit('masters', { leader, masters: [...masters] });
  }

  private detectionTimedOut(): void {
    this.detectionTimer = undefined;
    if (this.leaderSeen || this.closed) return;
    const cause = this.everConnected ? undefined : new ZooKeeperError(`no ZooKeeper server answered at ${this.servers}`);
    // mesos-dns's words, so operators' alerts keep matching.
    this.emit('error', new NoLeaderError(`master detection timed out after ${this.detectionTimeoutSeconds}s`, { cause }));
  }
}

/** The client's socket is not public API; reach it defensively so a future version just skips this. */
type ClientInternals = { connectionManager?: { socket?: { destroy?: () => void } } };

function destroySocket(client: Client): void {
  (client as unknown as ClientInternals).connectionManager?.socket?.destroy?.();
}

function hasSocket(client: Client): boolean {
  return (client as unknown as ClientInternals).connectionManager?.socket !== undefined;
}

/** node-zookeeper-client's default spinDelay: the longest a connection attempt waits to start. */
const LIBRARY_SPIN_DELAY_MS = 1_000;

/**
 * Closes a client whose connection attempt has not opened its socket yet (close() right after
 * start(), or between attempts). The library (1.1.3) writes its goodbye to that missing socket and
 * throws; the state it set first (CLOSING) still stops it from retrying a failed attempt. The
 * attempt itself starts on the next tick or within the spin delay, and a server that accepts but
 * never answers would keep its socket forever: cut it at both moments.
 */
function abandonPendingConnect(client: Client): void {
  try {
    client.close();
  } catch {
    // the missing socket, as above
  }
  setImmediate(() => destroySocket(client));
  // Unref'd: a socket made meanwhile keeps the process up until this cuts it; nothing else needs to.
  setTimeout(() => destroySocket(client), LIBRARY_SPIN_DELAY_MS + 100).unref();
}

function sameLeader(a: HostPort | undefined, b: HostPort | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && sameHostPort(a, b));
}

function sameList(a: readonly HostPort[], b: readonly HostPort[]): boolean {
  return a.length === b.length && a.every((x, i) => sameHostPort(x, b[i]));
}

function hasCode(error: unknown, code: number): boolean {
  return error instanceof Exception && error.getCode() === code;
}

function getChildren(client: Client, path: string, watcher: (event: Event) => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    client.getChildren(path, watcher, (error, children) => (error ? reject(error) : resolve(children)));
  });
}

function exists(client: Client, path: string, watcher: (event: Event) => void): Promise<boolean> {
  return new Promise((resolve, reject) => {
    client.exists(path, watcher, (error, stat: Stat | null) => (error ? reject(error) : resolve(Boolean(stat))));
  });
}

function getData(client: Client, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.getData(path, (error, data) => (error ? reject(error) : resolve(data ?? Buffer.alloc(0))));
  });
}
