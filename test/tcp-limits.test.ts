// The DNS TCP listener under connections that hold slots without asking anything (slowloris):
// the real server on 127.0.0.1 with the real query pipeline (startDnsService), attacked and
// queried over raw sockets and dig +tcp. Limits are set small so each case takes well under a
// second of waiting.
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { startDnsService, type DnsService } from '../src/dns/dns-service.js';
import { startDnsServer } from '../src/dns/transport/dns-server.js';
import { silentLogger } from '../src/log.js';
import { TableStore } from '../src/store.js';
import { summaryFromDig, summaryFromWire } from './helpers/dns-case.js';
import { buildTestTable } from './helpers/table.js';
import { startWorkerPool } from '../src/workers/supervisor.js';

const store = new TableStore();
store.swap(buildTestTable(['leader.mesos. A 10.0.0.1']));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function service(overrides: Partial<Config>): Promise<{ service: DnsService; port: number; config: Config }> {
  const config: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: 0, Workers: 1, ExternalOn: false, ...overrides });
  const svc = await startDnsService({ config, snapshot: () => store.current(), logger: silentLogger });
  cleanups.push(() => svc.close());
  return { service: svc, port: svc.addresses()!.tcp.port, config };
}

function framed(name: string, id: number): Buffer {
  const msg = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }] });
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

interface Client {
  socket: net.Socket;
  /** Resolves when the connection closes, whoever closed it. */
  closed: Promise<void>;
  isClosed(): boolean;
  /** Sends a query for `name` and resolves with the reply, or rejects if the connection closes first. */
  ask(name: string, id: number): Promise<Buffer>;
}

/** A raw TCP client, connected (from `localAddress` when given) before it resolves. */
async function connect(port: number, localAddress?: string): Promise<Client> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  let closedFlag = false;
  const closed = new Promise<void>((resolve) => socket.on('close', () => ((closedFlag = true), resolve())));
  cleanups.push(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
  let buffered = Buffer.alloc(0);
  const waiting: ((reply: Buffer) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      const reply = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
      buffered = buffered.subarray(2 + reply.length);
      waiting.shift()?.(reply);
    }
  });
  return {
    socket,
    closed,
    isClosed: () => closedFlag,
    ask: (name, id) =>
      new Promise<Buffer>((resolve, reject) => {
        waiting.push(resolve);
        void closed.then(() => reject(new Error('connection closed before the reply')));
        socket.write(framed(name, id));
      }),
  };
}

/** Whether `client` gets closed by the server within `ms`. */
async function closedWithin(client: Client, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.closed, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
  return client.isClosed();
}

/** Announces a 4000-byte query and then sends one byte of it every `everyMs`, never finishing it. */
function trickle(client: Client, everyMs: number): { bytes: () => number; stop: () => void } {
  const LENGTH = 4000;
  let bytes = 2;
  client.socket.write(Buffer.from([LENGTH >> 8, LENGTH & 0xff]));
  const timer = setInterval(() => {
    // The last byte would complete the message.
    if (client.isClosed() || bytes >= 2 + LENGTH - 1) return;
    client.socket.write(Buffer.from([0]));
    bytes++;
  }, everyMs);
  const stop = () => clearInterval(timer);
  cleanups.push(stop);
  return { bytes: () => bytes, stop };
}

