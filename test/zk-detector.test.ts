// ZkDetector against a real ZooKeeper (test/helpers/zookeeper.ts starts one from the Debian
// package), with this test playing the Mesos masters: ephemeral sequential json.info_/info_ nodes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, createServer, type Socket } from 'node:net';
import type { Client } from 'node-zookeeper-client';
import { NoLeaderError, ZooKeeperError } from '../src/errors.js';
import { createLogger, silentLogger } from '../src/log.js';
import { ZkDetector, type MastersUpdate, type ZkDetectorOptions } from '../src/mesos/zk-detector.js';
import { joinHostPort } from '../src/net/address.js';
import {
  TestZooKeeper,
  closeZk,
  connectZk,
  createMasterNode,
  createPath,
  deleteNode,
  masterInfoJson,
  masterInfoProtobuf,
} from './helpers/zookeeper.js';

/** Upper bound for any awaited event; a bug shows up as a rejected wait, not a hang. */
const WAIT_MS = 5_000;

let zk: TestZooKeeper;
let admin: Client;
const detectors: ZkDetector[] = [];
let pathCounter = 0;

beforeAll(async () => {
  zk = await TestZooKeeper.start();
  admin = await connectZk(zk.connectString);
}, 40_000);

// Each test's detectors end with it, so none of them lives through the restart test.
afterEach(() => {
  for (const d of detectors.splice(0)) d.close();
});

afterAll(async () => {
  if (admin) await closeZk(admin);
  if (zk) await zk.destroy();
});

const freshPath = (): string => `/mesos-${++pathCounter}`;

/** A started detector whose events are recorded; closed after the test. */
function detector(path: string, detectionTimeoutSeconds: number, options: Partial<ZkDetectorOptions> = {}) {
  const d = new ZkDetector({
    url: `zk://${zk.connectString}${path}`,
    detectionTimeoutSeconds,
    logger: silentLogger,
    ...options,
  });
  const updates: MastersUpdate[] = [];
  const errors: Error[] = [];
  d.on('masters', (u) => updates.push(u));
  d.on('error', (e) => errors.push(e));
  detectors.push(d);
  d.start();
  return { d, updates, errors };
}

/** Resolves with the first update (past or future) matching `want`; rejects after `ms`. */
function waitForUpdate(
  rec: { d: ZkDetector; updates: MastersUpdate[] },
  want: (u: MastersUpdate) => boolean,
  what: string,
  ms = WAIT_MS,
): Promise<MastersUpdate> {
  const seen = rec.updates.find(want);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const onUpdate = (u: MastersUpdate): void => {
      if (!want(u)) return;
      clearTimeout(timer);
      rec.d.off('masters', onUpdate);
      resolve(u);
    };
    const timer = setTimeout(() => {
      rec.d.off('masters', onUpdate);
      reject(new Error(`no update with ${what} within ${ms} ms; got ${JSON.stringify(rec.updates)}`));
    }, ms);
    rec.d.on('masters', onUpdate);
  });
}

