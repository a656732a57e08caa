// Zone transfer out (issue 16 item 3) against the running server, checked with dig: AXFR allowed
// and refused by AllowTransfer, TSIG (TransferTsigKey, a wrong secret, an unknown key), IXFR from
// a known serial (the delta), an unknown one (the whole zone), the current one (the SOA alone),
// a zone large enough for many messages, reverse zones, UDP, the serial across a change-free
// refresh and a restart (SerialFile), /v1/config masking the secrets, and DNS worker threads.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dgram from 'node:dgram';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { smallState } from '../helpers/small-state.js';

const SECRET = 'eGZyLXRlc3Qtc2VjcmV0LWtleS1mb3ItdHNpZw==';
const KEY = `hmac-sha256:xfr-key:${SECRET}`;
const TASKS = Array.from({ length: 1500 }, (_, i) => `task${i}`);

let server: TestServer;
let stateFile: string;
let base: Record<string, unknown>;

/** Records of a dig transfer (comment lines dropped), and dig's XFR summary. */
interface Xfr {
  records: string[][];
  messages: number;
  failed: boolean;
  text: string;
}

async function xfr(...args: string[]): Promise<Xfr> {
  const text = await server.dig('+nocmd', '+time=5', ...args).catch((e: { stdout?: string }) => e.stdout ?? '');
  const records = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith(';'))
    .map((l) => l.split(/\s+/));
  const summary = /XFR size: \d+ records \(messages (\d+)/.exec(text);
  return { records, messages: summary ? Number(summary[1]) : 0, failed: text.includes('Transfer failed'), text };
}

const soaSerial = (rr: string[]): number => Number(rr[6]);
const ofType = (x: Xfr, type: string): string[][] => x.records.filter((r) => r[3] === type);

async function serialNow(zone = 'mesos'): Promise<number> {
  return Number((await server.dig('+short', '+time=5', zone, 'SOA')).trim().split(/\s+/)[2]);
}

async function applyState(tasks: string[]): Promise<void> {
  await writeFile(stateFile, JSON.stringify(smallState(5050, tasks)));
  await server.running.refresh();
}

async function reconfigure(extra: Record<string, unknown>): Promise<void> {
  await server.writeConfig({ ...base, ...extra });
  expect(await server.running.reload()).toBe(true);
}

beforeAll(async () => {
  // The state file is written before start so the first table already has every task.
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(path.join(tmpdir(), 'mdns-xfr-state-'));
  stateFile = path.join(dir, 'state.json');
  await writeFile(stateFile, JSON.stringify(smallState(5050, TASKS)));
  base = { StateFile: stateFile, externalon: false, AllowTransfer: ['127.0.0.0/8'], TsigKeys: [KEY], IxfrJournalSize: 10, SerialFile: path.join(dir, 'serial') };
  server = await startTestServer(base);
}, 30_000);

afterAll(async () => {
  await server?.close();
});

describe('AXFR', () => {
  it('sends the whole zone, SOA first and last, over many messages for a large zone', async () => {
    const x = await xfr('mesos', 'AXFR');
    expect(x.failed).toBe(false);
    const soas = ofType(x, 'SOA');
    expect(soas).toHaveLength(2);
    expect(x.records[0][3]).toBe('SOA');
    expect(x.records.at(-1)![3]).toBe('SOA');
    // 1,500 tasks do not fit one 64 KiB message; dig parsed every one of them.
    expect(x.messages).toBeGreaterThan(1);
    const names = new Set(ofType(x, 'A').map((r) => r[0]));
    for (const t of ['task0', 'task750', 'task1499']) expect(names.has(`${t}.marathon.mesos.`)).toBe(true);
    expect(ofType(x, 'NS')).toEqual([['mesos.', '60', 'IN', 'NS', 'ns1.mesos.']]);
  });

  it('transfers a reverse zone', async () => {
    const x = await xfr('0.1.10.in-addr.arpa', 'AXFR');
    expect(ofType(x, 'SOA')).toHaveLength(2);
    expect(ofType(x, 'PTR').map((r) => r[0])).toContain('1.0.1.10.in-addr.arpa.');
  });

  it('is refused to a client outside AllowTransfer, and by default', async () => {
    await reconfigure({ AllowTransfer: ['10.0.0.0/8'] });
    expect((await xfr('mesos', 'AXFR')).failed).toBe(true);
    await reconfigure({ AllowTransfer: [] });
    expect((await xfr('mesos', 'AXFR')).failed).toBe(true);
    await reconfigure({});
    expect((await xfr('mesos', 'AXFR')).failed).toBe(false);
  });

  it('over UDP is REFUSED (RFC 5936 §4.2)', async () => {
    const reply = await udpQuery('mesos', 'AXFR');
    expect(reply.rcode).toBe('REFUSED');
  });

  it('of a name that is not a zone apex is NOTAUTH', async () => {
    const x = await xfr('marathon.mesos', 'AXFR');
    expect(x.failed).toBe(true);
  });
});

