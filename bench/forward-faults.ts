// Forwarding with a dead upstream (issue 13): the real binary with `resolvers` = [silent, good]
// (both stand-ins on loopback, in this process), `timeout` 5 s, the forwarding cache off so
// every query goes upstream. Measures the first query (the silent one's per-try deadline plus
// the good one's RTT), the second (which marks the silent one down), then sequential queries
// once it is down (p50/p99/max), what the silent one received meanwhile (probes only), and with
// every upstream silent how long SERVFAIL takes. Before this work, every query of the first
// setup took 5.06 s and three dead upstreams 15 s.
import { createSocket, type Socket } from 'node:dgram';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { quantile } from './dnsperf.js';
import { repoRoot } from './processes.js';
import { fixed, markdownTable } from './report.js';
import { startOurServer, waitHealthy, type OurServer } from './server-process.js';

export interface ForwardFaultsResult {
  firstMs: number;
  secondMs: number;
  queries: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Queries (not probes) the silent upstream received after it was marked down. */
  silentQueriesAfterDown: number;
  silentProbes: number;
  probeWindowMs: number;
  allDeadServfailMs: number[];
}

interface StandIn {
  socket: Socket;
  port: number;
  queries: number;
  probes: number;
}

async function standIn(answer: boolean): Promise<StandIn> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const s: StandIn = { socket, port: socket.address().port, queries: 0, probes: 0 };
  socket.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const question = q.questions?.[0];
    if (question?.name === '.' && question.type === 'NS') s.probes++;
    else s.queries++;
    if (!answer) return;
    const reply = dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: q.questions,
      answers: question?.type === 'A' ? [{ name: question.name, type: 'A', ttl: 60, data: '192.0.2.53' }] : [],
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  return s;
}

/** One A query over UDP; resolves with the milliseconds to the reply and its rcode. */
function timedQuery(port: number, name: string, timeoutMs = 10_000): Promise<{ ms: number; rcode: number }> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const id = (Math.random() * 65536) | 0;
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no reply for ${name} within ${timeoutMs} ms`));
    }, timeoutMs);
    let sent = 0;
    socket.on('message', (msg) => {
      if (msg.readUInt16BE(0) !== id) return;
      const ms = performance.now() - sent;
      clearTimeout(timer);
      socket.close();
      resolve({ ms, rcode: msg[3] & 0x0f });
    });
    sent = performance.now();
    socket.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] }), port, '127.0.0.1');
  });
}

async function server(dir: string, resolvers: number[], timeout: number): Promise<OurServer> {
  const s = await startOurServer({
    dir,
    stateFile: path.join(repoRoot(), 'test', 'fixtures', 'mesos-state-fake.json'),
    masters: [],
    extra: { externalon: true, resolvers: resolvers.map((p) => `127.0.0.1:${p}`), timeout, ForwardCacheSize: 0, workers: 1 },
  });
  await waitHealthy(s, 30_000);
  return s;
}

export async function runForwardFaults(o: { dir: string; queries: number; progress: (line: string) => void }): Promise<ForwardFaultsResult> {
  const silent = await standIn(false);
  const good = await standIn(true);
  const dead = [await standIn(false), await standIn(false), await standIn(false)];
  try {
    const s = await server(o.dir, [silent.port, good.port], 5);
    let firstMs: number;
    let secondMs: number;
    const latencies = new Float64Array(o.queries);
    let silentQueriesAfterDown: number;
    let silentProbes: number;
    let probeWindowMs: number;
    try {
      firstMs = (await timedQuery(s.port, 'q1.example.org')).ms;
      secondMs = (await timedQuery(s.port, 'q2.example.org')).ms;
      o.progress(`first ${firstMs.toFixed(0)} ms, second ${secondMs.toFixed(0)} ms; ${o.queries} queries with the silent one down`);
      const queriesBefore = silent.queries;
      const probesBefore = silent.probes;
      const started = performance.now();
      for (let i = 0; i < o.queries; i++) latencies[i] = (await timedQuery(s.port, `n${i}.example.org`)).ms;
      probeWindowMs = performance.now() - started;
      silentQueriesAfterDown = silent.queries - queriesBefore;
      silentProbes = silent.probes - probesBefore;
    } finally {
      await s.stop();
    }
    const sorted = latencies.slice().sort();
    const allDead = await server(o.dir, dead.map((d) => d.port), 1);
    const allDeadServfailMs: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const r = await timedQuery(allDead.port, `dead${i}.example.org`);
        if (r.rcode !== 2) throw new Error(`all upstreams dead: rcode ${r.rcode}, expected SERVFAIL`);
        allDeadServfailMs.push(r.ms);
      }
    } finally {
      await allDead.stop();
    }
    return {
      firstMs,
      secondMs,
      queries: o.queries,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      maxMs: sorted[sorted.length - 1],
      silentQueriesAfterDown,
      silentProbes,
      probeWindowMs,
      allDeadServfailMs,
    };
  } finally {
    for (const u of [silent, good, ...dead]) u.socket.close();
  }
}

export function formatForwardFaults(r: ForwardFaultsResult): string {
  const rows = [
    ['[silent, good]: first query (deadline 400 ms + good RTT)', fixed(r.firstMs, 1)],
    ['[silent, good]: second query (marks the silent one down)', fixed(r.secondMs, 1)],
    [`[silent, good]: next ${r.queries} queries, p50`, fixed(r.p50Ms, 2)],
    [`[silent, good]: next ${r.queries} queries, p99`, fixed(r.p99Ms, 2)],
    [`[silent, good]: next ${r.queries} queries, max`, fixed(r.maxMs, 2)],
    ['[silent x3], timeout 1 s: SERVFAIL after (3 queries)', r.allDeadServfailMs.map((v) => v.toFixed(0)).join(', ')],
  ];
  return (
    `${markdownTable(['case', 'ms'], rows)}\n\n` +
    `While down, the silent upstream received ${r.silentQueriesAfterDown} queries and ${r.silentProbes} probes ` +
    `in ${(r.probeWindowMs / 1000).toFixed(1)} s (one per ForwardHealthCheckMs, 500 ms).`
  );
}
