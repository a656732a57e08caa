// Knot DNS as a real secondary of our server (issue 16 item 4), all on loopback: our server reads
// a stand-in master's Operator API stream, Knot transfers the Mesos zone from it with TSIG, and a
// task launched on the master reaches Knot through NOTIFY and an incremental transfer (Knot's
// own log says IXFR). How fast that is goes to the benchmark, not here.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freeLoopbackPort, startKnotSecondary, type KnotSecondary } from '../helpers/knot-secondary.js';
import { parseExposition, sumOf } from '../helpers/metrics.js';
import { emptyLegacyState, getState, StreamMaster, taskAdded, v1Agent, v1Framework, v1Status, v1Task, waitFor } from '../helpers/stream-master.js';

type Json = Record<string, unknown>;

const KEY = 'hmac-sha256:transfer-key:bWVzb3MtZG5zLXRzIHNlY29uZGFyeSB0ZXN0IGtleSE=';

function running(id: string, agentId: string, ip: string): Json {
  const status = v1Status({ taskId: id, agentId, state: 'TASK_RUNNING', ips: [ip], timestamp: 1_700_000_100 });
  return v1Task({ id, frameworkId: 'fw1', agentId, state: 'TASK_RUNNING', ports: [[31000, 31000]], statuses: [status] });
}

let master: StreamMaster;
let server: TestServer;
let knot: KnotSecondary;
let dir: string;

async function knotA(name: string): Promise<string[]> {
  const r = new Resolver({ timeout: 500, tries: 1 });
  r.setServers([`127.0.0.1:${knot.port}`]);
  try {
    return (await r.resolve4(name)).sort();
  } catch {
    return [];
  }
}

async function updates(kind: string): Promise<number> {
  return sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_table_updates_total', { kind });
}

/** Polls Knot until `name` has addresses (bounded); the addresses, or [] when it never did. */
async function knotAnswers(name: string, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await knotA(name);
    if (got.length > 0 || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mdns-knot-'));
  master = await StreamMaster.start();
  master.stateDocument = emptyLegacyState(master.port);
  // 1,500 more tasks: the first transfer takes several messages, each TSIG-signed over the
  // previous one's MAC (RFC 8945 §5.3.1), which Knot verifies.
  const more = Array.from({ length: 1500 }, (_, i) => running(`bulk${i}.1`, 'a1', `10.4.${i >> 8}.${i & 255}`));
  master.getState = getState({ agents: [v1Agent('a1', '10.1.0.1')], frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')], tasks: [running('web.1', 'a1', '10.2.0.1'), ...more] });
  const knotPort = await freeLoopbackPort();
  server = await startTestServer({
    masters: [`127.0.0.1:${master.port}`],
    refreshSeconds: 3600,
    externalon: false,
    AllowTransfer: ['127.0.0.0/8'],
    Notify: [`127.0.0.1:${knotPort}`],
    TsigKeys: [KEY],
    TransferTsigKey: 'transfer-key',
    SerialFile: path.join(dir, 'serial'),
  });
  await waitFor(() => master.openStreams === 1, 5000, 'the server subscribes to the event stream');
  knot = await startKnotSecondary({ dir: path.join(dir, 'knot'), zones: ['mesos.'], primaryPort: server.dnsPort, key: KEY, port: knotPort });
}, 30_000);

afterAll(async () => {
  await knot?.stop();
  await server?.close();
  await master?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Knot DNS as a secondary', () => {
  it('transfers the zone (AXFR, TSIG-signed) and answers from it', async () => {
    expect(await knotAnswers('web.marathon.mesos', 15_000)).toEqual(['10.2.0.1']);
    // Our server refuses unsigned transfers (TransferTsigKey), so this one was signed and verified,
    // every message of it.
    const done = /\[mesos\.\] AXFR, incoming, remote 127\.0\.0\.1@\d+, finished, [\d.]+ seconds, (\d+) messages/.exec(knot.log());
    expect(done).not.toBeNull();
    expect(Number(done![1])).toBeGreaterThan(1);
    expect(await knotAnswers('bulk1499.marathon.mesos', 1000)).toEqual(['10.4.5.219']);
  }, 20_000);

  it('a launch on the master reaches Knot through NOTIFY and IXFR', async () => {
    const before = knot.log().length;
    master.send(taskAdded(running('api.1', 'a1', '10.2.0.2')));
    expect(await knotAnswers('api.marathon.mesos', 10_000)).toEqual(['10.2.0.2']);
    const after = knot.log().slice(before);
    // Knot's ACL takes NOTIFY only signed with the key (an unsigned one is logged as denied).
    expect(after).toMatch(/\[mesos\.\] notify, incoming, remote 127\.0\.0\.1@\d+, serial \d+/);
    expect(after).toMatch(/\[mesos\.\] IXFR, incoming, remote 127\.0\.0\.1@\d+, finished/);
    expect(after).toMatch(/\[mesos\.\] refresh, remote 127\.0\.0\.1@\d+, zone updated, [\d.]+ seconds, serial (\d+) -> (\d+)/);
    expect(after).not.toMatch(/AXFR, incoming|denied|failed/);
  }, 15_000);

  it('a launch patched into the served table (no full build) reaches Knot through IXFR, with a new serial', async () => {
    const before = knot.log().length;
    const patches = await updates('patch');
    const fulls = await updates('full');
    master.send(taskAdded(running('db.1', 'a1', '10.2.0.3')));
    expect(await knotAnswers('db.marathon.mesos', 10_000)).toEqual(['10.2.0.3']);
    // The event went the incremental path (publish.ts): its diff read the patch's touched names.
    expect(await updates('patch')).toBeGreaterThan(patches);
    expect(await updates('full')).toBe(fulls);
    const after = knot.log().slice(before);
    expect(after).toMatch(/\[mesos\.\] IXFR, incoming, remote 127\.0\.0\.1@\d+, finished/);
    const refresh = /\[mesos\.\] refresh, remote 127\.0\.0\.1@\d+, zone updated, [\d.]+ seconds, serial (\d+) -> (\d+)/.exec(after);
    expect(refresh).not.toBeNull();
    expect(Number(refresh![2])).toBeGreaterThan(Number(refresh![1]));
    expect(after).not.toMatch(/AXFR, incoming|denied|failed/);
    // The rest of the zone is still there on the secondary (the IXFR carried the launch only).
    expect(await knotAnswers('bulk7.marathon.mesos', 1000)).toEqual(['10.4.0.7']);
  }, 15_000);
});
