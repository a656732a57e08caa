// A real, throwaway ZooKeeper for tests, and helpers that play a Mesos master's part in it.
// It runs the Debian `zookeeper` package's server directly with Java (no init scripts, no
// /etc/zookeeper): standalone, bound to 127.0.0.1 on a free port, data in a temp dir, no fsync,
// no ACL checks, no admin server, no four-letter words. `npm test` installs the package when it
// is missing (scripts/test-tools.mjs).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, CreateMode, Exception, type Client } from 'node-zookeeper-client';

/** The server jar; its manifest Class-Path names its dependencies under /usr/share/java. */
const DEBIAN_ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
/** Gives the server's slf4j a binding, so its warnings reach our log buffer instead of a NOP. */
const DEBIAN_SLF4J_SIMPLE_JAR = '/usr/share/java/slf4j-simple.jar';
const MAIN_CLASS = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';
const START_TIMEOUT_MS = 30_000;
const LOG_TAIL_BYTES = 16_384;

/** Java processes still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The classpath for the server: $ZOOKEEPER_CLASSPATH, else the Debian package's jars. */
export function zookeeperClasspath(): string {
  const fromEnv = process.env.ZOOKEEPER_CLASSPATH;
  if (fromEnv) return fromEnv;
  if (!existsSync(DEBIAN_ZOOKEEPER_JAR)) {
    throw new Error(
      `ZooKeeper is not installed (${DEBIAN_ZOOKEEPER_JAR} is missing): run \`apt-get install -y zookeeper\`, ` +
        'or set ZOOKEEPER_CLASSPATH to the server jars',
    );
  }
  return existsSync(DEBIAN_SLF4J_SIMPLE_JAR) ? `${DEBIAN_ZOOKEEPER_JAR}:${DEBIAN_SLF4J_SIMPLE_JAR}` : DEBIAN_ZOOKEEPER_JAR;
}

/** $JAVA, else `java` from PATH (Debian: /usr/bin/java from default-jre). */
export function javaCommand(): string {
  return process.env.JAVA || 'java';
}

/** The full java argument list for a config file (exported so CI scripts can print it). */
export function zookeeperJavaArgs(configFile: string): string[] {
  return [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    // The server lives for seconds: skip the optimising JIT, which only slows start-up here.
    '-XX:TieredStopAtLevel=1',
    '-Djava.net.preferIPv4Stack=true',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp',
    zookeeperClasspath(),
    MAIN_CLASS,
    configFile,
  ];
}

/** The java process could not run or died; the message already says why. */
class StartError extends Error {}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the kernel');
  return address.port;
}

export class TestZooKeeper {
  private process: ChildProcess | undefined;
  private logTail = '';

  private constructor(
    readonly port: number,
    /** Temp dir holding zoo.cfg and the data; kept across stop()/start() so data survives restarts. */
    readonly dir: string,
  ) {}

  /** Starts a fresh server on a free loopback port; resolves once a client session is established. */
  static async start(): Promise<TestZooKeeper> {
    zookeeperClasspath(); // fail with the install hint before creating anything
    const dir = await mkdtemp(join(tmpdir(), 'mesos-dns-ts-zk-'));
    const zk = new TestZooKeeper(await freeLoopbackPort(), dir);
    await writeFile(
      zk.configFile,
      [
        'tickTime=500',
        `dataDir=${join(dir, 'data')}`,
        `clientPort=${zk.port}`,
        'clientPortAddress=127.0.0.1',
        // Let clients ask for mesos-dns's 60 s sessions (the default cap is 20 ticks).
        'maxSessionTimeout=60000',
        'admin.enableServer=false',
        '4lw.commands.whitelist=',
        // Unknown keys become zookeeper.* system properties: no fsync per write, no ACL checks.
        'forceSync=no',
        'skipACL=yes',
        '',
      ].join('\n'),
    );
    try {
      await zk.resume();
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return zk;
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  private get configFile(): string {
    return join(this.dir, 'zoo.cfg');
  }

  /** (Re)starts the server on the same port with the same data dir. */
  async resume(): Promise<void> {
    if (this.process) return;
    const child = spawn(javaCommand(), zookeeperJavaArgs(this.configFile), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    running.add(child);
    this.logTail = '';
    const keep = (chunk: Buffer): void => {
      this.logTail = (this.logTail + chunk.toString('utf8')).slice(-LOG_TAIL_BYTES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const abort = new AbortController();
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (error) =>
        reject(new StartError(`cannot run ${javaCommand()} for ZooKeeper (${error.message}): \`apt-get install -y zookeeper\` brings a JRE`)),
      );
      child.once('exit', (code, signal) =>
        reject(new StartError(`ZooKeeper exited during start-up (code ${code}, signal ${signal}):\n${this.logTail}`)),
      );
    });
    exited.catch(() => abort.abort());
    child.once('exit', () => {
      running.delete(child);
      if (this.process === child) this.process = undefined;
    });
    try {
      const client = await Promise.race([connectZk(this.connectString, START_TIMEOUT_MS, abort.signal), exited]);
      await closeZk(client);
    } catch (error) {
      abort.abort();
      await this.stop();
      throw error instanceof StartError ? error : new Error(`${String(error)}\nZooKeeper log:\n${this.logTail}`, { cause: error });
    }
  }

  /** Kills the server (like a crash: SIGKILL); its data dir stays for resume(). */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await gone;
    }
  }

