// Static zones end to end (docs/static-zones.md): zone files in a directory, the real server on
// loopback, queried with dig and Node's resolver; a stand-in master for the Mesos table and a
// stand-in upstream for the names outside every zone. File changes are picked up by the server's
// own watcher: the tests poll the server until the answer changes (bounded), never time it.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { summaryFromDig } from '../helpers/dns-case.js';
import { captureLog } from '../helpers/log-capture.js';
import { parseExposition, sumOf } from '../helpers/metrics.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { smallState } from '../helpers/small-state.js';
import { StreamMaster } from '../helpers/stream-master.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { OTHER_TYPES, writeFile } from '../helpers/zone-files.js';

const ZONE = (www: string) => `; example.test: every type the server serves from zone files
$TTL 300
@   IN SOA ns1 hostmaster ( 2024060101 ; serial
        3600 600 86400 120 )
    NS  ns1
ns1 A   192.0.2.53
@   MX  10 mail
mail A  192.0.2.25
     AAAA 2001:db8::25
www A   ${www}
www AAAA 2001:db8::80
alias CNAME www
chain CNAME alias
ext  CNAME www.example.org.
loop1 CNAME loop2
loop2 CNAME loop1
${OTHER_TYPES}tomesos CNAME web.marathon.mesos.
tomesosnx CNAME nothere.marathon.mesos.
$ORIGIN in.example.test.
deep A 192.0.2.7
$INCLUDE hosts/lab.db lab
`;

const REVERSE = `$TTL 60
@ SOA ns1.example.test. hostmaster.example.test. 7 3600 600 86400 60
@ NS ns1.example.test.
80 PTR www.example.test.
`;

// File changes are waited for (bounded), and several servers start: generous on a loaded machine.
jest.setTimeout(60_000);

let master: StreamMaster;
let upstream: FakeUpstream;
let server: TestServer;
let zonesDir: string;
const log = captureLog('info');

beforeAll(async () => {
  zonesDir = await mkdtemp(path.join(tmpdir(), 'mdns-zones-'));
  await mkdir(path.join(zonesDir, 'hosts'));
  await writeFile(path.join(zonesDir, 'hosts', 'lab.db'), 'h1 A 192.0.2.11\n');
  await writeFile(path.join(zonesDir, 'example.test.zone'), ZONE('192.0.2.80'));
  await writeFile(path.join(zonesDir, '2.0.192.in-addr.arpa.zone'), REVERSE);
  // Inside the Mesos domain: refused, the Mesos table keeps the name.
  await writeFile(path.join(zonesDir, 'x.mesos.zone'), '$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ A 192.0.2.1\n');
  await writeFile(path.join(zonesDir, 'README.txt'), 'not a zone: only *.zone files are read\n');
  master = await StreamMaster.start();
  master.subscribeAnswer = { status: 404 };
  master.stateDocument = smallState(master.port, ['web']);
  upstream = await startUpstream({ records: { 'outside.example.org': [{ name: 'outside.example.org', type: 'A', ttl: 60, data: '198.51.100.1' }] } });
  server = await startTestServer(
    { masters: [`127.0.0.1:${master.port}`], resolvers: [`127.0.0.1:${upstream.port}`], refreshSeconds: 3600, timeout: 2, ZonesDir: zonesDir },
    log.logger,
  );
  expect(await server.running.refresh()).toBe(true);
});

afterAll(async () => {
  await server?.close();
  await master?.close();
  await upstream?.close();
  await rm(zonesDir, { recursive: true, force: true });
});

const dig = async (...args: string[]) => summaryFromDig(await server.dig(...args));

/** Polls `check` (a query) until it returns true; at most 30 s (a loaded machine), no timing asserted. */
async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server never changed its answer');
}

