// `npm run soak` (issue 13): the real server binary under a minute of dnsperf load while a
// stand-in master changes the cluster every second (tasks launched and killed; a set of stable
// names that always exist), with a silent upstream listed before a good one and forwarded names
// in the query mix. Everything is on loopback; every upstream is a stand-in, never a real resolver.
// Alongside dnsperf a checking client asks for the stable names and records every rcode.
// It prints queries sent/answered/lost (split into our names and forwarded ones), the stable
// names' SERVFAILs and other failures, table swaps and the server's RSS before and after, and
// exits 1 when a goal is missed: 0 lost, 0 SERVFAIL (or other failure) for a stable name.
//
// Environment (all optional):
//   SOAK_SECONDS   length of the load (default 60)
//   SOAK_QPS       dnsperf -Q, the rate cap (default 2000)
//   SOAK_KEEP=1    keep the scratch directory (config, query file, dnsperf output)
//   BENCH_WORKERS  the server's `workers` key (default: the server's default)
import { createSocket } from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startUpstream } from '../test/helpers/upstream.js';
import { dnsperfArgs, parseDnsperfSummary } from './dnsperf.js';
import { installExitHandlers, killAllChildren, onExitCleanup, runCommand, treeMemoryKiB } from './processes.js';
import { envInt } from './report.js';
import { health, startOurServer, waitHealthy } from './server-process.js';

const SECONDS = envInt('SOAK_SECONDS', 60);
const QPS = envInt('SOAK_QPS', 2000);
const STABLE = 20;
/** Tasks launched, and as many killed, every second. */
const CHURN_PER_SECOND = 3;
/** Churning tasks alive at once. */
const CHURN_ALIVE = 30;
const FORWARDED_NAMES = 50;
/** TTL the good upstream gives, short so forwarding goes on through the run (not only the cache). */
const FORWARDED_TTL = 5;
/** The checking client: one stable-name query this often, each given this long to be answered. */
const CHECK_EVERY_MS = 10;
const CHECK_TIMEOUT_MS = 2000;

const stableNames = Array.from({ length: STABLE }, (_, i) => `stable-${i}`);

// --- the stand-in master -------------------------------------------------------------------------

