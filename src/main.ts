// Composition root: flags -> config -> logger -> store -> DNS + HTTP servers -> state source.
// The only module that wires everything together; it never contains DNS or Mesos logic itself.
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli, usage } from './cli.js';
import { garbageCollector } from './collect-garbage.js';
import { trimMalloc } from './mesos/read-state.js';
import type { Config } from './config/typed.js';
import { ConfigError, ConfigErrors } from './errors.js';
import { loadConfig } from './config/load.js';
import { redactConfig } from './config/redact.js';
import { restarts } from './config/reload.js';
import { Freshness } from './freshness.js';
import { createLogger, type Logger } from './log.js';
import { TableStore } from './store.js';
import { createMetrics } from './metrics/registry.js';
import { createPublisher, type HostLookup, type Publisher } from './publish.js';
import { SkippedElements } from './skipped-elements.js';
import type { Snapshot } from './store.js';
import { startServing, type Serving } from './serve.js';
import { ZoneHistory } from './dns/xfr/zone-history.js';
import { startNotifier } from './dns/xfr/notifier.js';
import { transferService, type TransferAnswer } from './dns/xfr/transfer-service.js';
import type { RecordTable } from './records/table.js';
import { isNotifyRequest } from './dns/xfr/secondary/notify-in.js';
import { startSource, type RunningSource } from './sources/start-source.js';
import { staticZones } from './zones/static-zones.js';
import { ZoneWatcher } from './zones/zone-watcher.js';

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'dev';
  }
}

/** The bundled demo (`npm start` without -config): a small cluster state served from a file. */
export const DEMO_CONFIG = path.join(PACKAGE_ROOT, 'zones', 'demo', 'config.json');

/**
 * Addresses for the SOAMname record: the listener's, or with a wildcard listener every
 * non-loopback interface address (mesos-dns §5.3 "self").
 */
export function selfAddresses(listener: string, interfaces = networkInterfaces()): string[] {
  if (listener !== '0.0.0.0' && listener !== '::') return [listener];
  const out: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (listener === '0.0.0.0' || info.family === 'IPv6' || info.family === 'IPv4') out.push(info.address.split('%')[0]);
    }
  }
  return [...new Set(out)];
}