describe('every record type, authoritatively', () => {
  it.each<[string, string, string[], string[]]>([
    ['www.example.test', 'A', ['www.example.test. 300 IN A 192.0.2.80'], []],
    ['www.example.test', 'AAAA', ['www.example.test. 300 IN AAAA 2001:db8::80'], []],
    ['example.test', 'MX', ['example.test. 300 IN MX 10 mail.example.test.'], ['mail.example.test. 300 IN A 192.0.2.25', 'mail.example.test. 300 IN AAAA 2001:db8::25']],
    ['_http._tcp.example.test', 'SRV', ['_http._tcp.example.test. 300 IN SRV 10 5 8080 www.example.test.'], ['www.example.test. 300 IN A 192.0.2.80', 'www.example.test. 300 IN AAAA 2001:db8::80']],
    ['example.test', 'TXT', ['example.test. 300 IN TXT "v=spf1 -all" "second string"'], []],
    ['example.test', 'CAA', ['example.test. 300 IN CAA 0 issue "letsencrypt.org"'], []],
    ['example.test', 'NS', ['example.test. 300 IN NS ns1.example.test.'], ['ns1.example.test. 300 IN A 192.0.2.53']],
    ['example.test', 'SOA', ['example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 2024060101 3600 600 86400 120'], []],
    ['80.2.0.192.in-addr.arpa', 'PTR', ['80.2.0.192.in-addr.arpa. 60 IN PTR www.example.test.'], []],
    ['alias.example.test', 'CNAME', ['alias.example.test. 300 IN CNAME www.example.test.'], []],
    ['deep.in.example.test', 'A', ['deep.in.example.test. 300 IN A 192.0.2.7'], []],
    ['h1.lab.in.example.test', 'A', ['h1.lab.in.example.test. 300 IN A 192.0.2.11'], []],
    ['gen.example.test', 'TYPE65280', ['gen.example.test. 300 IN TYPE65280 \\# 4 0A000001'], []],
  ])('%s %s', async (name, type, answer, additional) => {
    const r = await dig(name, type);
    expect(r).toMatchObject({ rcode: 'NOERROR', aa: true, answer, authority: [], additional });
  });

  it('Node’s resolver reads them too', async () => {
    const r = server.resolver();
    expect(await r.resolveMx('example.test')).toEqual([expect.objectContaining({ exchange: 'mail.example.test', priority: 10 })]);
    expect(await r.resolveTxt('example.test')).toEqual([['v=spf1 -all', 'second string']]);
    expect(await r.resolveCaa('example.test')).toEqual([expect.objectContaining({ critical: 0, issue: 'letsencrypt.org' })]);
    expect(await r.resolveSrv('_http._tcp.example.test')).toEqual([expect.objectContaining({ name: 'www.example.test', port: 8080, priority: 10, weight: 5 })]);
    expect(await r.reverse('192.0.2.80')).toEqual(['www.example.test']);
  });
});

