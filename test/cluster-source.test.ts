// ClusterSource against real stand-in masters (node:http on 127.0.0.1) and a test-driven leader
// detector: what a leader change does to a /master/state poll that is still in flight.
import { EventEmitter } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { silentLogger } from '../src/log.js';
import { createMasterHttp, type MasterHttp } from '../src/mesos/master-http.js';
import type { MasterState } from '../src/mesos/state.js';
import type { Publisher } from '../src/publish.js';
import { ClusterSource, type MastersUpdate } from '../src/sources/cluster-source.js';
import { startSource } from '../src/sources/start-source.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start } from '../src/main.js';
import { agentAdded, getState, StreamMaster, v1Agent, v1Framework, waitFor } from './helpers/stream-master.js';
import { hp, masters } from './helpers/masters.js';
import { configuredStateReader } from '../src/mesos/read-state.js';

/** A master whose /master/state names itself leader; answers can be held back by the test. */
class HoldingMaster {
  readonly server: Server;
  port = 0;
  requests = 0;
  hold = false;
  readonly #held: ServerResponse[] = [];

  constructor(private readonly taskName: string) {
    this.server = createServer((req, res) => {
      if (req.url !== '/master/state') {
        res.writeHead(404).end();
        return;
      }
      this.requests++;
      if (this.hold) this.#held.push(res);
      else this.#answer(res);
    });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  release(): void {
    this.hold = false;
    for (const res of this.#held.splice(0)) this.#answer(res);
  }

  #answer(res: ServerResponse): void {
    const state = {
      leader: `master@${this.address}`,
      slaves: [{ id: 's1', pid: 'slave(1)@10.0.0.1:5051', hostname: '10.0.0.1' }],
      frameworks: [
        {
          id: 'fw1',
          name: 'marathon',
          tasks: [{ id: `${this.taskName}.1`, name: this.taskName, framework_id: 'fw1', slave_id: 's1', state: 'TASK_RUNNING' }],
        },
      ],
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state));
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

class TestDetector extends EventEmitter {
  start(): void {}
  close(): void {}
  report(update: MastersUpdate): void {
    this.emit('masters', update);
  }
}

let oldLeader: HoldingMaster;
let newLeader: HoldingMaster;
let http: MasterHttp;

beforeAll(async () => {
  oldLeader = new HoldingMaster('old');
  newLeader = new HoldingMaster('new');
  await Promise.all([oldLeader.start(), newLeader.start()]);
  const config: Config = withTyped({ ...DEFAULTS, Masters: [], RefreshSeconds: 3600, StreamOn: false });
  http = createMasterHttp(config, silentLogger);
});

afterAll(async () => {
  await Promise.all([oldLeader?.close(), newLeader?.close()]);
  await http?.close();
});

describe('ClusterSource leader changes', () => {
  it('drops a poll started against the old leader and polls the new one', async () => {
    const config: Config = withTyped({ ...DEFAULTS, Masters: [], RefreshSeconds: 3600, StreamOn: false });
    const published: string[] = [];
    const detector = new TestDetector();
    const source = new ClusterSource({
      config,
      stateReader: configuredStateReader(true).reader,
      http,
      logger: silentLogger,
      detector,
      publish: async (state: MasterState) => {
        published.push(state.frameworks.flatMap((f) => f.tasks.map((t) => t.name)).join(','));
      },
    });
    try {
      oldLeader.hold = true;
      source.start();
      // Let the start-up poll (no masters known yet) fail first.
      await new Promise((r) => setTimeout(r, 50));
      detector.report({ leader: hp(oldLeader.address), masters: masters([oldLeader.address, newLeader.address]) });
      await waitFor(() => oldLeader.requests === 1, 5000, 'a poll to the old leader');

      // The old leader loses leadership while its answer is still on the way.
      detector.report({ leader: hp(newLeader.address), masters: masters([newLeader.address, oldLeader.address]) });
      await waitFor(() => newLeader.requests >= 1, 3000, 'a poll to the new leader');
      await waitFor(() => published.includes('new'), 3000, "the new leader's state published");

      oldLeader.release();
      // Give the old answer time to land; it must not replace the new leader's state.
      await new Promise((r) => setTimeout(r, 200));
      expect(published[published.length - 1]).toBe('new');
      expect(source.masters.leader).toEqual(hp(newLeader.address));
    } finally {
      await source.close();
    }
  });
});

describe('closing the cluster source', () => {
  it('does not wait for a master that never answers /master/state', async () => {
    oldLeader.hold = true;
    const before = oldLeader.requests;
    let published = 0;
    const publisher = { publish: async () => void published++ } as unknown as Publisher;
    // mesos-dns's default stateTimeoutSeconds (300 s): close() must not sit that out.
    const config: Config = withTyped({ ...DEFAULTS, Masters: [oldLeader.address], StateTimeoutSeconds: 300, StreamOn: false });
    const running = await startSource({ config, publisher, logger: silentLogger });
    await waitFor(() => oldLeader.requests > before, 5000, 'a poll to the hanging master');
    const outcome = await Promise.race([
      running.close().then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('still closing'), 2000).unref()),
    ]);
    oldLeader.release();
    expect(outcome).toBe('closed');
    // The answer arriving after close() is not published.
    await new Promise((r) => setTimeout(r, 100));
    expect(published).toBe(0);
  });
});

