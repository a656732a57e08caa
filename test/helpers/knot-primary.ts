// Knot DNS (knotd, Debian's `knot`) as a primary on loopback, serving zone files, for our server
// as its secondary: a TSIG key, an ACL letting 127.0.0.1 transfer with it, NOTIFY to our
// secondary, and `zonefile-load: difference` so that an edited zone file, reloaded with SIGHUP,
// becomes a journal entry Knot serves by IXFR (Knot's own log says "IXFR, outgoing").
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { knotConf, quoted, runKnotd } from './knotd.js';

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
  return knotConf({
    dir: o.dir,
    port: o.port,
    key: o.key,
    remote: { id: 'secondary', port: o.secondaryPort },
    acl: { id: 'transfer-to-secondary', action: 'transfer' },
    template: ['    zonefile-load: difference', '    notify: secondary', '    acl: transfer-to-secondary'],
    zones: Object.keys(o.zones).flatMap((z) => [`  - domain: ${quoted(z)}`, `    file: ${quoted(zoneFile(o.dir, z))}`]),
  });
}

export async function startKnotPrimary(o: KnotPrimaryOptions): Promise<KnotPrimary> {
  const conf = knotPrimaryConf(o);
  mkdirSync(o.dir, { recursive: true });
  for (const [zone, text] of Object.entries(o.zones)) writeFileSync(zoneFile(o.dir, zone), text);
  const knotd = runKnotd(o.dir, conf);
  return {
    port: o.port,
    setZone(zone, body) {
      writeFileSync(zoneFile(o.dir, zone), body);
      knotd.signal('SIGHUP');
    },
    log: knotd.log,
    stop: knotd.stop,
  };
}
