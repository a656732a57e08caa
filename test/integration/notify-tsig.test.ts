// NOTIFY (RFC 1996) and TSIG (RFC 8945) seen from outside the running server: a stand-in
// secondary on a loopback UDP socket receives the NOTIFY, signed with TransferTsigKey, ignores
// the first and gets it again; a request signed at a stale time is answered BADTIME, signed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { smallState } from '../helpers/small-state.js';
import { parseTsigKey } from '../../src/config/tsig-keys.js';
import { signMessage, verifyRequest } from '../../src/dns/wire/tsig-mac.js';
import { scanMessage } from '../../src/dns/wire/reply-scan.js';
import { readTsig } from '../../src/dns/wire/tsig.js';
import { readName } from '../../src/dns/wire/name-wire.js';

const KEY = 'hmac-sha256:notify-key:bm90aWZ5LXRlc3Qta2V5LXNlY3JldC1ieXRlcw==';
const key = parseTsigKey(KEY).value!;

let server: TestServer;
let secondary: dgram.Socket;
let dir: string;
const notifies: { msg: Buffer; port: number }[] = [];

/** The last record (the TSIG RR) of a message, read with the server's own reader. */
function tsigOf(msg: Buffer) {
  const last = scanMessage(msg).records.at(-1)!;
  expect(last.type).toBe(250);
  return { at: last.start, tsig: readTsig(msg, last.start, last.rdataOffset, last.end)! };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mdns-notify-'));
  const stateFile = path.join(dir, 'state.json');
  await writeFile(stateFile, JSON.stringify(smallState(5050, ['web'])));
  secondary = dgram.createSocket('udp4');
  secondary.on('message', (msg, rinfo) => {
    if (readName(msg, 12).ok && (readName(msg, 12) as { name: string }).name === 'mesos') notifies.push({ msg, port: rinfo.port });
  });
  await new Promise<void>((r) => secondary.bind(0, '127.0.0.1', r));
  server = await startTestServer({
    StateFile: stateFile,
    externalon: false,
    AllowTransfer: ['127.0.0.0/8'],
    Notify: [`127.0.0.1:${secondary.address().port}`],
    TsigKeys: [KEY],
    TransferTsigKey: 'notify-key',
  });
}, 30_000);

afterAll(async () => {
  secondary?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('NOTIFY', () => {
  it('tells the secondary of the zone with its SOA, signed, and retries until answered', async () => {
    await until(() => notifies.length >= 1, 5000);
    const first = notifies[0].msg;
    const p = dnsPacket.decode(first);
    expect(p.type).toBe('query'); // QR clear: a request
    expect((first[2] >> 3) & 0x0f).toBe(4); // opcode NOTIFY
    expect(first[2] & 0x04).toBe(0x04); // AA
    expect(p.questions).toEqual([{ name: 'mesos', type: 'SOA', class: 'IN' }]);
    const soa = p.answers?.find((a) => a.type === 'SOA') as dnsPacket.Answer & { data: { serial: number } };
    const serial = Number((await server.dig('+short', 'mesos', 'SOA')).trim().split(/\s+/)[2]);
    expect(soa.data.serial).toBe(serial);
    const { at, tsig } = tsigOf(first);
    expect(tsig.keyName).toBe('notify-key');
    expect(verifyRequest(first, at, tsig, key, Date.now() / 1000)).toEqual({ ok: true });

    // Unanswered: the same NOTIFY again about a second later (RFC 1996 §3.6). Answer that one.
    await until(() => notifies.length >= 2, 5000);
    const again = notifies[1];
    expect(again.msg.readUInt16BE(0)).toBe(first.readUInt16BE(0));
    const reply = Buffer.from(again.msg.subarray(0, again.msg.length));
    reply[2] |= 0x80;
    secondary.send(reply, again.port, '127.0.0.1');

    // /metrics counts the tries and the answer.
    const counted = async (outcome: string): Promise<number> =>
      Number(new RegExp(`^mesos_dns_notify_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec((await server.http('/metrics')).body)?.[1] ?? 0);
    const deadline = Date.now() + 3000;
    while ((await counted('answered')) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await counted('answered')).toBeGreaterThanOrEqual(1);
    expect(await counted('sent')).toBeGreaterThanOrEqual(2);
  }, 15_000);
});

describe('TSIG against the running server', () => {
  it('answers a request signed at a stale time BADTIME, signed, with its own time', async () => {
    const query = dnsPacket.encode({ type: 'query', id: 4242, questions: [{ name: 'mesos', type: 'SOA', class: 'IN' }] });
    const stale = signMessage(query, { key, priorMac: Buffer.alloc(0), signed: 0 }, Date.now() / 1000 - 3600);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      const timer = setTimeout(() => (s.close(), reject(new Error('no reply'))), 3000);
      s.on('message', (m) => (clearTimeout(timer), s.close(), resolve(m)));
      s.send(stale, server.dnsPort, '127.0.0.1');
    });
    expect(reply[3] & 0x0f).toBe(9); // NOTAUTH
    const { tsig } = tsigOf(reply);
    expect(tsig.error).toBe(18); // BADTIME
    expect(tsig.mac.length).toBe(32); // signed
    expect(tsig.other.length).toBe(6);
    expect(Math.abs(tsig.other.readUIntBE(0, 6) - Date.now() / 1000)).toBeLessThan(60);
  });
});
