// Knot DNS as the primary and our server as its secondary (issue 16), on loopback with TSIG:
// Knot serves a zone file for the Mesos domain; our secondary takes it by AXFR, and an edit of
// the file (reloaded with SIGHUP) reaches it through Knot's NOTIFY and an IXFR from Knot's
// journal, as Knot's log and our /metrics both say.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freeLoopbackPort } from '../helpers/knot-secondary.js';
import { startKnotPrimary, type KnotPrimary } from '../helpers/knot-primary.js';
import { parseExposition, sumOf } from '../helpers/metrics.js';

const KEY = 'hmac-sha256:knot-key:a25vdCBwcmltYXJ5IHRlc3Qga2V5IHNlY3JldCBieXRlcw==';

function mesosZone(serial: number, webIp: string, extra = ''): string {
  return [
    '$ORIGIN mesos.',
    '$TTL 60',
    `@ SOA ns1.mesos. root.ns1.mesos. ${serial} 3600 600 86400 60`,
    '@ NS ns1.mesos.',
    'ns1 A 127.0.0.1',
    `web.marathon A ${webIp}`,
    '_web._tcp.marathon SRV 0 1 31000 web-1.marathon.slave.mesos.',
    'web-1.marathon.slave A 10.1.0.1',
    'note TXT "left out by the secondary"',
    extra,
    '',
  ].join('\n');
}

let dir: string;
let knot: KnotPrimary;
let secondary: TestServer;

async function a(name: string): Promise<string[]> {
  try {
    return (await secondary.resolver().resolve4(name)).sort();
  } catch {
    return [];
  }
}

async function answers(name: string, want: string[], timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await a(name);
    if (JSON.stringify(got) === JSON.stringify(want) || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function transfers(labels: Record<string, string>): Promise<number> {
  return sumOf(parseExposition((await secondary.http('/metrics')).body), 'mesos_dns_secondary_transfers_total', labels);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mdns-knot-primary-'));
  const knotPort = await freeLoopbackPort();
  const secondaryPort = await freeLoopbackPort();
  knot = await startKnotPrimary({ dir: path.join(dir, 'knot'), zones: { 'mesos.': mesosZone(2026120701, '10.0.0.1') }, key: KEY, port: knotPort, secondaryPort });
  secondary = await startTestServer({ port: secondaryPort, Primaries: [`127.0.0.1:${knotPort}`], externalon: false, TsigKeys: [KEY], TransferTsigKey: 'knot-key' });
}, 30_000);

afterAll(async () => {
  await secondary?.close();
  await knot?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Knot DNS as the primary', () => {
  it('our secondary transfers the zone file (AXFR, TSIG) and answers from it', async () => {
    expect(await answers('web.marathon.mesos', ['10.0.0.1'], 15_000)).toEqual(['10.0.0.1']);
    expect((await secondary.dig('+short', 'mesos', 'SOA')).trim()).toBe('ns1.mesos. root.ns1.mesos. 2026120701 3600 600 86400 60');
    expect((await secondary.dig('+short', '_web._tcp.marathon.mesos', 'SRV')).trim()).toBe('0 1 31000 web-1.marathon.slave.mesos.');
    // Knot refuses unsigned transfers here (its ACL names the key), so this one was signed.
    expect(knot.log()).toMatch(/\[mesos\.\] AXFR, outgoing, remote 127\.0\.0\.1@\d+, finished/);
    expect(await transfers({ type: 'axfr', result: 'ok' })).toBe(1);
  }, 20_000);

  it('an edit of the zone file reaches the secondary through NOTIFY and IXFR', async () => {
    const before = knot.log().length;
    knot.setZone('mesos.', mesosZone(2026120702, '10.0.0.2', 'api.marathon A 10.0.0.9'));
    expect(await answers('web.marathon.mesos', ['10.0.0.2'])).toEqual(['10.0.0.2']);
    expect(await a('api.marathon.mesos')).toEqual(['10.0.0.9']);
    const after = knot.log().slice(before);
    // Knot logs a NOTIFY whose (signed) answer it did not accept as failed.
    expect(after).toMatch(/\[mesos\.\] notify, outgoing, remote 127\.0\.0\.1@\d+, serial 2026120702\n/);
    expect(after).toMatch(/\[mesos\.\] IXFR, outgoing, remote 127\.0\.0\.1@\d+, finished/);
    expect(after).not.toMatch(/AXFR, outgoing|failed|denied/);
    expect(await transfers({ type: 'ixfr', result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(await transfers({ type: 'axfr', result: 'ok' })).toBe(1);
    expect(sumOf(parseExposition((await secondary.http('/metrics')).body), 'mesos_dns_secondary_notify_received_total', { result: 'accepted' })).toBeGreaterThanOrEqual(1);
  }, 20_000);
});