describe('TSIG', () => {
  it('signs the transfer of a signed request, every message verified by dig', async () => {
    const x = await xfr('-y', KEY, 'mesos', 'AXFR');
    expect(x.failed).toBe(false);
    expect(x.messages).toBeGreaterThan(1);
    expect(x.text).not.toMatch(/verify|BADSIG|failure/i);
  });

  it('with TransferTsigKey, an unsigned transfer is refused and a signed one served', async () => {
    await reconfigure({ TransferTsigKey: 'xfr-key' });
    try {
      expect((await xfr('mesos', 'AXFR')).failed).toBe(true);
      expect((await xfr('-y', KEY, 'mesos', 'AXFR')).failed).toBe(false);
    } finally {
      await reconfigure({});
    }
  });

  it('a wrong secret gets BADSIG, an unknown key BADKEY', async () => {
    const wrong = await xfr('-y', 'hmac-sha256:xfr-key:d3JvbmctdHNpZy1zZWNyZXQtZm9yLXRlc3Q=', 'mesos', 'AXFR');
    expect(wrong.text).toMatch(/BADSIG/);
    expect(wrong.failed).toBe(true);
    const unknown = await xfr('-y', `hmac-sha256:other-key:${SECRET}`, 'mesos', 'AXFR');
    expect(unknown.text).toMatch(/BADKEY/);
  });

  it('answers a signed SOA query signed (what a secondary asks before a transfer)', async () => {
    const out = await server.dig('-y', KEY, 'mesos', 'SOA');
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/xfr-key\.\s+0\s+ANY\s+TSIG\s+hmac-sha256\.\s+\d+ 300 32 \S+ \d+ NOERROR 0/);
    expect(out).not.toMatch(/verify|failure/i);
  });

  it('/v1/config shows the keys with their secrets masked', async () => {
    const { body } = await server.http('/v1/config');
    const config = JSON.parse(body) as { TsigKeys: string[] };
    expect(config.TsigKeys).toEqual(['hmac-sha256:xfr-key:******']);
    expect(body).not.toContain(SECRET);
  });
});

