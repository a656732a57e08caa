// The TCP half of the fuzz run (fuzz-run.ts): malformed DNS-over-TCP streams (RFC 1035 §4.2.2
// framing, RFC 7766 pipelining), a few at a time (fewer than TCPMaxClientConnections, so the
// per-client cap does not refuse them), each bounded in time. What the server does with a broken
// stream (answer what it can, stay silent, close) is up to it; what counts is that every reply
// frame carries the ID of a message of its stream and fits a frame, and that the server lives on.
import net from 'node:net';
import fc from 'fast-check';
import { brokenQueryArb, buildQuery, garbageArb, oddQueryArb, plainQuerySpec } from '../test/helpers/wire-arbitraries.js';

export interface StreamTally {
  streams: number;
  /** Reply frames, by RCODE name. */
  replies: Record<string, number>;
  /** Streams the server closed (FIN or reset) before we did. */
  closedByServer: number;
  /** Reply frames whose ID was not one of the stream's messages. */
  strayIds: number;
  failures?: string[];
}

const SCENARIOS = ['short-prefix', 'zero-length', 'long-prefix-close', 'garbage-after-valid', 'pipelined', 'half-open', 'random-bytes', 'one-byte', 'max-prefix'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Streams at once; TCPMaxClientConnections (16 per DNS thread) must not refuse them. */
const CONCURRENCY = 8;
/** A stream ends when it has been quiet this long after our last write, or at STREAM_MAX_MS. */
const QUIET_MS = 60;
const STREAM_MAX_MS = 1500;

function frame(message: Buffer, claimed = message.length): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(claimed & 0xffff);
  return Buffer.concat([length, message]);
}

interface Plan {
  scenario: Scenario;
  /** Written in order. */
  writes: Buffer[];
  /** Half-close (FIN) after writing; otherwise we hold the stream open until quiet. */
  end: boolean;
  /** IDs of the messages sent whole; undefined when broken framing lets any two octets become an ID. */
  ids: Set<number> | undefined;
}

function planArb(names: readonly string[]): fc.Arbitrary<Plan> {
  const valid = fc.tuple(fc.constantFrom(...names), fc.constantFrom(1, 28, 33), fc.nat(0xffff)).map(([name, qtype, id]) => {
    const q = buildQuery(plainQuerySpec(name, qtype));
    q.writeUInt16BE(id, 0);
    return q;
  });
  const broken = fc.oneof(garbageArb, brokenQueryArb, oddQueryArb).filter((b) => b.length >= 2);
  return fc
    .record({
      scenario: fc.constantFrom(...SCENARIOS),
      valid,
      broken,
      mix: fc.array(fc.tuple(fc.boolean(), valid, broken), { minLength: 2, maxLength: 20 }),
      cut: fc.nat(),
      noise: fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((a) => Buffer.from(a)),
    })
    .map(({ scenario, valid, broken, mix, cut, noise }) => {
      const ids = new Set<number>();
      const whole = (m: Buffer): Buffer => {
        if (m.length >= 2) ids.add(m.readUInt16BE(0));
        return m;
      };
      switch (scenario) {
        case 'short-prefix': // claims fewer octets than follow: the rest reads as the next frame
          return { scenario, writes: [frame(whole(valid), Math.max(0, valid.length - 1 - (cut % valid.length)))], end: true, ids: undefined };
        case 'zero-length':
          return { scenario, writes: [frame(Buffer.alloc(0)), frame(whole(valid))], end: false, ids };
        case 'long-prefix-close': // claims more than it sends, then FIN
          return { scenario, writes: [frame(broken, broken.length + 1 + (cut % 1000))], end: true, ids };
        case 'garbage-after-valid':
          return { scenario, writes: [frame(whole(valid)), noise], end: cut % 2 === 0, ids: undefined };
        case 'pipelined':
          return { scenario, writes: [Buffer.concat(mix.map(([ok, v, b]) => frame(ok ? whole(v) : whole(b))))], end: false, ids };
        case 'half-open': // RFC 7766 §6.2.4: a query then FIN; the answer is still due
          return { scenario, writes: [frame(whole(valid))], end: true, ids };
        case 'random-bytes':
          return { scenario, writes: [noise], end: cut % 2 === 0, ids: undefined };
        case 'one-byte':
          return { scenario, writes: [Buffer.from([cut & 0xff])], end: false, ids: undefined };
        case 'max-prefix': // a 65535-octet frame of noise around a query header
          return { scenario, writes: [frame(Buffer.concat([whole(valid), Buffer.alloc(65535 - valid.length, cut & 0xff)]))], end: false, ids };
      }
    });
}

function runStream(port: number, plan: Plan, tally: StreamTally): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let last = Date.now();
    const opened = Date.now();
    let done = false;
    const finish = (byServer: boolean): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      if (byServer) tally.closedByServer++;
      socket.destroy();
      resolve();
    };
    const timer = setInterval(() => {
      if (Date.now() - last > QUIET_MS || Date.now() - opened > STREAM_MAX_MS) finish(false);
    }, 10);
    socket.on('data', (chunk) => {
      last = Date.now();
      data = Buffer.concat([data, chunk]);
      while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        const reply = data.subarray(2, 2 + data.readUInt16BE(0));
        data = data.subarray(2 + reply.length);
        if (reply.length < 12) {
          tally.strayIds++;
          continue;
        }
        const rcode = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][reply[3] & 0x0f] ?? `RCODE${reply[3] & 0x0f}`;
        tally.replies[rcode] = (tally.replies[rcode] ?? 0) + 1;
        if (plan.ids && !plan.ids.has(reply.readUInt16BE(0))) tally.strayIds++;
      }
    });
    socket.on('end', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      for (const w of plan.writes) socket.write(w);
      if (plan.end) socket.end();
      last = Date.now();
    });
  });
}

export async function fuzzStreams(port: number, count: number, seed: number, names: readonly string[], deadline: number): Promise<StreamTally> {
  const tally: StreamTally = { streams: 0, replies: {}, closedByServer: 0, strayIds: 0, failures: [] };
  const plans = fc.sample(planArb(names), { numRuns: count, seed });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plans.length && Date.now() < deadline) {
      const plan = plans[next++];
      await runStream(port, plan, tally);
      tally.streams++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (tally.strayIds > 0) tally.failures!.push(`${tally.strayIds} TCP reply frames carried an ID no message of their stream had`);
  return tally;
}
