// Shared by the DNS server tests (dns-server-udp-modes, handle-query, dns-server-tcp-limits): a
// small record table, queries, and a raw TCP client for framed messages.
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { buildTestTable } from './table.js';

const BIG = Array.from({ length: 100 }, (_, i) => `big.mesos. A 10.0.1.${i}`);

export function table() {
  return buildTestTable([
    'leader.mesos. A 10.0.0.1',
    '_leader._tcp.mesos. SRV 0 1 5050 leader.mesos.',
    'app.marathon.mesos. A 10.0.0.2',
    ...BIG,
  ]);
}

export function query(name: string, type: dnsPacket.RecordType, id: number): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] });
}

export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Opens a TCP connection, writes `chunks` one by one, and collects `expected` framed replies. */
export function tcpSession(port: number, chunks: Buffer[], expected: number): Promise<{ replies: Buffer[]; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const replies: Buffer[] = [];
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP session: got ${replies.length} of ${expected} replies`));
    }, 5000);
    const done = (closedByServer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies, closedByServer });
    };
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((r) => setTimeout(r, 10));
      }
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        replies.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + replies[replies.length - 1].length);
      }
      if (replies.length >= expected) done(false);
    });
    socket.on('close', () => done(true));
    socket.on('error', () => {});
  });
}
