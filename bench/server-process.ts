// Our server as a benchmark subject: the real binary (bin/mesos-dns-ts.js on the built dist/),
// started with a config file written here, on 127.0.0.1 only, with forwarding off.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_LISTENER, BENCH_MASTERS } from './state-table.js';
import { freePort, GiveUp, repoRoot, spawnTracked, stopChild, waitFor } from './processes.js';

export interface OurServerOptions {
  /** Where the config file goes. */
  dir: string;
  /** Serve from this state file (absolute); otherwise `masters` is polled. */
  stateFile?: string;
  /** Masters list; defaults to BENCH_MASTERS (the one benchTable assumes). */
  masters?: readonly string[];
  /** Extra config keys (mesos-dns names, case-insensitive), e.g. { refreshSeconds: 2 }. */
  extra?: Record<string, unknown>;
  /** Called with everything the server writes (stdout and stderr), e.g. to count log lines. */
  onOutput?: (chunk: string) => void;
  /** Command-line flags of the server (e.g. `-v=1`) and of Node before the script (e.g. `--cpu-prof`). */
  args?: readonly string[];
  nodeArgs?: readonly string[];
}

export interface OurServer {
  port: number;
  httpPort: number;
  pid: number;
  /** Date.now() right after spawn. */
  spawnedAt: number;
  /** The tail of what the server logged, for error messages. */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

/** BENCH_WORKERS sets the `workers` key when given (DNS worker processes; 0 = one per core). */
function workersFromEnv(): Record<string, unknown> {
  const w = process.env.BENCH_WORKERS;
  return w === undefined || w === '' ? {} : { workers: Number(w) };
}

/** BENCH_RRL sets `ResponseRateLimit` when given (RRL on; pick a rate no client reaches to measure its cost). */
function rrlFromEnv(): Record<string, unknown> {
  const r = process.env.BENCH_RRL;
  // BENCH_RRL_EXEMPT: `ResponseRateLimitExempt` ranges, comma-separated (one the load's 127.0.0.1
  // is outside of measures the check on every reply).
  const exempt = (process.env.BENCH_RRL_EXEMPT ?? '').split(',').filter((x) => x !== '');
  return r === undefined || r === '' ? {} : { responseRateLimit: Number(r), ...(exempt.length > 0 ? { responseRateLimitExempt: exempt } : {}) };
}

/** BENCH_ANSWER_ORDER sets `AnswerOrder` when given ("shuffle", the default, or "round-robin"). */
function answerOrderFromEnv(): Record<string, unknown> {
  const o = process.env.BENCH_ANSWER_ORDER;
  return o === undefined || o === '' ? {} : { answerOrder: o };
}

export async function startOurServer(o: OurServerOptions): Promise<OurServer> {
  const port = await freePort();
  let httpPort = await freePort();
  while (httpPort === port) httpPort = await freePort();
  const config: Record<string, unknown> = {
    masters: o.masters ?? BENCH_MASTERS,
    listener: BENCH_LISTENER,
    port,
    HTTPListener: BENCH_LISTENER,
    httpport: httpPort,
    externalon: false,
    resolvers: [],
    ...workersFromEnv(),
    ...rrlFromEnv(),
    ...answerOrderFromEnv(),
    ...o.extra,
  };
  if (o.stateFile !== undefined) config.stateFile = o.stateFile;
  const configFile = path.join(o.dir, `server-config-${port}.json`);
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  const root = repoRoot();
  // process.execPath: the Node 24 that `npm run bench` runs us on, so the binary does not re-exec.
  // BENCH_NODE_ARGS: node flags for every server a benchmark starts, space-separated (an experiment's V8 setting).
  const envArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawnTracked(process.execPath, [...envArgs, ...(o.nodeArgs ?? []), path.join(root, 'bin', 'mesos-dns-ts.js'), `-config=${configFile}`, ...(o.args ?? [])], { cwd: root });
  const spawnedAt = Date.now();
  let output = '';
  const keep = (d: string): void => {
    output = (output + d).slice(-4000);
    o.onOutput?.(d);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    port,
    httpPort,
    pid: child.pid!,
    spawnedAt,
    output: () => output,
    exited,
    stop: () => stopChild(child),
  };
}

export interface Health {
  status: number;
  generation?: number;
}

/**
 * GET /health. The timeout is generous: while the server builds a 100,000-task table its event
 * loop may be busy for a second or more, and that is measured elsewhere, not here.
 */
export async function health(server: OurServer, timeoutMs = 10_000): Promise<Health> {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json().catch(() => ({}))) as { generation?: number };
  return { status: res.status, generation: body.generation };
}

/** Waits until /health answers 200 with a generation of at least `minGeneration`. */
export async function waitHealthy(server: OurServer, timeoutMs: number, minGeneration = 1): Promise<Health> {
  return waitFor(
    `our server (pid ${server.pid}) to report a loaded table on /health`,
    async () => {
      if (server.exited()) throw new GiveUp(`our server exited:\n${server.output().trim()}`);
      const h = await health(server);
      return h.status === 200 && (h.generation ?? 0) >= minGeneration ? h : undefined;
    },
    { timeoutMs, intervalMs: 50 },
  );
}
