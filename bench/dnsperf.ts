// Runs dnsperf (DNS-OARC, 2.x) against 127.0.0.1 and reads its report. Two kinds of run:
// - throughput: the summary only (queries sent/completed/lost, QPS, mean latency, stddev);
// - verbose (-v): dnsperf prints one line per response, `> RCODE name type latency`, which is
//   where the latency percentiles come from. Printing costs dnsperf CPU (about 15% of its rate on
//   2 cores), so QPS is always taken from throughput runs.
import { createReadStream, closeSync, openSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { runCommand } from './processes.js';

export interface DnsperfStats {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  meanMs: number;
  stddevMs: number;
  /** Slowest response, from "(min …, max …)". */
  maxMs: number;
  runSeconds: number;
  /** Response code name -> count, from "Response codes:". */
  rcodes: Record<string, number>;
  /** With -S: the per-interval rate lines, `epoch seconds: qps`. */
  intervals: { at: number; qps: number }[];
}

export interface LatencyStats {
  /** Responses with a latency (timeouts excluded). */
  count: number;
  /** Lines reported as "T" (timed out) or "I" (interrupted). */
  unanswered: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function num(text: string, re: RegExp, what: string): number {
  const m = re.exec(text);
  if (!m) throw new Error(`dnsperf output: no "${what}" line`);
  return Number(m[1]);
}

/** The "Statistics:" block of dnsperf's report (and -S interval lines, if any). */
export function parseDnsperfSummary(text: string): DnsperfStats {
  const rcodes: Record<string, number> = {};
  const rc = /^\s*Response codes:\s*(.*)$/m.exec(text);
  if (rc) {
    for (const part of rc[1].split(',')) {
      const m = /([A-Z0-9]+)\s+(\d+)/.exec(part.trim());
      if (m) rcodes[m[1]] = Number(m[2]);
    }
  }
  const intervals: { at: number; qps: number }[] = [];
  for (const m of text.matchAll(/^(\d+\.\d+): (\d+(?:\.\d+)?)$/gm)) intervals.push({ at: Number(m[1]), qps: Number(m[2]) });
  return {
    sent: num(text, /Queries sent:\s+(\d+)/, 'Queries sent'),
    completed: num(text, /Queries completed:\s+(\d+)/, 'Queries completed'),
    lost: num(text, /Queries lost:\s+(\d+)/, 'Queries lost'),
    qps: num(text, /Queries per second:\s+([\d.]+)/, 'Queries per second'),
    meanMs: num(text, /Average Latency \(s\):\s+([\d.]+)/, 'Average Latency') * 1000,
    stddevMs: num(text, /Latency StdDev \(s\):\s+([\d.]+)/, 'Latency StdDev') * 1000,
    maxMs: num(text, /Average Latency \(s\):.*max ([\d.]+)\)/, 'Average Latency (max)') * 1000,
    runSeconds: num(text, /Run time \(s\):\s+([\d.]+)/, 'Run time'),
    rcodes,
    intervals,
  };
}

/** The value at quantile q (0..1) of an ascending array, nearest-rank method. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

/** Collects per-response latencies from verbose lines fed one at a time. */
export class LatencyCollector {
  #values = new Float64Array(1 << 16);
  #count = 0;
  #unanswered = 0;

  /** One line of `dnsperf -v` output; lines that are not per-response lines are ignored. */
  line(line: string): void {
    if (!line.startsWith('> ')) return;
    const fields = line.split(' ');
    // "> T name type" / "> I name type": no response.
    if (fields[1] === 'T' || fields[1] === 'I') {
      this.#unanswered++;
      return;
    }
    const latency = Number(fields[fields.length - 1]);
    if (!Number.isFinite(latency)) return;
    if (this.#count === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.#count++] = latency * 1000;
  }

  stats(): LatencyStats {
    const v = this.#values.slice(0, this.#count).sort();
    let sum = 0;
    for (const x of v) sum += x;
    return {
      count: v.length,
      unanswered: this.#unanswered,
      meanMs: v.length ? sum / v.length : NaN,
      p50Ms: quantile(v, 0.5),
      p99Ms: quantile(v, 0.99),
      maxMs: v.length ? v[v.length - 1] : NaN,
    };
  }
}

export interface DnsperfOptions {
  port: number;
  queryFile: string;
  seconds: number;
  /** -c: client sockets. */
  clients: number;
  /** -q: queries outstanding at most. */
  outstanding: number;
  /** -Q: rate cap; none when undefined. */
  maxQps?: number;
  /** -S: print the rate every this many seconds. */
  statsInterval?: number;
  /**
   * With -v: the per-response lines go to this file (writing them is cheaper for dnsperf than a
   * pipe we read concurrently), are parsed afterwards, and the file is removed.
   */
  verboseFile?: string;
}

export interface DnsperfResult extends DnsperfStats {
  latency?: LatencyStats;
}

export function dnsperfArgs(o: DnsperfOptions): string[] {
  const args = ['-s', '127.0.0.1', '-p', String(o.port), '-d', o.queryFile, '-l', String(o.seconds)];
  args.push('-c', String(o.clients), '-q', String(o.outstanding));
  if (o.maxQps !== undefined) args.push('-Q', String(o.maxQps));
  if (o.statsInterval !== undefined) args.push('-S', String(o.statsInterval));
  if (o.verboseFile !== undefined) args.push('-v');
  return args;
}

/** Runs one dnsperf and parses its report; rejects if dnsperf fails or prints no report. */
export async function runDnsperf(o: DnsperfOptions): Promise<DnsperfResult> {
  const args = dnsperfArgs(o);
  // Queries still outstanding at the time limit are waited for up to dnsperf's -t (5 s).
  const timeoutMs = (o.seconds + 30) * 1000;
  if (o.verboseFile === undefined) {
    const r = await runCommand('dnsperf', args, { timeoutMs });
    if (r.code !== 0) throw new Error(`dnsperf ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr.trim() || r.stdout.trim()}`);
    return parseDnsperfSummary(r.stdout);
  }
  const fd = openSync(o.verboseFile, 'w');
  let r;
  try {
    r = await runCommand('dnsperf', args, { timeoutMs, stdio: ['ignore', fd, 'pipe'] });
  } finally {
    closeSync(fd);
  }
  try {
    if (r.code !== 0) throw new Error(`dnsperf ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
    const latency = new LatencyCollector();
    // The report is short and comes last; keep only the non-response lines for it.
    let report = '';
    const lines = createInterface({ input: createReadStream(o.verboseFile, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.startsWith('> ')) latency.line(line);
      else report += `${line}\n`;
    }
    return { ...parseDnsperfSummary(report), latency: latency.stats() };
  } finally {
    rmSync(o.verboseFile, { force: true });
  }
}
