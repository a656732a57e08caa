// The Operator API stream's SUBSCRIBED snapshot read by the native reader, against the running
// server (issue 16 item 2): the start-up says which reader reads it, the records equal those of a
// server told NativeStateReader false (JSON.parse), a malformed element is left out the same way
// by both, and /health answers while a large snapshot arrives slowly.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeRecord } from '../../src/mesos/recordio.js';
import { aRecords } from '../helpers/a-records.js';
import { captureLog } from '../helpers/log-capture.js';
import { syntheticSnapshot } from '../helpers/read-subscribed.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { emptyLegacyState, getState, StreamMaster, v1Agent, v1Framework, v1Status, v1Task, waitFor } from '../helpers/stream-master.js';

type Json = Record<string, unknown>;

const linesWith = (lines: Json[], text: string): Json[] => lines.filter((l) => String(l.msg).includes(text));

/** The legacy document knows none of the tasks: whatever resolves came from the stream. */
const emptyDocument = (master: StreamMaster): Json => emptyLegacyState(master.port);

/** A records from the server's resolver; [] for a name that does not exist or has none. */
const a = (server: TestServer, name: string): Promise<string[]> => aRecords(server.resolver(), name);

/** /v1/axfr's records, without the serial (each server stamps its own). */
async function records(server: TestServer): Promise<unknown> {
  const { status, body } = await server.http('/v1/axfr');
  expect(status).toBe(200);
  const axfr = JSON.parse(body) as Json;
  delete axfr.Serial;
  return axfr;
}

