// What the launch-latency benchmarks (stream-latency.ts, xfr-knot.ts) share: one A query over UDP
// on loopback, answered or not, and the percentile of their sorted latencies.
import type dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

/** The p-th percentile (nearest rank) of `sorted`, ascending. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * One A query for `name` with message id `id` to 127.0.0.1:`port` over `sock`; resolves to the
 * number of answers (0 for NXDOMAIN/NODATA), rejects when no reply with that id comes within
 * `timeoutMs`.
 */
export function queryA(sock: dgram.Socket, port: number, name: string, id: number, timeoutMs: number, flags = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.off('message', onMessage);
      reject(new Error(`no reply for ${name}`));
    }, timeoutMs);
    const onMessage = (msg: Buffer): void => {
      const reply = dnsPacket.decode(msg);
      if (reply.id !== id) return;
      clearTimeout(timer);
      sock.off('message', onMessage);
      resolve(reply.answers?.length ?? 0);
    };
    sock.on('message', onMessage);
    sock.send(dnsPacket.encode({ type: 'query', id, flags, questions: [{ type: 'A', name }] }), port, '127.0.0.1');
  });
}
