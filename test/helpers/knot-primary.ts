// Knot DNS (knotd, Debian's `knot`) as a primary on loopback, serving zone files, for our server
// as its secondary: a TSIG key, an ACL letting 127.0.0.1 transfer with it, NOTIFY to our
// secondary, and `zonefile-load: difference` so that an edited zone file, reloaded with SIGHUP,
// becomes a journal entry Knot serves by IXFR (Knot's own log says "IXFR, outgoing").
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { knotdCommand } from './knot-secondary.js';

export interface KnotPrimary {
  port: number;
  /** Writes `text` as the zone file of `zone` ("mesos.") and has knotd reload it (SIGHUP). */
  setZone(zone: string, text: string): void;
  log(): string;
  stop(): Promise<void>;
}

export interface KnotPrimaryOptions {
  dir: string;
  /** Zone name -> zone file text. */
  zones: Record<string, string>;
  /** "hmac-sha256:name:base64secret", as our TsigKeys. */
  key: string;
  port: number;
  /** Our secondary's DNS port on 127.0.0.1 (NOTIFY goes there). */
  secondaryPort: number;
}

const zoneFile = (dir: string, zone: string): string => path.join(dir, `${zone.replace(/\.$/, '')}.zone`);

export function knotPrimaryConf(o: KnotPrimaryOptions): string {
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
    '  - id: secondary',
    `    address: 127.0.0.1@${o.secondaryPort}`,
    `    key: ${name}`,
    '',
    'acl:',
    '  - id: transfer-to-secondary',
    '    address: 127.0.0.1',
    `    key: ${name}`,
    '    action: transfer',
    '',
    'template:',
    '  - id: default',
    `    storage: ${q(path.join(o.dir, 'storage'))}`,
    '    semantic-checks: off',
    '    zonefile-load: difference',
    '    zonefile-sync: -1',
    '    journal-content: changes',
    '    notify: secondary',
    '    acl: transfer-to-secondary',
    '',
    'zone:',
    ...Object.keys(o.zones).flatMap((z) => [`  - domain: ${q(z)}`, `    file: ${q(zoneFile(o.dir, z))}`]),
    '',
  ].join('\n');
}

export async function startKnotPrimary(o: KnotPrimaryOptions): Promise<KnotPrimary> {
  for (const d of [o.dir, path.join(o.dir, 'run'), path.join(o.dir, 'storage')]) mkdirSync(d, { recursive: true });
  for (const [zone, text] of Object.entries(o.zones)) writeFileSync(zoneFile(o.dir, zone), text);
  const conf = path.join(o.dir, 'knot.conf');
  writeFileSync(conf, knotPrimaryConf(o));
  const child: ChildProcess = spawn(knotdCommand(), ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port: o.port,
    setZone(zone, body) {
      writeFileSync(zoneFile(o.dir, zone), body);
      child.kill('SIGHUP');
    },
    log: () => text,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
