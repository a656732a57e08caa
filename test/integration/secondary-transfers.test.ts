// The secondary against a stand-in primary on loopback TCP whose replies the test chooses
// (encoded with dns-packet, an independent implementation of the format): a whole zone, an IXFR
// of changes, an IXFR answered with the whole zone, IXFR refused (NOTIMP), changes that do not
// apply to the copy, a serial going backwards and bytes that are not DNS. Each refresh is asked
// for through running.refresh() and checked from outside: dig at the secondary and /metrics.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dnsPacket from 'dns-packet';
import type net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { bindBoth, framedTcpServer } from '../helpers/loopback-dns.js';
import { parseExposition, sumOf } from '../helpers/metrics.js';
import { parseTsigKey } from '../../src/config/tsig-keys.js';
import { freeLoopbackPort } from '../helpers/knot-secondary.js';
import { signMessage } from '../../src/dns/wire/tsig-mac.js';
import { readTsig } from '../../src/dns/wire/tsig.js';
import { scanMessage } from '../../src/dns/wire/reply-scan.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

type Mode = 'full' | 'notimp' | 'changes' | 'garbage';

const KEY = parseTsigKey('hmac-sha256:xfr:c2Vjb25kYXJ5IHRyYW5zZmVyIHRlc3Qga2V5IGJ5dGVz').value!;
const WRONG = { ...KEY, secret: Buffer.from('another secret entirely, same key name') };

/** The stand-in primary's zone and how it answers IXFR. */
const primary = {
  serial: 100,
  records: [] as dnsPacket.Answer[],
  mode: 'full' as Mode,
  /** For 'changes': the IXFR body between the SOAs (RFC 1995 §4). */
  changes: [] as dnsPacket.Answer[],
  queries: [] as string[],
  /** Signed requests get replies signed with this key (the right one, or one with another secret). */
  signWith: KEY,
  /** The SOA REFRESH it serves. */
  refresh: 3600,
};

const soa = (serial: number): dnsPacket.Answer => ({
  name: 'mesos',
  type: 'SOA',
  ttl: 60,
  data: { mname: 'ns1.mesos', rname: 'root.ns1.mesos', serial, refresh: primary.refresh, retry: 3600, expire: 86400, minimum: 60 },
});
const aRecord = (name: string, ip: string): dnsPacket.Answer => ({ name, type: 'A', ttl: 60, data: ip });

function zone(serial: number, webIp: string): dnsPacket.Answer[] {
  return [
    { name: 'mesos', type: 'NS', ttl: 60, data: 'ns1.mesos' },
    aRecord('ns1.mesos', '10.0.0.53'),
    aRecord('web.marathon.mesos', webIp),
    { name: '_web._tcp.marathon.mesos', type: 'SRV', ttl: 60, data: { priority: 0, weight: 1, port: 31000, target: 'web-1.marathon.slave.mesos' } },
    aRecord('web-1.marathon.slave.mesos', '10.1.0.1'),
    // A type the table does not hold: left out, counted in the debug log.
    { name: 'note.mesos', type: 'TXT', ttl: 60, data: `serial ${serial}` },
  ];
}

let tcp: net.Server;
let udpClose: () => void;
let secondary: TestServer;
let signed: TestServer;

function answer(message: Buffer, send: (reply: Buffer) => void): void {
  const q = dnsPacket.decode(message);
  const question = q.questions![0];
  primary.queries.push(question.type);
  // A signed request (TSIG last, RFC 8945 §5.1) gets a signed reply, with the project's signer.
  const last = scanMessage(message).records.at(-1);
  const tsig = last?.type === 250 ? readTsig(message, last.start, last.rdataOffset, last.end) : undefined;
  const reply = (answers: dnsPacket.Answer[], rcode = 'NOERROR'): Buffer => {
    const m = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | (rcode === 'NOTIMP' ? 4 : 0), questions: [question], answers });
    return tsig === undefined ? m : signMessage(m, { key: primary.signWith, priorMac: tsig.mac, signed: 0 }, Date.now() / 1000);
  };
  const whole = [soa(primary.serial), ...primary.records, soa(primary.serial)];
  if (question.type === 'AXFR') return send(reply(whole));
  // RFC 1995 §2: a client as new as we are gets the SOA alone.
  const theirs = ((q.authorities?.[0] as { data?: { serial?: number } } | undefined)?.data)?.serial;
  if (theirs === primary.serial && primary.mode !== 'garbage') return send(reply([soa(primary.serial)]));
  switch (primary.mode) {
    case 'full':
      return send(reply(whole));
    case 'notimp':
      return send(reply([], 'NOTIMP'));
    case 'changes':
      return send(reply([soa(primary.serial), ...primary.changes, soa(primary.serial)]));
    case 'garbage':
      return send(Buffer.from('this is not a DNS message at all', 'latin1'));
  }
}