class ChurningMaster {
  readonly #server: Server;
  port = 0;
  #next = 0;
  #churn: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  changes = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      req.resume();
      // No Operator API: the server polls /master/state every second (RefreshSeconds 1).
      if (req.url !== '/master/state') return void res.writeHead(404).end();
      const body = JSON.stringify(this.state());
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    for (let i = 0; i < CHURN_ALIVE; i++) this.#churn.push(`churn-${this.#next++}`);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    this.#timer = setInterval(() => {
      this.#churn.splice(0, CHURN_PER_SECOND);
      for (let i = 0; i < CHURN_PER_SECOND; i++) this.#churn.push(`churn-${this.#next++}`);
      this.changes++;
    }, 1000);
  }

  state(): Record<string, unknown> {
    const task = (name: string, agent: number) => ({
      id: `${name}.${this.changes}`,
      name,
      slave_id: `a${agent}`,
      state: 'TASK_RUNNING',
      resources: { ports: `[${31000 + agent}-${31000 + agent}]` },
      statuses: [],
    });
    return {
      leader: `master@127.0.0.1:${this.port}`,
      slaves: [0, 1, 2].map((a) => ({ id: `a${a}`, pid: `slave(1)@10.9.0.${a + 1}:5051`, hostname: `10.9.0.${a + 1}` })),
      frameworks: [
        {
          id: 'fw1',
          name: 'marathon',
          pid: 'scheduler@10.9.0.100:8080',
          tasks: [...stableNames.map((n, i) => task(n, i % 3)), ...this.#churn.map((n, i) => task(n, i % 3))],
        },
      ],
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

// --- the checking client -------------------------------------------------------------------------

interface CheckCounts {
  sent: number;
  rcodes: Record<string, number>;
  unanswered: number;
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

function aQuery(id: number, name: string): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

/** Asks for the stable names in turn until stopped; each reply's rcode is counted, no reply too. */
async function startChecker(port: number): Promise<{ stop(): Promise<CheckCounts> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const counts: CheckCounts = { sent: 0, rcodes: {}, unanswered: 0 };
  const pending = new Map<number, NodeJS.Timeout>();
  socket.on('message', (msg) => {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const timer = pending.get(id);
    if (!timer) return;
    clearTimeout(timer);
    pending.delete(id);
    const rcode = RCODE_NAMES[msg[3] & 0x0f] ?? `RCODE${msg[3] & 0x0f}`;
    // An answer with no record for a name that always exists is a failure as well.
    const answers = msg.readUInt16BE(6);
    const key = rcode === 'NOERROR' && answers === 0 ? 'NOERROR-empty' : rcode;
    counts.rcodes[key] = (counts.rcodes[key] ?? 0) + 1;
  });
  let id = 0;
  const ticker = setInterval(() => {
    id = (id + 1) & 0xffff;
    if (pending.has(id)) return;
    const name = `${stableNames[counts.sent % STABLE]}.marathon.mesos`;
    const mine = id;
    pending.set(
      mine,
      setTimeout(() => {
        pending.delete(mine);
        counts.unanswered++;
      }, CHECK_TIMEOUT_MS),
    );
    counts.sent++;
    socket.send(aQuery(mine, name), port, '127.0.0.1');
  }, CHECK_EVERY_MS);
  return {
    async stop() {
      clearInterval(ticker);
      // The last queries get their full time to be answered.
      const deadline = Date.now() + CHECK_TIMEOUT_MS + 500;
      while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      socket.close();
      return counts;
    },
  };
}

// --- the query mix --------------------------------------------------------------------------------

/** 60% stable names (A, and SRV for their ports), 30% churning names (present, past or future), 10% forwarded. */
function queryFile(): string {
  const churnNames = CHURN_ALIVE + CHURN_PER_SECOND * (SECONDS + 10);
  const lines: string[] = [];
  let seed = 12345;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 10_000; i++) {
    const r = next(100);
    if (r < 50) lines.push(`${stableNames[next(STABLE)]}.marathon.mesos A`);
    else if (r < 60) lines.push(`_${stableNames[next(STABLE)]}._tcp.marathon.mesos SRV`);
    else if (r < 90) lines.push(`churn-${next(churnNames)}.marathon.mesos A`);
    else lines.push(`fwd-${next(FORWARDED_NAMES)}.example.org A`);
  }
  return `${lines.join('\n')}\n`;
}

/** Lost queries by kind, from dnsperf -v's per-query lines (`> T name type` for a timeout). */
function lostByKind(verbose: string): { ours: number; forwarded: number } {
  const lost = { ours: 0, forwarded: 0 };
  for (const line of verbose.split('\n')) {
    if (!line.startsWith('> T ') && !line.startsWith('> I ')) continue;
    const name = line.split(' ')[2] ?? '';
    if (name.replace(/\.$/, '').endsWith('.example.org')) lost.forwarded++;
    else lost.ours++;
  }
  return lost;
}

// --- the run ---------------------------------------------------------------------------------------

const mib = (kib: number | undefined) => (kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`);

async function main(): Promise<number> {
  installExitHandlers();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mdns-soak-'));
  if (process.env.SOAK_KEEP !== '1') onExitCleanup(() => rmSync(dir, { recursive: true, force: true }));

  const master = new ChurningMaster();
  await master.start();
  // Silent: a bound UDP socket that reads every query and answers none.
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  silent.on('message', () => {});
  const silentAddress = `127.0.0.1:${silent.address().port}`;
  const records: Record<string, { name: string; type: 'A'; ttl: number; data: string }[]> = {};
  for (let i = 0; i < FORWARDED_NAMES; i++) records[`fwd-${i}.example.org`] = [{ name: `fwd-${i}.example.org`, type: 'A', ttl: FORWARDED_TTL, data: `192.0.2.${i + 1}` }];
  const good = await startUpstream({ records });

  const server = await startOurServer({
    dir,
    masters: [`127.0.0.1:${master.port}`],
    extra: { refreshSeconds: 1, externalon: true, resolvers: [silentAddress, good.address] },
  });
  process.stderr.write(`soak: server pid ${server.pid} on 127.0.0.1:${server.port}; master 127.0.0.1:${master.port}; resolvers ${silentAddress} (silent), ${good.address}\n`);
  await waitHealthy(server, 30_000);
  await new Promise((r) => setTimeout(r, 2000));
  const before = await treeMemoryKiB(server.pid);
  const generationBefore = (await health(server)).generation ?? 0;
  const changesBefore = master.changes;

  const queries = path.join(dir, 'queries.txt');
  writeFileSync(queries, queryFile());
  const verboseFile = path.join(dir, 'dnsperf.out');
  // Bounded in time (-l) and count (-Q caps the rate, -n the passes over the file).
  const args = [...dnsperfArgs({ port: server.port, queryFile: queries, seconds: SECONDS, clients: 2, outstanding: 500, maxQps: QPS }), '-n', '100', '-v'];
  process.stderr.write(`soak: dnsperf ${args.join(' ')} (${SECONDS} s)\n`);
  const checker = await startChecker(server.port);
  const fd = openSync(verboseFile, 'w');
  let result;
  try {
    result = await runCommand('dnsperf', args, { timeoutMs: (SECONDS + 30) * 1000, stdio: ['ignore', fd, 'pipe'] });
  } finally {
    closeSync(fd);
  }
  const checked = await checker.stop();
  if (result.code !== 0) throw new Error(`dnsperf exited ${result.code ?? result.signal}: ${result.stderr.trim()}`);
  const verbose = readFileSync(verboseFile, 'utf8');
  const report = verbose
    .split('\n')
    .filter((l) => !l.startsWith('> '))
    .join('\n');
  const stats = parseDnsperfSummary(report);
  const lost = lostByKind(verbose);
  const generationAfter = (await health(server)).generation ?? 0;
  const after = await treeMemoryKiB(server.pid);
  const alive = !server.exited();

  await server.stop();
  await master.close();
  await good.close();
  silent.close();

  const stableFailures = checked.sent - (checked.rcodes.NOERROR ?? 0);
  const servfails = checked.rcodes.SERVFAIL ?? 0;
  const rows: [string, string][] = [
    ['load', `${SECONDS} s, dnsperf -Q ${QPS} -c 2 -q 500; mix 60% stable (A, SRV), 30% churning, 10% forwarded`],
    ['queries sent', String(stats.sent)],
    ['queries answered', String(stats.completed)],
    ['queries lost', `${stats.lost} (our names ${lost.ours}, forwarded ${lost.forwarded})`],
    ['response codes', Object.entries(stats.rcodes).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['mean / max latency', `${stats.meanMs.toFixed(2)} ms / ${stats.maxMs.toFixed(0)} ms`],
    ['stable-name checks', `${checked.sent} sent: ${Object.entries(checked.rcodes).map(([k, v]) => `${k} ${v}`).join(', ')}, unanswered ${checked.unanswered}`],
    ['stable-name SERVFAILs', String(servfails)],
    ['state changes / table swaps', `${master.changes - changesBefore} / ${generationAfter - generationBefore}`],
    ['RSS before / after', `${mib(before?.rss)} / ${mib(after?.rss)} (${after?.processes ?? '?'} processes)`],
    ['server alive at the end', alive ? 'yes' : 'NO'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n\n`);

  const missed: string[] = [];
  if (stats.lost > 0) missed.push(`${stats.lost} queries lost (goal 0)${lost.forwarded > 0 ? `, ${lost.forwarded} of them forwarded (the silent upstream is tried first)` : ''}`);
  if (servfails > 0) missed.push(`${servfails} SERVFAILs for stable names (goal 0)`);
  if (stableFailures - servfails > 0) missed.push(`${stableFailures - servfails} other failures for stable names (goal 0)`);
  if (generationAfter - generationBefore === 0) missed.push('no table swap during the run');
  if (!alive) missed.push('the server exited');
  if (missed.length > 0) {
    process.stdout.write(`goals missed:\n${missed.map((m) => `  - ${m}`).join('\n')}\n`);
    return 1;
  }
  process.stdout.write('all goals met\n');
  return 0;
}

main().then(
  (code) => {
    killAllChildren();
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAllChildren();
    process.exit(1);
  },
);
