// The master-side fault suite (issue 13): one running server polling a stand-in master every
// second (RefreshSeconds 1, StateTimeoutSeconds 1) while the master misbehaves in each way a
// master or the network between can. For each fault: what DNS answers (a real client), that the
// last good table keeps answering and a good table after it is taken, and that the server logs
// one error line per failure streak however many polls fail. Other faults have their own files:
// bodies over StateMaxBytes (state-limits.test.ts), /ready going stale (readiness.test.ts),
// ZooKeeper (zookeeper-failover.test.ts), single-master HTTP details (master-access.test.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { summaryFromDig } from '../helpers/dns-case.js';
import { captureLog } from '../helpers/log-capture.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { smallState } from '../helpers/small-state.js';
import { waitFor } from '../helpers/stream-master.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

type Fault = 'none' | 'slow' | 'http-500' | 'truncated-json' | 'closed-mid-body' | 'redirect-loop';

/**
 * A master on a fixed loopback port that can be taken down (nothing listens: connection
 * refused) and brought back on the same port, and whose /master/state misbehaves as `fault` says.
 * The Operator API answers 404, so the server polls.
 */
class FaultyMaster {
  fault: Fault = 'none';
  tasks: string[] = ['stable'];
  stateRequests = 0;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(readonly port: number) {}

  /** A port nothing listens on yet (the kernel's pick, released). */
  static async freePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => this.#handle(req, res));
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.#server = server;
  }

  /** Stops listening and cuts every connection: the next poll is refused. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (req.url !== '/master/state') return void res.writeHead(404).end();
    this.stateRequests++;
    const body = JSON.stringify(smallState(this.port, this.tasks));
    const json = { 'content-type': 'application/json' };
    switch (this.fault) {
      case 'none':
        res.writeHead(200, { ...json, 'content-length': Buffer.byteLength(body) }).end(body);
        return;
      case 'slow': {
        // Three times StateTimeoutSeconds: the server must have given up long before.
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          if (!res.destroyed) res.writeHead(200, json).end(body);
        }, 3000);
        this.#timers.add(timer);
        return;
      }
      case 'http-500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
        return;
      case 'truncated-json': {
        // The length announced is the length sent; the JSON itself stops half-way.
        const cut = body.slice(0, Math.floor(body.length / 2));
        res.writeHead(200, { ...json, 'content-length': Buffer.byteLength(cut) }).end(cut);
        return;
      }
      case 'closed-mid-body':
        res.writeHead(200, { ...json, 'content-length': Buffer.byteLength(body) });
        res.write(body.slice(0, Math.floor(body.length / 2)), () => res.destroy());
        return;
      case 'redirect-loop':
        res.writeHead(307, { location: `http://127.0.0.1:${this.port}/master/state` }).end();
        return;
    }
  }
}

const FAILED = 'state refresh failed; keeping the last good table';
const STILL = 'state refresh still failing';
const RECOVERED = 'state refresh recovered';

let master: FaultyMaster;
let upstream: FakeUpstream;
let server: TestServer;
let log: ReturnType<typeof captureLog>;

beforeAll(async () => {
  master = new FaultyMaster(await FaultyMaster.freePort());
  upstream = await startUpstream({ records: { 'example.org': [{ name: 'example.org', type: 'A', ttl: 300, data: '192.0.2.7' }] } });
  log = captureLog('debug');
  server = await startTestServer(
    { masters: [`127.0.0.1:${master.port}`], refreshSeconds: 1, StateTimeoutSeconds: 1, resolvers: [upstream.address], timeout: 2 },
    log.logger,
  );
});

afterAll(async () => {
  await server?.close();
  await master?.down();
  await upstream?.close();
});

/** Poller lines from line `from` on. */
const pollerLines = (from: number) => log.lines.slice(from).filter((l) => l.component === 'poller');
/** Failed polls from line `from` on: each is an error line (the first of a streak) or a debug line. */
function failuresSince(from: number): number {
  return pollerLines(from).filter((l) => l.msg === FAILED || l.msg === STILL).length;
}

async function resolves(name: string): Promise<string[]> {
  return server.resolver().resolve4(name);
}

/**
 * Puts the master into a fault, waits for two polls to fail, checks the one error line and
 * that the last table answers, then ends the fault with a new task launched and waits for it to
 * be served (the poll after the fault works). Returns the streak's error line.
 */