async function metric(labels: Record<string, string>, server = secondary): Promise<number> {
  return sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_secondary_transfers_total', labels);
}

async function web(): Promise<string> {
  return (await secondary.dig('+short', 'web.marathon.mesos', 'A')).trim();
}

beforeAll(async () => {
  primary.records = zone(100, '10.0.0.1');
  const server = framedTcpServer(answer);
  tcp = server.tcp;
  const { udp, port } = await bindBoth(tcp);
  udpClose = () => udp.close();
  secondary = await startTestServer({ Primaries: [`127.0.0.1:${port}`], externalon: false });
  // Its first primary is a loopback port nobody listens on: every refresh falls through to the stand-in.
  const dead = await freeLoopbackPort();
  signed = await startTestServer({ Primaries: [`127.0.0.1:${dead}`, `127.0.0.1:${port}`], externalon: false, TsigKeys: ['hmac-sha256:xfr:c2Vjb25kYXJ5IHRyYW5zZmVyIHRlc3Qga2V5IGJ5dGVz'], TransferTsigKey: 'xfr' });
}, 20_000);

afterAll(async () => {
  await signed?.close();
  await secondary?.close();
  udpClose?.();
  await new Promise((r) => tcp?.close(r));
});

describe('the secondary against a stand-in primary', () => {
  it('takes the whole zone, with its SOA as sent and its SRV priority and weight', async () => {
    const deadline = Date.now() + 5000;
    while ((await web()) === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await web()).toBe('10.0.0.1');
    expect((await secondary.dig('+short', 'mesos', 'SOA')).trim()).toBe('ns1.mesos. root.ns1.mesos. 100 3600 3600 86400 60');
    expect((await secondary.dig('+short', '_web._tcp.marathon.mesos', 'SRV')).trim()).toBe('0 1 31000 web-1.marathon.slave.mesos.');
    // The table holds A, AAAA and SRV: a TXT record's owner does not exist at the secondary.
    expect(await secondary.dig('note.mesos', 'TXT')).toMatch(/status: NXDOMAIN/);
    expect(await metric({ type: 'axfr', result: 'ok' })).toBe(1);
  });

  it('asks IXFR with its serial; the SOA alone means it is current', async () => {
    expect(await secondary.running.refresh()).toBe(true);
    expect(primary.queries.at(-1)).toBe('IXFR');
    expect(await metric({ type: 'ixfr_current', result: 'ok' })).toBe(1);
  });

  it('applies IXFR changes (RFC 1995 §4)', async () => {
    primary.mode = 'changes';
    primary.changes = [soa(100), aRecord('web.marathon.mesos', '10.0.0.1'), soa(101), aRecord('web.marathon.mesos', '10.0.0.2'), aRecord('api.marathon.mesos', '10.0.0.9')];
    primary.serial = 101;
    primary.records = [...zone(101, '10.0.0.2'), aRecord('api.marathon.mesos', '10.0.0.9')];
    expect(await secondary.running.refresh()).toBe(true);
    expect(await web()).toBe('10.0.0.2');
    expect((await secondary.dig('+short', 'api.marathon.mesos')).trim()).toBe('10.0.0.9');
    expect(await metric({ type: 'ixfr', result: 'ok' })).toBe(1);
  });

  it('takes an IXFR answered with the whole zone', async () => {
    primary.mode = 'full';
    primary.serial = 102;
    primary.records = zone(102, '10.0.0.3');
    expect(await secondary.running.refresh()).toBe(true);
    expect(await web()).toBe('10.0.0.3');
    expect(await secondary.dig('api.marathon.mesos')).toMatch(/status: NXDOMAIN/);
    expect(await metric({ type: 'ixfr_full', result: 'ok' })).toBe(1);
  });

  it('falls back to AXFR when IXFR is refused', async () => {
    primary.mode = 'notimp';
    primary.serial = 103;
    primary.records = zone(103, '10.0.0.4');
    expect(await secondary.running.refresh()).toBe(true);
    expect(await web()).toBe('10.0.0.4');
    expect(await metric({ type: 'ixfr', result: 'refused' })).toBe(1);
    expect(await metric({ type: 'axfr', result: 'ok' })).toBe(2);
  });

  it('falls back to AXFR when the changes do not apply to its copy', async () => {
    primary.mode = 'changes';
    // Removes a record the copy does not hold.
    primary.changes = [soa(103), aRecord('web.marathon.mesos', '10.9.9.9'), soa(104), aRecord('web.marathon.mesos', '10.0.0.5')];
    primary.serial = 104;
    primary.records = zone(104, '10.0.0.5');
    expect(await secondary.running.refresh()).toBe(true);
    expect(await web()).toBe('10.0.0.5');
    expect(await metric({ type: 'ixfr', result: 'malformed' })).toBe(1);
    expect(await metric({ type: 'axfr', result: 'ok' })).toBe(3);
  });

  it('refuses a zone whose serial went backwards and keeps its copy', async () => {
    primary.mode = 'full';
    primary.serial = 50;
    primary.records = zone(50, '10.6.6.6');
    expect(await secondary.running.refresh()).toBe(false);
    expect(await web()).toBe('10.0.0.5');
    expect((await secondary.dig('+short', 'mesos', 'SOA')).trim().split(' ')[2]).toBe('104');
    expect(await metric({ type: 'ixfr_full', result: 'stale_serial' })).toBe(1);
  });

  it('refuses bytes that are not DNS and keeps its copy', async () => {
    primary.mode = 'garbage';
    primary.serial = 105;
    expect(await secondary.running.refresh()).toBe(false);
    expect(await web()).toBe('10.0.0.5');
    expect(await metric({ type: 'ixfr', result: 'malformed' })).toBe(2);
  });
});

