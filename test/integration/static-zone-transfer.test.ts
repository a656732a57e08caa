// Zone transfer of a static zone (docs/static-zones.md "Zone transfer") against the running
// server: AXFR with every record type the zone files take, as dig reads it; TSIG required
// (TransferTsigKey) and AllowTransfer; an edit of the file with its serial raised gives an IXFR
// delta and a NOTIFY to a UDP socket of the test; an edit that keeps the serial is served with a
// warning and no IXFR/NOTIFY; the Mesos zone's serial and the static zone's serial move apart;
// Knot DNS as a secondary of the static zone, first AXFR, then NOTIFY and IXFR after an edit.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile as writeInPlace } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { captureLog } from '../helpers/log-capture.js';
import { freeLoopbackPort, startKnotSecondary, type KnotSecondary } from '../helpers/knot-secondary.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { smallState } from '../helpers/small-state.js';
import { OTHER_TYPES, writeFile } from '../helpers/zone-files.js';

jest.setTimeout(60_000);

const KEY = 'hmac-sha256:static-xfr:c3RhdGljLXpvbmUtdHJhbnNmZXItdGVzdC1rZXktMzI=';
const SIGN = ['-y', KEY];

const ZONE = (serial: number, www: string, extra = '') => `$TTL 300
@   IN SOA ns1 hostmaster ( ${serial} 3600 600 86400 120 )
    NS  ns1
ns1 A   192.0.2.53
@   MX  10 mail
mail A  192.0.2.25
     AAAA 2001:db8::25
www 60 A ${www}
www AAAA 2001:db8::80
alias CNAME www
${OTHER_TYPES}${extra}`;

/** The records of ZONE(serial, '192.0.2.80') as dig prints them (owner TTL class type RDATA). */
const RECORDS = (serial: number) => [
  `example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. ${serial} 3600 600 86400 120`,
  'example.test. 300 IN NS ns1.example.test.',
  'example.test. 300 IN MX 10 mail.example.test.',
  'example.test. 300 IN TXT "v=spf1 -all" "second string"',
  'example.test. 300 IN CAA 0 issue "letsencrypt.org"',
  '_http._tcp.example.test. 300 IN SRV 10 5 8080 www.example.test.',
  'alias.example.test. 300 IN CNAME www.example.test.',
  'gen.example.test. 300 IN TYPE65280 \\# 4 0A000001',
  'mail.example.test. 300 IN A 192.0.2.25',
  'mail.example.test. 300 IN AAAA 2001:db8::25',
  'ns1.example.test. 300 IN A 192.0.2.53',
  'sub.example.test. 300 IN NS ns.sub.example.test.',
  'ns.sub.example.test. 300 IN A 192.0.2.54',
  '*.wild.example.test. 300 IN A 192.0.2.99',
  'www.example.test. 60 IN A 192.0.2.80',
  'www.example.test. 300 IN AAAA 2001:db8::80',
];

let server: TestServer;
let zonesDir: string;
let stateFile: string;
let notifySocket: dgram.Socket;
let knot: KnotSecondary;
const notifies: { zone: string; serial: number }[] = [];
const log = captureLog('info');

