// Issue 13 item 3: a flood of queries that all fail must not flood the log. The DNS service
// (real UDP socket, real forwarder) forwards to a silent upstream with a small in-flight cap,
// while queries keep arriving a few milliseconds apart, so upstream timeouts free slots one by
// one in the middle of the flood. Each kind of failure ("too many in flight", "forwarding
// failed") is written at most once a second, each line carrying the count held back since the
// previous one, and every dropped query is counted by reason.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { startDnsService, type DnsService } from '../src/dns/dns-service.js';
import { DROP_REASONS } from '../src/dns/query-stats.js';
import { createLogger } from '../src/log.js';
import { startUpstream, type FakeUpstream } from './helpers/upstream.js';

let silent: FakeUpstream;
let service: DnsService;
const lines: Array<Record<string, unknown>> = [];
const MAX_IN_FLIGHT = 20;

beforeAll(async () => {
  silent = await startUpstream({ mode: 'drop' });
  const config: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: 0, Resolvers: [silent.address], Timeout: 1 });
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  service = await startDnsService({ config, snapshot: () => undefined, logger, udpMaxInFlight: MAX_IN_FLIGHT });
});

afterAll(async () => {
  await service?.close();
  await silent?.close();
});

describe('failure logs under a flood', () => {
  it('writes each failure at most once a second, with the count held back, and counts every drop', async () => {
    const port = service.addresses()!.udp.port;
    const sock = dgram.createSocket('udp4');
    const sent = 500;
    const started = Date.now();
    for (let i = 0; i < sent; i++) {
      sock.send(dnsPacket.encode({ type: 'query', id: i, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: `n${i}.example.org`, type: 'A' }] }), port, '127.0.0.1');
      if (i % 2 === 1) await new Promise((r) => setTimeout(r, 5));
    }
    // Every accepted query times out after 1 s; wait for the last ones (bounded).
    const stats = service.stats;
    const deadline = Date.now() + 10_000;
    while (stats.requests + stats.drops[DROP_REASONS.indexOf('in_flight_limit')] < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    while (stats.forwardFailures < stats.requests && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const seconds = (Date.now() - started) / 1000;
    sock.close();

    const overLimit = stats.drops[DROP_REASONS.indexOf('in_flight_limit')];
    expect(stats.requests + overLimit).toBe(sent);
    // Timeouts freed slots during the flood, so later queries got in too (the case that
    // defeated the old once-per-streak flag) and many were still dropped.
    expect(stats.requests).toBeGreaterThan(MAX_IN_FLIGHT);
    expect(overLimit).toBeGreaterThan(sent / 2);
    expect(stats.forwardFailures).toBe(stats.requests);

    const perSecond = Math.ceil(seconds) + 1;
    for (const [msg, count] of [
      ['too many UDP queries in flight, dropping new ones', overLimit],
      ['forwarding failed, answering SERVFAIL', stats.forwardFailures],
    ] as const) {
      const written = lines.filter((l) => l.msg === msg);
      expect(written.length).toBeGreaterThanOrEqual(1);
      expect([msg, written.length <= perSecond]).toEqual([msg, true]);
      // What was written plus what was held back never exceeds what happened; lines held back
      // after the last written one are told by the next.
      const told = written.length + written.reduce((n, l) => n + Number(l.heldBack ?? 0), 0);
      expect(told).toBeLessThanOrEqual(count);
      expect(written.some((l) => Number(l.heldBack) > 0)).toBe(true);
    }
  }, 30_000);
});
