// The HTTP side under idle and slow connections, on the whole server (main.ts's start(): config
// file, state file source, DNS and HTTP on loopback): HTTP connections are capped and timed out,
// and DNS and the state source go on meanwhile. Timeouts are set to about a second so the cases
// stay short.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/log.js';
import { descriptorBudget, openFileLimit, readOpenFileLimit } from '../src/fd-budget.js';
import { DEFAULTS } from '../src/config/typed.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const STATE_FILE = fileURLToPath(new URL('./fixtures/mesos-state-fake.json', import.meta.url));
const LIMITS = { HTTPMaxConnections: 10, HTTPHeadersTimeoutMs: 1000, HTTPRequestTimeoutMs: 2000, HTTPKeepAliveTimeoutMs: 500 };

interface RawClient {
  socket: net.Socket;
  received: () => string;
  isClosed: () => boolean;
}

function openRaw(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, received: () => data, isClosed: () => closed }));
    socket.once('error', reject);
  });
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; !what() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  return what();
}

describe('HTTP connection limits', () => {
  let server: TestServer;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    server = await startTestServer({ StateFile: STATE_FILE, ...LIMITS });
  });
  afterAll(async () => {
    for (const c of clients) c.socket.destroy();
    await server?.close();
  });

  it('closes connections past HTTPMaxConnections at once; DNS over UDP and TCP and the state source keep working; after the idle ones time out, requests are served', async () => {
    const leader = (await server.resolver().resolve4('leader.mesos'))[0];
    for (let i = 0; i < LIMITS.HTTPMaxConnections + 5; i++) clients.push(await openRaw(server.httpPort));
    const closedCount = () => clients.filter((c) => c.isClosed()).length;
    // The five past the cap go at once; the ten within it stay until their headers are due.
    expect(await until(() => closedCount() >= 5, 800)).toBe(true);
    expect(closedCount()).toBe(5);

    // HTTP is full: DNS and the state source use other sockets.
    expect(await server.resolver().resolve4('leader.mesos')).toEqual([leader]);
    expect((await server.dig('+tcp', '+short', 'leader.mesos', 'A')).trim()).toBe(leader);
    expect(await server.running.refresh()).toBe(true);
    await expect(server.http('/v1/version')).rejects.toThrow();

    // Sending nothing is no request: each idle connection gets 408 and is closed.
    expect(await until(() => closedCount() === clients.length, 5000)).toBe(true);
    expect(clients.filter((c) => c.received().startsWith('HTTP/1.1 408')).length).toBe(LIMITS.HTTPMaxConnections);
    const version = await server.http('/v1/version');
    expect(version.status).toBe(200);
  });

  it('closes a connection that sends half a header after HTTPHeadersTimeoutMs, though it keeps sending', async () => {
    const slow = await openRaw(server.httpPort);
    clients.push(slow);
    const startedAt = Date.now();
    slow.socket.write('GET /v1/version HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => slow.isClosed() || slow.socket.write('X-Slow: 1\r\n'), 50);
    try {
      expect(await until(() => slow.isClosed(), 5000)).toBe(true);
    } finally {
      clearInterval(timer);
    }
    const openFor = Date.now() - startedAt;
    // Deadline 1000 ms, looked at every 500 ms: generous bounds around that.
    expect(openFor).toBeGreaterThanOrEqual(900);
    expect(openFor).toBeLessThan(4000);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('applies a new HTTPMaxConnections on SIGHUP reload, without re-binding', async () => {
    await server.writeConfig({ StateFile: STATE_FILE, ...LIMITS, HTTPMaxConnections: 2 });
    expect(await server.running.reload()).toBe(true);
    const three = [await openRaw(server.httpPort), await openRaw(server.httpPort), await openRaw(server.httpPort)];
    clients.push(...three);
    expect(await until(() => three.some((c) => c.isClosed()), 800)).toBe(true);
    expect(three.filter((c) => c.isClosed()).length).toBe(1);
  });
});

describe('file descriptors', () => {
  it('reads the open-file limit of /proc/<pid>/limits', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units     \nMax processes             unlimited            unlimited            processes \nMax open files            1024                 524288               files     \n';
    expect(openFileLimit(text)).toBe(1024);
    expect(openFileLimit(text.replace('1024  ', 'unlimited'))).toBeUndefined();
    expect(openFileLimit('')).toBeUndefined();
  });

  it('adds up the caps: TCP and forwarding per DNS thread, plus HTTP and a base', () => {
    expect(descriptorBudget({ ...DEFAULTS }, 2)).toEqual({ dnsTcp: 2048, forwarding: 2 * (4096 + 1024), http: 256, base: 64, total: 12_608 });
    expect(descriptorBudget({ ...DEFAULTS, RecurseOn: false, HttpOn: false }, 1).total).toBe(1024 + 64);
  });

  it('warns at start-up when the caps add up to more descriptors than the process may open, and not with the defaults', async () => {
    const limit = readOpenFileLimit();
    expect(limit).toBeGreaterThan(0);
    const startAndRead = async (config: Record<string, unknown>): Promise<string[]> => {
      const lines: string[] = [];
      const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
      const s = await startTestServer({ StateFile: STATE_FILE, ...config }, logger);
      await s.close();
      return lines.filter((l) => l.includes('more file descriptors than the process may open'));
    };
    // One DNS thread: its TCP cap alone takes every descriptor the process has.
    const over = await startAndRead({ TCPMaxConnections: Math.min(limit!, 1_000_000) });
    expect(over).toHaveLength(1);
    expect(JSON.parse(over[0])).toMatchObject({ openFileLimit: limit, dnsTcp: Math.min(limit!, 1_000_000) });
    expect(await startAndRead({})).toEqual([]);
  });
});
