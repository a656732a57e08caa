// The socket side of the stand-in DNS servers (test/helpers/upstream.ts, bench/echo-upstream.ts):
// a TCP server that splits streams into messages by their 2-octet length prefix (RFC 1035
// §4.2.2), and binding it with a UDP socket on one free loopback port.
import dgram from 'node:dgram';
import net from 'node:net';

/** Replies to one message; `send` frames and writes a reply unless the connection is gone. */
export type TcpMessageHandler = (message: Buffer, send: (reply: Buffer) => void) => void;

/** A TCP server calling `onMessage` for each framed message; `sockets` lists the open connections. */
export function framedTcpServer(onMessage: TcpMessageHandler): { tcp: net.Server; sockets: Set<net.Socket> } {
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const send = (reply: Buffer): void => {
      if (socket.destroyed) return;
      const length = Buffer.alloc(2);
      length.writeUInt16BE(reply.length);
      socket.write(Buffer.concat([length, reply]));
    };
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = Buffer.from(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + message.length);
        onMessage(message, send);
      }
    });
  });
  return { tcp, sockets };
}

/**
 * A UDP socket and a TCP server on one free port. The UDP port comes from the kernel; the same
 * TCP port can be taken already (by another test's connection), and then both try again, as the
 * server itself does for Port 0 (dns-server.ts).
 */
export async function bindBoth(tcp: net.Server): Promise<{ udp: dgram.Socket; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve());
    });
    const port = udp.address().port;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, port };
    } catch (err) {
      udp.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 10) throw err;
    }
  }
}