  /** Stops the server and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * A connected client; rejects if no session is established within `timeoutMs` or on `signal`.
 * Each attempt gets a fresh client and at most 2 s: node-zookeeper-client waits forever on a
 * server that accepted TCP but never answers the handshake (a server still starting does that).
 */
export async function connectZk(
  connectString: string,
  timeoutMs = 10_000,
  signal?: AbortSignal,
  sessionTimeoutMs = 10_000,
): Promise<Client> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attemptMs = Math.max(1, Math.min(2_000, deadline - Date.now()));
    try {
      return await connectOnce(connectString, attemptMs, sessionTimeoutMs, signal);
    } catch (error) {
      if (signal?.aborted || Date.now() >= deadline) {
        throw new Error(`no ZooKeeper session at ${connectString} within ${timeoutMs} ms`, { cause: error });
      }
    }
  }
}

function connectOnce(connectString: string, timeoutMs: number, sessionTimeoutMs: number, signal?: AbortSignal): Promise<Client> {
  const client = createClient(connectString, { sessionTimeout: sessionTimeoutMs, spinDelay: 100 });
  return new Promise<Client>((resolve, reject) => {
    const giveUp = (reason: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      client.removeAllListeners();
      client.close();
      // Not public API: cut a half-open handshake so its socket does not outlive the test.
      (client as unknown as { connectionManager?: { socket?: { destroy(): void } } }).connectionManager?.socket?.destroy();
      reject(reason);
    };
    const onAbort = (): void => giveUp(new Error('connecting to ZooKeeper aborted'));
    const timer = setTimeout(() => giveUp(new Error(`no session within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    client.once('connected', () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(client);
    });
    client.connect();
  });
}

/** Closes the session (its ephemeral nodes go with it) and waits until the server has dropped it. */
export function closeZk(client: Client): Promise<void> {
  return new Promise<void>((resolve) => {
    if (client.getState().name !== 'SYNC_CONNECTED') {
      client.close();
      resolve();
      return;
    }
    client.once('disconnected', () => resolve());
    client.close();
  });
}

export interface FakeMaster {
  id: string;
  ip: string;
  port: number;
  hostname?: string;
}

/** MasterInfo JSON as a Mesos >= 0.24 master writes it into `json.info_<seq>`. */
export function masterInfoJson(master: FakeMaster): Buffer {
  const hostname = master.hostname ?? master.ip;
  return Buffer.from(
    JSON.stringify({
      address: { hostname, ip: master.ip, port: master.port },
      hostname,
      id: master.id,
      ip: packIPv4(master.ip),
      pid: `master@${master.ip}:${master.port}`,
      port: master.port,
      version: '1.11.0',
    }),
  );
}

/** MasterInfo protobuf as a Mesos < 0.24 master writes it into `info_<seq>` (fields 1-5). */
export function masterInfoProtobuf(master: FakeMaster): Buffer {
  const parts: Buffer[] = [];
  const key = (field: number, wireType: number): Buffer => varint((field << 3) | wireType);
  const text = (field: number, value: string): void => {
    const bytes = Buffer.from(value, 'utf8');
    parts.push(key(field, 2), varint(bytes.length), bytes);
  };
  text(1, master.id);
  parts.push(key(2, 0), varint(packIPv4(master.ip)));
  parts.push(key(3, 0), varint(master.port));
  text(4, `master@${master.ip}:${master.port}`);
  if (master.hostname) text(5, master.hostname);
  return Buffer.concat(parts);
}

/** An IPv4 address as MasterInfo.ip on little-endian x86: the first octet is the low byte. */
export function packIPv4(ip: string): number {
  const [a, b, c, d] = ip.split('.').map(Number);
  return (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value >>> 0;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/**
 * Creates `<path>/<label>_<seq>` as an ephemeral sequential node, as a contending master does
 * (creating `path` first if needed). Resolves to the full path of the new node.
 */
export async function createMasterNode(
  client: Client,
  path: string,
  data: Buffer,
  label: 'json.info' | 'info' = 'json.info',
): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    client.mkdirp(path, (error) => (error ? reject(error) : resolve()));
  });
  return new Promise<string>((resolve, reject) => {
    client.create(`${path}/${label}_`, data, CreateMode.EPHEMERAL_SEQUENTIAL, (error, created) =>
      error ? reject(error) : resolve(created),
    );
  });
}

/** Creates a persistent node (parents too), e.g. the zk path without any master. */
export function createPath(client: Client, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    client.mkdirp(path, (error) => (error ? reject(error) : resolve()));
  });
}

/** Deletes a node; a node that is already gone is fine. */
export function deleteNode(client: Client, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    client.remove(path, (error) => {
      if (error && !(error instanceof Exception && error.getCode() === Exception.NO_NODE)) reject(error);
      else resolve();
    });
  });
}
