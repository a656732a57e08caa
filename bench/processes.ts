// Child processes of the benchmark (knotd, dnsperf, our server, measuring children): every one is
// tracked, so that a failing or interrupted run never leaves a server behind. Also small bounded
// helpers the benchmarks share: run a command to completion, poll until ready, find free ports.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();

/** Spawn and track; the child is killed when this process exits, however it exits. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (!exited(child)) child.kill('SIGKILL');
  }, graceMs);
  await gone;
  clearTimeout(timer);
}

/** Synchronous last resort for exit paths: SIGKILL every child still running. */
export function killAllChildren(): void {
  for (const child of live) {
    if (!exited(child)) child.kill('SIGKILL');
  }
  live.clear();
}

let handlersInstalled = false;
const cleanups: (() => void)[] = [];

/** A synchronous step for every exit path (after the children are killed), e.g. removing scratch files. */
export function onExitCleanup(fn: () => void): void {
  cleanups.push(fn);
}

function exitNow(): void {
  killAllChildren();
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch {
      // Best effort on the way out.
    }
  }
}

/** Kill the children (and run the cleanups) on exit and on SIGINT/SIGTERM/SIGHUP. */
export function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', exitNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      exitNow();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run to completion (killed after `timeoutMs`), collecting stdout and stderr as text. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs: number },
): Promise<CommandResult> {
  const { timeoutMs, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, spawnOptions);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Thrown by a `waitFor` probe when waiting longer is pointless (the process under test died). */
export class GiveUp extends Error {}

/**
 * Poll `probe` every `intervalMs` until it returns a value (not undefined) or `timeoutMs` passes.
 * A probe that throws is retried (the last error is reported on timeout), except with GiveUp.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 50;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${detail}`);
}

/** A port free for both TCP and UDP on `address` right now (a DNS server binds both). */
export async function freePort(address = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, address, () => resolve((tcp.address() as { port: number }).port));
    });
    const udp = createSocket('udp4');
    const udpOk = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, address, () => resolve(true));
    });
    udp.close();
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (udpOk) return port;
  }
  throw new Error('no port free for both TCP and UDP after 20 attempts');
}

/** Resident set size now (VmRSS) and its peak (VmHWM) of a process, KiB; undefined if gone. */
export async function memoryKiB(pid: number): Promise<{ rss: number; peak: number } | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  const peak = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return rss && peak ? { rss: Number(rss[1]), peak: Number(peak[1]) } : undefined;
}

/** `pid` and all its descendants (from the ppid field of every /proc/N/stat). */
export async function processTree(pid: number): Promise<number[]> {
  const parentOf = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

/**
 * Memory of a server with its worker processes: RSS summed over the tree, and the sum of each
 * process's own peak (an upper bound of the tree's peak). KiB; undefined when `pid` is gone.
 */
export async function treeMemoryKiB(pid: number): Promise<{ rss: number; peak: number; processes: number } | undefined> {
  const own = await memoryKiB(pid);
  if (own === undefined) return undefined;
  let rss = 0;
  let peak = 0;
  let processes = 0;
  for (const p of await processTree(pid)) {
    const m = p === pid ? own : await memoryKiB(p);
    if (m === undefined) continue;
    rss += m.rss;
    peak += m.peak;
    processes++;
  }
  return { rss, peak, processes };
}

/** The project root: the nearest directory above this file whose package.json is ours. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mesos-dns-ts') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('bench: cannot find the mesos-dns-ts package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** A /proc/<pid>/status memory field (VmRSS now, VmHWM its peak) in MB, read synchronously; NaN if absent. */
export function statusMB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}
