// A small sample of the fuzz run (`npm run fuzz`, bench/fuzz-run.ts) against the real binary:
// 2,000 malformed datagrams and 100 malformed TCP streams, then the server must still answer
// over UDP and TCP (and forward, to a stand-in on loopback), with no DNS worker restarted, no
// error logged, no internal error, every reply within its limit and with its query's ID.
import { describe, expect, it } from '@jest/globals';
import { formatFuzzReport, runFuzz } from '../bench/fuzz-run.js';

describe('fuzzing the running server', () => {
  it('survives 2,000 malformed datagrams and 100 malformed TCP streams and still answers', async () => {
    const report = await runFuzz({ udpPackets: 2000, tcpStreams: 100, seed: 20261207, timeLimitMs: 50_000, rssBoundMiB: 50, warmupPackets: 200 });
    expect({ failures: report.failures, summary: formatFuzzReport(report) }).toEqual({ failures: [], summary: expect.any(String) });
    expect(report.udpSent).toBe(2000);
    expect(report.tcp.streams).toBe(100);
    // The sample reached the server's answering paths, not only its drop paths.
    expect(report.udpReplies.NOERROR).toBeGreaterThan(0);
    expect(report.udpReplies.FORMERR).toBeGreaterThan(0);
    expect(report.tcp.replies.NOERROR).toBeGreaterThan(0);
    expect(report.forwarded).toBeGreaterThan(0);
  }, 90_000);
});
