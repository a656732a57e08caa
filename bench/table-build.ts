// Table build cost for 1k, 10k, 50k and 100k tasks: time to read the state (the server's reader:
// the native one when it is built, native/state-reader.c, over the whole document) and to build
// the RecordTable (buildTable), and the memory the results hold. JSON.parse + parseState is timed
// too, for comparison.
//
// Each size runs in a fresh Node process started with --expose-gc, reading the state text from a
// file written beforehand, so that neither the generator's garbage nor an earlier size's heap is
// counted. In the child, the first iteration is "cold" (code not yet optimised, as on a server's
// first load) and the rest "warm" (as on every later reload); like a reload, each iteration builds
// while the previous table is still alive.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseState } from '../src/mesos/parse-state.js';
import { readStateBytes, stateReaderAddon } from '../src/mesos/read-state.js';
import type { RecordTable } from '../src/records/table.js';
import { buildTable } from '../src/records/build-table.js';
import { packedBytes } from '../src/records/packed-table.js';
import { DEFAULTS } from '../src/config/typed.js';
import { generateStateText } from './gen-state.js';
import { fixed, grouped, markdownTable, median } from './report.js';
import { runCommand } from './processes.js';
import { BENCH_LISTENER, BENCH_MASTER_ENDPOINTS } from './state-table.js';

export interface TableBuildRow {
  tasks: number;
  jsonBytes: number;
  names: number;
  records: number;
  /** Which reader `parse` is: 'native' or 'JSON.parse' (the addon was not built). */
  reader: string;
  parseColdMs: number;
  buildColdMs: number;
  parseWarmMs: number;
  buildWarmMs: number;
  /** JSON.parse + parseState, timed after the builds: first call, and the median of the rest. */
  jsonParseColdMs: number;
  jsonParseWarmMs: number;
  iterations: number;
  /** Memory (heap + array buffers) held by one RecordTable (after GC), bytes. */
  tableHeapBytes: number;
  /** Heap held by one parsed MasterState (after GC), bytes. */
  stateHeapBytes: number;
  /** Process RSS with only the state text loaded, KiB. */
  baseRssKiB: number;
  /** Peak RSS of the process over all iterations, KiB (maxrss). */
  peakRssKiB: number;
}

type Gc = () => void;
type State = ReturnType<typeof parseState>;

function buildBench(state: State): RecordTable {
  return buildTable(state, { config: DEFAULTS, masters: BENCH_MASTER_ENDPOINTS, addresses: new Map(), selfAddresses: [BENCH_LISTENER], serial: 1 });
}

// Each of these returns only what should stay alive: the temporaries (the parsed JSON, the
// MasterState behind a table) die with the callee's frame, so a GC afterwards frees them.
function parseOnce(bytes: Buffer): State {
  return readStateBytes(bytes).state;
}

function jsonParseOnce(bytes: Buffer): State {
  return parseState(JSON.parse(bytes.toString('utf8')));
}

function tableOnce(bytes: Buffer): RecordTable {
  return buildBench(parseOnce(bytes));
}

/** JS heap bytes that the value made by `make` keeps alive, measured between two full GCs. */
function heapHeldBy(gc: Gc, make: () => unknown): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const value = make();
  gc();
  const held = process.memoryUsage().heapUsed - before;
  // Read after the measurement, so the value is certainly alive during it.
  if (value === undefined) throw new Error('heapHeldBy: nothing was made');
  return held;
}

/**
 * Memory one table holds: its JS heap plus its packed arrays. The arrays are counted from
 * their sizes: process.memoryUsage().arrayBuffers lags behind a GC (buffers are swept
 * concurrently), so a heap-style before/after difference could even come out negative.
 */
function tableBytes(gc: Gc, bytes: Buffer): number {
  let table: RecordTable | undefined;
  const heap = heapHeldBy(gc, () => (table = tableOnce(bytes)));
  return heap + (table?.packed ? packedBytes(table.packed) : 0);
}

