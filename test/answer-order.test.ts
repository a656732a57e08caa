// AnswerOrder (issue 15 item 6) against the whole server on loopback (main.ts's start(), one DNS
// thread, batched UDP, TCP), queried with dig: "round-robin" rotates each name's set one step per
// reply, "shuffle" (the default) sends a random permutation, over the UDP fast path, the
// ordinary path (a query with an EDNS option, which the fast path leaves to it) and TCP, and
// when the set must be truncated. Many queries go through one dig process (`dig -f`), so the
// counts are exact without spawning a process per query.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from './helpers/server.js';

const AGENTS = 3;
const BIG = 40;

/** Three "web" tasks on three agents (web.marathon.mesos: 3 A records, 3 SRV), and 40 "big" ones. */
function state(): Record<string, unknown> {
  const slaves = Array.from({ length: BIG }, (_, i) => ({ id: `a${i}`, pid: `slave(1)@10.1.0.${i + 1}:5051`, hostname: `10.1.0.${i + 1}` }));
  const task = (name: string, i: number) => ({
    id: `${name}.${i}`,
    name,
    slave_id: `a${i}`,
    state: 'TASK_RUNNING',
    resources: { ports: `[${31000 + i}-${31000 + i}]` },
    statuses: [],
  });
  return {
    leader: 'master@127.0.0.1:5050',
    slaves,
    frameworks: [
      {
        id: 'fw1',
        name: 'marathon',
        pid: 'scheduler@10.1.0.100:8080',
        tasks: [...Array.from({ length: AGENTS }, (_, i) => task('web', i)), ...Array.from({ length: BIG }, (_, i) => task('big', i))],
      },
    ],
  };
}

const WEB = Array.from({ length: AGENTS }, (_, i) => `10.1.0.${i + 1}`);
/** Ways to ask: the UDP fast path, the ordinary path (an EDNS option: the fast path declines), TCP. */
const PATHS: ReadonlyArray<[string, string[]]> = [
  ['UDP, fast path', ['+noedns']],
  ['UDP, ordinary path (EDNS option)', ['+ednsopt=65001:00']],
  ['TCP', ['+tcp', '+noedns']],
];

const servers: TestServer[] = [];
let stateFile = '';

async function serve(config: Record<string, unknown>): Promise<TestServer> {
  const s = await startTestServer({ stateFile, resolvers: [], externalOn: false, ...config });
  servers.push(s);
  for (let i = 0; i < 100; i++) {
    if ((await s.dig('+short', 'web.marathon.mesos', 'A')).trim() !== '') return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the table never loaded');
}

/** `n` queries for `name` through one dig process; each reply's records, in order (dig +short). */
async function ask(s: TestServer, n: number, name: string, type: string, options: string[], perReply: number): Promise<string[][]> {
  const batch = path.join(s.dir, `batch-${name}-${type}-${options.join('')}.txt`);
  await writeFile(batch, `${name} ${type}\n`.repeat(n));
  const lines = (await s.dig('+short', ...options, '-f', batch)).trim().split('\n');
  expect(lines).toHaveLength(n * perReply);
  return Array.from({ length: n }, (_, i) => lines.slice(i * perReply, (i + 1) * perReply));
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mdns-order-'));
  stateFile = path.join(dir, 'state.json');
  await writeFile(stateFile, JSON.stringify(state()));
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('AnswerOrder round-robin', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await serve({ answerOrder: 'round-robin' });
  });

  it.each(PATHS)('%s: 30 queries for 3 addresses lead with each exactly 10 times, in rotation order', async (_path, options) => {
    const replies = await ask(s, 30, 'web.marathon.mesos', 'A', options, AGENTS);
    for (const r of replies) expect([...r].sort()).toEqual(WEB);
    // Each reply is the table order rotated; the next one is rotated one step further.
    const start = WEB.indexOf(replies[0][0]);
    replies.forEach((r, i) => {
      const k = (start + i) % AGENTS;
      expect(r).toEqual([...WEB.slice(k), ...WEB.slice(0, k)]);
    });
    const firsts = new Map<string, number>();
    for (const r of replies) firsts.set(r[0], (firsts.get(r[0]) ?? 0) + 1);
    expect([...firsts.values()]).toEqual([10, 10, 10]);
  });

  it('SRV records rotate too, and their glue follows them', async () => {
    const out = await s.dig('+noedns', '+noall', '+answer', '+additional', '_web._tcp.marathon.mesos', 'SRV');
    const srv = out.split('\n').filter((l) => /\sSRV\s/.test(l));
    const glue = out.split('\n').filter((l) => /\sA\s/.test(l));
    expect(srv).toHaveLength(AGENTS);
    const targets = srv.map((l) => l.trim().split(/\s+/).pop());
    expect(glue.map((l) => l.split(/\s+/)[0])).toEqual(targets);
    const leaders = new Set((await ask(s, 6, '_web._tcp.marathon.mesos', 'SRV', ['+noedns'], AGENTS)).map((r) => r[0]));
    expect(leaders.size).toBe(AGENTS);
  });

  it('a set too large for 512 bytes is truncated (TC) and still rotates', async () => {
    const leaders: string[] = [];
    for (let i = 0; i < 4; i++) {
      const out = await s.dig('+noedns', '+ignore', '+notcp', 'big.marathon.mesos', 'A');
      expect(out).toMatch(/flags: qr aa tc rd/);
      leaders.push(/ANSWER SECTION:\n\S+\s+\d+\s+IN\s+A\s+(\S+)/.exec(out)![1]);
    }
    const n = (ip: string) => Number(ip.split('.')[3]);
    for (let i = 1; i < 4; i++) expect(n(leaders[i])).toBe((n(leaders[i - 1]) % BIG) + 1);
  });
});

