// End to end on the real binary: from the moment a 100,000-task state arrives to the moment the
// server answers for its tasks, and the server's memory once it has settled.
//
// A stand-in master (node:http, 127.0.0.1) serves /master/state; the server polls it (stream off).
// "Arrival" is when the master has handed the last byte of the first response to the kernel;
// "serving" is the first NOERROR answer with data for the last task of the state, polled every
// 10 ms over UDP. The server polls every second; the stand-in master answers 503 (the server keeps
// its table) except when the benchmark grants it one more full response, so reloads happen one at
// a time, and RSS is read after the first load and after a number of reloads, each time once the
// server has been quiet for a few seconds.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateState } from './gen-state.js';
import { NOERROR, queryUdp } from './dns-probe.js';
import { fixed, grouped, markdownTable, median, mib } from './report.js';
import { treeMemoryKiB, waitFor, GiveUp } from './processes.js';
import { health, startOurServer, type OurServer } from './server-process.js';

export interface ServeTimeOptions {
  tasks: number;
  dir: string;
  /** Reloads to wait for before the steady-state reading. */
  reloads: number;
  /**
   * More first loads, each on a freshly started server: this many with the default state reader
   * and as many with NativeStateReader false, alternating, for medians that one run cannot give.
   */
  firstLoads: number;
  seed?: number;
}

export interface ServeTimeResult {
  tasks: number;
  jsonBytes: number;
  probeName: string;
  /** Server process spawned -> first answer for the last task. */
  startToServingMs: number;
  /** Last byte of the first /master/state response sent -> first answer for the last task. */
  arrivalToServingMs: number;
  /** Server process spawned -> its first /master/state request arrived. */
  startToRequestMs: number;
  afterLoad: { rss: number; peak: number; processes: number } | undefined;
  afterReloads: { rss: number; peak: number; processes: number } | undefined;
  reloadsSeen: number;
  /** Per reload: last byte of the response sent -> /health reports the new generation. */
  reloadArrivalToSwapMs: number[];
  /** State arrival -> serving on further fresh servers: the default reader, and JSON.parse. */
  firstLoadsMs: { native: number[]; json: number[] };
}

interface StandInMaster {
  server: Server;
  port: number;
  /** Full responses it may still give; otherwise it answers 503. */
  allowance: number;
  requests: number[];
  finishes: number[];
}