describe('IXFR and the serial', () => {
  it('a refresh that changes nothing keeps the serial', async () => {
    const before = await serialNow();
    await applyState(TASKS);
    expect(await serialNow()).toBe(before);
  });

  it('gives the delta from a known serial, the zone from an unknown one, the SOA alone when current', async () => {
    const s1 = await serialNow();
    const reverseBefore = await serialNow('0.1.10.in-addr.arpa');
    const reverseRecords = (await xfr('0.1.10.in-addr.arpa', 'AXFR')).records.length;
    await applyState([...TASKS.slice(1), 'launched']);
    const s2 = await serialNow();
    expect(s2).toBeGreaterThan(s1);
    // The reverse zone's PTRs are the agent's and did not change: it keeps its own serial.
    expect((await xfr('0.1.10.in-addr.arpa', 'AXFR')).records.length).toBe(reverseRecords);
    expect(await serialNow('0.1.10.in-addr.arpa')).toBe(reverseBefore);

    const delta = await xfr('mesos', `IXFR=${s1}`);
    // RFC 1995 §4: new SOA, old SOA, deletions, new SOA, additions, new SOA.
    const soas = ofType(delta, 'SOA').map(soaSerial);
    expect(soas).toEqual([s2, s1, s2, s2]);
    const names = delta.records.map((r) => r[0]);
    expect(names).toContain('launched.marathon.mesos.');
    expect(names).toContain('task0.marathon.mesos.');
    expect(names).not.toContain('task1.marathon.mesos.');
    expect(delta.records.length).toBeLessThan(40);

    const full = await xfr('mesos', `IXFR=${s1 - 100_000}`);
    expect(ofType(full, 'SOA').map(soaSerial)).toEqual([s2, s2]);
    expect(full.records.length).toBe((await xfr('mesos', 'AXFR')).records.length);

    const current = await xfr('mesos', `IXFR=${s2}`);
    expect(current.records.map((r) => r[3])).toEqual(['SOA']);

    // Over UDP (RFC 1995 §2): the delta when it fits one datagram, else the SOA alone.
    const udpDelta = await server.dig('+notcp', '+time=5', '+nocmd', '+nostats', 'mesos', `IXFR=${s1}`);
    expect(udpDelta).toContain('launched.marathon.mesos.');
    const udpFull = await server.dig('+notcp', '+time=5', '+nocmd', '+nostats', 'mesos', `IXFR=${s1 - 100_000}`);
    expect(udpFull.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';')).map((l) => l.split(/\s+/)[3])).toEqual(['SOA']);
  });

  it('counts the transfers in /metrics', async () => {
    const { body } = await server.http('/metrics');
    const count = (labels: string): number => Number(new RegExp(`^mesos_dns_zone_transfers_total\\{${labels}\\} (\\d+)`, 'm').exec(body)?.[1] ?? 0);
    expect(count('type="axfr",result="ok"')).toBeGreaterThan(0);
    expect(count('type="axfr",result="refused"')).toBeGreaterThan(0);
    expect(count('type="axfr",result="tsig_error"')).toBeGreaterThan(0);
    expect(count('type="ixfr",result="ok"')).toBeGreaterThan(0);
    expect(count('type="ixfr_full",result="ok"')).toBeGreaterThan(0);
    expect(count('type="ixfr_current",result="ok"')).toBeGreaterThan(0);
  });

  it('chains several changes', async () => {
    const s1 = await serialNow();
    await applyState([...TASKS.slice(2), 'launched', 'second']);
    await applyState([...TASKS.slice(2), 'launched', 'second', 'third']);
    const s3 = await serialNow();
    const delta = await xfr('mesos', `IXFR=${s1}`);
    const soas = ofType(delta, 'SOA').map(soaSerial);
    expect(soas[0]).toBe(s3);
    expect(soas).toHaveLength(6);
    expect(delta.records.map((r) => r[0])).toEqual(expect.arrayContaining(['second.marathon.mesos.', 'third.marathon.mesos.']));
  });

  it('keeps the serial in SerialFile, and a restart never goes back', async () => {
    const file = base.SerialFile as string;
    const s = await serialNow();
    expect(Number((await readFile(file, 'utf8')).trim())).toBe(s);
    // A serial ahead of the clock (changes faster than one a second) survives the restart.
    const ahead = Math.floor(Date.now() / 1000) + 100_000;
    await writeFile(file, `${ahead}\n`);
    await server.close();
    await writeFile(stateFile, JSON.stringify(smallState(5050, TASKS)));
    server = await startTestServer(base);
    expect(await serialNow()).toBe(ahead + 1);
  }, 30_000);
});

describe('with DNS worker threads', () => {
  it('a transfer received by any worker is answered from the main thread', async () => {
    const workers = await startTestServer({ ...base, SerialFile: '', workers: 2 });
    try {
      const previous = server;
      server = workers;
      try {
        for (let i = 0; i < 4; i++) {
          const x = await xfr('-y', KEY, 'mesos', 'AXFR');
          expect(x.failed).toBe(false);
          expect(ofType(x, 'SOA')).toHaveLength(2);
        }
      } finally {
        server = previous;
      }
    } finally {
      await workers.close();
    }
  }, 30_000);
});

function udpQuery(name: string, type: string): Promise<{ rcode: string }> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no UDP reply'));
    }, 3000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve({ rcode: (dnsPacket.decode(msg) as { rcode?: string }).rcode ?? '' });
    });
    socket.send(dnsPacket.encode({ type: 'query', id: 7, questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }] }), server.dnsPort, '127.0.0.1');
  });
}
