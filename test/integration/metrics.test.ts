// /metrics against the running server: two DNS worker threads, a stand-in master streaming its
// state, a stand-in upstream and a silent one. Real queries of several types go out over UDP
// and TCP (answers, NXDOMAIN, forwarded, cached, timed out, a message that is not a query); the
// exposition is then parsed, checked by promtool, and every family must have moved by exactly
// what was sent, the duration histogram's buckets and _count included.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { emptyLegacyState, getState, StreamMaster, v1Agent, v1Framework, v1Status, v1Task, waitFor } from '../helpers/stream-master.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { has, parseExposition, sumOf, type Exposition } from '../helpers/metrics.js';
import { reusePortSupported } from '../../src/workers/worker-entry.js';

let master: StreamMaster;
let upstream: FakeUpstream;
let silent: FakeUpstream;
let server: TestServer;
let nextId = 1;

/** dns-packet sets rcode at run time; its types leave it out. */
type Reply = dnsPacket.DecodedPacket & { rcode?: string };

function query(name: string, type: dnsPacket.RecordType, flags = dnsPacket.RECURSION_DESIRED): Buffer {
  return dnsPacket.encode({ type: 'query', id: nextId++, flags, questions: [{ name, type, class: 'IN' }] });
}

/**
 * One UDP exchange; undefined when no reply comes within `waitMs`. Each from a new socket,
 * unless `from` is given: the kernel picks the worker by the sender's address and port, and the
 * forward cache is per worker, so a cache hit needs the same sender twice.
 */
function askUdp(msg: Buffer, waitMs = 5000, from?: dgram.Socket): Promise<Reply | undefined> {
  return new Promise((resolve) => {
    const sock = from ?? dgram.createSocket('udp4');
    const done = (reply?: Buffer) => {
      clearTimeout(timer);
      sock.off('message', done);
      if (!from) sock.close();
      resolve(reply ? (dnsPacket.decode(reply) as Reply) : undefined);
    };
    const timer = setTimeout(() => done(), waitMs);
    sock.on('message', done);
    sock.send(msg, server.dnsPort, '127.0.0.1');
  });
}

/** One TCP exchange (RFC 1035 §4.2.2 framing). */
function askTcp(msg: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.dnsPort, '127.0.0.1');
    let got = Buffer.alloc(0);
    sock.setTimeout(5000, () => sock.destroy(new Error('TCP query timed out')));
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        sock.end();
        resolve(dnsPacket.decode(got.subarray(2, 2 + got.readUInt16BE(0))) as Reply);
      }
    });
    sock.on('error', reject);
    const frame = Buffer.alloc(2 + msg.length);
    frame.writeUInt16BE(msg.length, 0);
    msg.copy(frame, 2);
    sock.write(frame);
  });
}

async function scrape(): Promise<{ text: string; e: Exposition }> {
  const res = await server.http('/metrics');
  expect(res.status).toBe(200);
  expect(String(res.headers['content-type'])).toContain('text/plain');
  return { text: res.body, e: parseExposition(res.body) };
}

const describeWorkers = reusePortSupported() ? describe : describe.skip;

