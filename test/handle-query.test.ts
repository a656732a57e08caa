// handleQuery called directly: internal errors, snapshot reads, the forwarding-failure log sampler,
// and no resolvers.
import { afterAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { UpstreamForwarder } from '../src/dns/forward/forward.js';
import { handleQuery } from '../src/dns/answer/handle-query.js';
import { QueryStats } from '../src/dns/query-stats.js';
import { silentLogger } from '../src/log.js';
import { LogSampler } from '../src/log-sampler.js';
import { TableStore } from '../src/store.js';
import { summaryFromWire } from './helpers/dns-case.js';
import { query, table } from './helpers/dns-server.js';
import { seededRandom } from './helpers/seeded-random.js';

describe('handleQuery', () => {
  const config: Config = withTyped({ ...DEFAULTS, Resolvers: [] });
  const base = {
    config,
    random: seededRandom(1),
    forwarder: new UpstreamForwarder({ timeoutMs: 100 }),
    logger: silentLogger,
  };

  afterAll(() => base.forwarder.close());

  it('turns an unexpected exception into SERVFAIL and counts it', async () => {
    const stats = new QueryStats();
    const ctx = {
      ...base,
      stats,
      snapshot: () => {
        throw new Error('boom');
      },
    };
    const reply = await handleQuery(query('leader.mesos', 'A', 9), 'udp', ctx);
    expect(reply!.readUInt16BE(0)).toBe(9);
    expect(summaryFromWire(reply!).rcode).toBe('SERVFAIL');
    expect(stats.internalErrors).toBe(1);
    expect(stats.rcodes.get(2)).toBe(1);
  });

  it('reads the snapshot once per query', async () => {
    let reads = 0;
    const store = new TableStore();
    store.swap(table());
    const ctx = {
      ...base,
      snapshot: () => {
        reads++;
        return store.current();
      },
    };
    await handleQuery(query('_leader._tcp.mesos', 'SRV', 1), 'tcp', ctx);
    expect(reads).toBe(1);
  });

  it('writes one "forwarding failed" line per interval, noting how many it held back', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    let now = 0;
    const stats = new QueryStats();
    // Nothing listens on port 9 of 127.0.0.1: every forward fails at once (ICMP port unreachable).
    const ctx = {
      ...base,
      config: withTyped({ ...config, Resolvers: ['127.0.0.1:9'] }),
      stats,
      snapshot: () => undefined,
      logger: pino({ level: 'info' }, sink),
      forwardFailureLog: new LogSampler(1000, () => now),
    };
    for (let i = 0; i < 5; i++) expect(summaryFromWire((await handleQuery(query('www.example.org', 'A', i), 'udp', ctx))!).rcode).toBe('SERVFAIL');
    now = 1000;
    await handleQuery(query('www.example.org', 'A', 5), 'udp', ctx);
    await new Promise((r) => setImmediate(r));
    const warned = lines.filter((l) => l.msg === 'forwarding failed, answering SERVFAIL');
    expect(warned).toHaveLength(2);
    expect(warned[0].heldBack).toBeUndefined();
    expect(warned[1].heldBack).toBe(4);
    expect(stats.forwardFailures).toBe(6);
  });

  it('answers names outside the domain REFUSED when there are no resolvers', async () => {
    const reply = await handleQuery(query('www.example.org', 'A', 3), 'udp', { ...base, snapshot: () => undefined });
    expect(summaryFromWire(reply!).rcode).toBe('REFUSED');
  });
});