async function faultStreak(start: () => Promise<void> | void, end: () => Promise<void> | void): Promise<Record<string, unknown>> {
  const from = log.lines.length;
  const launched = `after-${from}`;
  await start();
  await waitFor(() => failuresSince(from) >= 2, 20_000, 'two failed polls');
  // DNS answers from the last good table throughout.
  expect(await resolves('stable.marathon.mesos')).toEqual(['10.1.0.1']);
  expect(summaryFromDig(await server.dig('stable.marathon.mesos', 'A')).rcode).toBe('NOERROR');
  await expect(resolves(`${launched}.marathon.mesos`)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  master.tasks = ['stable', launched];
  await end();
  await waitFor(() => pollerLines(from).some((l) => l.msg === RECOVERED), 10_000, 'the recovery line');
  const lines = pollerLines(from);
  const errors = lines.filter((l) => l.msg === FAILED);
  // One error line for the whole streak, however many polls failed; one recovery line.
  expect(errors).toHaveLength(1);
  expect(errors[0].level).toBe(50);
  expect(lines.filter((l) => l.level !== undefined && (l.level as number) >= 40)).toHaveLength(1);
  const recovered = lines.filter((l) => l.msg === RECOVERED);
  expect(recovered).toHaveLength(1);
  expect(recovered[0].failures).toBeGreaterThanOrEqual(2);
  // The good table after the fault is served.
  await waitFor(() => server.running.store.current() !== undefined, 1000, 'a table');
  expect(await resolves(`${launched}.marathon.mesos`)).toEqual(['10.1.0.1']);
  expect(await resolves('stable.marathon.mesos')).toEqual(['10.1.0.1']);
  return errors[0];
}

const errMessage = (line: Record<string, unknown>) => (line.err as { message: string }).message;

describe('master faults at the running server', () => {
  it('master down at start: SERVFAIL for the domain, forwarding works, one log line, then the first table', async () => {
    await waitFor(() => failuresSince(0) >= 2, 20_000, 'two refused polls');
    // No table: the server cannot say what exists, so no NXDOMAIN/NODATA (resolvers would cache
    // those for the SOA minimum, RFC 2308 §5). SERVFAIL, not authoritative, no records.
    for (const name of ['stable.marathon.mesos', 'leader.mesos', 'mesos']) {
      const reply = summaryFromDig(await server.dig(name, 'A'));
      expect(reply).toMatchObject({ rcode: 'SERVFAIL', aa: false, answer: [], authority: [] });
    }
    await expect(resolves('stable.marathon.mesos')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    // Names outside the domain are forwarded meanwhile.
    expect(await resolves('example.org')).toEqual(['192.0.2.7']);
    expect((await server.http('/health')).status).toBe(503);
    const errors = pollerLines(0).filter((l) => l.msg === FAILED);
    expect(errors).toHaveLength(1);
    expect(errMessage(errors[0])).toContain('ECONNREFUSED');

    await master.up();
    await waitFor(() => pollerLines(0).some((l) => l.msg === RECOVERED), 10_000, 'the first table');
    expect(await resolves('stable.marathon.mesos')).toEqual(['10.1.0.1']);
    expect(pollerLines(0).filter((l) => l.msg === FAILED)).toHaveLength(1);
  });

  it('master down later: the last table keeps answering', async () => {
    const error = await faultStreak(
      () => master.down(),
      () => master.up(),
    );
    expect(errMessage(error)).toContain('ECONNREFUSED');
  });

  it('slow past StateTimeoutSeconds: each poll gives up after 1 s, DNS never waits, the next poll works', async () => {
    const requestsBefore = master.stateRequests;
    const error = await faultStreak(
      () => void (master.fault = 'slow'),
      () => void (master.fault = 'none'),
    );
    // Two polls within the wait although each answer takes 3 s: none hung.
    expect(master.stateRequests - requestsBefore).toBeGreaterThanOrEqual(2);
    expect(errMessage(error)).toMatch(/abort|timeout/i);
  });

  it.each<[string, Fault, RegExp]>([
    ['HTTP 500: the error page is not taken for a state', 'http-500', /HTTP 500/],
    ['truncated JSON with an honest Content-Length', 'truncated-json', /JSON|Unexpected end/i],
    ['connection closed mid-body', 'closed-mid-body', /body/],
  ])('%s', async (_name, fault, reason) => {
    const error = await faultStreak(
      () => void (master.fault = fault),
      () => void (master.fault = 'none'),
    );
    expect(errMessage(error)).toMatch(reason);
  });

  it('a 307 redirect loop: followed three times, then refused by name', async () => {
    const requestsBefore = master.stateRequests;
    const error = await faultStreak(
      () => void (master.fault = 'redirect-loop'),
      () => void (master.fault = 'none'),
    );
    expect(errMessage(error)).toContain('still redirected (HTTP 307) after 3 redirects');
    // Bounded: four requests per failed poll (the first and three redirects), plus the good one.
    const failed = Number(pollerLines(0).filter((l) => l.msg === RECOVERED).at(-1)?.failures);
    expect(master.stateRequests - requestsBefore).toBeLessThanOrEqual(4 * failed + 2);
  });
});