async function startStandInMaster(bodyFor: (port: number) => Buffer): Promise<StandInMaster> {
  let body: Buffer | undefined;
  const m: StandInMaster = { server: createServer(), port: 0, allowance: 1, requests: [], finishes: [] };
  m.server.on('request', (req, res) => {
    if (req.method === 'GET' && req.url === '/master/state' && body) {
      if (m.allowance <= 0) {
        res.writeHead(503).end();
        return;
      }
      m.allowance--;
      m.requests.push(Date.now());
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.on('finish', () => m.finishes.push(Date.now()));
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => m.server.listen(0, '127.0.0.1', resolve));
  m.port = (m.server.address() as AddressInfo).port;
  body = bodyFor(m.port);
  return m;
}

/** `<task label>.<framework>.mesos.` of the last task in document order. */
function lastTaskName(state: Record<string, unknown>): string {
  const frameworks = state.frameworks as { name: string; tasks: { name: string }[] }[];
  for (let i = frameworks.length - 1; i >= 0; i--) {
    const tasks = frameworks[i].tasks;
    if (tasks.length > 0) return `${tasks[tasks.length - 1].name.replace(/\./g, '-')}.${frameworks[i].name}.mesos.`;
  }
  throw new Error('serve-time: the generated state has no tasks');
}

/** When `server` first answers `probeName` with data (Date.now()). */
function servingAt(server: OurServer, probeName: string): Promise<number> {
  return waitFor(
    `our server to answer ${probeName}`,
    async () => {
      if (server.exited()) throw new GiveUp(`our server exited:\n${server.output().trim()}`);
      // A generous timeout: a query that arrives while the server is busy building is answered
      // as soon as it is free, and that moment is the one to catch.
      const r = await queryUdp(server.port, probeName, 'A', 2000).catch(() => undefined);
      return r && r.rcode === NOERROR && r.answers > 0 ? Date.now() : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 10 },
  );
}

/** A fresh server's first load: its state arrival -> its first answer for `probeName`, ms. */
async function firstLoad(master: StandInMaster, dir: string, probeName: string, extra: Record<string, unknown>): Promise<number> {
  master.allowance = 1;
  const response = master.finishes.length;
  const server = await startOurServer({ dir, masters: [`127.0.0.1:${master.port}`], extra: { streamOn: false, refreshSeconds: 1, ...extra } });
  try {
    return (await servingAt(server, probeName)) - master.finishes[response];
  } finally {
    await server.stop();
  }
}

export async function runServeTime(o: ServeTimeOptions): Promise<ServeTimeResult> {
  let probeName = '';
  let jsonBytes = 0;
  const master = await startStandInMaster((port) => {
    const state = generateState(o.tasks, o.seed ?? 1, { leader: `master@127.0.0.1:${port}` });
    probeName = lastTaskName(state);
    const body = Buffer.from(JSON.stringify(state));
    jsonBytes = body.length;
    return body;
  });
  let server: OurServer | undefined;
  try {
    server = await startOurServer({
      dir: o.dir,
      masters: [`127.0.0.1:${master.port}`],
      extra: { streamOn: false, refreshSeconds: 1 },
    });
    const s = server;
    const served = await servingAt(s, probeName);
    const arrival = master.finishes[0];
    const firstRequest = master.requests[0];

    // Settle, then read; then wait for the reloads and read again.
    await new Promise((r) => setTimeout(r, 3000));
    const afterLoad = await treeMemoryKiB(s.pid);
    let generation = await waitFor('/health of our server', async () => (await health(s)).generation, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const reloadMs: number[] = [];
    for (let i = 0; i < o.reloads; i++) {
      const response = master.finishes.length;
      master.allowance = 1;
      const target = generation + 1;
      generation = await waitFor(
        `reload ${i + 1} of our server (generation ${target})`,
        async () => {
          if (s.exited()) throw new GiveUp(`our server exited:\n${s.output().trim()}`);
          const h = await health(s);
          return (h.generation ?? 0) >= target ? h.generation : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 10 },
      );
      // Resolution: the 10 ms poll interval, plus however late /health answers while the
      // server is busy with the build.
      reloadMs.push(Date.now() - master.finishes[response]);
    }
    // Longer than after the first load: with reloads back to back the server compacts its heap
    // at most every 10 s (collect-garbage.ts), and steady state is after that.
    await new Promise((r) => setTimeout(r, 11_000));
    const afterReloads = await treeMemoryKiB(s.pid);
    await s.stop();
    server = undefined;
    const firstLoadsMs = { native: [] as number[], json: [] as number[] };
    for (let i = 0; i < o.firstLoads; i++) {
      // Alternating, so that both see the same phases of a noisy machine.
      firstLoadsMs.native.push(await firstLoad(master, o.dir, probeName, {}));
      firstLoadsMs.json.push(await firstLoad(master, o.dir, probeName, { NativeStateReader: false }));
    }
    return {
      tasks: o.tasks,
      jsonBytes,
      probeName,
      startToServingMs: served - s.spawnedAt,
      arrivalToServingMs: served - arrival,
      startToRequestMs: firstRequest - s.spawnedAt,
      afterLoad,
      afterReloads,
      reloadsSeen: reloadMs.length,
      reloadArrivalToSwapMs: reloadMs,
      firstLoadsMs,
    };
  } finally {
    await server?.stop();
    master.server.closeAllConnections();
    await new Promise<void>((resolve) => master.server.close(() => resolve()));
  }
}

export function formatServeTime(r: ServeTimeResult): string {
  return markdownTable(
    ['measure', 'value'],
    [
      ['tasks (state JSON MB)', `${grouped(r.tasks)} (${(r.jsonBytes / 1e6).toFixed(1)})`],
      ['process start -> first state request, ms', grouped(r.startToRequestMs)],
      ['state arrival -> serving the last task, ms', grouped(r.arrivalToServingMs)],
      ...(r.firstLoadsMs.native.length > 0
        ? [
            [
              `the same on ${r.firstLoadsMs.native.length} more fresh servers: median (each)`,
              `${grouped(median(r.firstLoadsMs.native))} (${r.firstLoadsMs.native.map((ms) => grouped(ms)).join(' / ')})`,
            ],
            [
              '... and alternating with those, NativeStateReader false (JSON.parse): median (each)',
              `${grouped(median(r.firstLoadsMs.json))} (${r.firstLoadsMs.json.map((ms) => grouped(ms)).join(' / ')})`,
            ],
          ]
        : []),
      ['process start -> serving the last task, ms', grouped(r.startToServingMs)],
      [
        'reload: state arrival -> new table swapped in, ms (each reload)',
        r.reloadArrivalToSwapMs.map((ms) => grouped(ms)).join(' / ') || 'n/a',
      ],
      ['RSS after the first load, MB', mib(r.afterLoad?.rss)],
      [`RSS after ${r.reloadsSeen} more reloads (steady state), MB`, mib(r.afterReloads?.rss)],
      ['peak RSS (VmHWM), MB', mib(r.afterReloads?.peak ?? r.afterLoad?.peak)],
      ['server processes', fixed(r.afterReloads?.processes ?? r.afterLoad?.processes, 0)],
    ],
  );
}
