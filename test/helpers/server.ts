// Start the whole server (main.ts's start()) on free loopback ports from a config written to a
// temp dir, and query it the way clients do: dig and Node's dns.Resolver.
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { start, type Running } from '../../src/main.js';
import { silentLogger, type Logger } from '../../src/log.js';

const run = promisify(execFile);

export interface TestServer {
  running: Running;
  dir: string;
  configPath: string;
  dnsPort: number;
  httpPort: number;
  /** `dig @127.0.0.1 -p PORT <args>` stdout; +tries=1 +time=2 so a failure never hangs. */
  dig(...args: string[]): Promise<string>;
  resolver(): Resolver;
  http(pathname: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }>;
  writeConfig(config: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(config: Record<string, unknown>, logger: Logger = silentLogger): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mdns-it-'));
  const configPath = path.join(dir, 'config.json');
  // One DNS process unless a test asks for workers: forking per test server would only slow the suite.
  const full = { listener: '127.0.0.1', port: 0, HTTPListener: '127.0.0.1', httpport: 0, workers: 1, ...config };
  await writeFile(configPath, JSON.stringify(full));
  let running: Running;
  try {
    running = await start({ configPath, logger });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const addrs = running.serving.addresses();
  const dnsPort = addrs.dns?.udp.port ?? 0;
  const httpPort = addrs.http?.port ?? 0;
  return {
    running,
    dir,
    configPath,
    dnsPort,
    httpPort,
    async dig(...args) {
      // Another test's server can send a query (a NOTIFY, a forwarded question) to a loopback
      // port it last knew, which dig may have just taken as its source port; dig then prints
      // "query response not set" and takes that packet as the reply. Ask again when that happens.
      for (let attempt = 1; ; attempt++) {
        const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(dnsPort), '+tries=1', '+time=2', ...args], { timeout: 10_000 });
        if (!stdout.includes(';; Warning: query response not set') || attempt === 3) return stdout;
      }
    },
    resolver() {
      const r = new Resolver({ timeout: 2000, tries: 1 });
      r.setServers([`127.0.0.1:${dnsPort}`]);
      return r;
    },
    async http(pathname) {
      const res = await request(`http://127.0.0.1:${httpPort}${pathname}`);
      return { status: res.statusCode, body: await res.body.text(), headers: res.headers };
    },
    async writeConfig(next) {
      await writeFile(configPath, JSON.stringify({ listener: '127.0.0.1', port: dnsPort, HTTPListener: '127.0.0.1', httpport: httpPort, workers: 1, ...next }));
    },
    async close() {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The shared fixture state with its leader moved to a stand-in master on loopback. */
export function fixtureStateWithLeader(fixture: Record<string, unknown>, hostPort: string): Record<string, unknown> {
  return { ...fixture, leader: `master@${hostPort}`, pid: `master@${hostPort}` };
}
