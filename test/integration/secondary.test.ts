// Our server as a secondary of our server (issue 16), all on loopback: a primary reads a
// stand-in master's Operator API stream and NOTIFYs the secondary; the secondary (Primaries set,
// no master) follows the Mesos zone and a reverse zone by AXFR, then IXFR on each NOTIFY, with
// TSIG, and answers from its copy: dig and Node's resolver at the secondary, /v1/hosts, /metrics,
// /ready. A secondary with a wrong key gets nothing; a NOTIFY from another address is REFUSED;
// with the primary stopped the secondary keeps answering until SOA EXPIRE, then SERVFAILs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freeLoopbackPort } from '../helpers/knot-secondary.js';
import { parseExposition, sumOf } from '../helpers/metrics.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { emptyLegacyState, getState, StreamMaster, taskAdded, taskUpdated, v1Agent, v1Framework, v1Status, v1Task, waitFor } from '../helpers/stream-master.js';

type Json = Record<string, unknown>;

const KEY = 'hmac-sha256:transfer-key:bWVzb3MtZG5zLXRzIHNlY29uZGFyeSB0ZXN0IGtleSE=';
const WRONG_KEY = 'hmac-sha256:transfer-key:c29tZSBvdGhlciBzZWNyZXQgYnl0ZXMgYWx0b2dldGhlcg==';

function running(id: string, ip: string): Json {
  const status = v1Status({ taskId: id, agentId: 'a1', state: 'TASK_RUNNING', ips: [ip], timestamp: 1_700_000_100 });
  return v1Task({ id, frameworkId: 'fw1', agentId: 'a1', state: 'TASK_RUNNING', ports: [[31000, 31000]], statuses: [status] });
}

let master: StreamMaster;
let primary: TestServer | undefined;
let secondary: TestServer;
let wrongKey: TestServer;
let upstream: FakeUpstream;

async function metric(server: TestServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sumOf(parseExposition((await server.http('/metrics')).body), name, labels);
}

async function a(server: TestServer, name: string): Promise<string[]> {
  try {
    return (await server.resolver().resolve4(name)).sort();
  } catch {
    return [];
  }
}

