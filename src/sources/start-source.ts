// Picks and starts the state source for a config: a state file on disk (our StateFile key) or a
// live cluster (ZooKeeper or static masters; event stream or polling). Every state goes through
// the publisher. No state is kept here: a 100k-task state is ~75 MB, and a reload that needs a
// rebuild simply fetches (or re-reads) the state again.
import path from 'node:path';
import type { Config } from '../config/typed.js';
import type { SourceHealth } from '../freshness.js';
import type { Logger } from '../log.js';
import { createMasterHttp } from '../mesos/master-http.js';
import type { MasterState } from '../mesos/state.js';
import { ZkDetector } from '../mesos/zk-detector.js';
import type { Publisher, StateOrigin } from '../publish.js';
import { ClusterSource } from './cluster-source.js';
import { StateFileSource } from './state-file.js';
import { configuredStateReader } from '../mesos/read-state.js';
import type { HostPort } from '../net/address.js';
import type { SkippedElements } from '../skipped-elements.js';
import type { SourceMetrics } from './source-metrics.js';
import type { RecordTable } from '../records/table.js';
import { SecondarySource, type SecondaryMetrics } from '../dns/xfr/secondary/secondary-source.js';

export interface RunningSource {
  /** Fetch or re-read the state now and rebuild the table; resolves to whether that succeeded. */
  refresh(): Promise<boolean>;
  close(): Promise<void>;
  /** A secondary's: a NOTIFY from `client` answered (and its zone refreshed). */
  notify?(buf: Buffer, client: string): Buffer[] | null;
  /** The event stream's snapshot is arriving or being read. */
  readingSnapshot?(): boolean;
}

export async function startSource(deps: {
  config: Config;
  publisher: Publisher;
  logger: Logger;
  onFatal?: (err: Error) => void;
  /** Told how the source fares (/ready, the stale-table warning). */
  health?: SourceHealth;
  /** Told what each document read left out. */
  skipped?: SkippedElements;
  metrics?: SourceMetrics;
  /**
   * A secondary (Primaries set) swaps the table made of its zone copies in itself, with no
   * master state: the running config, the swap, its metrics (dns/xfr/secondary/).
   */
  secondary?: { config: () => Config; swap: (table: RecordTable, touched?: readonly string[]) => void; metrics?: SecondaryMetrics };
}): Promise<RunningSource> {
  const { config, publisher, logger, skipped } = deps;
  if (config.typed.secondary.on && deps.secondary !== undefined) {
    const source = new SecondarySource({ ...deps.secondary, logger, health: deps.health });
    source.start();
    return { refresh: () => source.refreshAll(), close: async () => source.close(), notify: (buf, client) => source.notify(buf, client) };
  }
  // The one place the state reader is chosen; every fetch and re-read of this source uses it.
  const { reader, reason } = configuredStateReader(config.NativeStateReader);
  logger.child({ component: 'state-reader' }).info({ stateReader: reader ? 'native' : 'JSON.parse', ...(reason ? { reason } : {}) }, 'state documents are read');
  const publish = async (state: MasterState, masters: readonly HostPort[], origin?: StateOrigin) => {
    await publisher.publish(state, masters, origin);
  };

  if (config.StateFile) {
    // A relative path is relative to the config file, so a config and its state travel together.
    const file = path.resolve(config.File ? path.dirname(config.File) : process.cwd(), config.StateFile);
    const source = new StateFileSource(
      file,
      (state) => {
        skipped?.document('file', state.skipped);
        return publish(state, config.typed.masters);
      },
      logger,
      1000,
      reader,
      deps.metrics,
    );
    await source.start();
    // The file is the source of truth: whatever was last read from it is current.
    deps.health?.live(true);
    return { refresh: () => source.load(), close: async () => source.stop() };
  }

  const http = createMasterHttp(config, logger);
  const detector = config.Zk
    ? new ZkDetector({ url: config.Zk, detectionTimeoutSeconds: config.ZkDetectionTimeout, logger })
    : undefined;
  const source = new ClusterSource({ config, http, publish, logger, detector, stateReader: reader, health: deps.health, skipped, metrics: deps.metrics });
  source.on('fatal', (err) => deps.onFatal?.(err));
  source.start();
  return {
    refresh: () => source.refreshNow(),
    async close() {
      await source.close();
      await http.close();
    },
    readingSnapshot: () => source.readingSnapshot,
  };
}
