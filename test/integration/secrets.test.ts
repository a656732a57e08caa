// The Mesos secret and the password in a zk:// URL never leave the process: not through
// /v1/config, /v1/enumerate, /metrics, nor any log line at the most verbose level (-v=2).
// The installed command is started as an operator runs it (bin/mesos-dns-ts.js on dist/).
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/stream-master.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'mesos-dns-ts.js');

const SECRET = 'S3cr3t-value-for-basic-auth';
const ZK_PASSWORD = 'zk-Pa55word';

/** A loopback TCP port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Run {
  output: () => string;
  http: number;
  stop(): Promise<void>;
}

async function start(config: Record<string, unknown>): Promise<Run> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mdns-secrets-'));
  dirs.push(dir);
  const file = path.join(dir, 'config.json');
  await writeFile(file, JSON.stringify(config));
  const child = spawn(process.execPath, [bin, `-config=${file}`, '-v=2'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('"mesos-dns-ts started"'), 10_000, 'server started');
  const started = out.split('\n').find((l) => l.includes('"mesos-dns-ts started"'))!;
  const http = (JSON.parse(started) as { http: { port: number } }).http.port;
  return {
    output: () => out,
    http,
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Secrets in both places they can be written, on loopback ports the kernel picks. */
const withSecrets = (zkPort: number): Record<string, unknown> => ({
  zk: `zk://dnsuser:${ZK_PASSWORD}@127.0.0.1:${zkPort}/mesos`,
  mesosAuthentication: 'basic',
  mesosCredentials: { principal: 'dns', secret: SECRET },
  listener: '127.0.0.1',
  httpListener: '127.0.0.1',
  port: 0,
  httpPort: 0,
  externalOn: false,
});

/** Neither secret in any of `texts`. */
function expectNoSecrets(texts: readonly string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(ZK_PASSWORD);
  }
}

async function get(port: number, p: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`);
  return `${res.status}\n${await res.text()}`;
}

describe('secrets stay out of the HTTP API and the logs', () => {
  it('with zk (unreachable) and static masters: /v1/config masks both, no log line has either', async () => {
    const zkPort = await closedPort();
    const masterPort = await closedPort();
    const run = await start({ ...withSecrets(zkPort), zkDetectionTimeout: 0, masters: [`127.0.0.1:${masterPort}`] });
    try {
      const bodies = [await get(run.http, '/v1/config'), await get(run.http, '/v1/enumerate'), await get(run.http, '/metrics')];
      // The detector has started (and logged) before we look at the log.
      await waitFor(() => run.output().includes('watching ZooKeeper'), 5_000, 'zk detector started');
      const config = JSON.parse(bodies[0].slice(bodies[0].indexOf('\n') + 1)) as { Zk: string; MesosCredentials: { Secret: string } };
      expect(config.MesosCredentials.Secret).toBe('******');
      expect(config.Zk).toBe(`zk://dnsuser:******@127.0.0.1:${zkPort}/mesos`);
      // -v=2 logs the configuration itself: the redacted copy.
      expect(run.output()).toContain('"msg":"configuration"');
      expectNoSecrets([...bodies, run.output()]);
    } finally {
      await run.stop();
    }
    expectNoSecrets([run.output()]);
  });

  it('with a loaded table (StateFile): /v1/enumerate and /metrics carry neither', async () => {
    const zkPort = await closedPort();
    const run = await start({ ...withSecrets(zkPort), stateFile: path.join(root, 'zones', 'demo', 'state.json') });
    try {
      let healthy = false;
      const poll = setInterval(() => {
        void fetch(`http://127.0.0.1:${run.http}/health`).then((r) => (healthy ||= r.status === 200), () => undefined);
      }, 50);
      await waitFor(() => healthy, 10_000, 'table loaded').finally(() => clearInterval(poll));
      const bodies = [await get(run.http, '/v1/config'), await get(run.http, '/v1/enumerate'), await get(run.http, '/v1/axfr'), await get(run.http, '/metrics')];
      expect(bodies[1]).toMatch(/^200\n[\s\S]*"frameworks"/);
      expect(bodies[0]).toContain('"Secret": "******"');
      expectNoSecrets([...bodies, run.output()]);
    } finally {
      await run.stop();
    }
    expectNoSecrets([run.output()]);
  });
});
