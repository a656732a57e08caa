// The fuzz run (`npm run fuzz`, and a small sample in `npm test`): the real server binary, serving
// a generated state file, forwarding to a stand-in upstream on loopback (never 8.8.8.8), gets
// malformed UDP datagrams and malformed TCP streams, then must still answer over UDP and TCP,
// with no DNS worker restarted, no error logged, no internal error counted, every reply within
// its size limit and carrying its query's ID, and its RSS grown by at most a stated bound.
//
// Datagrams come from the generators the property tests use (test/helpers/wire-arbitraries.ts:
// random bytes, mutated valid queries, truncations, lying counts, pointer loops, label overruns,
// EDNS and TSIG rules broken one at a time), plus truncated headers, every count at 65535 and
// oversize datagrams. They go out in batches; each batch waits for its replies (or a short
// silence) before the next, which bounds the rate and lets each reply be matched to its query
// by ID. Everything stays on 127.0.0.1.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { maxResponseSize } from '../src/dns/wire/encode.js';
import { parseQuery } from '../src/dns/wire/parse-query.js';
import { DEFAULTS } from '../src/config/typed.js';
import { brokenQueryArb, buildQuery, garbageArb, namedQueryArb, oddQueryArb, plainQuerySpec, querySpecArb } from '../test/helpers/wire-arbitraries.js';
import { queryUdp } from './dns-probe.js';
import { startEchoUpstream } from './echo-upstream.js';
import { generateState, generateStateText } from './gen-state.js';
import { memoryKiB } from './processes.js';
import { health, startOurServer, waitHealthy, type OurServer } from './server-process.js';
import { benchTable } from './state-table.js';
import { fuzzStreams, type StreamTally } from './fuzz-tcp.js';

export interface FuzzOptions {
  udpPackets: number;
  tcpStreams: number;
  /** Replays a run. */
  seed: number;
  /** Stop sending once this much time has passed (the checks still run). */
  timeLimitMs: number;
  /** Largest RSS growth allowed from after the warm-up to the end, MiB. */
  rssBoundMiB: number;
  /** Valid and malformed datagrams sent before the RSS baseline is read. */
  warmupPackets: number;
  /**
   * Before each RSS reading, make every thread collect its garbage (see settledRss); adds about
   * 25 s. Without it the readings include garbage not yet collected.
   */
  settleGc?: boolean;
  /** Progress lines; default: none. */
  progress?: (line: string) => void;
}

export interface FuzzReport {
  udpSent: number;
  /** Datagrams answered, by RCODE name. */
  udpReplies: Record<string, number>;
  udpSilent: number;
  /** Replies that came after their batch's wait (counted, not matched). */
  udpLate: number;
  /** Second replies to one datagram (a failure). */
  udpDuplicates: number;
  tcp: StreamTally;
  /** Messages the stand-in upstream received (forwarded names). */
  forwarded: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** The RSS readings followed a full GC in every thread (FuzzOptions.settleGc). */
  settled: boolean;
  workerRestarts: number;
  errorLines: number;
  internalErrors: number;
  durationMs: number;
  failures: string[];
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH'];
export const rcodeName = (r: number): string => RCODE_NAMES[r] ?? `RCODE${r}`;

const BATCH = 100;
/** A batch is over when this long passes without a reply, or at BATCH_MAX_MS. */
const QUIET_MS = 40;
const BATCH_MAX_MS = 500;

function datagramArb(names: readonly string[]): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 3, arbitrary: garbageArb },
    { weight: 4, arbitrary: brokenQueryArb },
    { weight: 2, arbitrary: oddQueryArb },
    { weight: 3, arbitrary: namedQueryArb(names, [1, 28, 33, 2, 6, 255]) },
    { weight: 1, arbitrary: querySpecArb.map(buildQuery) },
    // Truncated headers.
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 11 }).map((a) => Buffer.from(a)) },
    // Every count 65535.
    { weight: 1, arbitrary: querySpecArb.map((s) => Buffer.from(buildQuery(s)).fill(0xff, 4, 12)) },
    // Oversize: past any EDNS size and past the IPv4 MTU, up to the largest UDP payload.
    { weight: 1, arbitrary: fc.tuple(querySpecArb, fc.integer({ min: 1500, max: 65507 })).map(([s, n]) => padTo(buildQuery(s), n)) },
  );
}

