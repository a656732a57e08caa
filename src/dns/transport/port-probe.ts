// SO_REUSEPORT lets our own worker threads share the DNS port, but it would also let a second
// copy of this server (same user) bind the same port and silently take half the queries. So at
// start-up, before binding with SO_REUSEPORT, bind the address once WITHOUT it: that fails with
// EADDRINUSE whenever anything else holds the port, reuseport or not.
import dgram from 'node:dgram';
import net from 'node:net';
import { DnsListenError } from '../../errors.js';
import { socketTypeFor } from './udp-server.js';

function probeUdp(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: socketTypeFor(address), reuseAddr: false });
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind({ address, port, exclusive: true }, () => socket.close(() => resolve()));
  });
}

function probeTcp(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** Resolves when nothing holds `address:port` for UDP and TCP; rejects with DnsListenError otherwise. */
export async function assertPortFree(address: string, port: number): Promise<void> {
  if (port === 0) return;
  for (const [proto, probe] of [
    ['udp', probeUdp],
    ['tcp', probeTcp],
  ] as const) {
    try {
      await probe(address, port);
    } catch (err) {
      throw new DnsListenError(`cannot listen for DNS on ${proto} ${address}:${port}: ${(err as Error).message} (another process holds the port)`, {
        cause: err,
      });
    }
  }
}