describe('the stream snapshot, read natively and with JSON.parse', () => {
  let master: StreamMaster;
  const servers: Record<'native' | 'json', { server: TestServer; lines: Json[] }> = {} as never;

  const running = (id: string, ip: string, extra: Json = {}): Json => ({
    ...v1Task({ id, frameworkId: 'fw1', agentId: 'a1', state: 'TASK_RUNNING', ports: [[31000, 31001]], statuses: [v1Status({ taskId: id, agentId: 'a1', state: 'TASK_RUNNING', ips: [ip], healthy: true })] }),
    ...extra,
  });

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.stateDocument = emptyDocument(master);
    master.getState = getState({
      agents: [v1Agent('a1', '10.1.0.1'), v1Agent('a2', '10.1.0.2')],
      frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100'), v1Framework('fw2', 'caf\u00e9', '10.1.0.200')],
      tasks: [
        running('web.1', '9.9.9.1', { discovery: { name: 'web', visibility: 'FRAMEWORK', ports: { ports: [{ number: 31000, protocol: 'tcp', name: 'http' }] } } }),
        running('web.2', '9.9.9.2'),
        // Malformed: a host port out of range. Left out, the rest served.
        running('bad.1', '9.9.9.3', { resources: [{ name: 'ports', ranges: { range: [{ begin: 70000, end: 70000 }] } }] }),
        running('api.1', 'fd00::7'),
        v1Task({ id: 'db.1', frameworkId: 'fw2', agentId: 'a2', state: 'TASK_RUNNING', statuses: [v1Status({ taskId: 'db.1', state: 'TASK_RUNNING', labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '172.17.0.5' }] })] }),
        v1Task({ id: 'done.1', frameworkId: 'fw1', agentId: 'a1', state: 'TASK_FINISHED' }),
      ],
    });
    for (const [which, native] of [['native', true], ['json', false]] as const) {
      const { logger, lines } = captureLog('info');
      const server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false, EnumerationOn: true, NativeStateReader: native }, logger);
      servers[which] = { server, lines };
    }
    for (const { server } of Object.values(servers)) {
      let web: string[] = [];
      for (let i = 0; i < 200 && web.length === 0; i++) {
        web = await a(server, 'web.marathon.mesos');
        if (web.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(web).toEqual(['9.9.9.1', '9.9.9.2']);
    }
  });

  afterAll(async () => {
    for (const { server } of Object.values(servers)) await server.close();
    await master?.close();
  });

  it('says which reader read the snapshot: native by default, JSON.parse with NativeStateReader false', () => {
    const native = linesWith(servers.native.lines, 'subscribed: snapshot read');
    expect(native).toHaveLength(1);
    expect(native[0]).toMatchObject({ stateReader: 'native', agents: 2, frameworks: 2, tasks: 4 });
    expect(native[0]).not.toHaveProperty('declined');
    expect(typeof native[0].readMs).toBe('number');
    expect(linesWith(servers.json.lines, 'subscribed: snapshot read')[0]).toMatchObject({ stateReader: 'JSON.parse', tasks: 4 });
  });

  it('serves the same records either way', async () => {
    const native = await records(servers.native.server);
    expect(native).toEqual(await records(servers.json.server));
    // And they are the snapshot's: its tasks, their SRV records and the task that is only in it.
    const text = JSON.stringify(native);
    expect(text).toContain('"db.caf.mesos.":["10.1.0.2"]');
    expect(text).toContain('"api.marathon.mesos.":["fd00::7"]');
    expect(text).toContain('_web._tcp.marathon.mesos.');
    expect(text).not.toContain('done');
  });

  it('leaves out the malformed task the same way in both', async () => {
    for (const { server, lines } of Object.values(servers)) {
      expect(await a(server, 'bad.marathon.mesos')).toEqual([]);
      const left = linesWith(lines, 'malformed task left out');
      expect(left).toHaveLength(1);
      expect(left[0]).toMatchObject({ origin: 'stream', kind: 'task', path: 'get_state.get_tasks.tasks[2]', id: 'bad.1', reason: 'range.begin: 70000 is not a port' });
    }
  });

  it('reads with JSON.parse a snapshot the native reader declines, and says why', async () => {
    // The next subscription's snapshot repeats a key (JSON.parse keeps the last value).
    const text = JSON.stringify({ type: 'SUBSCRIBED', subscribed: { get_state: master.getState, heartbeat_interval_seconds: 15 } });
    master.subscribedRecord = encodeRecord(text.replace('"name":"marathon"', '"name":"ignored","name":"marathon"'));
    master.destroyStreams();
    const { lines } = servers.native;
    await waitFor(() => linesWith(lines, 'subscribed: snapshot read').length === 2, 10_000, 'the second subscription');
    expect(linesWith(lines, 'subscribed: snapshot read')[1]).toMatchObject({ stateReader: 'JSON.parse', declined: 'a key repeated in one object', tasks: 4 });
    let web: string[] = [];
    for (let i = 0; i < 100 && web.length === 0; i++) {
      web = await a(servers.native.server, 'web.marathon.mesos');
      if (web.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(web).toEqual(['9.9.9.1', '9.9.9.2']);
  });
});

describe('a large snapshot arriving slowly', () => {
  let master: StreamMaster;
  let server: TestServer;
  let lines: Json[];

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.stateDocument = emptyDocument(master);
    // ~3,000 tasks (about 2 MB) in 64 KiB pieces 60 ms apart: two seconds on the wire.
    master.subscribedRecord = encodeRecord(JSON.stringify(syntheticSnapshot(3000, 7)));
    master.snapshotPieces = { bytes: 64 * 1024, delayMs: 60 };
    const log = captureLog('info');
    lines = log.lines;
    server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false }, log.logger);
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('answers /health while the snapshot is read, before its last byte is sent, and then serves it', async () => {
    // Part of the snapshot is out, most of it is not.
    await waitFor(() => master.snapshotBytesWritten > 256 * 1024, 10_000, 'a quarter MB of the snapshot to be sent');
    const health = await server.http('/health');
    expect(health.status).toBe(200);
    expect(master.snapshotWrittenAt).toBeUndefined();
    // The snapshot is then read natively and served.
    await waitFor(() => linesWith(lines, 'subscribed: snapshot read').length === 1, 20_000, 'the snapshot to be read');
    expect(linesWith(lines, 'subscribed: snapshot read')[0]).toMatchObject({ stateReader: 'native' });
    expect(master.snapshotWrittenAt).toBeDefined();
  });
});
