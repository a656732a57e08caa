// The installed command as an operator runs it: the bin script (bin/mesos-dns-ts.js) on the
// compiled output (npm test builds it first), started as a child process.
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Resolver } from 'node:dns/promises';
import { waitFor } from '../helpers/stream-master.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'mesos-dns-ts.js');
const pkg = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };

async function cli(args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd, timeout: 15_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The ports from the "mesos-dns-ts started" log line, once it has been printed. */
function startedPorts(log: string): { dns: number; http: number } | undefined {
  for (const line of log.split('\n')) {
    if (!line.includes('"mesos-dns-ts started"')) continue;
    const started = JSON.parse(line) as { dns: { udp: { port: number } }; http: { port: number } };
    return { dns: started.dns.udp.port, http: started.http.port };
  }
  return undefined;
}

/** The DNS port once the server is up and every DNS process answers from a table (/health 200). */
async function readyPort(log: () => string): Promise<number> {
  await waitFor(() => startedPorts(log()) !== undefined, 10_000, 'server started');
  const { dns, http } = startedPorts(log())!;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${http}/health`).catch(() => undefined);
    if (res?.status === 200) return dns;
    if (Date.now() > deadline) throw new Error('the server never became healthy');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Every stdout line as a pino record: the logs are JSON lines and nothing else, which is what
 * `npx pino-pretty` (docs/metrics.md) reads; each has pino's level, time and msg.
 */
function logRecords(stdout: string): Array<{ level: number; time: number; msg: string } & Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = JSON.parse(l) as { level: number; time: number; msg: string };
      expect([typeof r.level, typeof r.time, typeof r.msg]).toEqual(['number', 'number', 'string']);
      return r;
    });
}

/** The messages of the fatal (60) lines. */
const fatals = (stdout: string) => logRecords(stdout).filter((r) => r.level === 60).map((r) => r.msg);

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempConfig(config: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mdns-cli-'));
  dirs.push(dir);
  const file = path.join(dir, 'config.json');
  await writeFile(file, typeof config === 'string' ? config : JSON.stringify(config));
  return file;
}

describe('mesos-dns-ts command', () => {
  it('prints its version with -version and exits 0', async () => {
    const out = await cli(['-version']);
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe(pkg.version);
  });

  it('exits 1 naming the missing config file', async () => {
    const out = await cli(['-config=/nonexistent/mesos-dns.json']);
    expect(out.code).toBe(1);
    // Through the JSON logger on stdout, like every other line; nothing on stderr.
    expect(fatals(out.stdout)).toEqual([expect.stringContaining('missing configuration file: "/nonexistent/mesos-dns.json"')]);
    expect(out.stderr).toBe('');
  });

  it('exits 1 with one line per bad key, naming the key and the reason', async () => {
    const file = await tempConfig({ masters: ['10.0.0.1:99999'], IPSources: ['netinfo', 'bogus'], refreshSeconds: 'often' });
    const out = await cli(['-config', file]);
    expect(out.code).toBe(1);
    const lines = fatals(out.stdout);
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual(expect.stringMatching(/masters.*port must be from 1 to 65535/));
    expect(lines).toContainEqual(expect.stringMatching(/IPSources.*bogus/));
    expect(lines).toContainEqual(expect.stringMatching(/refreshSeconds/));
    expect(logRecords(out.stdout).filter((r) => r.level === 60).map((r) => r.key).sort()).toEqual(['IPSources', 'masters', 'refreshSeconds']);
    expect(out.stderr).toBe('');
  });

  it('exits 1 on a misspelt required key, and says which key it was probably meant to be', async () => {
    // The hint matters most when the misspelling is why the config is refused.
    const file = await tempConfig({ mastres: ['10.0.0.1:5050'] });
    const out = await cli(['-config', file]);
    expect(out.code).toBe(1);
    expect(fatals(out.stdout)).toEqual([expect.stringMatching(/Masters: specify Mesos masters or zk/)]);
    const hints = logRecords(out.stdout).filter((r) => r.level === 40).map((r) => r.msg);
    expect(hints).toEqual(['unknown key "mastres" ignored; did you mean "masters"?']);
  });

  it('exits 1 on a config that is not JSON', async () => {
    const file = await tempConfig('{ "masters": [');
    const out = await cli([`--config=${file}`]);
    expect(out.code).toBe(1);
    expect(fatals(out.stdout)).toEqual([expect.stringContaining('config')]);
    expect(out.stderr).toBe('');
  });

  it('rejects an unknown flag', async () => {
    const out = await cli(['-bogus']);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('-bogus');
  });
});

describe('npm start demo', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('serves the bundled demo and prints the dig commands to try', async () => {
    // Run the demo on free ports: the demo config with port/httpport overridden.
    const demo = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(root, 'zones', 'demo', 'config.json'), 'utf8')) as Record<string, unknown>;
    const file = await tempConfig({ ...demo, stateFile: path.join(root, 'zones', 'demo', 'state.json'), port: 0, httpport: 0, externalon: false });
    child = spawn(process.execPath, [bin, `-config=${file}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const port = await readyPort(() => out);
    // The launcher re-executed itself (same pid) with its glibc malloc settings.
    const environ = (await (await import('node:fs/promises')).readFile(`/proc/${child.pid}/environ`, 'latin1')).split('\0');
    expect(environ).toEqual(expect.arrayContaining(['MALLOC_MMAP_THRESHOLD_=131072', 'MALLOC_ARENA_MAX=2']));
    const r = new Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`127.0.0.1:${port}`]);
    const srv = await r.resolveSrv('_nginx._tcp.marathon.mesos');
    // three nginx instances, two ports each
    expect(srv).toHaveLength(6);
    expect(new Set(srv.map((s) => s.name)).size).toBe(3);
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+short', 'leader.mesos'], { timeout: 10_000 });
    expect(stdout.trim()).toBe('127.0.0.1');
    const stopped = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await stopped).toBe(0);
    child = undefined;
  });

  it('reloads config.json on SIGHUP, refusing an invalid one with a log line', async () => {
    const demo = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(root, 'zones', 'demo', 'config.json'), 'utf8')) as Record<string, unknown>;
    const base = { ...demo, stateFile: path.join(root, 'zones', 'demo', 'state.json'), port: 0, httpport: 0, externalon: false };
    const file = await tempConfig(base);
    const proc = spawn(process.execPath, [bin, `-config=${file}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const port = await readyPort(() => out);
      const ttl = async () => {
        const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+noall', '+answer', 'leader.mesos'], { timeout: 10_000 });
        return Number(stdout.trim().split(/\s+/)[1]);
      };
      expect(await ttl()).toBe(60);
      await writeFile(file, JSON.stringify({ ...base, port, IPSources: ['bogus'] }));
      proc.kill('SIGHUP');
      await waitFor(() => out.includes('SIGHUP: the new config is invalid'), 5000, 'refusal logged');
      expect(out).toContain('IPSources');
      expect(await ttl()).toBe(60);
      await writeFile(file, JSON.stringify({ ...base, port, ttl: 7 }));
      proc.kill('SIGHUP');
      await waitFor(() => out.includes('SIGHUP: configuration reloaded'), 5000, 'reload logged');
      // DNS worker threads receive the rebuilt table just after the swap: allow a bounded wait.
      const deadline = Date.now() + 5000;
      while ((await ttl()) !== 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await ttl()).toBe(7);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    }
  });

  it('warns about a misspelt key with the key it was probably meant to be', async () => {
    const demo = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(root, 'zones', 'demo', 'config.json'), 'utf8')) as Record<string, unknown>;
    const file = await tempConfig({ ...demo, stateFile: path.join(root, 'zones', 'demo', 'state.json'), port: 0, httpport: 0, externalon: false, refreshSecond: 5 });
    const proc = spawn(process.execPath, [bin, `-config=${file}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await readyPort(() => out);
      const warning = logRecords(out).find((r) => r.msg.includes('refreshSecond"'));
      expect(warning).toMatchObject({ level: 40, component: 'config', msg: 'unknown key "refreshSecond" ignored; did you mean "refreshSeconds"?' });
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    }
  });

  it('-v=2 logs every generated record and the counters after each refresh', async () => {
    const demo = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(root, 'zones', 'demo', 'config.json'), 'utf8')) as Record<string, unknown>;
    const file = await tempConfig({ ...demo, stateFile: path.join(root, 'zones', 'demo', 'state.json'), port: 0, httpport: 0, externalon: false });
    const proc = spawn(process.execPath, [bin, `-config=${file}`, '-v=2'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await readyPort(() => out);
      await waitFor(() => out.includes('"query counters"'), 10_000, 'the query counters line');
      const records = logRecords(out);
      const recordLines = records.filter((r) => r.msg === 'record' && r.component === 'records');
      // Scoped once (the callee's child), not under the publisher's component as well.
      const recordLine = out.split('\n').find((l) => l.includes('"msg":"record"'))!;
      expect(recordLine.match(/"component":/g)).toHaveLength(1);
      const counters = records.find((r) => r.msg === 'table counters')!;
      // One line per name, every name of the table (the demo is far below the 10,000 bound).
      expect(counters).toMatchObject({ level: 10, generation: 1, namesNotLogged: 0 });
      expect(recordLines).toHaveLength(counters.names as number);
      expect(recordLines).toContainEqual(expect.objectContaining({ name: 'leader.mesos.', A: ['127.0.0.1'] }));
      expect(recordLines).toContainEqual(expect.objectContaining({ name: '_nginx._tcp.marathon.mesos.', SRV: expect.arrayContaining([expect.stringMatching(/^0 1 \d+ nginx-/)]) }));
      expect((counters.records as Record<string, number>).A).toBeGreaterThan(0);
      expect(records.find((r) => r.msg === 'query counters')).toMatchObject({ level: 10, component: 'counters', generation: 1 });
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    }
  });

  it('without -config and without ./config.json, runs the demo and prints how to query it', async () => {
    // cwd without a config.json; the demo binds 8053/8123, so only check the banner and stop.
    const cwd = await mkdtemp(path.join(tmpdir(), 'mdns-demo-'));
    dirs.push(cwd);
    const proc = spawn(process.execPath, [bin], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => out.includes('dig @127.0.0.1 -p 8053 _nginx._tcp.marathon.mesos SRV') || /startup failed|EADDRINUSE/.test(out), 10_000, 'demo banner');
      if (/EADDRINUSE/.test(out)) return; // another demo already holds 8053 on this machine
      expect(out).toContain('curl -s 127.0.0.1:8123/v1/services/_nginx._tcp.marathon.mesos');
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    }
  });
});
