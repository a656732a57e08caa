// knotd (Debian's `knot`) on loopback for the transfer tests, as a primary (knot-primary.ts) or a
// secondary (knot-secondary.ts) of our server: the knot.conf parts both roles share (one worker
// of each kind, storage under the test's directory, the log at info on stderr, one TSIG key, one
// remote and one ACL for the other side), and knotd run in the foreground with its log captured.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Knotd {
  /** Everything knotd logged so far. */
  log(): string;
  /** Sends a signal (SIGHUP: reload the zone files). */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

export interface KnotConfOptions {
  dir: string;
  port: number;
  /** "hmac-sha256:name:base64secret", as our TsigKeys. */
  key: string;
  /** The other side (our server): its id in the conf and its DNS port on 127.0.0.1. */
  remote: { id: string; port: number };
  /** What the ACL lets the other side do with the key: `transfer` (from a primary) or `notify` (to a secondary). */
  acl: { id: string; action: 'transfer' | 'notify' };
  /** The template's role lines (zonefile-load, notify: / master:, acl:). */
  template: string[];
  /** The zone: section's lines. */
  zones: string[];
}

export const quoted = (s: string): string => JSON.stringify(s);

export function knotdCommand(): string {
  return process.env.KNOTD ?? 'knotd';
}

export function knotConf(o: KnotConfOptions): string {
  const [algorithm, name, secret] = o.key.split(':');
  const storage = quoted(path.join(o.dir, 'storage'));
  return [
    'server:',
    `    rundir: ${quoted(path.join(o.dir, 'run'))}`,
    `    listen: 127.0.0.1@${o.port}`,
    '    udp-workers: 1',
    '    tcp-workers: 1',
    '    background-workers: 1',
    '',
    'database:',
    `    storage: ${storage}`,
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
    `  - id: ${o.remote.id}`,
    `    address: 127.0.0.1@${o.remote.port}`,
    `    key: ${name}`,
    '',
    'acl:',
    `  - id: ${o.acl.id}`,
    '    address: 127.0.0.1',
    `    key: ${name}`,
    `    action: ${o.acl.action}`,
    '',
    'template:',
    '  - id: default',
    `    storage: ${storage}`,
    '    semantic-checks: off',
    '    zonefile-sync: -1',
    '    journal-content: changes',
    ...o.template,
    '',
    'zone:',
    ...o.zones,
    '',
  ].join('\n');
}

/** Writes `conf` as dir/knot.conf (making dir, run/ and storage/) and starts knotd on it. */
export function runKnotd(dir: string, conf: string): Knotd {
  for (const d of [dir, path.join(dir, 'run'), path.join(dir, 'storage')]) mkdirSync(d, { recursive: true });
  const file = path.join(dir, 'knot.conf');
  writeFileSync(file, conf);
  const child: ChildProcess = spawn(knotdCommand(), ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    log: () => text,
    signal: (signal) => void child.kill(signal),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
