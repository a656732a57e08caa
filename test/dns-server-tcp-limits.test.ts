// The DNS server's TCP listener (startDnsServer) with its per-connection limits set small, and a
// gated handler that holds queries in flight. tcp-limits.test.ts attacks the whole service.
import { describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { startDnsServer } from '../src/dns/transport/dns-server.js';
import { silentLogger } from '../src/log.js';
import { frame, query, tcpSession } from './helpers/dns-server.js';

describe('TCP limits', () => {
  /** A handler that answers only when released, so queries stay in flight. */
  function gatedHandler() {
    const waiting: (() => void)[] = [];
    let calls = 0;
    const handler = async (buf: Buffer): Promise<Buffer | null> => {
      calls++;
      await new Promise<void>((release) => waiting.push(release));
      const reply = Buffer.from(buf);
      reply[2] |= 0x80; // QR: an echo is enough for the socket layer
      return reply;
    };
    return { handler, waiting, calls: () => calls };
  }

  async function listen(handler: (buf: Buffer) => Promise<Buffer | null>, tcpLimits: Parameters<typeof startDnsServer>[0]['tcpLimits']) {
    const config: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: 0 });
    return startDnsServer({ config, handler, logger: silentLogger, tcpLimits });
  }

  const until = async (what: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(what()).toBe(true);
  };

  it('stops reading past the in-flight cap and resumes as answers go out', async () => {
    const gate = gatedHandler();
    const server = await listen(gate.handler, { maxInFlightPerConnection: 2 });
    try {
      const queries = [1, 2, 3, 4, 5].map((id) => frame(query('leader.mesos', 'A', id)));
      const session = tcpSession(server.tcpAddress.port, [Buffer.concat(queries)], 5);
      await until(() => gate.calls() === 2);
      await new Promise((r) => setTimeout(r, 50));
      expect(gate.calls()).toBe(2);
      while (gate.calls() < 5 || gate.waiting.length > 0) {
        gate.waiting.shift()?.();
        await new Promise((r) => setTimeout(r, 5));
      }
      const { replies } = await session;
      expect(replies.map((r) => r.readUInt16BE(0)).sort()).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await server.close();
    }
  });

  it('closes an idle connection', async () => {
    const server = await listen(async () => null, { idleTimeoutMs: 100 });
    try {
      const session = await tcpSession(server.tcpAddress.port, [], 1);
      expect(session.closedByServer).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('refuses connections past the cap, and close() ends open ones', async () => {
    const gate = gatedHandler();
    const server = await listen(gate.handler, { maxConnections: 1 });
    const first = net.connect(server.tcpAddress.port, '127.0.0.1');
    first.on('error', () => {});
    const firstClosed = new Promise<void>((r) => first.on('close', () => r()));
    try {
      await new Promise<void>((r) => first.on('connect', () => r()));
      first.write(frame(query('leader.mesos', 'A', 1)));
      await until(() => gate.calls() === 1);
      const second = await tcpSession(server.tcpAddress.port, [frame(query('leader.mesos', 'A', 2))], 1);
      expect(second.closedByServer).toBe(true);
      expect(gate.calls()).toBe(1);
    } finally {
      await server.close();
      await firstClosed;
      for (const release of gate.waiting) release();
    }
  });
});