/** `message` followed by zeros up to `size` octets, cut at the largest UDP payload (65,507). */
function padTo(message: Buffer, size: number): Buffer {
  const out = Buffer.alloc(Math.min(Math.max(size, message.length), 65507));
  message.copy(out, 0, 0, out.length);
  return out;
}

/**
 * The most a UDP reply to `datagram` may be (maxResponseSize, encode.ts). Read with the
 * server's own parser, whose correctness the property tests check; should it throw, the
 * largest limit any reply can have, so that the server, not this harness, is what gets tested.
 */
function udpLimit(datagram: Buffer): number {
  try {
    const parsed = parseQuery(datagram);
    return maxResponseSize(parsed.kind === 'query' ? parsed.query : undefined, 'udp', DEFAULTS.EDNSMaxUDPSize);
  } catch {
    return DEFAULTS.EDNSMaxUDPSize;
  }
}

/** Sends `packets` (IDs rewritten to 0..n-1 + base) and collects the replies. */
async function sendBatch(
  socket: Socket,
  port: number,
  packets: Buffer[],
  base: number,
  report: FuzzReport,
  replies: Map<number, (msg: Buffer) => void>,
  answeredIds: Set<number>,
): Promise<void> {
  const pending = new Map<number, number>(); // id -> UDP limit
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i];
    const id = (base + i) & 0xffff;
    if (p.length >= 2) p.writeUInt16BE(id, 0);
    if (p.length >= 12) pending.set(id, udpLimit(p));
  }
  let lastReply = Date.now();
  let answered = 0;
  for (const [id, limit] of pending) {
    replies.set(id, (msg) => {
      lastReply = Date.now();
      answered++;
      answeredIds.add(id);
      replies.delete(id);
      pending.delete(id);
      const rcode = rcodeName(msg[3] & 0x0f);
      report.udpReplies[rcode] = (report.udpReplies[rcode] ?? 0) + 1;
      if (msg.length > limit) report.failures.push(`a UDP reply of ${msg.length} octets exceeded its limit of ${limit}`);
      if ((msg[2] & 0x80) === 0) report.failures.push('a UDP reply without QR');
    });
  }
  await Promise.all(packets.map((p) => new Promise<void>((resolve) => socket.send(p, port, '127.0.0.1', () => resolve()))));
  report.udpSent += packets.length;
  const sentAt = Date.now();
  while (pending.size > 0 && Date.now() - sentAt < BATCH_MAX_MS && Date.now() - Math.max(lastReply, sentAt) < QUIET_MS) {
    await new Promise((r) => setTimeout(r, 3));
  }
  for (const id of pending.keys()) replies.delete(id);
  report.udpSilent += packets.length - answered;
}

