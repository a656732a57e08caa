// docs/static-zones.md's examples against the running server: the repository's example zones
// (zones/example/) beside the demo state, and the documented ZonesDir defaults: the demo config
// and config.example.json serve no zone by accident, an absent directory is off and is picked
// up when it appears, "" is off; plus the precedence rules next to zoneResolvers and the
// derived reverse zones.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { summaryFromDig } from '../helpers/dns-case.js';
import { captureLog } from '../helpers/log-capture.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { loadConfig } from '../../src/config/load.js';
import { DEMO_CONFIG } from '../../src/main.js';
import { zoneFilesIn } from '../../src/zones/zone-files.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const demoState = path.join(root, 'zones', 'demo', 'state.json');

// Several servers start, and one test waits (bounded) for a directory to be noticed.
jest.setTimeout(60_000);

let server: TestServer;
let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startUpstream({
    records: {
      'www.other.test': [{ name: 'www.other.test', type: 'A', ttl: 60, data: '198.51.100.7' }],
      'www.fwd.third.test': [{ name: 'www.fwd.third.test', type: 'A', ttl: 60, data: '198.51.100.8' }],
    },
  });
  server = await startTestServer({ stateFile: demoState, ZonesDir: path.join(root, 'zones', 'example'), resolvers: [upstream.address], timeout: 2 });
});

afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

const dig = async (...args: string[]) => summaryFromDig(await server.dig(...args));
const short = async (...args: string[]) => (await server.dig('+short', ...args)).split('\n').filter((l) => l !== '');

describe('docs/static-zones.md examples (zones/example)', () => {
  it('a CNAME chain', async () => {
    expect(await dig('docs.example.test')).toMatchObject({
      rcode: 'NOERROR',
      aa: true,
      answer: ['docs.example.test. 3600 IN CNAME web.example.test.', 'web.example.test. 3600 IN CNAME www.example.test.', 'www.example.test. 300 IN A 192.0.2.80'],
    });
  });

  it('an alias of a Mesos name', async () => {
    const lines = await short('nginx.example.test');
    expect(lines[0]).toBe('nginx.marathon.mesos.');
    expect(lines.slice(1).sort()).toEqual(['10.10.0.11', '10.10.0.12', '10.10.0.13']);
  });

  it('MX with the exchanger’s addresses', async () => {
    expect(await dig('example.test', 'MX')).toMatchObject({
      answer: ['example.test. 3600 IN MX 10 mail.example.test.'],
      additional: ['mail.example.test. 3600 IN A 192.0.2.25', 'mail.example.test. 3600 IN AAAA 2001:db8::25'],
    });
  });

  it('SRV, the wildcard, the included file, NXDOMAIN and PTR', async () => {
    expect(await short('_https._tcp.example.test', 'SRV')).toEqual(['10 50 443 www.example.test.']);
    expect(await short('x.apps.example.test')).toEqual(['192.0.2.100']);
    expect(await short('ci.hosts.lab.example.test')).toEqual(['192.0.2.12']);
    expect(await short('gw.lab.example.test')).toEqual(['192.0.2.1']);
    expect(await dig('nothere.example.test')).toMatchObject({
      rcode: 'NXDOMAIN',
      authority: ['example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 2024060101 10800 900 1209600 300'],
    });
    expect(await short('-x', '192.0.2.80')).toEqual(['www.example.test.']);
  });

  it('/v1/hosts', async () => {
    expect(JSON.parse((await server.http('/v1/hosts/docs.example.test')).body)).toEqual([
      { host: 'docs.example.test.', ip: '192.0.2.80' },
      { host: 'docs.example.test.', ip: '2001:db8::80' },
    ]);
  });

  it('folds case, and ANY is one RRset over UDP, all over TCP', async () => {
    expect((await dig('WWW.Example.TEST')).answer).toEqual(['WWW.Example.TEST. 300 IN A 192.0.2.80']);
    expect((await dig('+notcp', 'example.test', 'ANY')).answer).toHaveLength(1);
    expect((await dig('+tcp', 'example.test', 'ANY')).answer.length).toBeGreaterThan(5);
  });

  it('the demo’s Mesos names are still there, and other names still forwarded', async () => {
    expect(await short('leader.mesos')).not.toEqual([]);
    expect(await short('www.other.test')).toEqual(['198.51.100.7']);
  });
});