export interface Running {
  config: () => Config;
  store: TableStore;
  serving: Serving;
  /** Fetch the state now (tests, and an operator's SIGUSR1); resolves to success. */
  refresh(): Promise<boolean>;
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StartOptions {
  configPath: string;
  logger: Logger;
  lookupHost?: HostLookup;
  /** Called when the server cannot go on (ZooKeeper never found a leader). */
  onFatal?: (err: Error) => void;
}

/** Start everything for one config file. Rejects (with everything closed) when it cannot. */
export async function start(opts: StartOptions): Promise<Running> {
  const log = opts.logger;
  const configLog = log.child({ component: 'config' });
  const loaded = await loadConfig(opts.configPath);
  for (const warning of loaded.warnings) configLog.warn(warning);
  let config = loaded.config;
  configLog.debug({ config: redactConfig(config) }, 'configuration');

  const store = new TableStore();
  const skipped = new SkippedElements(log);
  const metrics = createMetrics({ store, skipped: skipped.total });
  // Old table generations and a build's garbage are collected soon after each swap. Compacting
  // takes several passes over a heap that, with the event stream, holds the cluster's state:
  // at most every 10 s, so a busy stream's rebuilds are not slowed by it.
  const gcLog = log.child({ component: 'gc' });
  const collector = garbageCollector({
    shrink: true,
    minIntervalMs: 10_000,
    onCollected: (ms) => {
      // The collection frees a build's ArrayBuffers and native results; what they leave free
      // inside glibc's arenas (between chunks still in use) stays resident until trimmed.
      trimMalloc();
      gcLog.debug({ ms: Math.round(ms) }, 'garbage collected');
    },
    // Not in the middle of a build (publish.ts builds in steps), nor while the stream's snapshot
    // arrives (the first poll's swap is followed at once by the snapshot, which this thread reads
    // as it comes): it would only delay serving them. It runs after the swap that follows.
    busy: () => publisher.busy?.() === true || source?.readingSnapshot?.() === true,
  });
  const stopCollecting = store.onSwap(() => collector.afterSwap());
  // A table is current when it is swapped in; the source then says how it fares (/ready).
  const freshness = new Freshness(() => Date.now() / 1000);
  const stopFreshness = store.onSwap(() => freshness.ok());
  // Zone transfer (dns/xfr/): serials and IXFR journals follow each table; NOTIFY after each swap.
  const history = new ZoneHistory({ config: () => config, logger: log });
  const notifier = startNotifier({ config: () => config, store, logger: log, count: (outcome) => metrics.notifies.inc({ outcome }) });
  const transfer = transferService({
    config: () => config,
    snapshot: () => store.current(),
    history,
    logger: log,
    count: (type, result) => metrics.zoneTransfers.inc({ type, result }),
  });
  // A secondary's NOTIFYs reach its source through the same relay as transfers (handle-query.ts).
  let source: RunningSource | undefined;
  const answerTransfer: TransferAnswer = async (buf, transport, client) =>
    isNotifyRequest(buf) ? (source?.notify?.(buf, client) ?? null) : transfer(buf, transport, client);
  const publisher = createPublisher({
    admit: (table, touched) => history.admit(store.current()?.table, table, touched),
    logger: log,
    config: () => config,
    store,
    selfAddresses: () => selfAddresses(config.Listener),
    lookupHost: opts.lookupHost,
    onSwapped: (table, leader, seconds, kind) => metrics.tableSwapped(table, leader, seconds, kind),
    onMismatch: () => metrics.tableCheckMismatch(),
    // `serving` is assigned below, before the source (and so the first publish) starts.
    served: (generation) => serving.served(generation),
  });
  // Each source publishes through its own gate. Once a reload has replaced a source, whatever
  // it still delivers before it is closed (a stream event, a poll in flight) must not swap its
  // cluster's table in over the new source's; it is dropped (callers ignore the snapshot).
  let activeSource = 0;
  const gatedPublisher = (id: number): Publisher => ({
    publish: (state, masters, origin) => (id === activeSource ? publisher.publish(state, masters, origin) : Promise.resolve(store.current() as Snapshot)),
  });
  // Static zones (docs/static-zones.md): read before the source starts, so the first table
  // already comes with them; each change of a zone file swaps in a snapshot with the same table.
  const zones = new ZoneWatcher({
    dir: config.typed.zonesDir,
    domainZone: config.typed.zone,
    logger: log,
    onZones: (data) => {
      const next = staticZones(data);
      // The IXFR journal of each changed static zone, before the zones are served (zone-history.ts).
      history.admitStatic(store.zones(), next);
      store.swapZones(next);
      metrics.zonesServed(data);
    },
    onError: () => metrics.zoneLoadErrors.inc(),
  });
  await zones.start();
  let serving: Serving;
  try {
    serving = await startServing({ config: () => config, store, logger: log, version: packageVersion(), freshness, metrics, transfer: answerTransfer });
  } catch (err) {
    notifier.close();
    zones.stop();
    throw err;
  }
  // -v=2: the query counters after each refresh, next to the records publish.ts traces.
  const countersLog = log.child({ component: 'counters' });
  const stopTracing = store.onSwap((snapshot) => {
    if (!countersLog.isLevelEnabled('trace')) return;
    void serving.queryStats().then((s) =>
      countersLog.trace(
        { generation: snapshot.generation, requests: s.requests, rcodes: Object.fromEntries(s.rcodes), dropped: s.dropped, forwarded: s.forwarded, forwardFailures: s.forwardFailures, cacheHits: s.cacheHits },
        'query counters',
      ),
    );
  });
  // A secondary swaps the tables made of its zone copies through the same gate.
  const secondaryFor = (id: number) => ({
    config: () => config,
    metrics: metrics.secondary,
    swap: (table: RecordTable, touched?: readonly string[]) => {
      if (id !== activeSource) return;
      store.swap(table, undefined, touched);
      metrics.tableSwapped(table, '', 0, touched === undefined ? 'full' : 'patch');
    },
  });
  // `source` as the NOTIFY relay above sees it (undefined until started); `running` the same, typed as started.
  let running: RunningSource;
  try {
    running = source = await startSource({ config, publisher: gatedPublisher(activeSource), logger: log, onFatal: opts.onFatal, health: freshness, skipped, metrics, secondary: secondaryFor(activeSource) });
  } catch (err) {
    notifier.close();
    zones.stop();
    await serving.close();
    throw err;
  }

  let reloading: Promise<boolean> | undefined;
  async function reload(): Promise<boolean> {
    let next: Config;
    try {
      const got = await loadConfig(opts.configPath);
      for (const warning of got.warnings) configLog.warn(warning);
      next = got.config;
    } catch (err) {
      if (err instanceof ConfigErrors) for (const warning of err.warnings) configLog.warn(warning);
      configLog.error({ err }, 'SIGHUP: the new config is invalid; keeping the running one');
      return false;
    }
    try {
      // Sockets first (bound before the old ones close, so no query is dropped), then the source.
      await serving.reconfigure(next);
      const previous = config;
      config = next;
      if (restarts('notify', previous, next)) notifier.reconfigure();
      if (restarts('zones', previous, next)) await zones.reconfigure(next.typed.zonesDir, next.typed.zone);
      // A secondary's zones follow Domain and ReverseZones too (config/typed.ts secondaryOf).
      // (Only in secondary mode: typed.secondary lists the zones it would follow even when off, and a
      // restart for a ReverseZones edit made the reload return before the new table was built.)
      const secondaryChanged = (previous.typed.secondary.on || next.typed.secondary.on) && JSON.stringify(previous.typed.secondary) !== JSON.stringify(next.typed.secondary);
      if (restarts('source', previous, next) || secondaryChanged) {
        const old = running;
        const oldId = activeSource;
        activeSource = oldId + 1;
        try {
          running = source = await startSource({ config: next, publisher: gatedPublisher(activeSource), logger: log, onFatal: opts.onFatal, health: freshness, skipped, metrics, secondary: secondaryFor(activeSource) });
        } catch (err) {
          activeSource = oldId;
          throw err;
        }
        await old.close();
      } else {
        // Same cluster: rebuild the table under the new naming settings (domain, TTL, ...) now.
        await running.refresh();
      }
      configLog.info('SIGHUP: configuration reloaded');
      return true;
    } catch (err) {
      configLog.error({ err }, 'SIGHUP: applying the new config failed; keeping the running one');
      return false;
    }
  }

  return {
    config: () => config,
    store,
    serving,
    refresh: () => running.refresh(),
    reload: () => {
      reloading ??= reload().finally(() => {
        reloading = undefined;
      });
      return reloading;
    },
    async close() {
      stopCollecting();
      stopFreshness();
      stopTracing();
      notifier.close();
      collector.close();
      zones.stop();
      await running.close();
      await serving.close();
    },
  };
}

function printDemoHelp(config: Config): void {
  const at = `@${config.Listener} -p ${config.Port}`;
  const http = `${config.HTTPListener}:${config.HttpPort}`;
  process.stdout.write(
    [
      '',
      `mesos-dns-ts demo: serving the bundled cluster state (${path.relative(process.cwd(), config.StateFile) || config.StateFile})`,
      `  DNS  ${config.Listener}:${config.Port} (udp+tcp)   HTTP  ${http}`,
      '',
      'Try:',
      `  dig ${at} _nginx._tcp.marathon.mesos SRV`,
      `  dig ${at} nginx.marathon.mesos`,
      `  dig ${at} nginx.marathon.slave.mesos`,
      `  dig ${at} _db._redis._tcp.marathon.mesos SRV`,
      `  dig ${at} leader.mesos`,
      `  dig ${at} mesos SOA`,
      `  dig ${at} nothere.marathon.mesos`,
      `  curl -s ${http}/v1/services/_nginx._tcp.marathon.mesos`,
      `  curl -s ${http}/v1/hosts/nginx.marathon.mesos`,
      `  curl -s ${http}/v1/axfr`,
      '',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
}

/** The CLI: parse flags, start, handle signals, exit 1 on any startup error. */
export async function main(argv: string[]): Promise<void> {
  let cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage()}\n`);
    process.exitCode = 2;
    return;
  }
  if (cli.help) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  if (cli.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  // mesos-dns reads ./config.json by default; with none there, we serve the bundled demo.
  const configPath = cli.configPath ?? (existsSync('config.json') ? 'config.json' : DEMO_CONFIG);
  const demo = configPath === DEMO_CONFIG;
  const logger = createLogger({ verbosity: cli.verbosity });

  let running: Running;
  try {
    running = await start({
      configPath,
      logger,
      onFatal: (err) => {
        logger.fatal({ err }, 'cannot continue');
        void running?.close().finally(() => process.exit(1));
      },
    });
  } catch (err) {
    // Through the same JSON logger as everything else, one line per problem (a log shipper
    // that reads stdout sees why the server did not start).
    const configLog = logger.child({ component: 'config' });
    const problems = err instanceof ConfigErrors ? err.errors : err instanceof ConfigError ? [err] : [];
    if (err instanceof ConfigErrors) for (const warning of err.warnings) configLog.warn({ config: path.resolve(configPath) }, warning);
    for (const e of problems) configLog.fatal({ key: e.key || undefined, code: e.code, config: path.resolve(configPath) }, e.message);
    if (problems.length === 0) logger.fatal({ err }, 'startup failed');
    process.exitCode = 1;
    // Let pino flush before the exit code takes effect.
    setTimeout(() => process.exit(1), 50).unref();
    return;
  }
  const addrs = running.serving.addresses();
  logger.info({ dns: addrs.dns, http: addrs.http, config: path.resolve(configPath) }, 'mesos-dns-ts started');
  if (demo) printDemoHelp(running.config());

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => void running.reload());
}
