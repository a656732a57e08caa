// Knot DNS (knotd, Debian's `knot`) as a secondary of our server on loopback: a knot.conf with
// our server as the primary (`remote`, `master:`), an ACL taking NOTIFY from it, and one TSIG
// key for both; knotd runs in the foreground with its log (level info) captured, which is where
// "AXFR, incoming" and "IXFR, incoming" lines show how each version of the zone arrived.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { knotConf, quoted, runKnotd } from './knotd.js';

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
  return knotConf({
    dir: o.dir,
    port: o.port,
    key: o.key,
    remote: { id: 'primary', port: o.primaryPort },
    acl: { id: 'notify-from-primary', action: 'notify' },
    template: ['    zonefile-load: none', '    master: primary', '    acl: notify-from-primary'],
    zones: o.zones.map((z) => `  - domain: ${quoted(z)}`),
  });
}

export async function startKnotSecondary(o: KnotSecondaryOptions): Promise<KnotSecondary> {
  const knotd = runKnotd(o.dir, knotSecondaryConf(o));
  return { port: o.port, log: knotd.log, stop: knotd.stop };
}