describe('ZonesDir defaults', () => {
  it('the bundled demo’s ZonesDir does not exist, and config.example.json’s holds no zone file', async () => {
    const demo = (await loadConfig(DEMO_CONFIG)).config;
    expect(demo.typed.zonesDir).toBe(path.join(root, 'zones', 'demo', 'zones'));
    expect(await zoneFilesIn(demo.typed.zonesDir)).toEqual([]);
    const example = (await loadConfig(path.join(root, 'config.example.json'))).config;
    expect(example.typed.zonesDir).toBe(path.join(root, 'zones'));
    expect(await zoneFilesIn(example.typed.zonesDir)).toEqual([]);
  });

  it('an absent directory is off, silently, and a directory that appears is served; "" is off', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'mdns-zones-late-'));
    const dir = path.join(base, 'zones');
    const log = captureLog('info');
    // The config sits in `base`: the default "zones" is base/zones, not there yet.
    const late = await startTestServer({ stateFile: demoState, resolvers: [upstream.address], timeout: 2, ZonesDir: dir }, log.logger);
    const off = await startTestServer({ stateFile: demoState, resolvers: [upstream.address], timeout: 2, ZonesDir: '' });
    try {
      expect(log.lines.filter((l) => l.component === 'zones')).toEqual([]);
      // Not ours yet: forwarded (the stand-in upstream knows it).
      expect((await late.dig('+short', 'www.other.test')).trim()).toBe('198.51.100.7');
      await mkdir(dir);
      await writeFile(path.join(dir, 'other.test.zone'), '$TTL 60\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.77\n');
      let answer = '';
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && answer !== '192.0.2.77'; ) {
        answer = (await late.dig('+short', 'www.other.test')).trim();
        if (answer !== '192.0.2.77') await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).toBe('192.0.2.77');
      expect((await off.dig('+short', 'www.example.test')).trim()).toBe('');
    } finally {
      await late.close();
      await off.close();
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe('precedence', () => {
  it('same apex twice: the first file by name; nested zones; a static zone beats a zoneResolvers zone and a derived reverse zone of the same name, a longer forwarding zone beats it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mdns-zones-prec-'));
    const soa = '$TTL 60\n@ SOA ns.other.test. hm.other.test. 1 3600 600 86400 60\n@ NS ns.other.test.\n';
    await writeFile(path.join(dir, 'a.zone'), `$ORIGIN other.test.\n${soa}www A 192.0.2.1\n`);
    await writeFile(path.join(dir, 'b.zone'), `$ORIGIN other.test.\n${soa}www A 192.0.2.2\n`);
    // A zone inside another is served for its names.
    await writeFile(path.join(dir, 'sub.other.test.zone'), `${soa}www A 192.0.2.3\n`);
    await writeFile(path.join(dir, 'third.test.zone'), `${soa}www A 192.0.2.4\n`);
    // The demo's agents are in 10.10.0.0/24 (a derived reverse zone); this file takes that zone.
    await writeFile(path.join(dir, '0.10.10.in-addr.arpa.zone'), `${soa}11 PTR from-the-file.other.test.\n`);
    const log = captureLog('info');
    const s = await startTestServer(
      { stateFile: demoState, resolvers: [upstream.address], zoneResolvers: { 'other.test': [upstream.address], 'fwd.third.test': [upstream.address] }, timeout: 2, ZonesDir: dir },
      log.logger,
    );
    try {
      expect((await s.dig('+short', 'www.other.test')).trim()).toBe('192.0.2.1');
      expect((await s.dig('+short', 'www.sub.other.test')).trim()).toBe('192.0.2.3');
      // A longer forwarding zone inside a static zone takes the names under it.
      expect((await s.dig('+short', 'www.third.test')).trim()).toBe('192.0.2.4');
      expect((await s.dig('+short', 'www.fwd.third.test')).trim()).toBe('198.51.100.8');
      const refused = log.lines.find((l) => String(l.msg).startsWith('zone refused'));
      expect(String(refused?.msg)).toContain(`${path.join(dir, 'b.zone')}: zone other.test. is already served from ${path.join(dir, 'a.zone')}`);
      expect((await s.dig('+short', '-x', '10.10.0.11')).trim()).toBe('from-the-file.other.test.');
      expect(summaryFromDig(await s.dig('-x', '10.10.0.12'))).toMatchObject({ rcode: 'NXDOMAIN', authority: [expect.stringMatching(/^0\.10\.10\.in-addr\.arpa\. 60 IN SOA ns\.other\.test\./)] });
    } finally {
      await s.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