describe('the RFC 1034 §4.3.2 cases', () => {
  it('chases a CNAME chain inside our zones', async () => {
    expect(await dig('chain.example.test', 'A')).toMatchObject({
      rcode: 'NOERROR',
      aa: true,
      answer: ['chain.example.test. 300 IN CNAME alias.example.test.', 'alias.example.test. 300 IN CNAME www.example.test.', 'www.example.test. 300 IN A 192.0.2.80'],
    });
  });

  it('chases a CNAME into the Mesos domain: the table’s answer, or its NXDOMAIN with its SOA', async () => {
    expect(await dig('tomesos.example.test', 'A')).toMatchObject({
      rcode: 'NOERROR',
      aa: true,
      answer: ['tomesos.example.test. 300 IN CNAME web.marathon.mesos.', 'web.marathon.mesos. 60 IN A 10.1.0.1'],
    });
    expect(await dig('tomesosnx.example.test', 'A')).toMatchObject({
      rcode: 'NXDOMAIN',
      answer: ['tomesosnx.example.test. 300 IN CNAME nothere.marathon.mesos.'],
      authority: [expect.stringMatching(/^mesos\. 60 IN SOA /)],
    });
    expect(JSON.parse((await server.http('/v1/hosts/tomesos.example.test')).body)).toEqual([{ host: 'tomesos.example.test.', ip: '10.1.0.1' }]);
  });

  it('leaves a CNAME out of our zones to the client, and stops at a loop', async () => {
    expect(await dig('ext.example.test', 'A')).toMatchObject({ rcode: 'NOERROR', answer: ['ext.example.test. 300 IN CNAME www.example.org.'] });
    expect((await dig('loop1.example.test', 'A')).answer).toEqual(['loop1.example.test. 300 IN CNAME loop2.example.test.', 'loop2.example.test. 300 IN CNAME loop1.example.test.']);
  });

  it('NXDOMAIN and NODATA carry the SOA with TTL min(SOA TTL, MINIMUM) (RFC 2308)', async () => {
    const soa = 'example.test. 120 IN SOA ns1.example.test. hostmaster.example.test. 2024060101 3600 600 86400 120';
    expect(await dig('nothere.example.test', 'A')).toMatchObject({ rcode: 'NXDOMAIN', aa: true, answer: [], authority: [soa] });
    expect(await dig('www.example.test', 'TXT')).toMatchObject({ rcode: 'NOERROR', aa: true, answer: [], authority: [soa] });
    // An empty non-terminal (only deep.in.example.test below it) exists: NODATA (RFC 8020).
    expect(await dig('in.example.test', 'A')).toMatchObject({ rcode: 'NOERROR', answer: [], authority: [soa] });
  });

  it('answers a wildcard with the name asked (RFC 4592)', async () => {
    expect((await dig('anything.wild.example.test', 'A')).answer).toEqual(['anything.wild.example.test. 300 IN A 192.0.2.99']);
  });

  it('refers a delegated name, with glue and AA clear', async () => {
    expect(await dig('host.sub.example.test', 'A')).toMatchObject({
      rcode: 'NOERROR',
      aa: false,
      answer: [],
      authority: ['sub.example.test. 300 IN NS ns.sub.example.test.'],
      additional: ['ns.sub.example.test. 300 IN A 192.0.2.54'],
    });
    // DS at the cut is the parent's: answered (NODATA here), not referred.
    expect(await dig('sub.example.test', 'DS')).toMatchObject({ rcode: 'NOERROR', aa: true, answer: [], authority: [expect.stringMatching(/^example\.test\. 120 IN SOA /)] });
  });
});

describe('beside the Mesos domain', () => {
  it('refuses a zone inside the Mesos domain, naming the file, and the table keeps its names', async () => {
    const refused = log.lines.find((l) => String(l.msg).startsWith('zone refused'));
    expect(String(refused?.msg)).toContain(`${path.join(zonesDir, 'x.mesos.zone')}: zone x.mesos. is inside the Mesos domain mesos.`);
    const r = await dig('x.mesos', 'A');
    expect(r).toMatchObject({ rcode: 'NXDOMAIN', authority: [expect.stringMatching(/^mesos\. 60 IN SOA /)] });
    expect((await dig('web.marathon.mesos', 'A')).answer).toEqual(['web.marathon.mesos. 60 IN A 10.1.0.1']);
  });

  it('still forwards names outside every zone', async () => {
    expect((await dig('outside.example.org', 'A')).answer).toEqual(['outside.example.org. 60 IN A 198.51.100.1']);
  });

  it('/v1/hosts and /v1/services agree with DNS', async () => {
    const hosts = JSON.parse((await server.http('/v1/hosts/chain.example.test')).body);
    expect(hosts).toEqual([
      { host: 'chain.example.test.', ip: '192.0.2.80' },
      { host: 'chain.example.test.', ip: '2001:db8::80' },
    ]);
    const services = JSON.parse((await server.http('/v1/services/_http._tcp.example.test')).body);
    expect(services).toEqual([
      { service: '_http._tcp.example.test', host: 'www.example.test.', ip: '192.0.2.80', port: '8080' },
      { service: '_http._tcp.example.test', host: 'www.example.test.', ip: '2001:db8::80', port: '8080' },
    ]);
  });

  it('/metrics gives each zone’s serial', async () => {
    const e = parseExposition((await server.http('/metrics')).body);
    expect(sumOf(e, 'mesos_dns_zone_serial', { zone: 'example.test.' })).toBe(2024060101);
    expect(sumOf(e, 'mesos_dns_zone_serial', { zone: '2.0.192.in-addr.arpa.' })).toBe(7);
  });
});

