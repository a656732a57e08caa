// The whole-zone transfer of a table patched by stream events (records/incremental/: the
// packed base's owners plus the overlay's, written by dns/xfr/axfr/mesos-axfr.ts), against the
// running server: dig takes the AXFR over TCP and parses every message, and its A, AAAA and SRV
// records must be exactly the table's as /v1/axfr lists them (the HTTP API reads the table by
// name, not through the wire encoder), at the same serial.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { parseExposition, sumOf } from '../helpers/metrics.js';
import { emptyLegacyState, getState, StreamMaster, taskAdded, taskUpdated, v1Agent, v1Framework, v1Status, v1Task, waitFor } from '../helpers/stream-master.js';

type Json = Record<string, unknown>;

function running(id: string, ip: string): Json {
  const status = v1Status({ taskId: id, agentId: 'a1', state: 'TASK_RUNNING', ips: [ip], timestamp: 1_700_000_100 });
  return v1Task({ id, frameworkId: 'fw1', agentId: 'a1', state: 'TASK_RUNNING', ports: [[31000, 31001]], statuses: [status] });
}

let master: StreamMaster;
let server: TestServer;

beforeAll(async () => {
  master = await StreamMaster.start();
  master.stateDocument = emptyLegacyState(master.port);
  // Enough tasks for many messages (with compression pointers reaching only the first 16 KiB of each).
  const tasks = Array.from({ length: 1500 }, (_, i) => running(`bulk${i}.1`, `10.4.${i >> 8}.${i & 255}`));
  master.getState = getState({ agents: [v1Agent('a1', '10.1.0.1')], frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')], tasks });
  server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false, AllowTransfer: ['127.0.0.0/8'] });
  await waitFor(() => master.openStreams === 1, 5000, 'the server subscribes to the event stream');
}, 30_000);

afterAll(async () => {
  await server?.close();
  await master?.close();
});

/** Polls until `name` answers `want` (bounded). */
async function answered(name: string, want: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got = (await server.resolver().resolve4(name).catch(() => [] as string[])).sort();
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    if (Date.now() > deadline) throw new Error(`${name} answers ${got.join(',')}, not ${want.join(',') || 'nothing'}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** name -> sorted values, per type, from dig's AXFR lines and from /v1/axfr. */
type Rrsets = Record<string, string[]>;

function fromDig(lines: string[][]): { rrsets: Rrsets; serial: number } {
  const rrsets: Rrsets = {};
  let serial = -1;
  for (const [name, , , type, ...data] of lines) {
    if (type === 'SOA') serial = Number(data[2]);
    // SRV: priority weight port target; /v1/axfr lists target:port.
    const value = type === 'SRV' ? `${data[3]}:${data[2]}` : data[0];
    if (type === 'A' || type === 'AAAA' || type === 'SRV') (rrsets[`${type} ${name}`] ??= []).push(value);
  }
  for (const v of Object.values(rrsets)) v.sort();
  return { rrsets, serial };
}

function fromApi(body: string): { rrsets: Rrsets; serial: number } {
  const axfr = JSON.parse(body) as { Serial: number; Records: { As: Record<string, string[]>; AAAAs: Record<string, string[]>; SRVs: Record<string, string[]> } };
  const rrsets: Rrsets = {};
  for (const [type, map] of [['A', axfr.Records.As], ['AAAA', axfr.Records.AAAAs], ['SRV', axfr.Records.SRVs]] as const) {
    for (const [name, values] of Object.entries(map)) rrsets[`${type} ${name}`] = [...values].sort();
  }
  return { rrsets, serial: axfr.Serial };
}

describe('AXFR of a table patched by stream events', () => {
  it('launches and kills: dig parses every message, and the records are the table’s', async () => {
    await answered('bulk1499.marathon.mesos', ['10.4.5.219']);
    const patches = sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_table_updates_total', { kind: 'patch' });
    for (let i = 0; i < 3; i++) master.send(taskAdded(running(`new${i}.1`, `10.5.0.${i + 1}`)));
    for (const id of ['bulk0.1', 'bulk700.1']) master.send(taskUpdated('fw1', 'TASK_KILLED', v1Status({ taskId: id, agentId: 'a1', state: 'TASK_KILLED', timestamp: 1_700_000_200 })));
    await answered('new2.marathon.mesos', ['10.5.0.3']);
    await answered('bulk700.marathon.mesos', []);
    // The table served is a patch over the full build, not a new build.
    expect(sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_table_updates_total', { kind: 'patch' })).toBeGreaterThan(patches);

    // Run directly: the transfer's text is larger than the helper's output buffer.
    const text = await new Promise<string>((resolve, reject) =>
      execFile('dig', ['@127.0.0.1', '-p', String(server.dnsPort), '+nocmd', '+tries=1', '+time=5', 'mesos', 'AXFR'], { timeout: 20_000, maxBuffer: 32 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(text).not.toMatch(/Transfer failed|communications error/);
    const messages = Number(/XFR size: \d+ records \(messages (\d+)/.exec(text)?.[1] ?? 0);
    expect(messages).toBeGreaterThan(1);
    const lines = text
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith(';'))
      .map((l) => l.split(/\s+/));
    expect([lines[0][3], lines.at(-1)![3]]).toEqual(['SOA', 'SOA']);
    const got = fromDig(lines);
    const want = fromApi((await server.http('/v1/axfr')).body);
    expect(got.serial).toBe(want.serial);
    expect(got.rrsets['A new1.marathon.mesos.']).toEqual(['10.5.0.2']);
    expect(got.rrsets['A bulk700.marathon.mesos.']).toBeUndefined();
    expect(got.rrsets['SRV _bulk5._tcp.marathon.mesos.']).toBeDefined();
    expect(got.rrsets).toEqual(want.rrsets);
  }, 30_000);
});