describe('AnswerOrder shuffle (the default)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await serve({});
  });

  it.each(PATHS)('%s: over 200 queries every address leads, and the replies are not a rotation sequence', async (_path, options) => {
    const replies = await ask(s, 200, 'web.marathon.mesos', 'A', options, AGENTS);
    for (const r of replies) expect([...r].sort()).toEqual(WEB);
    // Each of the 3 leads with probability 1/3: missing one in 200 replies has odds below 1e-34.
    expect(new Set(replies.map((r) => r[0])).size).toBe(AGENTS);
    // Each position holds every address at some point, and orders that are no rotation of the
    // table order (3 of the 6 permutations) turn up.
    for (let p = 0; p < AGENTS; p++) expect(new Set(replies.map((r) => r[p])).size).toBe(AGENTS);
    const rotations = new Set(WEB.map((_, k) => [...WEB.slice(k), ...WEB.slice(0, k)].join()));
    expect(replies.filter((r) => !rotations.has(r.join())).length).toBeGreaterThan(0);
    // A rotation sequence would lead with the next address each time; shuffles repeat a leader
    // in about a third of consecutive replies.
    const repeats = replies.filter((r, i) => i > 0 && r[0] === replies[i - 1][0]).length;
    expect(repeats).toBeGreaterThan(20);
  });

  it('/v1/hosts and /v1/services list the same sets (in their own random order, as in mesos-dns)', async () => {
    const hosts = JSON.parse((await s.http('/v1/hosts/web.marathon.mesos')).body) as { ip: string }[];
    expect(hosts.map((h) => h.ip).sort()).toEqual(WEB);
    const services = JSON.parse((await s.http('/v1/services/_web._tcp.marathon.mesos')).body) as { ip: string; port: string }[];
    expect(services.map((r) => r.ip).sort()).toEqual(WEB);
    const srv = await ask(s, 1, '_web._tcp.marathon.mesos', 'SRV', ['+noedns'], AGENTS);
    expect(services.map((r) => r.port).sort()).toEqual(srv[0].map((l) => l.split(' ')[2]).sort());
  });

  it('a set too large for 512 bytes is truncated (TC), its records drawn from the whole set', async () => {
    const seen = new Set<string>();
    let perReply = 0;
    for (let i = 0; i < 4; i++) {
      const out = await s.dig('+noedns', '+ignore', '+notcp', 'big.marathon.mesos', 'A');
      expect(out).toMatch(/flags: qr aa tc rd/);
      const records = [...out.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]);
      perReply = records.length;
      for (const ip of records) seen.add(ip);
      // Not a run of the table order (what a rotation cut to size would send).
      const n = (ip: string) => Number(ip.split('.')[3]);
      expect(records.every((ip, j) => j === 0 || n(ip) === (n(records[j - 1]) % BIG) + 1)).toBe(false);
    }
    // 29 records fit in 512 bytes; cutting the table order (or one fixed order) would repeat them.
    expect(perReply).toBe(29);
    expect(seen.size).toBeGreaterThan(perReply);
  });
});

describe('AnswerOrder on SIGHUP', () => {
  it('a reload from shuffle to round-robin makes the next replies rotate', async () => {
    const s = await serve({});
    await s.writeConfig({ stateFile, resolvers: [], externalOn: false, answerOrder: 'round-robin' });
    expect(await s.running.reload()).toBe(true);
    const replies = await ask(s, 6, 'web.marathon.mesos', 'A', ['+noedns'], AGENTS);
    const start = WEB.indexOf(replies[0][0]);
    replies.forEach((r, i) => {
      const k = (start + i) % AGENTS;
      expect(r).toEqual([...WEB.slice(k), ...WEB.slice(0, k)]);
    });
  });
});