describe('reloading', () => {
  it('keeps the previous version of a broken file, reports file:line, and serves the fixed file', async () => {
    const file = path.join(zonesDir, 'example.test.zone');
    const before = sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_zone_load_errors_total');
    // Line 10 is "www A ...": a bad address there, and a changed address that must not be served.
    await writeFile(file, ZONE('192.0.2.300'));
    await until(async () => log.lines.some((l) => l.file === file && l.line === 10));
    const line = log.lines.find((l) => l.file === file && l.line === 10)!;
    expect(line).toMatchObject({ level: 50, reason: '"192.0.2.300" is not an IPv4 address', code: 'MDNS_ERR_ZONE_FILE' });
    expect(String(line.msg)).toContain(`${file}:10:`);
    expect((await dig('www.example.test', 'A')).answer).toEqual(['www.example.test. 300 IN A 192.0.2.80']);
    expect(sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_zone_load_errors_total')).toBe(before + 1);

    await writeFile(file, ZONE('192.0.2.81'));
    await until(async () => (await dig('www.example.test', 'A')).answer[0] === 'www.example.test. 300 IN A 192.0.2.81');
    // The rest of the zone came with it, and the Mesos table stayed.
    expect((await dig('h1.lab.in.example.test', 'A')).answer).toEqual(['h1.lab.in.example.test. 300 IN A 192.0.2.11']);
    expect((await dig('web.marathon.mesos', 'A')).answer).toEqual(['web.marathon.mesos. 60 IN A 10.1.0.1']);
  });

  it('an included file changing reloads its zone; a new file is served; a removed one is gone', async () => {
    await writeFile(path.join(zonesDir, 'hosts', 'lab.db'), 'h1 A 192.0.2.12\n');
    await until(async () => (await dig('h1.lab.in.example.test', 'A')).answer[0] === 'h1.lab.in.example.test. 300 IN A 192.0.2.12');
    const added = path.join(zonesDir, 'new.test.zone');
    await writeFile(added, '$TTL 60\n@ SOA ns1 hm 1 3600 600 86400 60\n@ NS ns1\nns1 A 192.0.2.1\n');
    await until(async () => (await dig('ns1.new.test', 'A')).rcode === 'NOERROR' && (await dig('ns1.new.test', 'A')).aa);
    await rm(added);
    await until(async () => !(await dig('ns1.new.test', 'A')).aa);
  });

  it('a Mesos table change keeps the static zones', async () => {
    master.stateDocument = smallState(master.port, ['web', 'api']);
    expect(await server.running.refresh()).toBe(true);
    expect((await dig('api.marathon.mesos', 'A')).answer).toEqual(['api.marathon.mesos. 60 IN A 10.1.0.1']);
    expect((await dig('deep.in.example.test', 'A')).answer).toEqual(['deep.in.example.test. 300 IN A 192.0.2.7']);
  });
});

describe('with DNS worker threads', () => {
  it('the workers get the static zones with each snapshot, and a zone change without a new table', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mdns-zones-w-'));
    const file = path.join(dir, 'w.test.zone');
    await writeFile(file, '$TTL 60\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n');
    const threaded = await startTestServer({ masters: [`127.0.0.1:${master.port}`], resolvers: [`127.0.0.1:${upstream.port}`], refreshSeconds: 3600, timeout: 2, ZonesDir: dir, workers: 2 });
    try {
      while ((await threaded.http('/health')).status !== 200) await new Promise((r) => setTimeout(r, 50));
      const ask = async () => summaryFromDig(await threaded.dig('ns.w.test', 'A')).answer;
      // Each query may reach either worker: ask a few times.
      for (let i = 0; i < 4; i++) expect(await ask()).toEqual(['ns.w.test. 60 IN A 192.0.2.1']);
      await writeFile(file, '$TTL 60\n@ SOA ns hm 2 3600 600 86400 60\n@ NS ns\nns A 192.0.2.2\n');
      // Both workers must move: wait until several answers in a row are the new one.
      let inARow = 0;
      for (let i = 0; i < 200 && inARow < 6; i++) {
        inARow = (await ask())[0] === 'ns.w.test. 60 IN A 192.0.2.2' ? inARow + 1 : 0;
        if (inARow === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(inARow).toBe(6);
      expect(summaryFromDig(await threaded.dig('web.marathon.mesos', 'A')).answer).toEqual(['web.marathon.mesos. 60 IN A 10.1.0.1']);
    } finally {
      await threaded.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SIGHUP', () => {
  it('a new domain checks the zones again: a zone now inside it is refused; ZonesDir "" takes the zones away', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mdns-zones-hup-'));
    await writeFile(path.join(dir, 'corp.test.zone'), '$TTL 60\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n');
    const hupLog = captureLog('info');
    const base = { masters: [`127.0.0.1:${master.port}`], resolvers: [`127.0.0.1:${upstream.port}`], refreshSeconds: 3600, timeout: 2, ZonesDir: dir };
    const s = await startTestServer(base, hupLog.logger);
    try {
      expect(await s.running.refresh()).toBe(true);
      expect(summaryFromDig(await s.dig('ns.corp.test', 'A')).answer).toEqual(['ns.corp.test. 60 IN A 192.0.2.1']);
      await s.writeConfig({ ...base, domain: 'test' });
      expect(await s.running.reload()).toBe(true);
      expect(String(hupLog.lines.find((l) => String(l.msg).startsWith('zone refused'))?.msg)).toContain('zone corp.test. is inside the Mesos domain test.');
      // The name is the Mesos domain's now: NXDOMAIN with its SOA.
      expect(summaryFromDig(await s.dig('ns.corp.test', 'A'))).toMatchObject({ rcode: 'NXDOMAIN', authority: [expect.stringMatching(/^test\. 60 IN SOA /)] });
      await s.writeConfig({ ...base, ZonesDir: '' });
      expect(await s.running.reload()).toBe(true);
      // Not ours any more: forwarded, and the stand-in upstream does not know it.
      expect(summaryFromDig(await s.dig('ns.corp.test', 'A'))).toMatchObject({ answer: [], aa: false });
    } finally {
      await s.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('before the first Mesos table', () => {
  it('nothing is authoritative yet: a static zone name is forwarded; it is served from the first table on', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mdns-zones-first-'));
    await writeFile(path.join(dir, 'outside.example.org.zone'), '$TTL 60\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n@ A 192.0.2.200\n');
    const down = await StreamMaster.start();
    down.subscribeAnswer = { status: 404 };
    down.stateAnswer = { status: 503 };
    const s = await startTestServer({ masters: [`127.0.0.1:${down.port}`], resolvers: [`127.0.0.1:${upstream.port}`], refreshSeconds: 3600, timeout: 2, ZonesDir: dir });
    try {
      expect(summaryFromDig(await s.dig('outside.example.org', 'A')).answer).toEqual(['outside.example.org. 60 IN A 198.51.100.1']);
      down.stateAnswer = undefined;
      down.stateDocument = smallState(down.port, ['web']);
      expect(await s.running.refresh()).toBe(true);
      expect(summaryFromDig(await s.dig('outside.example.org', 'A'))).toMatchObject({ aa: true, answer: ['outside.example.org. 60 IN A 192.0.2.200'] });
    } finally {
      await s.close();
      await down.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