async function fuzzUdp(
  port: number,
  count: number,
  seed: number,
  names: readonly string[],
  deadline: number,
  report: FuzzReport,
  progress?: (l: string) => void,
  pid?: number,
): Promise<void> {
  const socket = createSocket('udp4');
  const replies = new Map<number, (msg: Buffer) => void>();
  /** IDs of the current batch already answered: another reply with one of them is a duplicate. */
  const answeredIds = new Set<number>();
  socket.on('message', (msg) => {
    const id = msg.length >= 2 ? msg.readUInt16BE(0) : -1;
    const handler = replies.get(id);
    if (handler) handler(msg);
    else if (answeredIds.has(id)) report.udpDuplicates++;
    else report.udpLate++;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const arb = datagramArb(names);
  try {
    for (let batch = 0; report.udpSent < count && Date.now() < deadline; batch++) {
      const n = Math.min(BATCH, count - report.udpSent);
      const packets = fc.sample(arb, { numRuns: n, seed: seed + batch });
      answeredIds.clear();
      await sendBatch(socket, port, packets, batch * BATCH, report, replies, answeredIds);
      if (progress && batch % 100 === 99) progress(`udp: ${report.udpSent} sent${pid ? `, RSS ${(((await memoryKiB(pid))?.rss ?? 0) / 1024).toFixed(1)} MiB` : ''}`);
    }
  } finally {
    socket.close();
  }
}

/**
 * RSS once every thread has run a full garbage collection: touching the state file makes the
 * server re-read it and swap in a new table generation, and after a swap each thread collects
 * (collect-garbage.ts: DNS workers after 0.5 s, the main thread, which also gives pages back,
 * at most every 10 s). Without this, RSS shows V8's heap growing until its next major GC, which
 * is not a leak.
 */
async function settledRss(server: OurServer, stateFile: string): Promise<number> {
  const before = await health(server);
  const at = new Date(Date.now() + 1000);
  utimesSync(stateFile, at, at);
  await waitHealthy(server, 30_000, (before.generation ?? 0) + 1);
  await new Promise((r) => setTimeout(r, 11_000));
  return (await memoryKiB(server.pid))?.rss ?? 0;
}

/** GET /metrics, the value of one counter (0 when absent). */
async function counter(server: OurServer, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** One query over TCP; resolves with the reply's RCODE and answer count. */
function queryTcp(port: number, query: Buffer): Promise<{ rcode: number; answers: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no TCP answer within 2 s'));
    }, 2000);
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ rcode: data[5] & 0x0f, answers: data.readUInt16BE(8) });
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    const length = Buffer.alloc(2);
    length.writeUInt16BE(query.length);
    socket.write(Buffer.concat([length, query]));
  });
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const report: FuzzReport = {
    udpSent: 0,
    udpReplies: {},
    udpSilent: 0,
    udpLate: 0,
    udpDuplicates: 0,
    tcp: { streams: 0, replies: {}, closedByServer: 0, strayIds: 0 },
    forwarded: 0,
    rssBeforeKiB: 0,
    rssAfterKiB: 0,
    settled: o.settleGc ?? false,
    workerRestarts: 0,
    errorLines: 0,
    internalErrors: 0,
    durationMs: 0,
    failures: [],
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mdns-fuzz-'));
  const upstream = await startEchoUpstream();
  let server: OurServer | undefined;
  try {
    const stateFile = path.join(dir, 'state.json');
    writeFileSync(stateFile, generateStateText(200, o.seed));
    const names = [...benchTable(generateState(200, o.seed)).names.keys()];
    let log = '';
    server = await startOurServer({
      dir,
      stateFile,
      // Forwarding on, to the stand-in only: nothing leaves 127.0.0.1.
      extra: { externalon: true, resolvers: [upstream.address], zoneResolvers: {} },
      onOutput: (chunk) => {
        log += chunk;
        const lines = log.split('\n');
        log = lines.pop() ?? '';
        for (const line of lines) {
          if (line.includes('DNS worker exited')) report.workerRestarts++;
          const level = /"level":(\d+)/.exec(line);
          if (level && Number(level[1]) >= 50) {
            report.errorLines++;
            if (report.errorLines <= 3) report.failures.push(`the server logged an error: ${line.slice(0, 300)}`);
          }
        }
      },
    });
    await waitHealthy(server, 30_000);
    // Warm-up: the same mix (the heaps of every thread grow to their working size), then the
    // baseline. The time limit counts from after it.
    const warm: FuzzReport = { ...report, udpReplies: {}, failures: report.failures };
    await fuzzUdp(server.port, o.warmupPackets, o.seed + 7_000_000, names, Date.now() + o.timeLimitMs, warm, o.progress && ((l) => o.progress!(`warm-up ${l}`)), server.pid);
    const deadline = Date.now() + o.timeLimitMs;
    report.rssBeforeKiB = o.settleGc ? await settledRss(server, stateFile) : ((await memoryKiB(server.pid))?.rss ?? 0);

    o.progress?.(`fuzzing: ${o.udpPackets} datagrams, ${o.tcpStreams} TCP streams`);
    await fuzzUdp(server.port, o.udpPackets, o.seed, names, deadline, report, o.progress, server.pid);
    report.tcp = await fuzzStreams(server.port, o.tcpStreams, o.seed, names, deadline);

    // Still serving?
    if (server.exited()) report.failures.push(`the server exited:\n${server.output()}`);
    const udp = await queryUdp(server.port, 'leader.mesos', 'A', 2000).catch((err: Error) => err);
    if (udp instanceof Error || udp.rcode !== 0 || udp.answers < 1) report.failures.push(`leader.mesos A over UDP: ${udp instanceof Error ? udp.message : JSON.stringify(udp)}`);
    const tcp = await queryTcp(server.port, buildQuery(plainQuerySpec('leader.mesos', 1))).catch((err: Error) => err);
    if (tcp instanceof Error || tcp.rcode !== 0 || tcp.answers < 1) report.failures.push(`leader.mesos A over TCP: ${tcp instanceof Error ? tcp.message : JSON.stringify(tcp)}`);
    const forwarded = await queryUdp(server.port, 'fuzz.example', 'A', 2000).catch((err: Error) => err);
    if (forwarded instanceof Error || forwarded.rcode !== 3) report.failures.push(`fuzz.example A (forwarded to the stand-in): ${forwarded instanceof Error ? forwarded.message : JSON.stringify(forwarded)}`);

    report.internalErrors = await counter(server, 'mesos_dns_internal_errors_total');
    if (report.internalErrors > 0) report.failures.push(`${report.internalErrors} internal errors (mesos_dns_internal_errors_total)`);
    if (report.udpDuplicates > 0) report.failures.push(`${report.udpDuplicates} datagrams got a second reply`);
    if (report.workerRestarts > 0) report.failures.push(`${report.workerRestarts} DNS worker restarts`);
    report.rssAfterKiB = o.settleGc ? await settledRss(server, stateFile) : ((await memoryKiB(server.pid))?.rss ?? 0);
    const grownMiB = (report.rssAfterKiB - report.rssBeforeKiB) / 1024;
    if (grownMiB > o.rssBoundMiB) report.failures.push(`RSS grew by ${grownMiB.toFixed(1)} MiB (bound ${o.rssBoundMiB} MiB)`);
    if (report.udpSent < o.udpPackets || report.tcp.streams < o.tcpStreams) {
      report.failures.push(`the time limit (${o.timeLimitMs} ms) cut the run short: ${report.udpSent} datagrams, ${report.tcp.streams} streams sent`);
    }
    report.failures.push(...report.tcp.failures ?? []);
  } finally {
    report.forwarded = upstream.received();
    await server?.stop();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
    report.durationMs = Date.now() - started;
  }
  return report;
}

