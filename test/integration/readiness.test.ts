// GET /ready and the stale-table warning at the running server, against a stand-in master that
// fails, recovers, or streams quietly. ReadyMaxTableAgeSeconds is 2 s here so that ageing out
// takes seconds; nothing asserts a tighter timing than "within a few seconds".
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { fixtureStateWithLeader, startTestServer, type TestServer } from '../helpers/server.js';
import { StreamMaster, waitFor } from '../helpers/stream-master.js';
import { captureLog } from '../helpers/log-capture.js';

const fixture = JSON.parse(await readFile(new URL('../fixtures/mesos-state-fake.json', import.meta.url), 'utf8')) as Record<string, unknown>;

type Ready = { ready: boolean; reason: string; tableAgeSeconds: number | null; generation: number; workersServing: string; lastStateError: string | null };


async function ready(server: TestServer): Promise<{ status: number; body: Ready }> {
  const r = await server.http('/ready');
  return { status: r.status, body: JSON.parse(r.body) as Ready };
}

/** Polls /ready until `status`, returning that answer. */
async function readyBecomes(server: TestServer, status: number, timeoutMs = 10_000): Promise<Ready> {
  let last: { status: number; body: Ready } | undefined;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    last = await ready(server);
    if (last.status === status) return last.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/ready stayed ${last?.status}: ${JSON.stringify(last?.body)}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /ready, polling, two DNS workers', () => {
  let master: StreamMaster;
  let server: TestServer;
  let log: ReturnType<typeof captureLog>;
  const staleLines = () => log.lines.filter((l) => l.component === 'freshness' && l.level === 40);
  const freshLines = () => log.lines.filter((l) => l.component === 'freshness' && l.level === 30);

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.subscribeAnswer = { status: 404 };
    master.stateAnswer = { status: 500 };
    log = captureLog('info');
    server = await startTestServer(
      { masters: [`127.0.0.1:${master.port}`], refreshSeconds: 1, ReadyMaxTableAgeSeconds: 2, workers: 2, resolvers: [] },
      log.logger,
    );
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('is 503 until every worker serves the first table, then 200', async () => {
    const before = await ready(server);
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({ ready: false, generation: 0, tableAgeSeconds: null });
    expect(before.body.reason).toMatch(/^no table yet/);
    master.stateAnswer = undefined;
    master.stateDocument = fixtureStateWithLeader(fixture, `127.0.0.1:${master.port}`);
    const after = await readyBecomes(server, 200);
    expect(after).toMatchObject({ ready: true, reason: 'serving a current table', workersServing: '2/2' });
    expect(after.generation).toBeGreaterThan(0);
    expect(after.tableAgeSeconds).toBeLessThanOrEqual(2);
  });

  it('turns 503 with one warning when the master fails past the age, keeps answering, and is 200 with one line when it is back', async () => {
    const staleBefore = staleLines().length;
    const freshBefore = freshLines().length;
    master.stateAnswer = { status: 500 };
    const stale = await readyBecomes(server, 503);
    expect(stale.reason).toMatch(/^(state source failing for \d+ s|table age \d+ s) > 2 s$/);
    expect(stale.lastStateError).toContain('HTTP 500');
    // Several more failed polls and /ready requests: still the one warning for this streak.
    for (let i = 0; i < 4; i++) {
      await sleep(500);
      expect((await ready(server)).status).toBe(503);
    }
    expect(staleLines().length - staleBefore).toBe(1);
    expect(staleLines().at(-1)?.msg).toBe('table is stale (ReadyMaxTableAgeSeconds); still answering from it');
    // DNS answers from the stale table.
    expect(await server.resolver().resolve4('leader.mesos')).toEqual(['127.0.0.1']);

    master.stateAnswer = undefined;
    await readyBecomes(server, 200);
    await waitFor(() => freshLines().length > freshBefore, 3000, 'the fresh-again line');
    await sleep(1000);
    expect(freshLines().length - freshBefore).toBe(1);
    expect(freshLines().at(-1)?.msg).toBe('table is fresh again');
    expect(staleLines().length - staleBefore).toBe(1);
  });
});

describe('GET /ready, a quiet event stream', () => {
  let master: StreamMaster;
  let server: TestServer;

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.stateDocument = fixtureStateWithLeader(fixture, `127.0.0.1:${master.port}`);
    master.heartbeatIntervalSeconds = 1;
    server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, ReadyMaxTableAgeSeconds: 1, resolvers: [] });
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('stays 200 past the age while the stream is connected, though no table is built', async () => {
    await waitFor(() => master.openStreams === 1, 5000, 'the subscription');
    await readyBecomes(server, 200);
    const generation = server.running.store.current()?.generation;
    await sleep(3000);
    const r = await ready(server);
    expect(server.running.store.current()?.generation).toBe(generation);
    expect(r.status).toBe(200);
    expect(r.body.tableAgeSeconds).toBe(0);
  });
});
