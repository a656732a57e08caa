// A stand-in upstream resolver on 127.0.0.1 (UDP and TCP, one port) for the fuzz run and the
// pipeline property test: whatever the server forwards gets NXDOMAIN at once, with the query's
// ID and question echoed (RFC 1035 §4.1.1), so forwarded names never leave the machine and no
// forward waits for a timeout. It reads only the header and the first question's extent.
import { bindBoth, framedTcpServer } from '../test/helpers/loopback-dns.js';

export interface EchoUpstream {
  /** "127.0.0.1:port", the form the config's `resolvers` take. */
  readonly address: string;
  /** Messages received (UDP datagrams and TCP messages). */
  readonly received: () => number;
  close(): Promise<void>;
}

/** The NXDOMAIN reply to `query`: header and first question, nothing else; null if it has no question. */
export function nxdomainEcho(query: Buffer): Buffer | null {
  if (query.length < 12 || query.readUInt16BE(4) === 0) return null;
  let at = 12;
  for (;;) {
    if (at >= query.length) return null;
    const len = query[at];
    if (len === 0) break;
    if ((len & 0xc0) === 0xc0) {
      at += 1;
      break;
    }
    at += 1 + len;
  }
  const end = at + 1 + 4;
  if (end > query.length) return null;
  const reply = Buffer.from(query.subarray(0, end));
  reply[2] = 0x80 | (reply[2] & 0x79); // QR, keep opcode and RD
  reply[3] = 0x80 | 3; // RA, NXDOMAIN
  reply.writeUInt16BE(1, 4);
  reply.fill(0, 6, 12);
  return reply;
}

export async function startEchoUpstream(): Promise<EchoUpstream> {
  let received = 0;
  const { tcp, sockets } = framedTcpServer((message, send) => {
    received++;
    const reply = nxdomainEcho(message);
    if (reply) send(reply);
  });
  const { udp, port } = await bindBoth(tcp);
  udp.on('message', (msg, rinfo) => {
    received++;
    const reply = nxdomainEcho(msg);
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  return {
    address: `127.0.0.1:${port}`,
    received: () => received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