beforeAll(async () => {
  master = await StreamMaster.start();
  const status = v1Status({ taskId: 'web-1', agentId: 'a1', state: 'TASK_RUNNING', ips: ['10.3.0.3'], timestamp: 1_700_000_100 });
  master.getState = getState({
    agents: [v1Agent('a1', '10.1.0.1')],
    frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')],
    tasks: [v1Task({ id: 'web-1', name: 'web', frameworkId: 'fw1', agentId: 'a1', state: 'TASK_RUNNING', ports: [[31000, 31000]], statuses: [status] })],
  });
  master.stateDocument = emptyLegacyState(master.port);
  upstream = await startUpstream({ records: { 'example.org': [{ name: 'example.org', type: 'A', ttl: 300, data: '192.0.2.7' }] } });
  silent = await startUpstream({ mode: 'drop' });
  server = await startTestServer({
    masters: [`127.0.0.1:${master.port}`],
    resolvers: [upstream.address],
    zoneResolvers: { 'silent.test': [silent.address] },
    timeout: 1,
    refreshSeconds: 3600,
    workers: 2,
  });
  await waitFor(() => master.openStreams === 1, 10_000, 'the server subscribes to the event stream');
  // Every worker answers from the streamed table (web-1's address is only in the stream's state).
  await waitFor(() => server.running.store.current()?.table.names.has('web.marathon.mesos.') === true, 10_000, 'the streamed table');
  const deadline = Date.now() + 10_000;
  while ((await server.http('/health')).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}, 30_000);

afterAll(async () => {
  await server?.close();
  await master?.close();
  await upstream?.close();
  await silent?.close();
});

describeWorkers('/metrics with two DNS worker threads', () => {
  it('counts every query by transport, type and rcode, its duration, forwards and drops', async () => {
    const before = (await scrape()).e;
    const udp: Array<[string, dnsPacket.RecordType, string]> = [
      ['web.marathon.mesos', 'A', 'NOERROR'],
      ['web.marathon.mesos', 'A', 'NOERROR'], // the fast path this time
      ['web.marathon.mesos', 'AAAA', 'NOERROR'],
      ['_web._tcp.marathon.mesos', 'SRV', 'NOERROR'],
      ['mesos', 'SOA', 'NOERROR'],
      ['mesos', 'NS', 'NOERROR'],
      ['leader.mesos', 'TXT', 'NOERROR'],
      ['nope.mesos', 'A', 'NXDOMAIN'],
      ['nope.mesos', 'A', 'NXDOMAIN'],
      ['example.org', 'A', 'NOERROR'], // forwarded
      ['example.org', 'A', 'NOERROR'], // from the forward cache
      ['x.silent.test', 'A', 'SERVFAIL'], // the silent upstream times out (1 s)
    ];
    const sticky = dgram.createSocket('udp4');
    for (const [name, type, rcode] of udp) expect([name, type, (await askUdp(query(name, type), 5000, sticky))?.rcode]).toEqual([name, type, rcode]);
    sticky.close();
    // ANY: answered, whatever the server's policy for it is; counted under its own label.
    expect(await askUdp(query('leader.mesos', 'ANY' as dnsPacket.RecordType))).toBeDefined();
    // A response (QR set) is not a query: silence, counted as a drop.
    const response = dnsPacket.encode({ type: 'response', id: nextId++, flags: 0, questions: [{ name: 'leader.mesos', type: 'A', class: 'IN' }] });
    expect(await askUdp(response, 300)).toBeUndefined();
    const tcp: Array<[string, dnsPacket.RecordType, string]> = [
      ['web.marathon.mesos', 'A', 'NOERROR'],
      ['_web._tcp.marathon.mesos', 'SRV', 'NOERROR'],
      ['nope.mesos', 'A', 'NXDOMAIN'],
      ['www.example.org', 'A', 'NXDOMAIN'], // forwarded over TCP; the upstream has no such name
    ];
    for (const [name, type, rcode] of tcp) expect([name, type, (await askTcp(query(name, type))).rcode]).toEqual([name, type, rcode]);

    const { text, e } = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => sumOf(e, name, labels) - sumOf(before, name, labels);
    const udpAnswered = udp.length + 1;
    expect(moved('mesos_dns_requests_total', { transport: 'udp' })).toBe(udpAnswered + 1);
    expect(moved('mesos_dns_requests_total', { transport: 'tcp' })).toBe(tcp.length);
    // Replies by transport, qtype and rcode.
    expect(moved('mesos_dns_responses_total', { transport: 'udp', qtype: 'A', rcode: 'NOERROR' })).toBe(4);
    expect(moved('mesos_dns_responses_total', { transport: 'udp', qtype: 'A', rcode: 'NXDOMAIN' })).toBe(2);
    expect(moved('mesos_dns_responses_total', { transport: 'udp', qtype: 'A', rcode: 'SERVFAIL' })).toBe(1);
    for (const qtype of ['AAAA', 'SRV', 'SOA', 'NS', 'TXT', 'ANY']) expect([qtype, moved('mesos_dns_responses_total', { transport: 'udp', qtype })]).toEqual([qtype, 1]);
    expect(moved('mesos_dns_responses_total', { transport: 'udp' })).toBe(udpAnswered);
    expect(moved('mesos_dns_responses_total', { transport: 'tcp', qtype: 'SRV', rcode: 'NOERROR' })).toBe(1);
    expect(moved('mesos_dns_responses_total', { transport: 'tcp', rcode: 'NXDOMAIN' })).toBe(2);
    expect(moved('mesos_dns_responses_total', { transport: 'tcp' })).toBe(tcp.length);
    // The duration histogram: one observation per reply, cumulative buckets ending at _count.
    for (const [transport, n] of [['udp', udpAnswered], ['tcp', tcp.length]] as const) {
      expect(moved('mesos_dns_request_duration_seconds_count', { transport })).toBe(n);
      expect(moved('mesos_dns_request_duration_seconds_bucket', { transport, le: '+Inf' })).toBe(n);
      const buckets = e.samples.filter((s) => s.name === 'mesos_dns_request_duration_seconds_bucket' && s.labels.transport === transport);
      expect(buckets.map((b) => b.labels.le)).toEqual(['0.00005', '0.0001', '0.00025', '0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf']);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
      expect(moved('mesos_dns_request_duration_seconds_sum', { transport })).toBeGreaterThan(0);
    }
    // The timed-out query took the 1 s timeout: it is above the 0.5 s bucket, the rest below.
    expect(moved('mesos_dns_request_duration_seconds_bucket', { transport: 'udp', le: '0.5' })).toBe(udpAnswered - 1);
    // Forwarding: per upstream and outcome, latency, the cache.
    expect(moved('mesos_dns_forward_attempts_total', { upstream: upstream.address, outcome: 'answered' })).toBe(2);
    expect(moved('mesos_dns_forward_attempts_total', { upstream: silent.address, outcome: 'timeout' })).toBe(1);
    expect(moved('mesos_dns_forward_duration_seconds_count', { upstream: upstream.address })).toBe(2);
    expect(moved('mesos_dns_forward_duration_seconds_bucket', { upstream: silent.address, le: '0.5' })).toBe(0);
    expect(moved('mesos_dns_forwarded_total')).toBe(2);
    expect(moved('mesos_dns_forward_failures_total')).toBe(1);
    expect(moved('mesos_dns_forward_cache_hits_total')).toBe(1);
    expect(moved('mesos_dns_forward_cache_misses_total')).toBe(3);
    expect(sumOf(e, 'mesos_dns_forward_cache_entries')).toBeGreaterThanOrEqual(1);
    // The message that was not a query.
    expect(moved('mesos_dns_dropped_total', { reason: 'not_a_query' })).toBe(1);
    expect(moved('mesos_dns_dropped_total')).toBe(1);
    expect(has(e, 'mesos_dns_dropped_total', { reason: 'in_flight_limit' })).toBe(true);

    // The table, the source, the leader, Node's own.
    expect(sumOf(e, 'mesos_dns_table_loaded')).toBe(1);
    expect(sumOf(e, 'mesos_dns_table_generation')).toBeGreaterThanOrEqual(1);
    expect(sumOf(e, 'mesos_dns_table_names')).toBeGreaterThan(0);
    expect(sumOf(e, 'mesos_dns_table_records', { type: 'A' })).toBeGreaterThan(0);
    expect(sumOf(e, 'mesos_dns_table_records', { type: 'SRV' })).toBeGreaterThan(0);
    // Every swap is a full build (timed) or a patch (counted only), such as a stream snapshot
    // patched onto the poll's table.
    expect(sumOf(e, 'mesos_dns_table_build_duration_seconds_count')).toBe(sumOf(e, 'mesos_dns_table_updates_total', { kind: 'full' }));
    expect(sumOf(e, 'mesos_dns_table_updates_total')).toBe(sumOf(e, 'mesos_dns_table_generation'));
    expect(sumOf(e, 'mesos_dns_table_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sumOf(e, 'mesos_dns_state_fetches_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sumOf(e, 'mesos_dns_state_fetch_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sumOf(e, 'mesos_dns_state_fetch_bytes_total')).toBeGreaterThan(100);
    expect(sumOf(e, 'mesos_dns_stream_connected')).toBe(1);
    expect(sumOf(e, 'mesos_dns_stream_events_total', { type: 'SUBSCRIBED' })).toBe(1);
    expect(sumOf(e, 'mesos_dns_leader_info', { leader: `127.0.0.1:${master.port}` })).toBe(1);
    expect(has(e, 'process_cpu_user_seconds_total')).toBe(true);
    expect(has(e, 'nodejs_heap_size_used_bytes')).toBe(true);
    expect(e.types.get('mesos_dns_request_duration_seconds')).toBe('histogram');
    expect(e.types.get('mesos_dns_responses_total')).toBe('counter');

    // Prometheus's own linter: nothing to say about our families. It does flag three of
    // prom-client's default gauges (nodejs_active_handles_total...: a gauge named like a
    // counter); those names are the ones every Node exporter has, kept as they are.
    const lint = await promtool(['check', 'metrics'], text);
    const complaints = lint.out.split('\n').filter((l) => l !== '');
    expect(complaints.filter((l) => !/^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/.test(l))).toEqual([]);
    expect(complaints.length).toBeLessThanOrEqual(3);
  }, 60_000);

  it('counts the stream events the master sends', async () => {
    const before = sumOf((await scrape()).e, 'mesos_dns_stream_events_total', { type: 'HEARTBEAT' });
    master.send({ type: 'HEARTBEAT' });
    master.send({ type: 'HEARTBEAT' });
    let now = before;
    const deadline = Date.now() + 5000;
    while (now < before + 2 && Date.now() < deadline) now = sumOf((await scrape()).e, 'mesos_dns_stream_events_total', { type: 'HEARTBEAT' });
    expect(now).toBe(before + 2);
  });
});

/** Runs promtool with `input` on stdin; its exit code and what it printed. */
function promtool(args: string[], input: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}`.trim() });
    });
    child.stdin?.end(input);
  });
}