/** Polls `check` until true; at most 30 s (a loaded machine), no timing asserted. */
async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened: ${what}`);
}

/** A transfer's records, one line each in dig's words (whitespace collapsed), and whether it failed. */
async function xfr(...args: string[]): Promise<{ records: string[]; failed: boolean; text: string }> {
  const text = await server.dig('+nocmd', '+time=5', '+nottlunits', ...args).catch((e: { stdout?: string }) => e.stdout ?? '');
  const records = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith(';'))
    .map((l) => l.trim().split(/\s+/).join(' '))
    // The TSIG RR dig prints after each signed message is not zone data.
    .filter((l) => !/ ANY TSIG /.test(l));
  return { records, failed: text.includes('Transfer failed') || records.length === 0, text };
}

async function serialOf(zone: string): Promise<number> {
  return Number((await server.dig('+short', zone, 'SOA')).trim().split(/\s+/)[2]);
}

async function knotAnswer(name: string, type: 'A' | 'TXT'): Promise<string[]> {
  const r = new Resolver({ timeout: 500, tries: 1 });
  r.setServers([`127.0.0.1:${knot.port}`]);
  try {
    return type === 'A' ? await r.resolve4(name) : (await r.resolveTxt(name)).map((t) => t.join(''));
  } catch {
    return [];
  }
}

beforeAll(async () => {
  zonesDir = await mkdtemp(path.join(tmpdir(), 'mdns-static-xfr-'));
  await writeFile(path.join(zonesDir, 'example.test.zone'), ZONE(1, '192.0.2.80'));
  stateFile = path.join(zonesDir, 'state.json');
  await writeInPlace(stateFile, JSON.stringify(smallState(5050, ['web'])));
  notifySocket = dgram.createSocket('udp4');
  notifySocket.on('message', (msg, rinfo) => {
    // Answered (RFC 1996 §4.7: the request's header with QR set), so the server sends no retries.
    const reply = Buffer.from(msg.subarray(0, 12));
    reply[2] |= 0x80;
    reply.writeUInt16BE(0, 4);
    reply.writeUInt32BE(0, 6);
    reply.writeUInt16BE(0, 10);
    notifySocket.send(reply, rinfo.port, rinfo.address);
    const m = dnsPacket.decode(msg);
    const soa = m.answers?.[0] as { data?: { serial?: number } } | undefined;
    if (((msg[2] >> 3) & 0x0f) === 4 && m.questions?.[0]) notifies.push({ zone: m.questions[0].name, serial: soa?.data?.serial ?? -1 });
  });
  await new Promise<void>((r) => notifySocket.bind(0, '127.0.0.1', r));
  const knotPort = await freeLoopbackPort();
  server = await startTestServer(
    {
      StateFile: stateFile,
      externalon: false,
      ZonesDir: zonesDir,
      AllowTransfer: ['127.0.0.0/8'],
      TsigKeys: [KEY],
      TransferTsigKey: 'static-xfr',
      IxfrJournalSize: 10,
      Notify: [`127.0.0.1:${notifySocket.address().port}`, `127.0.0.1:${knotPort}`],
    },
    log.logger,
  );
  knot = await startKnotSecondary({ dir: path.join(zonesDir, 'knot'), zones: ['example.test.'], primaryPort: server.dnsPort, key: KEY, port: knotPort });
}, 30_000);

afterAll(async () => {
  await knot?.stop();
  notifySocket?.close();
  await server?.close();
  if (zonesDir) await rm(zonesDir, { recursive: true, force: true });
});

describe('static zone transfer', () => {
  it('AXFR (TSIG-signed) sends every record of the file, each RRset with its TTL, SOA first and last', async () => {
    const x = await xfr(...SIGN, 'example.test', 'AXFR');
    expect(x.failed).toBe(false);
    expect(x.records[0]).toBe(RECORDS(1)[0]);
    expect(x.records.at(-1)).toBe(RECORDS(1)[0]);
    expect(x.records.slice(1, -1).sort()).toEqual(RECORDS(1).slice(1).sort());
    // Owners in RFC 4034 §6.1 canonical order (RECORDS lists them so).
    const owners = (rs: string[]) => rs.map((r) => r.split(' ')[0]).filter((o, i, all) => all.indexOf(o) === i);
    expect(owners(x.records.slice(1, -1))).toEqual(owners(RECORDS(1)));
    // dig verified every message's MAC (it says so when one does not verify).
    expect(x.text).not.toMatch(/tsig verify failure|TSIG.*fail/i);
  });

  it('refuses an unsigned AXFR when TransferTsigKey is set', async () => {
    const x = await xfr('example.test', 'AXFR');
    expect(x.failed).toBe(true);
  });

  it('answers a signed ordinary query for the static zone (no BADKEY), signed', async () => {
    const text = await server.dig(...SIGN, 'www.example.test', 'A');
    expect(text).toContain('status: NOERROR');
    expect(text).toMatch(/www\.example\.test\.\s+60\s+IN\s+A\s+192\.0\.2\.80/);
    expect(text).toMatch(/static-xfr\.\s+0\s+ANY\s+TSIG\s+hmac-sha256\.\s+\d+ 300 32 \S+ \d+ NOERROR 0/);
  });

  it('Knot DNS transfers the static zone as a secondary and answers from it', async () => {
    await until(async () => (await knotAnswer('www.example.test', 'A')).includes('192.0.2.80'), 'Knot answers www.example.test');
    expect(knot.log()).toMatch(/\[example\.test\.\] AXFR, incoming, remote 127\.0\.0\.1@\d+, finished/);
  });

  it('an edit with the serial raised: IXFR gives the delta, NOTIFY goes out, Knot takes it by IXFR, the Mesos serial stays', async () => {
    const mesosBefore = await serialOf('mesos');
    const knotLogBefore = knot.log().length;
    await writeFile(path.join(zonesDir, 'example.test.zone'), ZONE(2, '192.0.2.81', 'new TXT "added"\n').replace('@   TXT "v=spf1 -all" "second string"\n', ''));
    await until(async () => (await serialOf('example.test')) === 2, 'serial 2 served');
    const x = await xfr(...SIGN, 'example.test', 'IXFR=1');
    expect(x.failed).toBe(false);
    const soa = (serial: number) => RECORDS(serial)[0];
    // RFC 1995 §4: new SOA, old SOA, deletions, new SOA, additions, new SOA.
    expect(x.records[0]).toBe(soa(2));
    expect(x.records[1]).toBe(soa(1));
    const mid = x.records.indexOf(soa(2), 2);
    expect(x.records.slice(2, mid).sort()).toEqual(['example.test. 300 IN TXT "v=spf1 -all" "second string"', 'www.example.test. 60 IN A 192.0.2.80']);
    expect(x.records.slice(mid + 1, -1).sort()).toEqual(['new.example.test. 300 IN TXT "added"', 'www.example.test. 60 IN A 192.0.2.81']);
    expect(x.records.at(-1)).toBe(soa(2));
    await until(() => notifies.some((n) => n.zone === 'example.test' && n.serial === 2), 'NOTIFY for serial 2');
    await until(async () => (await knotAnswer('new.example.test', 'TXT')).includes('added'), 'Knot has the new name');
    const knotLog = knot.log().slice(knotLogBefore);
    expect(knotLog).toMatch(/\[example\.test\.\] IXFR, incoming, remote 127\.0\.0\.1@\d+, finished/);
    expect(knotLog).toMatch(/\[example\.test\.\] refresh, remote 127\.0\.0\.1@\d+, zone updated, [\d.]+ seconds, serial 1 -> 2/);
    // A zone file change is no new version of the Mesos zone.
    expect(await serialOf('mesos')).toBe(mesosBefore);
  });

  it('a Mesos change leaves the static zone serial alone', async () => {
    const mesosBefore = await serialOf('mesos');
    await writeInPlace(stateFile, JSON.stringify(smallState(5050, ['web', 'api'])));
    await server.running.refresh();
    expect(await serialOf('mesos')).not.toBe(mesosBefore);
    expect(await serialOf('example.test')).toBe(2);
    expect(notifies.filter((n) => n.zone === 'example.test' && n.serial !== 1 && n.serial !== 2)).toEqual([]);
  });

  it('an edit without raising the serial is served with a warning, and offers no IXFR and no NOTIFY', async () => {
    const notifiesBefore = notifies.filter((n) => n.zone === 'example.test').length;
    await writeFile(path.join(zonesDir, 'example.test.zone'), ZONE(2, '192.0.2.82', 'new TXT "added"\n').replace('@   TXT "v=spf1 -all" "second string"\n', ''));
    await until(async () => (await server.dig('+short', 'www.example.test', 'A')).trim() === '192.0.2.82', 'the new address served');
    expect(log.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('zone file changed without raising its SOA serial') && l.zone === 'example.test.')).toBe(true);
    expect(await serialOf('example.test')).toBe(2);
    // The journal no longer leads to what is served: a client at serial 1 gets the whole zone.
    const x = await xfr(...SIGN, 'example.test', 'IXFR=1');
    expect(x.failed).toBe(false);
    expect(x.records.filter((r) => r.includes(' SOA '))).toHaveLength(2);
    expect(x.records).toContain('www.example.test. 60 IN A 192.0.2.82');
    expect(x.records).toContain('mail.example.test. 300 IN A 192.0.2.25');
    // A client at serial 2 is up to date: the SOA alone.
    const current = await xfr(...SIGN, 'example.test', 'IXFR=2');
    expect(current.records).toEqual([RECORDS(2)[0]]);
    expect(notifies.filter((n) => n.zone === 'example.test')).toHaveLength(notifiesBefore);
  });

  it('a lower serial is served with a warning too, and sends no NOTIFY', async () => {
    const notifiesBefore = notifies.filter((n) => n.zone === 'example.test').length;
    await writeFile(path.join(zonesDir, 'example.test.zone'), ZONE(1, '192.0.2.83'));
    await until(async () => (await server.dig('+short', 'www.example.test', 'A')).trim() === '192.0.2.83', 'the lower-serial version served');
    expect(await serialOf('example.test')).toBe(1);
    expect(log.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('zone file SOA serial went backwards') && l.serial === 1 && l.previous === 2)).toBe(true);
    expect(notifies.filter((n) => n.zone === 'example.test')).toHaveLength(notifiesBefore);
  });

  it('refuses a signed AXFR from an address AllowTransfer does not list', async () => {
    await server.writeConfig({
      StateFile: stateFile,
      externalon: false,
      ZonesDir: zonesDir,
      AllowTransfer: ['10.9.9.0/24'],
      TsigKeys: [KEY],
      TransferTsigKey: 'static-xfr',
    });
    expect(await server.running.reload()).toBe(true);
    const x = await xfr(...SIGN, 'example.test', 'AXFR');
    expect(x.failed).toBe(true);
    expect(x.records.filter((r) => r.includes(' SOA '))).toEqual([]);
  });
});

describe('with DNS worker threads', () => {
  it('a static zone transfer received by any worker is answered (relayed to the main thread)', async () => {
    const workers = await startTestServer({ StateFile: stateFile, externalon: false, ZonesDir: zonesDir, AllowTransfer: ['127.0.0.0/8'], TsigKeys: [KEY], workers: 2 });
    const previous = server;
    server = workers;
    try {
      // SO_REUSEPORT spreads the connections: several transfers reach both workers.
      for (let i = 0; i < 4; i++) {
        const x = await xfr(...SIGN, 'example.test', 'AXFR');
        expect(x.failed).toBe(false);
        expect(x.records.filter((r) => r.includes(' SOA '))).toHaveLength(2);
        expect(x.records).toContain('www.example.test. 60 IN A 192.0.2.83');
      }
    } finally {
      server = previous;
      await workers.close();
    }
  });
});