/** Polls `server` until `name` answers `want` (bounded); what it answered last. */
async function answers(server: TestServer, name: string, want: string[], timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await a(server, name);
    if (JSON.stringify(got) === JSON.stringify(want) || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function serialOf(soaLine: string): number {
  return Number(soaLine.trim().split(/\s+/)[2]);
}

const sortedHosts = (body: string) => (JSON.parse(body) as { host: string; ip: string }[]).map((h) => `${h.host} ${h.ip}`).sort();

beforeAll(async () => {
  master = await StreamMaster.start();
  master.stateDocument = emptyLegacyState(master.port);
  // Enough tasks that the first transfer takes several messages, each signed over the previous MAC.
  const more = Array.from({ length: 1200 }, (_, i) => running(`bulk${i}.1`, `10.4.${i >> 8}.${i & 255}`));
  master.getState = getState({ agents: [v1Agent('a1', '10.1.0.1')], frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')], tasks: [running('web.1', '10.2.0.1'), ...more] });
  upstream = await startUpstream({ records: { 'example.org': [{ name: 'example.org', type: 'A', ttl: 60, data: '192.0.2.7' }] } });
  const secondaryPort = await freeLoopbackPort();
  primary = await startTestServer({
    masters: [`127.0.0.1:${master.port}`],
    refreshSeconds: 3600,
    externalon: false,
    ReverseZones: ['10.2.0.0/16'],
    AllowTransfer: ['127.0.0.0/8'],
    Notify: [`127.0.0.1:${secondaryPort}`],
    TsigKeys: [KEY],
    TransferTsigKey: 'transfer-key',
    // The secondary's timers come from this SOA: refresh hourly (so changes come by NOTIFY
    // alone), retry each second, expire 8 s after the last contact.
    SOARefresh: 3600,
    SOARetry: 1,
    SOAExpire: 8,
  });
  await waitFor(() => master.openStreams === 1, 5000, 'the primary subscribes to the event stream');
  const follow = { Primaries: [`127.0.0.1:${primary!.dnsPort}`], ReverseZones: ['10.2.0.0/16'], resolvers: [upstream.address], TsigKeys: [KEY], TransferTsigKey: 'transfer-key' };
  // Two DNS worker threads: NOTIFY is relayed to the main thread, the expired zones travel with each table.
  secondary = await startTestServer({ port: secondaryPort, workers: 2, ...follow });
  wrongKey = await startTestServer({ ...follow, TsigKeys: [WRONG_KEY] });
}, 30_000);

afterAll(async () => {
  await wrongKey?.close();
  await secondary?.close();
  await primary?.close();
  await master?.close();
  await upstream?.close();
});

describe('a mesos-dns-ts secondary', () => {
  it('transfers the Mesos zone (AXFR, TSIG) and answers from it, with the primary serial', async () => {
    expect(await answers(secondary, 'web.marathon.mesos', ['10.2.0.1'])).toEqual(['10.2.0.1']);
    expect(await a(secondary, 'bulk1199.marathon.mesos')).toEqual(['10.4.4.175']);
    expect(await secondary.dig('+short', '_web._tcp.marathon.mesos', 'SRV')).toMatch(/^0 \d+ 31000 web-[\w-]+\.marathon\.slave\.mesos\.$/m);
    const soa = await secondary.dig('+short', 'mesos', 'SOA');
    expect(serialOf(soa)).toBe(serialOf(await primary!.dig('+short', 'mesos', 'SOA')));
    expect(await metric(secondary, 'mesos_dns_secondary_transfers_total', { type: 'axfr', result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(await metric(secondary, 'mesos_dns_secondary_zone_serial', { zone: 'mesos.' })).toBe(serialOf(soa));
    const ready = await secondary.http('/ready');
    expect(ready.status).toBe(200);
  }, 20_000);

  it('serves /v1/hosts as the primary does', async () => {
    for (const name of ['web.marathon.mesos', 'leader.mesos', 'slave.mesos']) {
      const [p, s] = await Promise.all([primary!.http(`/v1/hosts/${name}`), secondary.http(`/v1/hosts/${name}`)]);
      expect(s.status).toBe(200);
      expect(sortedHosts(s.body)).toEqual(sortedHosts(p.body));
      expect(sortedHosts(s.body).length).toBeGreaterThan(0);
    }
  });

  it('HTTP API: /v1/axfr and /v1/services as the primary, /v1/enumerate without tasks, /health with the primary serial', async () => {
    type Axfr = { Serial: number; Mname: string; Domain: string; Records: Record<string, Record<string, string[]>> };
    const sorted = (x: Axfr) => ({ ...x, RefreshSeconds: 0, Records: Object.fromEntries(Object.entries(x.Records).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([n, l]) => [n, [...l].sort()]))])) });
    const [p, s] = await Promise.all([primary!.http('/v1/axfr'), secondary.http('/v1/axfr')]);
    expect(s.status).toBe(200);
    const ours = sorted(JSON.parse(s.body) as Axfr);
    expect(ours).toEqual(sorted(JSON.parse(p.body) as Axfr));
    expect(Object.keys(ours.Records.As).length).toBeGreaterThan(1000);
    const [ps, ss] = await Promise.all([primary!.http('/v1/services/_web._tcp.marathon.mesos'), secondary.http('/v1/services/_web._tcp.marathon.mesos')]);
    expect(JSON.parse(ss.body)).toEqual(JSON.parse(ps.body));
    // The tasks are the primary's to know: a zone carries records, not tasks.
    expect(JSON.parse((await secondary.http('/v1/enumerate')).body)).toEqual({ frameworks: null });
    const health = JSON.parse((await secondary.http('/health')).body) as { status: string; serial: number };
    expect(health.status).toBe('ok');
    expect(health.serial).toBe(ours.Serial);
    expect((await secondary.http('/v1/version')).status).toBe(200);
  });

  it("/ready's table age restarts at each refresh a primary answers, changed or not", async () => {
    const age = async (): Promise<number> => (JSON.parse((await secondary.http('/ready')).body) as { tableAgeSeconds: number }).tableAgeSeconds;
    const deadline = Date.now() + 10_000;
    while ((await age()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const before = await age();
    expect(before).toBeGreaterThanOrEqual(2);
    expect(await secondary.running.refresh()).toBe(true);
    expect(await age()).toBeLessThan(before);
  }, 15_000);

  it('follows the reverse zone', async () => {
    const ptr = await secondary.dig('+short', '-x', '10.2.0.1');
    expect(ptr.trim()).not.toBe('');
    expect(ptr).toBe(await primary!.dig('+short', '-x', '10.2.0.1'));
  });

  it('a launch on the master reaches the secondary through NOTIFY and IXFR', async () => {
    const ixfr = await metric(secondary, 'mesos_dns_secondary_transfers_total', { type: 'ixfr', result: 'ok' });
    const axfr = await metric(secondary, 'mesos_dns_secondary_transfers_total', { type: 'axfr', result: 'ok' });
    const notifies = await metric(secondary, 'mesos_dns_secondary_notify_received_total', { result: 'accepted' });
    const patches = await metric(secondary, 'mesos_dns_table_updates_total', { kind: 'patch' });
    master.send(taskAdded(running('api.1', '10.2.0.2')));
    expect(await answers(secondary, 'api.marathon.mesos', ['10.2.0.2'])).toEqual(['10.2.0.2']);
    expect(await metric(secondary, 'mesos_dns_secondary_transfers_total', { type: 'ixfr', result: 'ok' })).toBeGreaterThan(ixfr);
    expect(await metric(secondary, 'mesos_dns_secondary_transfers_total', { type: 'axfr', result: 'ok' })).toBe(axfr);
    expect(await metric(secondary, 'mesos_dns_secondary_notify_received_total', { result: 'accepted' })).toBeGreaterThan(notifies);
    // The IXFR of the Mesos zone was patched into the served table (secondary-patch.ts), not built in full.
    expect(await metric(secondary, 'mesos_dns_table_updates_total', { kind: 'patch' })).toBeGreaterThan(patches);
    const ptr = await secondary.dig('+short', '-x', '10.2.0.2');
    expect(ptr).toMatch(/^api\.marathon\.mesos\.$/m);
    expect(ptr.split('\n').sort()).toEqual((await primary!.dig('+short', '-x', '10.2.0.2')).split('\n').sort());
  }, 20_000);

  it('a kill on the master removes the name at the secondary', async () => {
    master.send(taskUpdated('fw1', 'TASK_KILLED', v1Status({ taskId: 'api.1', agentId: 'a1', state: 'TASK_KILLED', timestamp: 1_700_000_200 })));
    expect(await answers(secondary, 'api.marathon.mesos', [])).toEqual([]);
    expect(await secondary.dig('api.marathon.mesos', 'A')).toMatch(/status: NXDOMAIN/);
  }, 20_000);

  it("a reverse zone's IXFR is patched too: a launch's PTR comes and goes without a full build", async () => {
    const full = await metric(secondary, 'mesos_dns_table_updates_total', { kind: 'full' });
    const ptrOf = async (server: TestServer, ip: string, want: RegExp): Promise<string> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const out = await server.dig('-x', ip);
        if (want.test(out) || Date.now() > deadline) return out;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    master.send(taskAdded(running('rev.1', '10.2.0.3')));
    expect(await ptrOf(secondary, '10.2.0.3', /^3\.0\.2\.10\.in-addr\.arpa\.\s.*PTR\s+rev\.marathon\.mesos\.$/m)).toMatch(/PTR\s+rev\.marathon\.mesos\.$/m);
    expect((await secondary.dig('+short', '-x', '10.2.0.3')).split('\n').sort()).toEqual((await primary!.dig('+short', '-x', '10.2.0.3')).split('\n').sort());
    master.send(taskUpdated('fw1', 'TASK_KILLED', v1Status({ taskId: 'rev.1', agentId: 'a1', state: 'TASK_KILLED', timestamp: 1_700_000_300 })));
    expect(await ptrOf(secondary, '10.2.0.3', /status: NXDOMAIN/)).toMatch(/status: NXDOMAIN/);
    expect(await primary!.dig('-x', '10.2.0.3')).toMatch(/status: NXDOMAIN/);
    // Both zones' changes were patched (secondary-patch.ts), on the main thread and the DNS workers.
    expect(await metric(secondary, 'mesos_dns_table_updates_total', { kind: 'full' })).toBe(full);
  }, 30_000);

  it('still forwards names outside its zones', async () => {
    expect(await a(secondary, 'example.org')).toEqual(['192.0.2.7']);
  });

  it('refuses a NOTIFY that does not come from a primary', async () => {
    const notify = dnsPacket.encode({ type: 'query', id: 777, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [{ name: 'mesos', type: 'SOA', class: 'IN' }] });
    notify[2] |= 4 << 3; // opcode NOTIFY (RFC 1996 §3.1)
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      const timer = setTimeout(() => (s.close(), reject(new Error('no reply'))), 3000);
      s.on('message', (m) => (clearTimeout(timer), s.close(), resolve(m)));
      // Another loopback address than the primary's 127.0.0.1.
      s.bind(0, '127.0.0.2', () => s.send(notify, secondary.dnsPort, '127.0.0.1'));
    });
    expect(reply.readUInt16BE(0)).toBe(777);
    expect((reply[2] >> 3) & 0x0f).toBe(4); // opcode NOTIFY
    expect(reply[3] & 0x0f).toBe(5); // REFUSED
    expect(await metric(secondary, 'mesos_dns_secondary_notify_received_total', { result: 'refused' })).toBeGreaterThanOrEqual(1);
  });

  it('refuses an unsigned NOTIFY from a primary address while TransferTsigKey is set', async () => {
    const notify = dnsPacket.encode({ type: 'query', id: 778, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [{ name: 'mesos', type: 'SOA', class: 'IN' }] });
    notify[2] |= 4 << 3; // opcode NOTIFY
    const before = await metric(secondary, 'mesos_dns_secondary_notify_received_total', { result: 'tsig_error' });
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      const timer = setTimeout(() => (s.close(), reject(new Error('no reply'))), 3000);
      s.on('message', (m) => (clearTimeout(timer), s.close(), resolve(m)));
      s.bind(0, '127.0.0.1', () => s.send(notify, secondary.dnsPort, '127.0.0.1'));
    });
    expect(reply.readUInt16BE(0)).toBe(778);
    expect(reply[3] & 0x0f).toBe(5); // REFUSED
    expect(await metric(secondary, 'mesos_dns_secondary_notify_received_total', { result: 'tsig_error' })).toBe(before + 1);
  });

  it('with a wrong TSIG key gets no zone: not ready, SERVFAIL, counted', async () => {
    const deadline = Date.now() + 5000;
    while ((await metric(wrongKey, 'mesos_dns_secondary_transfers_total', { type: 'axfr', result: 'tsig_error' })) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await metric(wrongKey, 'mesos_dns_secondary_transfers_total', { type: 'axfr', result: 'tsig_error' })).toBeGreaterThanOrEqual(1);
    expect(await metric(wrongKey, 'mesos_dns_secondary_transfers_total', { result: 'ok' })).toBe(0);
    expect((await wrongKey.http('/ready')).status).toBe(503);
    expect((await wrongKey.http('/health')).status).toBe(503);
    expect(await wrongKey.dig('web.marathon.mesos', 'A')).toMatch(/status: SERVFAIL/);
  }, 10_000);

  it('keeps answering when the primary stops, and SERVFAILs after SOA EXPIRE', async () => {
    // A contact just before the stop, so the expiry clock starts here.
    expect(await secondary.running.refresh()).toBe(true);
    const stopped = primary!;
    primary = undefined;
    await stopped.close();
    // A refresh now (SIGUSR1's, running.refresh) fails; the RETRY timer takes over from there.
    expect(await secondary.running.refresh()).toBe(false);
    expect(await a(secondary, 'web.marathon.mesos')).toEqual(['10.2.0.1']);
    const deadline = Date.now() + 20_000;
    // Each zone expires on its own clock (its last contact); both within a few seconds here.
    const expired = async (): Promise<number> => (await metric(secondary, 'mesos_dns_secondary_zone_expired', { zone: 'mesos.' })) + (await metric(secondary, 'mesos_dns_secondary_zone_expired', { zone: '2.10.in-addr.arpa.' }));
    while ((await expired()) !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await expired()).toBe(2);
    expect(await secondary.dig('web.marathon.mesos', 'A')).toMatch(/status: SERVFAIL/);
    expect(await secondary.dig('-x', '10.2.0.1')).toMatch(/status: SERVFAIL/);
    expect(await metric(secondary, 'mesos_dns_secondary_transfers_total', { result: 'error' })).toBeGreaterThanOrEqual(1);
    // Names outside the zones are still forwarded.
    expect(await a(secondary, 'example.org')).toEqual(['192.0.2.7']);
  }, 40_000);
});
