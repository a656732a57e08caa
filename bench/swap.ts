// A 100,000-task table swap while queries run: dnsperf loads our server (state from a file) for a
// fixed time, and meanwhile the state file is replaced several times by states with the same
// names and different addresses, so every replacement is a full rebuild and swap of the table.
// The requirement: no query goes unanswered (dnsperf "lost" = 0) and none fails (SERVFAIL).
// dnsperf's per-second rate (-S 1) shows what the swaps cost the clients.
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runDnsperf, type DnsperfResult } from './dnsperf.js';
import { generateState } from './gen-state.js';
import { buildQueries } from './query-file.js';
import { fixed, grouped, markdownTable, median } from './report.js';
import { GiveUp, waitFor } from './processes.js';
import { health, startOurServer, waitHealthy, type OurServer } from './server-process.js';
import { benchTable } from './state-table.js';

export interface SwapOptions {
  tasks: number;
  dir: string;
  /** dnsperf run length; a new swap starts only while more than a few seconds remain. */
  seconds: number;
  clients: number;
  outstanding: number;
  queries: number;
  seed?: number;
  progress?: (line: string) => void;
}

export interface SwapResult {
  tasks: number;
  swaps: number;
  /** Wall-clock windows (epoch seconds) from writing a state to the server reporting its swap. */
  windows: { from: number; to: number }[];
  run: DnsperfResult;
}

/** Lead time before the first swap, pause after each swap, time left without swaps at the end; seconds. */
const LEAD_SECONDS = 3;
const GAP_SECONDS = 2;
const QUIET_SECONDS = 4;

type Json = Record<string, unknown>;

/**
 * The same state with every container IP moved to another /16 (172.16 -> 172.17 and back):
 * the same owner names, different A records, so a reload is a full build and a real change.
 */
function withShiftedContainerIps(state: Json, variant: number): string {
  const from = /^172\.\d+\./;
  const to = `172.${16 + variant}.`;
  return JSON.stringify(state, (key, value: unknown) => (key === 'ip_address' && typeof value === 'string' && from.test(value) ? value.replace(from, to) : value));
}

export async function runSwap(o: SwapOptions): Promise<SwapResult> {
  const log = o.progress ?? ((): void => undefined);
  const state = generateState(o.tasks, o.seed ?? 1);
  const variants = [withShiftedContainerIps(state, 0), withShiftedContainerIps(state, 1)];
  const stateFile = path.join(o.dir, 'swap-state.json');
  writeFileSync(stateFile, variants[0]);
  const lines = buildQueries(benchTable(state), { count: o.queries, seed: (o.seed ?? 1) + 1 });
  const queryFile = path.join(o.dir, 'swap-queries.txt');
  writeFileSync(queryFile, `${lines.join('\n')}\n`);

  let server: OurServer | undefined;
  try {
    server = await startOurServer({ dir: o.dir, stateFile });
    const s = server;
    let generation = (await waitHealthy(s, 120_000)).generation ?? 1;

    const load = runDnsperf({ port: s.port, queryFile, seconds: o.seconds, clients: o.clients, outstanding: o.outstanding, statsInterval: 1 });
    // A failure of dnsperf must not wait for the swap loop to notice.
    let loadDone = false;
    void load.then(
      () => (loadDone = true),
      () => (loadDone = true),
    );
    const started = Date.now();
    const windows: { from: number; to: number }[] = [];
    await new Promise((r) => setTimeout(r, LEAD_SECONDS * 1000));
    for (let i = 1; !loadDone && Date.now() - started < (o.seconds - QUIET_SECONDS) * 1000; i++) {
      const from = Date.now();
      // Write aside and rename: the server never reads a half-written file.
      const tmp = `${stateFile}.tmp`;
      writeFileSync(tmp, variants[i % 2]);
      renameSync(tmp, stateFile);
      const target = generation + 1;
      generation = await waitFor(
        `our server to swap in state ${i} (generation ${target})`,
        async () => {
          if (s.exited()) throw new GiveUp(`our server exited:\n${s.output().trim()}`);
          const h = await health(s);
          return (h.generation ?? 0) >= target ? h.generation : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      windows.push({ from: from / 1000, to: Date.now() / 1000 });
      log(`swap ${i}: state written -> swapped in ${grouped(Date.now() - from)} ms`);
      await new Promise((r) => setTimeout(r, GAP_SECONDS * 1000));
    }
    const run = await load;
    return { tasks: o.tasks, swaps: windows.length, windows, run };
  } finally {
    await server?.stop();
  }
}

/** Per-second rates that overlap a swap window, and the others. */
function splitIntervals(r: SwapResult): { during: number[]; outside: number[] } {
  const during: number[] = [];
  const outside: number[] = [];
  for (const iv of r.run.intervals) {
    // An interval line at time t covers (t - 1, t].
    const overlaps = r.windows.some((w) => iv.at > w.from && iv.at - 1 < w.to);
    (overlaps ? during : outside).push(iv.qps);
  }
  return { during, outside };
}

export function swapFailed(r: SwapResult): boolean {
  const failed = Object.entries(r.run.rcodes).some(([code, n]) => code !== 'NOERROR' && code !== 'NXDOMAIN' && n > 0);
  return r.run.lost > 0 || r.run.completed !== r.run.sent || failed;
}

export function formatSwap(r: SwapResult): string {
  const { during, outside } = splitIntervals(r);
  const rcodes = Object.entries(r.run.rcodes)
    .map(([k, v]) => `${k} ${grouped(v)}`)
    .join(', ');
  const swapMs = r.windows.map((w) => (w.to - w.from) * 1000);
  return markdownTable(
    ['measure', 'value'],
    [
      ['tasks per state', grouped(r.tasks)],
      ['swaps during the run', String(r.swaps)],
      ['state written -> swapped in, ms (median, max)', `${grouped(median(swapMs))}, ${grouped(Math.max(...swapMs))}`],
      ['queries sent', grouped(r.run.sent)],
      ['queries answered', grouped(r.run.completed)],
      ['queries lost', grouped(r.run.lost)],
      ['response codes', rcodes],
      ['QPS, seconds without a swap (median)', grouped(median(outside))],
      ['QPS, seconds overlapping a swap (median, min)', during.length ? `${grouped(median(during))}, ${grouped(Math.min(...during))}` : 'n/a'],
      ['mean / max latency, ms', `${fixed(r.run.meanMs, 3)} / ${fixed(r.run.maxMs, 1)}`],
      ['verdict', swapFailed(r) ? 'FAIL: queries went unanswered or failed during swaps' : 'PASS: every query answered'],
    ],
  );
}
