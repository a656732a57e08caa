// Knot DNS (knotd, Debian's `knot`) as a secondary of our server on loopback: a knot.conf with
// our server as the primary (`remote`, `master:`), an ACL taking NOTIFY from it, and one TSIG
// key for both; knotd runs in the foreground with its log (level info) captured, which is where
// "AXFR, incoming" and "IXFR, incoming" lines show how each version of the zone arrived.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export interface KnotSecondary {
  port: number;
  /** Everything knotd logged so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface KnotSecondaryOptions {
  dir: string;
  /** Absolute zone names, e.g. ["mesos."]. */
  zones: string[];
  primaryPort: number;
  /** "hmac-sha256:name:base64secret", as our TsigKeys. */
  key: string;
  /** Knot's own port (picked beforehand so the primary can be told where to send NOTIFY). */
  port: number;
}

/** A loopback port free for both UDP and TCP right now. */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as { port: number }).port));
    });
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (ok) return port;
  }
  throw new Error('no free loopback port');
}

export function knotSecondaryConf(o: KnotSecondaryOptions): string {
  const q = (s: string): string => JSON.stringify(s);
  const [algorithm, name, secret] = o.key.split(':');
  return [
    'server:',
    `    rundir: ${q(path.join(o.dir, 'run'))}`,
    `    listen: 127.0.0.1@${o.port}`,
    '    udp-workers: 1',
    '    tcp-workers: 1',
    '    background-workers: 1',
    '',
    'database:',
    `    storage: ${q(path.join(o.dir, 'storage'))}`,
    '',
    'log:',
    '  - target: stderr',
    '    any: info',
    '',
    'key:',
    `  - id: ${name}`,
    `    algorithm: ${algorithm}`,
    `    secret: ${secret}`,
    '',
    'remote:',
    '  - id: primary',
    `    address: 127.0.0.1@${o.primaryPort}`,
    `    key: ${name}`,
    '',
    'acl:',
    '  - id: notify-from-primary',
    '    address: 127.0.0.1',
    `    key: ${name}`,
    '    action: notify',
    '',
    'template:',
    '  - id: default',
    `    storage: ${q(path.join(o.dir, 'storage'))}`,
    '    semantic-checks: off',
    '    zonefile-load: none',
    '    zonefile-sync: -1',
    '    journal-content: changes',
    '    master: primary',
    '    acl: notify-from-primary',
    '',
    'zone:',
    ...o.zones.map((z) => `  - domain: ${q(z)}`),
    '',
  ].join('\n');
}

export function knotdCommand(): string {
  return process.env.KNOTD ?? 'knotd';
}

export async function startKnotSecondary(o: KnotSecondaryOptions): Promise<KnotSecondary> {
  for (const d of [o.dir, path.join(o.dir, 'run'), path.join(o.dir, 'storage')]) mkdirSync(d, { recursive: true });
  const conf = path.join(o.dir, 'knot.conf');
  writeFileSync(conf, knotSecondaryConf(o));
  const child: ChildProcess = spawn(knotdCommand(), ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port: o.port,
    log: () => text,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