export function formatFuzzReport(r: FuzzReport): string {
  const byRcode = (m: Record<string, number>): string =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const mib = (kib: number): string => (kib / 1024).toFixed(1);
  return [
    `UDP datagrams sent      ${r.udpSent}`,
    `  replies by rcode      ${byRcode(r.udpReplies)}`,
    `  silent drops          ${r.udpSilent}`,
    `  late replies          ${r.udpLate}`,
    `  duplicate replies     ${r.udpDuplicates}`,
    `TCP streams             ${r.tcp.streams}`,
    `  replies by rcode      ${byRcode(r.tcp.replies)}`,
    `  closed by the server  ${r.tcp.closedByServer}`,
    `forwarded to stand-in   ${r.forwarded}`,
    `RSS after warm-up       ${mib(r.rssBeforeKiB)} MiB${r.settled ? ' (after a full GC in every thread)' : ''}`,
    `RSS at the end          ${mib(r.rssAfterKiB)} MiB (${r.rssAfterKiB >= r.rssBeforeKiB ? '+' : ''}${mib(r.rssAfterKiB - r.rssBeforeKiB)} MiB)`,
    `DNS worker restarts     ${r.workerRestarts}`,
    `error log lines         ${r.errorLines}`,
    `internal errors         ${r.internalErrors}`,
    `duration                ${(r.durationMs / 1000).toFixed(1)} s`,
    r.failures.length === 0 ? 'all checks passed' : `FAILED:\n  ${r.failures.join('\n  ')}`,
  ].join('\n');
}
