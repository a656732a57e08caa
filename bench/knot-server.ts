// Knot DNS as the reference server: writes the table as a zone file and a knot.conf into a
// scratch directory, runs knotd in the foreground, and waits until it answers from the zone.
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { RecordTable } from '../src/records/table.js';
import { NOERROR, queryUdp } from './dns-probe.js';
import { knotConf, zoneFileChunks } from './knot-zone.js';
import { freePort, GiveUp, spawnTracked, stopChild, waitFor } from './processes.js';

export interface KnotServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface KnotOptions {
  /** Scratch directory (created); holds the zone, the config, rundir and storage. */
  dir: string;
  /** A name the zone holds; knotd counts as ready once it answers this A query with data. */
  probeName: string;
  udpWorkers?: number;
  tcpWorkers?: number;
  backgroundWorkers?: number;
  /** How long loading the zone may take (a 100,000-task zone takes knotd a few seconds). */
  readyTimeoutMs?: number;
}

export function knotdPath(): string {
  for (const p of ['/usr/sbin/knotd', '/usr/local/sbin/knotd']) if (existsSync(p)) return p;
  return 'knotd';
}

async function writeZone(table: RecordTable, file: string): Promise<void> {
  const out = createWriteStream(file);
  for (const chunk of zoneFileChunks(table)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function startKnot(table: RecordTable, options: KnotOptions): Promise<KnotServer> {
  const dir = path.resolve(options.dir);
  const rundir = path.join(dir, 'run');
  const storage = path.join(dir, 'storage');
  for (const d of [dir, rundir, storage]) mkdirSync(d, { recursive: true });
  const zoneFile = path.join(dir, 'zone.db');
  const confFile = path.join(dir, 'knot.conf');
  await writeZone(table, zoneFile);
  const port = await freePort();
  await writeFile(
    confFile,
    knotConf({
      rundir,
      storage,
      zoneFile,
      zone: table.zone,
      address: '127.0.0.1',
      port,
      udpWorkers: options.udpWorkers ?? 2,
      tcpWorkers: options.tcpWorkers ?? 1,
      backgroundWorkers: options.backgroundWorkers ?? 1,
    }),
  );

  const child = spawnTracked(knotdPath(), ['-c', confFile]);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    // Keep only the tail: a bounded buffer for the error message if it fails to start.
    stderr = (stderr + d).slice(-4000);
  });
  child.stdout?.resume();
  const stop = (): Promise<void> => stopChild(child);
  try {
    await waitFor(
      `knotd on 127.0.0.1:${port} to answer ${options.probeName}`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new GiveUp(`knotd exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
        }
        const r = await queryUdp(port, options.probeName, 'A', 300).catch(() => undefined);
        return r && r.rcode === NOERROR && r.answers > 0 ? r : undefined;
      },
      { timeoutMs: options.readyTimeoutMs ?? 120_000, intervalMs: 200 },
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}${stderr ? `\nknotd stderr:\n${stderr.trim()}` : ''}`, { cause: err });
  }
  return { port, pid: child.pid!, stop };
}
