// One DNS query over UDP with a timeout, encoded and decoded by dns-packet (an implementation
// independent of ours). Used to wait until a server answers a given name, and by the swap
// benchmark's own load loop.
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface ProbeReply {
  /** The header RCODE (RFC 1035 §4.1.1): 0 NOERROR, 3 NXDOMAIN, ... */
  rcode: number;
  answers: number;
}

export const NOERROR = 0;
export const NXDOMAIN = 3;

/** Encodes a query for `name`/`type` with message id `id`, RD clear (we query authoritatives). */
export function encodeQuery(name: string, type: 'A' | 'AAAA' | 'SRV' | 'SOA', id: number): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ name, type, class: 'IN' }] });
}

export function decodeReply(buf: Buffer): ProbeReply & { id: number } {
  const p = dnsPacket.decode(buf);
  return { id: p.id ?? 0, rcode: buf[3] & 0x0f, answers: p.answers?.length ?? 0 };
}

/** Sends one query to 127.0.0.1:`port`; rejects on timeout. */
export function queryUdp(
  port: number,
  name: string,
  type: 'A' | 'AAAA' | 'SRV' | 'SOA',
  timeoutMs = 500,
  address = '127.0.0.1',
): Promise<ProbeReply> {
  return new Promise((resolve, reject) => {
    const socket: Socket = createSocket('udp4');
    const id = (Math.random() * 65536) | 0;
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no answer from ${address}:${port} for ${name} ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (msg) => {
      let reply;
      try {
        reply = decodeReply(msg);
      } catch {
        return; // not a DNS message: keep waiting for ours
      }
      if (reply.id !== id) return;
      clearTimeout(timer);
      socket.close();
      resolve({ rcode: reply.rcode, answers: reply.answers });
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
    socket.send(encodeQuery(name, type, id), port, address);
  });
}

/** Whether `name` gets an A answer over UDP within 500 ms (a timeout or an error counts as no). */
export async function answered(port: number, name: string): Promise<boolean> {
  try {
    return (await queryUdp(port, name, 'A', 500)).answers > 0;
  } catch {
    return false;
  }
}