function digTcp(port: number, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+tcp', '+tries=1', '+time=2', name, 'A'], { timeout: 10_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

describe('DNS over TCP against slow clients', () => {
  it('keeps answering dig +tcp while 50 connections trickle queries a byte at a time (cap 20)', async () => {
    // A long io timeout, so what admits dig is closing the longest-idle connection.
    const { port } = await service({ TCPMaxConnections: 20, TCPMaxClientConnections: 0, TCPIOTimeoutMs: 30_000 });
    let stopped = false;
    cleanups.push(() => (stopped = true));
    let evicted = 0;
    // Like the attack: every trickler reconnects when it is closed (a bounded number of times).
    const attacker = async (): Promise<void> => {
      for (let round = 0; round < 40 && !stopped; round++) {
        const client = await connect(port).catch(() => undefined);
        if (client) {
          trickle(client, 100);
          await client.closed;
          evicted++;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const attackers = Array.from({ length: 50 }, () => attacker());
    // Let them fill every slot first.
    for (let i = 0; i < 100 && evicted < 30; i++) await new Promise((r) => setTimeout(r, 20));
    expect(evicted).toBeGreaterThanOrEqual(30);
    for (let i = 0; i < 3; i++) {
      const reply = summaryFromDig(await digTcp(port, 'leader.mesos'));
      expect(reply.rcode).toBe('NOERROR');
      expect(reply.answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);
    }
    stopped = true;
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await Promise.all(attackers);
  });

  it('closes a connection whose query is not complete within TCPIOTimeoutMs, though bytes keep arriving', async () => {
    const { port } = await service({ TCPIOTimeoutMs: 300, TCPIdleTimeoutMs: 10_000 });
    const slow = await connect(port);
    const startedAt = Date.now();
    const trickler = trickle(slow, 30);
    expect(await closedWithin(slow, 3000)).toBe(true);
    const openFor = Date.now() - startedAt;
    // Bytes arrived all along (at most 30 ms apart), so no idle timer could have fired; only
    // the message deadline did. Generous bounds around 300 ms.
    expect(trickler.bytes()).toBeGreaterThan(5);
    expect(openFor).toBeGreaterThanOrEqual(250);
    expect(openFor).toBeLessThan(2000);
    // A client that sends whole queries on time is served as before.
    const fine = await connect(port);
    expect(summaryFromWire(await fine.ask('leader.mesos', 7)).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);
  });

  it('does not close a connection whose query was complete in the kernel when a stalled event loop let its deadline pass', async () => {
    const { port } = await service({ TCPIOTimeoutMs: 200 });
    const client = await connect(port);
    const whole = framed('leader.mesos', 9);
    const reply = new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0);
      client.socket.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) resolve(got.subarray(2));
      });
      void client.closed.then(() => reject(new Error('closed before the reply')));
    });
    client.socket.write(whole.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 50));
    // The rest goes to the kernel (a write to an idle socket is made at once), then this thread,
    // the server's too, is busy past the deadline. From a setImmediate, so that the loop's next
    // step is its timers, before it polls for I/O.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        client.socket.write(whole.subarray(5));
        for (const end = Date.now() + 500; Date.now() < end; );
        resolve();
      }),
    );
    expect(summaryFromWire(await reply).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);
  });

  it('caps connections per source address (127.0.0.1), while another address (127.0.0.2) still connects; a reload raises the cap live', async () => {
    const { service: svc, port, config } = await service({ TCPMaxClientConnections: 3 });
    const mine = [await connect(port, '127.0.0.1'), await connect(port, '127.0.0.1'), await connect(port, '127.0.0.1')];
    const fourth = await connect(port, '127.0.0.1');
    expect(await closedWithin(fourth, 2000)).toBe(true);
    const other = await connect(port, '127.0.0.2');
    expect(summaryFromWire(await other.ask('leader.mesos', 1)).rcode).toBe('NOERROR');
    for (const [i, client] of mine.entries()) {
      expect(client.isClosed()).toBe(false);
      expect(summaryFromWire(await client.ask('leader.mesos', 10 + i)).rcode).toBe('NOERROR');
    }
    // SIGHUP path: same listener, new cap, no re-bind (the open connections stay).
    await svc.reconfigure({ ...config, TCPMaxClientConnections: 4 });
    const fourthAgain = await connect(port, '127.0.0.1');
    expect(summaryFromWire(await fourthAgain.ask('leader.mesos', 2)).rcode).toBe('NOERROR');
    expect(mine.every((c) => !c.isClosed())).toBe(true);
  });
});

describe('DNS over TCP at the connection cap', () => {
  it('closes the connection idle the longest for a new one, never one with a query in progress', async () => {
    // Queries for slow.test wait until released: an answer being worked out (e.g. forwarded).
    const release: (() => void)[] = [];
    const handler = async (query: Buffer): Promise<Buffer> => {
      const name = dnsPacket.decode(query).questions?.[0]?.name;
      if (name === 'slow.test') await new Promise<void>((r) => release.push(r));
      const reply = Buffer.from(query);
      reply[2] |= 0x80;
      return reply;
    };
    const config: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: 0, TCPMaxConnections: 3, TCPMaxClientConnections: 0 });
    const server = await startDnsServer({ config, handler, logger: silentLogger });
    cleanups.push(() => server.close());
    cleanups.push(() => release.forEach((r) => r()));
    const port = server.tcpAddress.port;

    const busy = await connect(port); // idle the longest, but about to wait for an answer
    const older = await connect(port);
    const newer = await connect(port);
    const pending = busy.ask('slow.test', 1);
    await new Promise((r) => setTimeout(r, 50));
    // `older` had an answer more recently than `newer` connected: now `newer` is idle the longest.
    await older.ask('fast.test', 2);

    const admitted = await connect(port);
    expect(await closedWithin(newer, 2000)).toBe(true);
    expect(busy.isClosed()).toBe(false);
    expect(older.isClosed()).toBe(false);
    expect((await admitted.ask('fast.test', 3)).readUInt16BE(0)).toBe(3);

    release.forEach((r) => r());
    expect((await pending).readUInt16BE(0)).toBe(1);
  });
});

describe('DNS over TCP with worker threads', () => {
  it('counts the per-client cap per thread: one address holds at most workers x TCPMaxClientConnections', async () => {
    const config: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: 0, ExternalOn: false, TCPMaxClientConnections: 2 });
    const pool = await startWorkerPool({ config, workers: 2, store, logger: silentLogger });
    cleanups.push(() => pool.close());
    await pool.serving(store.current()!.generation);
    const clients: Client[] = [];
    for (let i = 0; i < 10; i++) clients.push(await connect(pool.tcpAddress.port, '127.0.0.1'));
    await new Promise((r) => setTimeout(r, 300));
    const open = clients.filter((c) => !c.isClosed());
    // The kernel spreads connections over the two threads' sockets; each thread admits two.
    expect(open.length).toBeGreaterThanOrEqual(2);
    expect(open.length).toBeLessThanOrEqual(4);
    for (const [i, client] of open.entries()) expect(summaryFromWire(await client.ask('leader.mesos', i + 1)).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);
  });
});
