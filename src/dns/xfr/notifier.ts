// NOTIFY (RFC 1996) to the `Notify` targets whenever a zone's serial rises (a static zone's
// when its file is loaded with a new serial: static-zone.ts), from the main
// thread, over UDP. The message (§3.7): opcode NOTIFY, AA, the zone's SOA as the question and
// its current SOA in the answer section (§3.7 "MAY", which lets a secondary skip its SOA query),
// signed with TransferTsigKey when set. §3.6: a NOTIFY is retried until answered: after 1, 2, 4,
// 8 and 16 s, then given up (a secondary still polls at the SOA refresh). A newer serial for the
// same zone and target replaces the retries of the older one.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { Config } from '../../config/typed.js';
import type { Logger } from '../../log.js';
import type { HostPort } from '../../net/address.js';
import type { Snapshot, TableStore } from '../../store.js';
import { encodeAnswer } from '../wire/encode.js';
import { OPCODE, QCLASS, QTYPE } from '../wire/message.js';
import { signMessage } from '../wire/tsig-mac.js';
import { soaRecord } from './messages.js';
import { serialGreater } from './serial.js';
import type { TransferZone } from './zones.js';
import { snapshotZones } from './static-zone.js';

const RETRY_MS = [1000, 2000, 4000, 8000, 16000];

/** The NOTIFY request for `zone` (unsigned), ID `id`. Pure. */
export function notifyMessage(zone: TransferZone, id: number): Buffer {
  const query = { id, opcode: OPCODE.NOTIFY, rd: false, cd: false, question: { name: zone.apex, type: QTYPE.SOA, class: QCLASS.IN } };
  const m = encodeAnswer(query, { kind: 'success', aa: true, ra: false, answer: [soaRecord(zone)], authority: [], additional: [] }, { maxSize: 512, setTruncateBit: false, ednsUdpSize: 512 });
  m[2] &= 0x7f; // a request: QR clear (encodeAnswer writes replies)
  return m;
}

interface Pending {
  id: number;
  timer: NodeJS.Timeout;
}

export interface Notifier {
  /** NOTIFYs sent (first tries and retries) and answered, for tests and /metrics-minded callers. */
  readonly counts: { sent: number; answered: number };
  /** A reload changed Notify or the keys (config/reload.ts 'notify'): retries to the old targets stop. */
  reconfigure(): void;
  close(): void;
}

export function startNotifier(deps: {
  config: () => Config;
  store: TableStore;
  logger: Logger;
  now?: () => number;
  /** Counts each NOTIFY sent, answered or given up (mesos_dns_notify_total). */
  count?: (outcome: 'sent' | 'answered' | 'gave_up') => void;
}): Notifier {
  const log = deps.logger.child({ component: 'notify' });
  const now = deps.now ?? (() => Date.now() / 1000);
  const counts = { sent: 0, answered: 0 };
  const notified = new Map<string, number>();
  /** "zone target" -> its outstanding NOTIFY. */
  const pending = new Map<string, Pending>();
  const sockets = new Map<'udp4' | 'udp6', dgram.Socket>();

  const socketFor = (target: HostPort): dgram.Socket => {
    const family = target.host.includes(':') ? 'udp6' : 'udp4';
    let s = sockets.get(family);
    if (s === undefined) {
      s = dgram.createSocket(family);
      s.on('message', (msg, rinfo) => answered(msg, rinfo.address, rinfo.port));
      s.on('error', (err) => log.warn({ err: err.message }, 'NOTIFY socket error'));
      s.unref();
      sockets.set(family, s);
    }
    return s;
  };

  const answered = (msg: Buffer, address: string, port: number): void => {
    if (msg.length < 12 || (msg[2] & 0x80) === 0 || ((msg[2] >> 3) & 0x0f) !== OPCODE.NOTIFY) return;
    const id = msg.readUInt16BE(0);
    for (const [key, p] of pending) {
      if (p.id !== id || !key.endsWith(` ${address}:${port}`)) continue;
      clearTimeout(p.timer);
      pending.delete(key);
      counts.answered++;
      deps.count?.('answered');
      log.debug({ target: `${address}:${port}`, rcode: msg[3] & 0x0f }, 'NOTIFY answered');
    }
  };

  const send = (zone: TransferZone, target: HostPort, attempt: number, id: number): void => {
    const config = deps.config();
    const key = `${zone.apex} ${target.host}:${target.port}`;
    let message = notifyMessage(zone, id);
    const keyName = config.typed.transfer.requiredKey;
    const tsigKey = keyName === undefined ? undefined : config.typed.transfer.keys.find((k) => k.name === keyName);
    if (tsigKey) message = signMessage(message, { key: tsigKey, priorMac: Buffer.alloc(0), signed: 0 }, now());
    socketFor(target).send(message, target.port, target.host, (err) => {
      if (err) log.warn({ err: err.message, target: `${target.host}:${target.port}` }, 'NOTIFY not sent');
    });
    counts.sent++;
    deps.count?.('sent');
    const delay = RETRY_MS[attempt];
    if (delay === undefined) {
      pending.delete(key);
      deps.count?.('gave_up');
      log.warn({ zone: zone.apex, serial: zone.soa.serial, target: `${target.host}:${target.port}`, tries: attempt + 1 }, 'NOTIFY never answered; giving up (the secondary still checks at the SOA refresh)');
      return;
    }
    const timer = setTimeout(() => send(zone, target, attempt + 1, id), delay);
    timer.unref();
    pending.set(key, { id, timer });
  };

  const onSwap = (snapshot: Snapshot): void => {
    const config = deps.config();
    if (!config.typed.transfer.on || config.typed.transfer.notify.length === 0) return;
    for (const [apex, zone] of snapshotZones(snapshot)) {
      // Only a serial greater than the last one announced (RFC 1982): a secondary takes nothing
      // else, and a static zone file may go back to a lower serial (zone-history.ts warns of it).
      const last = notified.get(apex);
      if (last !== undefined && !serialGreater(zone.soa.serial, last)) continue;
      const first = last === undefined;
      notified.set(apex, zone.soa.serial);
      // The first table after start-up: secondaries may hold an older copy, so tell them too.
      log.debug({ zone: apex, serial: zone.soa.serial, first }, 'sending NOTIFY');
      for (const target of config.typed.transfer.notify) {
        const key = `${apex} ${target.host}:${target.port}`;
        const old = pending.get(key);
        if (old) clearTimeout(old.timer);
        send(zone, target, 0, randomInt(0, 0x10000));
      }
    }
  };
  const unsubscribe = deps.store.onSwap(onSwap);

  return {
    counts,
    reconfigure() {
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
    },
    close() {
      unsubscribe();
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
      for (const s of sockets.values()) s.close();
      sockets.clear();
    },
  };
}