describe('the SOA REFRESH timer', () => {
  it('asks again every REFRESH seconds of the SOA it holds, without being told', async () => {
    primary.mode = 'full';
    primary.refresh = 1;
    primary.serial = 110;
    primary.records = zone(110, '10.0.1.1');
    expect(await secondary.running.refresh()).toBe(true);
    expect((await secondary.dig('+short', 'mesos', 'SOA')).trim()).toBe('ns1.mesos. root.ns1.mesos. 110 1 3600 86400 60');
    // A new version, and no refresh asked for: the timer (1 s) fetches it.
    primary.serial = 111;
    primary.records = zone(111, '10.0.1.2');
    const deadline = Date.now() + 10_000;
    while ((await web()) !== '10.0.1.2' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await web()).toBe('10.0.1.2');
    primary.refresh = 3600;
    primary.serial = 112;
    primary.records = zone(112, '10.0.1.2');
    expect(await secondary.running.refresh()).toBe(true);
  }, 20_000);
});

describe('TSIG on the replies, from the second primary', () => {
  it('takes a transfer whose every reply is signed with the key, and refuses one signed with another secret', async () => {
    primary.mode = 'full';
    expect(await signed.running.refresh()).toBe(true);
    expect((await signed.dig('+short', 'mesos', 'SOA')).trim().split(' ')[2]).toBe(String(primary.serial));
    const ok = await metric({ result: 'ok' }, signed);
    expect(ok).toBeGreaterThanOrEqual(1);
    // The first primary was tried and failed (connection refused) before the stand-in answered.
    expect(await metric({ result: 'error' }, signed)).toBeGreaterThanOrEqual(1);
    const before = (await signed.dig('+short', 'web.marathon.mesos')).trim();
    primary.mode = 'full';
    primary.signWith = WRONG;
    primary.serial = 200;
    primary.records = zone(200, '10.7.7.7');
    expect(await signed.running.refresh()).toBe(false);
    expect((await signed.dig('+short', 'web.marathon.mesos')).trim()).toBe(before);
    expect(await metric({ result: 'tsig_error' }, signed)).toBeGreaterThanOrEqual(1);
    primary.signWith = KEY;
  });
});

describe('SIGHUP', () => {
  it('a reload that adds a reverse zone restarts the secondary with it', async () => {
    const standIn = signed.running.config().Primaries.at(-1)!;
    const before = await metric({ type: 'axfr', result: 'malformed' }, signed);
    await signed.writeConfig({ Primaries: [standIn], externalon: false, ReverseZones: ['10.9.0.0/16'], TsigKeys: ['hmac-sha256:xfr:c2Vjb25kYXJ5IHRyYW5zZmVyIHRlc3Qga2V5IGJ5dGVz'], TransferTsigKey: 'xfr' });
    expect(await signed.running.reload()).toBe(true);
    // The stand-in answers every zone with the Mesos zone's SOA: the reverse zone's transfer is refused as malformed.
    const deadline = Date.now() + 5000;
    while ((await metric({ type: 'axfr', result: 'malformed' }, signed)) <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await metric({ type: 'axfr', result: 'malformed' }, signed)).toBeGreaterThan(before);
    expect(await signed.dig('+short', 'web.marathon.mesos')).not.toBe('');
  });


  it('a reload that drops Primaries for a state file stops following and serves the state', async () => {
    const state = path.join(root, 'zones', 'demo', 'state.json');
    await secondary.writeConfig({ StateFile: state, externalon: false });
    expect(await secondary.running.reload()).toBe(true);
    expect(await secondary.dig('+short', 'nginx.marathon.mesos')).not.toBe('');
    expect(await secondary.dig('web.marathon.mesos')).toMatch(/status: NXDOMAIN/);
    // The old source's timers are gone: no more transfers are asked for.
    const asked = primary.queries.length;
    await secondary.running.refresh();
    expect(primary.queries.length).toBe(asked);
  });
});