function waitForError(d: ZkDetector, ms = WAIT_MS): Promise<Error> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no error event within ${ms} ms`)), ms);
    d.once('error', (e) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** An update as "host:port" texts, for comparing with the tables below. */
const text = (u: MastersUpdate) => ({ leader: u.leader && joinHostPort(u.leader), masters: u.masters.map(joinHostPort) });
const leaderIs = (leader: string | undefined, masters?: string[]) => (u: MastersUpdate) =>
  text(u).leader === leader && (masters === undefined || JSON.stringify(text(u).masters) === JSON.stringify(masters));

describe('ZkDetector (real ZooKeeper)', () => {
  it('reports the lowest json.info_ node as leader and every master, leader first', async () => {
    const path = freshPath();
    await createMasterNode(admin, path, masterInfoJson({ id: 'a', ip: '127.0.0.1', port: 15050 }));
    await createMasterNode(admin, path, masterInfoJson({ id: 'b', ip: '127.0.0.3', port: 5050 }));
    // Something that is not a master node must be ignored.
    await createPath(admin, `${path}/log_replicas`);
    const rec = detector(path, 0);
    const u = await waitForUpdate(rec, (x) => x.leader !== undefined, 'a leader');
    expect(text(u)).toEqual({ leader: '127.0.0.1:15050', masters: ['127.0.0.1:15050', '127.0.0.3:5050'] });
    expect(rec.d.current()).toEqual(u);
  });

  it('picks the lowest sequence, not the first created name, and lists others in sequence order', async () => {
    const path = freshPath();
    const first = await createMasterNode(admin, path, masterInfoJson({ id: 'a', ip: '10.0.0.1', port: 5050 }));
    await createMasterNode(admin, path, masterInfoJson({ id: 'b', ip: '10.0.0.2', port: 5050 }));
    await createMasterNode(admin, path, masterInfoJson({ id: 'c', ip: '10.0.0.3', port: 5050 }));
    await deleteNode(admin, first);
    const rec = detector(path, 0);
    await waitForUpdate(rec, leaderIs('10.0.0.2:5050', ['10.0.0.2:5050', '10.0.0.3:5050']), 'leader b, masters [b, c]');
  });

  it('moves the leader to the other master when the leader node goes away', async () => {
    const path = freshPath();
    const leaderNode = await createMasterNode(admin, path, masterInfoJson({ id: 'a', ip: '10.0.1.1', port: 5050 }));
    await createMasterNode(admin, path, masterInfoJson({ id: 'b', ip: '10.0.1.2', port: 5050 }));
    const rec = detector(path, 0);
    await waitForUpdate(rec, leaderIs('10.0.1.1:5050', ['10.0.1.1:5050', '10.0.1.2:5050']), 'leader a');
    await deleteNode(admin, leaderNode);
    await waitForUpdate(rec, leaderIs('10.0.1.2:5050', ['10.0.1.2:5050']), 'leader b after failover', 2_000);
  });

  it('sees masters that join later (the watch is re-armed after every change)', async () => {
    const path = freshPath();
    await createMasterNode(admin, path, masterInfoJson({ id: 'a', ip: '10.0.2.1', port: 5050 }));
    const rec = detector(path, 0);
    await waitForUpdate(rec, leaderIs('10.0.2.1:5050', ['10.0.2.1:5050']), 'leader a alone');
    await createMasterNode(admin, path, masterInfoJson({ id: 'b', ip: '10.0.2.2', port: 5050 }));
    await waitForUpdate(rec, leaderIs('10.0.2.1:5050', ['10.0.2.1:5050', '10.0.2.2:5050']), 'b joined');
    await createMasterNode(admin, path, masterInfoJson({ id: 'c', ip: '10.0.2.3', port: 5050 }));
    await waitForUpdate(rec, leaderIs('10.0.2.1:5050', ['10.0.2.1:5050', '10.0.2.2:5050', '10.0.2.3:5050']), 'c joined');
  });

  it('keeps the last masters with no leader when every master node is gone, without an error', async () => {
    const path = freshPath();
    const node = await createMasterNode(admin, path, masterInfoJson({ id: 'a', ip: '10.0.3.1', port: 5050 }));
    const rec = detector(path, 1);
    await waitForUpdate(rec, leaderIs('10.0.3.1:5050'), 'leader a');
    await deleteNode(admin, node);
    await waitForUpdate(rec, leaderIs(undefined, ['10.0.3.1:5050']), 'no leader, last masters kept');
    // Longer than the 1 s detection timeout: a leader was known, so losing it is not fatal.
    await sleep(1_500);
    expect(rec.errors).toEqual([]);
  });

  it('waits for the zk path to be created', async () => {
    const path = freshPath();
    const rec = detector(path, 0);
    await sleep(200); // let it find the path missing and set an exists() watch
    await createMasterNode(admin, path, masterInfoJson({ id: 'a', ip: '10.0.4.1', port: 5050 }));
    await waitForUpdate(rec, leaderIs('10.0.4.1:5050', ['10.0.4.1:5050']), 'leader once the path exists');
  });

  it('falls back to info_ (protobuf) nodes when there is no json.info_ node', async () => {
    const path = freshPath();
    await createMasterNode(admin, path, masterInfoProtobuf({ id: 'x', ip: '10.0.5.1', port: 5051 }), 'info');
    await createMasterNode(admin, path, masterInfoProtobuf({ id: 'y', ip: '10.0.5.2', port: 5050 }), 'info');
    const rec = detector(path, 0);
    await waitForUpdate(rec, leaderIs('10.0.5.1:5051', ['10.0.5.1:5051', '10.0.5.2:5050']), 'info_ leader');
    // A json.info_ node outranks the info_ ones even with a higher sequence.
    await createMasterNode(admin, path, masterInfoJson({ id: 'z', ip: '10.0.5.3', port: 5050 }));
    await waitForUpdate(rec, leaderIs('10.0.5.3:5050', ['10.0.5.3:5050', '10.0.5.1:5051', '10.0.5.2:5050']), 'json leader');
  });

  it('emits NoLeaderError when no leader shows up within zkDetectionTimeout', async () => {
    const path = freshPath();
    await createPath(admin, path); // the path exists, but no master is in it
    const d = new ZkDetector({ url: `zk://${zk.connectString}${path}`, detectionTimeoutSeconds: 1, logger: silentLogger });
    detectors.push(d);
    const error = waitForError(d);
    d.start();
    const e = await error;
    expect(e).toBeInstanceOf(NoLeaderError);
    expect(e.message).toBe('master detection timed out after 1s');
    expect(e.cause).toBeUndefined(); // ZooKeeper answered; it just had no leader
  });

  it('says ZooKeeper was unreachable when it never answered', async () => {
    // Port 1 on loopback: nothing listens there (binding it needs root), so every connect is refused.
    const d = new ZkDetector({ url: 'zk://127.0.0.1:1/mesos', detectionTimeoutSeconds: 1, logger: silentLogger });
    detectors.push(d);
    const error = waitForError(d);
    d.start();
    const e = await error;
    expect(e).toBeInstanceOf(NoLeaderError);
    expect(e.cause).toBeInstanceOf(ZooKeeperError);
  });

  it('replaces a client whose handshake is never answered, and close() cuts its socket', async () => {
    // A "server" that accepts TCP and then says nothing, like a ZooKeeper still starting up.
    // node-zookeeper-client alone would wait on the first connection forever.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.resume(); // read, so the client's FIN is seen and 'close' fires
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const d = new ZkDetector({ url: `zk://127.0.0.1:${port}/mesos`, detectionTimeoutSeconds: 0, logger: silentLogger, connectTimeoutMs: 200 });
    detectors.push(d);
    try {
      d.start();
      const deadline = Date.now() + WAIT_MS;
      while (sockets.length < 3 && Date.now() < deadline) await sleep(50);
      expect(sockets.length).toBeGreaterThanOrEqual(3);
      d.close();
      const open = sockets.filter((s) => !s.closed);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(open.map((s) => new Promise((r) => s.once('close', r)))),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('a client socket stayed open after close()')), WAIT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('close() right after start(), before the client has a socket, neither throws nor leaves a connection open', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const d = new ZkDetector({ url: `zk://127.0.0.1:${port}/mesos`, detectionTimeoutSeconds: 0, logger: silentLogger });
    try {
      d.start();
      expect(() => d.close()).not.toThrow();
      // The library's pending attempt may still connect; it must not stay open.
      await sleep(1_500);
      expect(sockets.filter((s) => !s.closed)).toEqual([]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('starts a new session when ZooKeeper expired the old one, and reads the masters again', async () => {
    // A TCP proxy the test can cut: the server stays up and expires our session while we are away.
    let blocked = false;
    const pairs: Socket[] = [];
    const proxy = createServer((inbound) => {
      if (blocked) return void inbound.destroy();
      const outbound = connect(zk.port, '127.0.0.1');
      pairs.push(inbound, outbound);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    const logLines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => logLines.push(line) } });
    try {
      const path = freshPath();
      const leaderNode = await createMasterNode(admin, path, masterInfoJson({ id: 'a', ip: '10.0.8.1', port: 5050 }));
      await createMasterNode(admin, path, masterInfoJson({ id: 'b', ip: '10.0.8.2', port: 5050 }));
      // The shortest session the server allows (2 ticks), and no client replacement meanwhile.
      const rec = detector(path, 1, { url: `zk://127.0.0.1:${port}${path}`, logger, sessionTimeoutMs: 1_000, connectTimeoutMs: 60_000 });
      await waitForUpdate(rec, leaderIs('10.0.8.1:5050'), 'leader a');

      blocked = true;
      for (const socket of pairs.splice(0)) socket.destroy();
      await waitForUpdate(rec, leaderIs(undefined, ['10.0.8.1:5050', '10.0.8.2:5050']), 'leader unknown');
      await deleteNode(admin, leaderNode); // a change the dead session's watch will never report
      await sleep(2_500); // past the session timeout
      blocked = false;

      await waitForUpdate(rec, leaderIs('10.0.8.2:5050', ['10.0.8.2:5050']), 'leader b through a new session');
      expect(logLines.some((l) => l.includes('session expired'))).toBe(true);
      expect(rec.errors).toEqual([]);
    } finally {
      for (const socket of pairs) socket.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('never gives up with zkDetectionTimeout 0', async () => {
    const path = freshPath();
    const rec = detector(path, 0);
    await sleep(1_500); // past the 1 s timeout that fails the test above
    expect(rec.errors).toEqual([]);
    await createMasterNode(admin, path, masterInfoJson({ id: 'a', ip: '10.0.6.1', port: 5050 }));
    await waitForUpdate(rec, leaderIs('10.0.6.1:5050'), 'a late leader');
    expect(rec.errors).toEqual([]);
  });

  // Stops the shared server, so it runs last.
  it('survives a ZooKeeper restart: no error, leader unknown while down, detection resumes after', async () => {
    const path = freshPath();
    const logLines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => logLines.push(line) } });
    // The fake masters get their own session, long enough to outlive the restart with their nodes.
    const masters = await connectZk(zk.connectString, WAIT_MS, undefined, 30_000);
    try {
      const leaderNode = await createMasterNode(masters, path, masterInfoJson({ id: 'a', ip: '10.0.7.1', port: 5050 }));
      await createMasterNode(masters, path, masterInfoJson({ id: 'b', ip: '10.0.7.2', port: 5050 }));
      // A short connect timeout: a client reconnecting while the server starts can be left
      // without a handshake answer, and the detector must get out of that by itself.
      const rec = detector(path, 1, { logger, connectTimeoutMs: 2_000 });
      await waitForUpdate(rec, leaderIs('10.0.7.1:5050', ['10.0.7.1:5050', '10.0.7.2:5050']), 'leader a');

      await zk.stop();
      await waitForUpdate(rec, leaderIs(undefined, ['10.0.7.1:5050', '10.0.7.2:5050']), 'leader unknown, masters kept');
      await sleep(1_500); // longer than the 1 s detection timeout
      expect(rec.errors).toEqual([]);
      expect(logLines.some((l) => l.includes('"component":"zk-detector"') && l.includes('"level":40'))).toBe(true);

      // Same port, same data dir: the masters' session and its nodes survive. The detector may
      // reconnect before resume() returns, so count the updates from before it.
      const seenBefore = rec.updates.length;
      await zk.resume();
      await waitForUpdate(
        { d: rec.d, updates: rec.updates.slice(seenBefore) },
        leaderIs('10.0.7.1:5050', ['10.0.7.1:5050', '10.0.7.2:5050']),
        'leader a again after the restart',
        10_000,
      );
      // And the watch works on the new server process (a fresh client: the old one may still be
      // reconnecting).
      const after = await connectZk(zk.connectString);
      try {
        await deleteNode(after, leaderNode);
      } finally {
        await closeZk(after);
      }
      await waitForUpdate(rec, leaderIs('10.0.7.2:5050', ['10.0.7.2:5050']), 'leader b after the restart');
      expect(rec.errors).toEqual([]);
    } finally {
      await closeZk(masters);
    }
  }, 30_000);
});
