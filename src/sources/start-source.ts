// Picks and starts the state source for a config: a state file on disk (our StateFile key) or a
// live cluster (ZooKeeper or static masters; event stream or polling). Every state goes through
// the publisher; the last one is kept so a config reload can rebuild the table at once.
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createMasterHttp } from '../mesos/master-http.js';
import type { MasterState } from '../mesos/state.js';
import { ZkDetector } from '../mesos/zk-detector.js';
import type { Publisher } from '../publish.js';
import { ClusterSource } from './cluster-source.js';
import { StateFileSource } from './state-file.js';

export interface RunningSource {
  /** Fetch or re-read the state now; resolves to whether that succeeded. */
  refresh(): Promise<boolean>;
  /** Rebuild the table from the last state received (after a config change). */
  republish(): Promise<void>;
  close(): Promise<void>;
}

export async function startSource(deps: {
  config: Config;
  publisher: Publisher;
  logger: Logger;
  onFatal?: (err: Error) => void;
}): Promise<RunningSource> {
  const { config, publisher, logger } = deps;
  let last: { state: MasterState; masters: readonly string[] } | undefined;
  const publish = async (state: MasterState, masters: readonly string[]) => {
    last = { state, masters };
    await publisher.publish(state, masters);
  };
  const republish = async () => {
    if (last) await publisher.publish(last.state, last.masters);
  };

  if (config.StateFile) {
    // A relative path is relative to the config file, so a config and its state travel together.
    const file = path.resolve(config.File ? path.dirname(config.File) : process.cwd(), config.StateFile);
    const source = new StateFileSource(file, (state) => publish(state, config.Masters ?? []), logger.child({ component: 'state-file' }));
    await source.start();
    return { refresh: () => source.load(), republish, close: async () => source.stop() };
  }

  const http = createMasterHttp(config, logger);
  const detector = config.Zk
    ? new ZkDetector({ url: config.Zk, detectionTimeoutSeconds: config.ZkDetectionTimeout, logger: logger.child({ component: 'zk' }) })
    : undefined;
  const source = new ClusterSource({ config, http, publish, logger, detector });
  source.on('fatal', (err) => deps.onFatal?.(err));
  source.start();
  return {
    refresh: () => source.refreshNow(),
    republish,
    async close() {
      await source.close();
      await http.close();
    },
  };
}