describe('SIGHUP switching the source', () => {
  it('never lets the replaced source swap its table in after the new one', async () => {
    const master = await StreamMaster.start();
    const dir = await mkdtemp(path.join(tmpdir(), 'mdns-cs-'));
    const configPath = path.join(dir, 'config.json');
    const stateFile = path.join(dir, 'state.json');
    // The new source's first build blocks on resolving its agent's hostname until released.
    let fileLookups = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const lookupHost = async (name: string): Promise<string[]> => {
      if (name !== 'file-agent.example') return [];
      fileLookups++;
      await gate;
      return ['10.9.9.9'];
    };
    master.stateDocument = { leader: `master@127.0.0.1:${master.port}`, slaves: [], frameworks: [] };
    master.getState = getState({ agents: [v1Agent('a1', '10.1.0.1')], frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')] });
    const base = { listener: '127.0.0.1', port: 0, HTTPListener: '127.0.0.1', httpport: 0, workers: 1, externalon: false, refreshSeconds: 3600 };
    await writeFile(configPath, JSON.stringify({ ...base, masters: [`127.0.0.1:${master.port}`] }));
    const running = await start({ configPath, logger: silentLogger, lookupHost });
    try {
      await waitFor(() => master.openStreams === 1 && running.store.current() !== undefined, 5000, 'streaming from the master');
      await writeFile(
        stateFile,
        JSON.stringify({
          leader: 'master@127.0.0.1:5050',
          slaves: [{ id: 'f1', pid: 'slave(1)@10.2.0.1:5051', hostname: 'file-agent.example' }],
          frameworks: [
            {
              id: 'fw9',
              name: 'batch',
              hostname: 'file-agent.example',
              tasks: [{ id: 'file-task.1', name: 'file-task', framework_id: 'fw9', slave_id: 'f1', state: 'TASK_RUNNING' }],
            },
          ],
        }),
      );
      const addrs = running.serving.addresses();
      await writeFile(configPath, JSON.stringify({ ...base, port: addrs.dns!.udp.port, httpport: addrs.http!.port, masters: ['127.0.0.1:5050'], stateFile }));
      const reloaded = running.reload();
      await waitFor(() => fileLookups > 0, 5000, 'the state file build');
      // The old cluster moves on while the new source's first table is being built.
      const before = master.openStreams;
      master.send(agentAdded(v1Agent('a2', '10.1.0.2')));
      await new Promise((r) => setTimeout(r, 300));
      release();
      expect(await reloaded).toBe(true);
      expect(before).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(running.store.current()!.table.names.has('file-task.batch.mesos.')).toBe(true);
    } finally {
      release();
      await running.close();
      await master.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('stream and poll together', () => {
  it('a poll landing while the stream delivers does not replace the streamed view', async () => {
    const master = await StreamMaster.start();
    const config: Config = withTyped({ ...DEFAULTS, Masters: [`127.0.0.1:${master.port}`], RefreshSeconds: 3600, StreamOn: true });
    const streamHttp = createMasterHttp(config, silentLogger);
    const published: string[][] = [];
    const source = new ClusterSource({
      config,
      stateReader: configuredStateReader(true).reader,
      http: streamHttp,
      logger: silentLogger,
      publish: async (state: MasterState) => void published.push(state.agents.map((a) => a.id).sort()),
    });
    try {
      // /master/state is a snapshot from before agent a2 registered; the stream has it.
      master.stateDocument = { leader: `master@127.0.0.1:${master.port}`, slaves: [{ id: 'a1', pid: 'slave(1)@10.1.0.1:5051', hostname: '10.1.0.1' }], frameworks: [] };
      master.getState = getState({ agents: [v1Agent('a1', '10.1.0.1')] });
      source.start();
      await waitFor(() => source.mode === 'stream' && published.length >= 2, 5000, 'streaming');
      master.send(agentAdded(v1Agent('a2', '10.1.0.2')));
      await waitFor(() => published.some((p) => p.includes('a2')), 5000, 'the streamed agent');
      // An operator's refresh (or a same-cluster SIGHUP) polls while the stream is live.
      expect(await source.refreshNow()).toBe(true);
      expect(published[published.length - 1]).toEqual(['a1', 'a2']);
    } finally {
      await source.close();
      await streamHttp.close();
      await master.close();
    }
  });
});

describe('the origin of each published state', () => {
  /** The source's publishes (origin, or 'poll' when none is given) until `until` holds. */
  async function origins(streamOn: boolean, setUp: (master: StreamMaster) => void, until: (seen: string[], source: ClusterSource) => boolean, then?: (source: ClusterSource) => Promise<unknown>): Promise<string[]> {
    const master = await StreamMaster.start();
    const config: Config = withTyped({ ...DEFAULTS, Masters: [`127.0.0.1:${master.port}`], RefreshSeconds: 3600, StreamOn: streamOn });
    const streamHttp = createMasterHttp(config, silentLogger);
    const seen: string[] = [];
    const source = new ClusterSource({
      config,
      stateReader: configuredStateReader(true).reader,
      http: streamHttp,
      logger: silentLogger,
      publish: async (_state: MasterState, _masters, origin) => void seen.push(origin ?? 'poll'),
    });
    try {
      master.stateDocument = { leader: `master@127.0.0.1:${master.port}`, slaves: [], frameworks: [] };
      setUp(master);
      source.start();
      await waitFor(() => until(seen, source), 5000, 'the publishes');
      if (then) await then(source);
      return seen;
    } finally {
      await source.close();
      await streamHttp.close();
      await master.close();
    }
  }

  it('a poll while the stream is being subscribed to is the base its snapshot patches; a refresh while it streams is a poll', async () => {
    const seen = await origins(true, () => undefined, (s, source) => source.mode === 'stream' && s.length >= 2, (source) => source.refreshNow());
    expect(seen).toEqual(['poll-before-stream', 'stream', 'poll']);
  });

  it('StreamOn false: every poll is a poll', async () => {
    const seen = await origins(false, () => undefined, (s) => s.length >= 1, (source) => source.refreshNow());
    expect(seen).toEqual(['poll', 'poll']);
  });

  it('a master without the stream: its polls are polls once it said so', async () => {
    const seen = await origins(true, (master) => (master.subscribeAnswer = { status: 404 }), (_s, source) => source.mode === 'polling', (source) => source.refreshNow());
    expect(seen).toEqual(['poll-before-stream', 'poll']);
  });
});
