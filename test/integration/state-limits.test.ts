// StateMaxBytes at the running server: a stand-in master sends /master/state bodies over the
// limit in each shape a master can (announced length, chunked, gzip that inflates past it). The
// server must refuse each as soon as it can tell, which the stand-in sees as the connection
// closing long before it has written its body; DNS keeps the last good table; one error line per
// failure streak, naming the limit and the key. Both state readers (native and JSON.parse).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline, Readable, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { fixtureStateWithLeader, startTestServer, type TestServer } from '../helpers/server.js';
import { getState, StreamMaster, v1Task, waitFor } from '../helpers/stream-master.js';
import { captureLog } from '../helpers/log-capture.js';

const fixture = JSON.parse(await readFile(new URL('../fixtures/mesos-state-fake.json', import.meta.url), 'utf8')) as Record<string, unknown>;

const LIMIT = 100 * 1024;
/** What an oversized body would be in full: far more than loopback socket buffers hold. */
const BIG = 32 * 1024 * 1024;

type Shape = 'good' | 'content-length' | 'chunked' | 'gzip';

/** How one oversized body went: bytes put on the wire, and whether all of them were. */
interface Sent {
  written: number;
  complete: boolean;
}

/** A stand-in master serving /master/state in the shape the test sets; /api/v1 is 404 (polling). */
class SizedMaster {
  shape: Shape = 'good';
  readonly sent: Sent[] = [];
  readonly #server: Server;
  port = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      req.resume();
      if (req.url !== '/master/state') {
        res.writeHead(404).end();
        return;
      }
      this.#answer(res);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #answer(res: ServerResponse): void {
    if (this.shape === 'good') {
      const body = JSON.stringify(fixtureStateWithLeader(fixture, `127.0.0.1:${this.port}`));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    // Hex text made while it is sent (so an unread body costs nothing here), compressible about
    // 2:1: a gzip body passes LIMIT inflated while well under it on the wire.
    const chunks = function* (): Generator<Buffer> {
      for (let n = 0; n < BIG; n += 65536) yield Buffer.from(randomBytes(32768).toString('hex'));
    };
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (this.shape === 'content-length') headers['content-length'] = BIG;
    if (this.shape === 'gzip') headers['content-encoding'] = 'gzip';
    res.writeHead(200, headers);
    let written = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        written += chunk.length;
        done(null, chunk);
      },
    });
    const stages = this.shape === 'gzip' ? [createGzip({ level: 1 }), count] : [count];
    pipeline([Readable.from(chunks()), ...stages, res], (err) => {
      this.sent.push({ written, complete: !err && res.writableFinished });
    });
  }
}


async function sentSettled(master: SizedMaster, count: number): Promise<Sent> {
  const deadline = Date.now() + 10_000;
  while (master.sent.length < count) {
    if (Date.now() > deadline) throw new Error('the stand-in never finished a response');
    await new Promise((r) => setTimeout(r, 10));
  }
  return master.sent[count - 1];
}

describe.each([
  ['native reader', true],
  ['JSON.parse', false],
])('StateMaxBytes with the %s', (_name, native) => {
  let master: SizedMaster;
  let server: TestServer;
  let log: ReturnType<typeof captureLog>;

  beforeAll(async () => {
    master = new SizedMaster();
    await master.start();
    log = captureLog('debug');
    server = await startTestServer(
      { masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, StateMaxBytes: LIMIT, NativeStateReader: native, resolvers: [] },
      log.logger,
    );
    expect(await server.running.refresh()).toBe(true);
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  const refusals = () => log.lines.filter((l) => l.level === 50 && l.msg === 'state refresh failed; keeping the last good table');

  it.each<[Shape, string]>([
    ['content-length', `Content-Length ${BIG} over the ${LIMIT} bytes StateMaxBytes allows`],
    ['chunked', `body over the ${LIMIT} bytes StateMaxBytes allows`],
    ['gzip', `gzip body inflated over the ${LIMIT} bytes StateMaxBytes allows`],
  ])('refuses a %s body over the limit without reading it, keeps the table, logs once per streak', async (shape, reason) => {
    const before = refusals().length;
    const sentBefore = master.sent.length;
    master.shape = shape;
    for (let i = 1; i <= 2; i++) {
      expect(await server.running.refresh()).toBe(false);
      const sent = await sentSettled(master, sentBefore + i);
      // The connection closed under the stand-in long before its body was out.
      expect(sent.complete).toBe(false);
      expect(sent.written).toBeLessThan(BIG / 4);
    }
    const lines = refusals().slice(before);
    expect(lines).toHaveLength(1);
    const err = lines[0].err as { message: string; stack: string };
    expect(err.message).toContain(reason);
    expect(err.stack).toContain('caused by: StateTooLargeError');
    // The last good table still answers.
    expect(await server.resolver().resolve4('leader.mesos')).toEqual(['127.0.0.1']);
    master.shape = 'good';
    expect(await server.running.refresh()).toBe(true);
    expect(log.lines.some((l) => l.msg === 'state refresh recovered')).toBe(true);
  });
});

describe('StateMaxBytes and the event stream', () => {
  let master: StreamMaster;
  let server: TestServer;
  let log: ReturnType<typeof captureLog>;

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.stateDocument = fixtureStateWithLeader(fixture, `127.0.0.1:${master.port}`);
    // A snapshot of 2,000 tasks: about 500 KB in its SUBSCRIBED record.
    const tasks = Array.from({ length: 2000 }, (_, i) => v1Task({ id: `task-${i}.${'0'.repeat(36)}`, frameworkId: 'fw', agentId: 'agent' }));
    master.getState = getState({ tasks });
    log = captureLog('debug');
    server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, StateMaxBytes: LIMIT, resolvers: [] }, log.logger);
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('refuses a SUBSCRIBED snapshot over the limit by its record length and keeps the polled table', async () => {
    await waitFor(() => log.lines.some((l) => l.msg === 'operator stream lost; resubscribing'), 5000, 'the stream to give up');
    const lost = log.lines.find((l) => l.msg === 'operator stream lost; resubscribing');
    expect((lost?.err as { message: string }).message).toContain(`record size exceeds ${LIMIT} bytes`);
    expect(await server.resolver().resolve4('leader.mesos')).toEqual(['127.0.0.1']);
  });
});
