// Keeps the static zones in step with ZonesDir: fs.watch on the directory (a change is read
// again after a short debounce) plus a stat() pass every `pollMs` (fs.watch misses events on
// some file systems, and never sees an $INCLUDEd file outside the directory), so a change is
// served within a second. Each pass that changes something hands the accepted zones to
// `onZones` (main.ts swaps them into the store); a broken file is logged with file, line and
// reason, counted, and its previous version stays.
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../log.js';
import type { ZoneFileError } from '../errors.js';
import type { ZoneData } from './zone-check.js';
import { acceptZones } from './static-zones.js';
import { scanZoneDir, type ZoneFileState } from './zone-files.js';

export interface ZoneWatcherOptions {
  /** Absolute directory; "" turns static zones off. */
  dir: string;
  /** The Mesos zone ("mesos."): zones at, in or above it are refused. */
  domainZone: string;
  logger: Logger;
  onZones: (zones: ZoneData[]) => void;
  /** A zone file that cannot be served (each version once). */
  onError?: (err: ZoneFileError) => void;
  pollMs?: number;
  debounceMs?: number;
}

export class ZoneWatcher {
  readonly #log: Logger;
  #opts: ZoneWatcherOptions;
  #files = new Map<string, ZoneFileState>();
  #refused = '';
  #served: ZoneData[] = [];
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(opts: ZoneWatcherOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'zones' });
  }

  /** The first pass (resolves when its zones were handed over), then watching. */
  async start(): Promise<void> {
    await this.scan();
    const poll = this.#opts.pollMs ?? 500;
    this.#timer = setInterval(() => void this.scan(), poll);
    this.#timer.unref();
  }

  /** A new directory or domain (SIGHUP): everything is read and checked again. */
  async reconfigure(dir: string, domainZone: string): Promise<void> {
    if (dir !== this.#opts.dir) {
      this.#files = new Map();
      this.#closeWatch();
    }
    this.#opts = { ...this.#opts, dir, domainZone };
    this.#refused = '';
    await this.scan(true);
  }

  /** One pass now; passes never overlap (one asked for meanwhile runs after). */
  scan(force = false): Promise<void> {
    if (this.#scanning) {
      this.#again = true;
      return this.#scanning;
    }
    this.#scanning = this.#pass(force)
      .catch((err: unknown) => this.#log.error({ err }, 'reading the zone files failed; the served zones stay'))
      .finally(() => {
        this.#scanning = undefined;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          void this.scan(true);
        }
      });
    return this.#scanning;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#closeWatch();
  }

  async #pass(force: boolean): Promise<void> {
    if (this.#stopped) return;
    const { dir, domainZone } = this.#opts;
    if (dir === '') {
      this.#publish([], force);
      return;
    }
    this.#ensureWatch(dir);
    const previous = this.#files;
    const { files, changed } = await scanZoneDir(dir, previous);
    if (this.#stopped || dir !== this.#opts.dir) return;
    this.#files = files;
    for (const [file, state] of files) {
      if (previous.get(file) === state) continue;
      for (const warning of state.warnings) this.#log.warn({ file }, warning);
      if (state.error) {
        const e = state.error;
        this.#log.error(
          { file: e.file, line: e.line, reason: e.reason, code: e.code, serving: state.good ? 'the previous version' : 'nothing' },
          `zone file not loaded: ${e.message}`,
        );
        this.#opts.onError?.(e);
      } else if (state.good) {
        this.#log.info({ file, zone: state.good.apex, serial: state.good.serial, rrsets: state.good.rrsets.length }, 'zone file loaded');
      }
    }
    for (const file of previous.keys()) if (!files.has(file)) this.#log.info({ file }, 'zone file removed; its zone is no longer served');
    if (!changed && !force) return;
    const candidates = [...files.values()].flatMap((s) => (s.good ? [s.good] : []));
    const { zones, refused } = acceptZones(candidates, domainZone);
    const refusedKey = refused.map((e) => e.message).join('\n');
    if (refusedKey !== this.#refused) {
      for (const e of refused) {
        this.#log.error({ file: e.file, reason: e.reason, code: e.code }, `zone refused: ${e.message}`);
        this.#opts.onError?.(e);
      }
      this.#refused = refusedKey;
    }
    this.#publish(zones, force);
  }

  #publish(zones: ZoneData[], force: boolean): void {
    const same = zones.length === this.#served.length && zones.every((z, i) => z === this.#served[i]);
    if (same && !force) return;
    this.#served = zones;
    this.#opts.onZones(zones);
  }

  #ensureWatch(dir: string): void {
    if (this.#watcher) return;
    try {
      this.#watcher = watch(dir, { persistent: false }, () => {
        if (this.#debounce) clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => void this.scan(), this.#opts.debounceMs ?? 50);
        this.#debounce.unref();
      });
      // The directory went away (or the watch broke): the poll goes on and watches again.
      this.#watcher.on('error', () => this.#closeWatch());
    } catch {
      // No directory (yet): the poll notices when one appears.
    }
  }

  #closeWatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
