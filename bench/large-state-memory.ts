// Memory around one huge /master/state body (issue 13 item 4): does the server give it back?
// Each case runs a fresh real binary that polls a stand-in master every 2 s. The master serves a
// small state (2,000 tasks) first, then once the huge body, then the small state again; RSS is
// read before, at its peak (VmHWM), and once the server has polled the small state for a while.
//
// The huge bodies are a real 2,000-task state padded, as real big states are, with
// `completed_frameworks` full of finished tasks, which DNS does not read. They are made while
// being sent, so the benchmark holds none of them. Cases:
//   accepted: ~250 MB with Content-Length (under the default StateMaxBytes, 256 MiB), read;
//   refused by length: 400 MB announced, refused on the header;
//   refused while read: 400 MB chunked, refused when 256 MiB have been read.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateStateText } from './gen-state.js';
import { fixed, markdownTable } from './report.js';
import { memoryKiB, waitFor } from './processes.js';
import { startOurServer, type OurServer } from './server-process.js';

type Body = 'small' | 'big-length' | 'big-chunked';

export interface MemoryCase {
  name: string;
  big: Body;
  bigBytes: number;
  /** KiB */
  before: number;
  peak: number;
  afterBig: number;
  steady: number;
  outcome: string;
}

const SMALL_TASKS = 2000;
const PIECE = 1 << 20;

/** A finished task as Mesos lists it under completed_tasks, padded to about 1 KiB. */
function completedTask(i: number): string {
  return JSON.stringify({
    id: `done-${i}.${'0'.repeat(36)}`,
    name: `done-${i}`,
    framework_id: 'done-framework',
    executor_id: '',
    slave_id: 'S0',
    state: 'TASK_FINISHED',
    resources: { cpus: 0.1, mem: 32, disk: 0, ports: '[31000-31001]' },
    labels: [{ key: 'note', value: 'x'.repeat(700) }],
  });
}

/** The small state with `total` bytes' worth of completed tasks, as pieces made on demand. */
function* paddedBody(small: string, total: number): Generator<Buffer> {
  const head = `${small.slice(0, small.lastIndexOf('}'))},"completed_frameworks":[{"id":"done-framework","completed_tasks":[`;
  const tail = ']}]}';
  yield Buffer.from(head);
  let sent = head.length + tail.length;
  const item = completedTask(0);
  let piece: string[] = [];
  let pieceBytes = 0;
  for (let i = 0; sent + item.length + 1 <= total; i++) {
    const text = (i === 0 ? '' : ',') + item;
    piece.push(text);
    pieceBytes += text.length;
    sent += text.length;
    if (pieceBytes >= PIECE) {
      yield Buffer.from(piece.join(''));
      piece = [];
      pieceBytes = 0;
    }
  }
  if (piece.length) yield Buffer.from(piece.join(''));
  // Spaces (JSON whitespace) make the length exact.
  yield Buffer.from(' '.repeat(total - sent) + tail);
}

class Master {
  server: Server;
  port = 0;
  next: Body = 'small';
  bigBytes = 0;
  small = '';
  /** Big bodies handed out, and whether each was sent to its end. */
  bigSent: boolean[] = [];

  constructor() {
    this.server = createServer((req, res) => {
      req.resume();
      if (req.url !== '/master/state') return void res.writeHead(404).end();
      const body = this.next;
      if (body === 'small') return void res.writeHead(200, { 'content-type': 'application/json', 'content-length': this.small.length }).end(this.small);
      this.next = 'small';
      this.#sendBig(res, body);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.small = generateStateText(SMALL_TASKS, 7, { leader: `master@127.0.0.1:${this.port}` });
  }

  #sendBig(res: ServerResponse, body: Body): void {
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (body === 'big-length') headers['content-length'] = this.bigBytes;
    res.writeHead(200, headers);
    const index = this.bigSent.push(false) - 1;
    const pieces = paddedBody(this.small, this.bigBytes);
    const pump = (): void => {
      for (;;) {
        const next = pieces.next();
        if (next.done) {
          res.end(() => (this.bigSent[index] = true));
          return;
        }
        if (!res.write(next.value)) return void res.once('drain', pump);
      }
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function ready(server: OurServer): Promise<{ generation: number; lastStateError: string | null }> {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/ready`, { signal: AbortSignal.timeout(20_000) });
  return (await res.json()) as { generation: number; lastStateError: string | null };
}

const rssKiB = async (pid: number): Promise<{ rss: number; peak: number }> => (await memoryKiB(pid)) ?? { rss: 0, peak: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runCase(dir: string, name: string, big: Body, bigBytes: number, settleMs: number, progress: (l: string) => void): Promise<MemoryCase> {
  const master = new Master();
  await master.start();
  master.bigBytes = bigBytes;
  const server = await startOurServer({ dir, masters: [`127.0.0.1:${master.port}`], extra: { refreshSeconds: 2, streamOn: false, workers: 1 } });
  try {
    await waitFor('the first table', async () => ((await ready(server)).generation >= 1 ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 });
    await sleep(4000);
    const before = (await rssKiB(server.pid)).rss;
    const generation = (await ready(server)).generation;
    master.next = big;
    // The poll after the big one is small again: a new generation (accepted) or an error (refused).
    const outcome = await waitFor(
      `the ${name} body to be read or refused`,
      async () => {
        const r = await ready(server);
        if (master.bigSent.length === 0) return undefined;
        if (r.lastStateError?.includes('StateMaxBytes')) return 'refused';
        return r.generation > generation ? 'accepted' : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    const afterBig = (await rssKiB(server.pid)).rss;
    progress(`${name}: ${outcome}; settling ${settleMs / 1000} s on the small state`);
    await sleep(settleMs);
    const m = await rssKiB(server.pid);
    return { name, big, bigBytes, before, peak: m.peak, afterBig, steady: m.rss, outcome };
  } finally {
    await server.stop();
    await master.close();
  }
}

export async function runLargeStateMemory(o: { dir: string; settleMs: number; progress: (l: string) => void }): Promise<MemoryCase[]> {
  const MB = 1_000_000;
  return [
    await runCase(o.dir, 'accepted, ~250 MB with Content-Length', 'big-length', 250 * MB, o.settleMs, o.progress),
    await runCase(o.dir, 'refused by its Content-Length, 400 MB', 'big-length', 400 * MB, o.settleMs, o.progress),
    await runCase(o.dir, 'refused while read, 400 MB chunked', 'big-chunked', 400 * MB, o.settleMs, o.progress),
  ];
}

export function formatLargeStateMemory(rows: MemoryCase[], settleMs: number): string {
  const mib = (kib: number) => fixed(kib / 1024, 0);
  return markdownTable(
    ['big body', 'outcome', 'RSS before, MiB', 'peak (VmHWM), MiB', 'RSS right after, MiB', `RSS after ${settleMs / 1000} s, MiB`],
    rows.map((r) => [r.name, r.outcome, mib(r.before), mib(r.peak), mib(r.afterBig), mib(r.steady)]),
  );
}
