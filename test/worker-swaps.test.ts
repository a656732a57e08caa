// Serving during table swaps in this process, and the worker supervisor's restart backoff.
import { describe, expect, it } from '@jest/globals';
import { QTYPE } from '../src/dns/wire/message.js';
import { createLogger, silentLogger } from '../src/log.js';
import { startServing } from '../src/serve.js';
import { TableStore } from '../src/store.js';
import { startWorkerPool } from '../src/workers/supervisor.js';
import { summaryFromWire } from './helpers/dns-case.js';
import { LISTEN, describeWorkers, query, syntheticState, tableOf, udpClient } from './helpers/workers.js';

describe('in-process serving during swaps', () => {
  it('answers every query while 20,000-task tables are swapped in', async () => {
    const store = new TableStore();
    const tables = [tableOf(syntheticState(20_000, 0), 1), tableOf(syntheticState(20_000, 1), 2)];
    store.swap(tables[0]);
    const serving = await startServing({ config: () => ({ ...LISTEN, Workers: 1, HttpOn: false }), store, logger: silentLogger, version: 'test' });
    const client = await udpClient(serving.addresses().dns!.udp.port);
    let unanswered = 0;
    try {
      for (let i = 0; i < 2000; i++) {
        if (i % 250 === 0) store.swap(tables[(i / 250) % 2]);
        const reply = await client.ask(query(i % 2 ? 'app-3.marathon.mesos' : 'leader.mesos', QTYPE.A, i));
        if (!reply || summaryFromWire(reply).answer.length === 0) unanswered++;
      }
    } finally {
      await client.close();
      await serving.close();
    }
    expect(unanswered).toBe(0);
  });
});

describeWorkers('worker restart backoff', () => {
  it('backs off when a restarted worker keeps dying before it is ready', async () => {
    // Capture the supervisor's "restarting it" warnings: their restartInMs is the backoff.
    const delays: number[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: {
        write(line: string) {
          const entry = JSON.parse(line) as { msg?: string; restartInMs?: number };
          if (entry.restartInMs !== undefined) delays.push(entry.restartInMs);
        },
      },
    });
    const pool = await startWorkerPool({ config: LISTEN, workers: 1, store: new TableStore(), logger, restart: { initialMs: 20, maxMs: 5000 } });
    const killed = new Set<number>();
    try {
      // Kill every worker as soon as it is started: the restarted ones die long before 'ready'.
      while (delays.length < 4) {
        for (const id of pool.workerIds()) {
          if (killed.has(id)) continue;
          killed.add(id);
          void pool.kill(id);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(delays.slice(0, 4)).toEqual([20, 40, 80, 160]);
    } finally {
      await pool.close();
    }
  });
});
