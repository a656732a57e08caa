// The logger rule (docs/architecture.md): a module receives its caller's logger and scopes
// itself with child({ component }). When a caller scoped the logger as well, pino wrote the
// `component` key twice in one line (JSON parsers keep only the last), as it did for the
// ZooKeeper detector. These tests start the real sources with a logger that keeps the raw
// lines, and count the keys in the text.
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { createLogger } from '../src/log.js';
import type { Publisher } from '../src/publish.js';
import { startSource, type RunningSource } from '../src/sources/start-source.js';
import { waitFor } from './helpers/stream-master.js';

const publisher = { publish: async () => undefined } as unknown as Publisher;

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const componentKeys = (line: string): string[] => [...line.matchAll(/"component":"([^"]*)"/g)].map((m) => m[1]);

describe('each log line names its component once', () => {
  let running: RunningSource | undefined;
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => lines.push(line) } });
  const linesWith = (text: string) => lines.filter((l) => l.includes(text));

  afterEach(async () => {
    await running?.close();
    running = undefined;
    lines.length = 0;
  });

  it('the ZooKeeper detector, started by startSource', async () => {
    // A "ZooKeeper" that accepts the connection and never answers: the detector is then waiting
    // on a socket, where closing it is clean.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const config: Config = withTyped({ ...DEFAULTS, Zk: `zk://127.0.0.1:${(silent.address() as AddressInfo).port}/mesos`, StreamOn: false });
      running = await startSource({ config, publisher, logger });
      await waitFor(() => sockets.length > 0, 5000, 'the detector to connect');
      const zkLines = linesWith('watching ZooKeeper');
      expect(zkLines).toHaveLength(1);
      expect(componentKeys(zkLines[0])).toEqual(['zk-detector']);
      for (const line of lines) expect(componentKeys(line)).toHaveLength(1);
    } finally {
      await running?.close();
      running = undefined;
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('the state poller, started by the cluster source', async () => {
    const config: Config = withTyped({ ...DEFAULTS, Masters: [`127.0.0.1:${await closedPort()}`], StreamOn: false });
    running = await startSource({ config, publisher, logger });
    await waitFor(() => linesWith('"component":"poller"').length > 0, 5000, 'a failed poll to be logged');
    for (const line of lines) expect(componentKeys(line)).toHaveLength(1);
    expect(linesWith('"component":"poller"').map(componentKeys)).toContainEqual(['poller']);
  });

  it('the state file source', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mdns-log-'));
    try {
      const config: Config = withTyped({ ...DEFAULTS, StateFile: path.join(dir, 'missing.json') });
      running = await startSource({ config, publisher, logger });
      await waitFor(() => linesWith('"component":"state-file"').length > 0, 5000, 'the failed read to be logged');
      for (const line of lines) expect(componentKeys(line)).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