function childMeasure(file: string, tasks: number, iterations: number): TableBuildRow {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) throw new Error('table-build child: run with --expose-gc');
  const text = readFileSync(file);
  gc();
  const baseRss = process.memoryUsage().rss;

  const parseMs: number[] = [];
  const buildMs: number[] = [];
  let previous: RecordTable | undefined;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const state = parseOnce(text);
    const t1 = performance.now();
    const table = buildBench(state);
    const t2 = performance.now();
    parseMs.push(t1 - t0);
    buildMs.push(t2 - t1);
    // The previous table dies only now, after the new one exists: a reload's memory shape.
    previous = table;
  }
  const peakRssKiB = process.resourceUsage().maxRSS;
  let names = 0;
  let records = 0;
  if (previous) {
    names = previous.names.size;
    for (const r of previous.names.values()) records += r.a.length + r.aaaa.length + r.srv.length;
  }
  previous = undefined;
  const tableHeapBytes = tableBytes(gc, text);
  const stateHeapBytes = heapHeldBy(gc, () => parseOnce(text));
  const jsonParseMs: number[] = [];
  for (let i = 0; i < Math.min(iterations, 3); i++) {
    gc();
    const t0 = performance.now();
    jsonParseOnce(text);
    jsonParseMs.push(performance.now() - t0);
  }

  const warm = (xs: number[]): number => (xs.length > 1 ? median(xs.slice(1)) : NaN);
  return {
    tasks,
    jsonBytes: text.length,
    names,
    records,
    reader: 'addon' in stateReaderAddon() ? 'native' : 'JSON.parse',
    jsonParseColdMs: jsonParseMs[0],
    jsonParseWarmMs: warm(jsonParseMs),
    parseColdMs: parseMs[0],
    buildColdMs: buildMs[0],
    parseWarmMs: warm(parseMs),
    buildWarmMs: warm(buildMs),
    iterations,
    tableHeapBytes,
    stateHeapBytes,
    baseRssKiB: Math.round(baseRss / 1024),
    peakRssKiB,
  };
}

export interface TableBuildOptions {
  sizes: readonly number[];
  /** Scratch directory for the state files. */
  dir: string;
  seed?: number;
}

/** Iterations per size: enough warm runs for a median, bounded in total time. */
function iterationsFor(tasks: number): number {
  return tasks <= 10_000 ? 8 : tasks <= 50_000 ? 5 : 4;
}

export async function runTableBuild(o: TableBuildOptions): Promise<TableBuildRow[]> {
  const rows: TableBuildRow[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const tasks of o.sizes) {
    const file = path.join(o.dir, `table-build-${tasks}.json`);
    writeFileSync(file, generateStateText(tasks, o.seed ?? 1));
    const r = await runCommand(process.execPath, ['--expose-gc', self, '--child', file, String(tasks), String(iterationsFor(tasks))], {
      timeoutMs: 180_000,
    });
    if (r.code !== 0) throw new Error(`table-build child for ${tasks} tasks failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
    rows.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as TableBuildRow);
  }
  return rows;
}

export function formatTableBuild(rows: readonly TableBuildRow[]): string {
  const mb = (b: number): string => (b / 1e6).toFixed(1);
  return markdownTable(
    ['tasks', 'state JSON MB', 'names', 'records', 'read ms cold/warm', 'build ms cold/warm', 'total ms warm', 'JSON.parse ms cold/warm', 'table MB', 'state heap MB', 'peak RSS MB'],
    rows.map((r) => [
      grouped(r.tasks),
      mb(r.jsonBytes),
      grouped(r.names),
      grouped(r.records),
      `${fixed(r.parseColdMs, 0)} / ${fixed(r.parseWarmMs, 0)}`,
      `${fixed(r.buildColdMs, 0)} / ${fixed(r.buildWarmMs, 0)}`,
      fixed(r.parseWarmMs + r.buildWarmMs, 0),
      `${fixed(r.jsonParseColdMs, 0)} / ${fixed(r.jsonParseWarmMs, 0)}`,
      mb(r.tableHeapBytes),
      mb(r.stateHeapBytes),
      fixed(r.peakRssKiB / 1024, 0),
    ]),
  );
}

if (process.argv[2] === '--child' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, tasks, iterations] = process.argv.slice(3);
  process.stdout.write(`${JSON.stringify(childMeasure(file, Number(tasks), Number(iterations)))}\n`);
}
