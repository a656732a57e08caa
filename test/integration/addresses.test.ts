// The right address per task (issue 15 item 1; docs/addresses.md) against the running server:
// the same cluster (test/helpers/address-tasks.ts) from a stand-in master, polled through both
// state readers and streamed through the Operator API; each configuration (IPNetworks,
// AddressPolicy) applied by a reload; every task's A records asked with a real resolver, and
// /v1/hosts giving the same addresses.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { captureLog } from '../helpers/log-capture.js';
import { digAnswer, dnsA, httpA } from '../helpers/a-records.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { StreamMaster, taskAdded, taskUpdated, v1Status, v1Task } from '../helpers/stream-master.js';
import { ADDRESS_TASKS, addressGetState, addressState, CASE_CONFIG, EXPECTED } from '../helpers/address-tasks.js';

type Json = Record<string, unknown>;

/** Every task's A records over DNS, after checking /v1/hosts says the same. */
async function answers(server: TestServer): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of ADDRESS_TASKS) {
    const name = `${t.name}.marathon.mesos`;
    const dns = await dnsA(server, name);
    expect(await httpA(server, name)).toEqual(dns);
    out[t.name] = dns;
  }
  return out;
}

const sorted = (expected: Record<string, string[]>): Record<string, string[]> =>
  Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, [...v].sort()]));

async function untilServed(server: TestServer): Promise<void> {
  const deadline = Date.now() + 10_000;
  // SERVFAIL until the first table is in.
  while ((await dnsA(server, 'hostnet.marathon.mesos').catch(() => [])).length === 0) {
    if (Date.now() > deadline) throw new Error('the table never came');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const SOURCES: [string, Json][] = [
  ['polling /master/state with the native reader', { NativeStateReader: true }],
  ['polling /master/state with JSON.parse', { NativeStateReader: false }],
  ['the Operator API stream', {}],
];

describe.each(SOURCES)('%s', (source, readerConfig) => {
  const streamed = source.includes('stream');
  let master: StreamMaster;
  let server: TestServer;
  let lines: Json[];
  const config = (more: Json = {}): Json => ({
    masters: [`127.0.0.1:${master.port}`],
    refreshSeconds: 3600,
    externalon: false,
    StreamOn: streamed,
    ...readerConfig,
    ...more,
  });

  beforeAll(async () => {
    master = await StreamMaster.start();
    if (streamed) master.getState = addressGetState();
    else master.subscribeAnswer = { status: 404 };
    master.stateDocument = addressState(master.port);
    const log = captureLog('debug');
    lines = log.lines;
    server = await startTestServer(config(), log.logger);
    await untilServed(server);
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it.each(Object.keys(EXPECTED))('%s config', async (configCase) => {
    await server.writeConfig(config(CASE_CONFIG[configCase]));
    await server.running.reload();
    expect(await answers(server)).toEqual(sorted(EXPECTED[configCase]));
    const shown = JSON.parse((await server.http('/v1/config')).body) as Json;
    expect(shown.IPNetworks).toEqual(CASE_CONFIG[configCase].IPNetworks ?? []);
    expect(shown.AddressPolicy).toEqual(CASE_CONFIG[configCase].AddressPolicy ?? '');
  });

  it('warns once about a task whose MESOS_DNS_IP_SOURCES is not a source list', () => {
    // Four reloads, four builds: still one warning, naming the task and its label.
    const warned = lines.filter((l) => String(l.msg).includes('MESOS_DNS_IP_SOURCES'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ task: 'mislabelled.1', label: 'netinfo,agent', level: 40 });
  });

  if (streamed) {
    it('keeps the container address when a health-check update without network_infos arrives', async () => {
      await server.writeConfig(config());
      await server.running.reload();
      master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'overlay.1', state: 'TASK_RUNNING', timestamp: 1_700_000_100, healthy: true })));
      // A later update with an address of its own shows the first one was applied (events are in order).
      master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'mapped.1', state: 'TASK_RUNNING', timestamp: 1_700_000_100, ips: ['9.0.0.33'] })));
      const deadline = Date.now() + 5000;
      while ((await dnsA(server, 'mapped.marathon.mesos'))[0] !== '9.0.0.33') {
        if (Date.now() > deadline) throw new Error('the update never came');
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await dnsA(server, 'overlay.marathon.mesos')).toEqual(['9.0.0.2']);
      expect(await httpA(server, 'overlay.marathon.mesos')).toEqual(['9.0.0.2']);
    });

    it('AddressPolicy "auto": a TASK_UPDATED that brings a pod task\'s port mapping moves it to the agent (the docs/addresses.md dig example)', async () => {
      await server.writeConfig(config(CASE_CONFIG.auto));
      await server.running.reload();
      expect(await digAnswer(server, 'pod.marathon.mesos')).toEqual(['pod.marathon.mesos. 60 IN A 10.1.0.1']);
      expect(await digAnswer(server, 'podplain.marathon.mesos')).toEqual(['podplain.marathon.mesos. 60 IN A 9.0.4.2']);
      expect(await digAnswer(server, 'podlater.marathon.mesos')).toEqual(['podlater.marathon.mesos. 60 IN A 9.0.4.3']);
      master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'podlater.1', state: 'TASK_RUNNING', timestamp: 1_700_000_100, ips: ['9.0.4.3'], hostPorts: [31601] })));
      const deadline = Date.now() + 5000;
      while ((await dnsA(server, 'podlater.marathon.mesos'))[0] !== '10.1.0.1') {
        if (Date.now() > deadline) throw new Error('the update never came');
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await digAnswer(server, 'podlater.marathon.mesos')).toEqual(['podlater.marathon.mesos. 60 IN A 10.1.0.1']);
      expect(await httpA(server, 'podlater.marathon.mesos')).toEqual(['10.1.0.1']);
    });

    it('warns about a launched task whose MESOS_DNS_IP_SOURCES is not a source list when its launch is patched in', async () => {
      await server.writeConfig(config());
      await server.running.reload();
      const before = lines.length;
      const task = { ...v1Task({ id: 'mislabelled.2', frameworkId: 'fw1', agentId: 'a1', state: 'TASK_RUNNING' }), labels: { labels: [{ key: 'MESOS_DNS_IP_SOURCES', value: 'host,agent' }] } };
      master.send(taskAdded(task));
      master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'mislabelled.2', agentId: 'a1', state: 'TASK_RUNNING', ips: ['9.0.0.77'] })));
      const deadline = Date.now() + 5000;
      while ((await dnsA(server, 'mislabelled.marathon.mesos')).length < 2) {
        if (Date.now() > deadline) throw new Error('the launch never came');
        await new Promise((r) => setTimeout(r, 20));
      }
      const warned = lines.slice(before).filter((l) => String(l.msg).includes('MESOS_DNS_IP_SOURCES'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ task: 'mislabelled.2', label: 'host,agent', level: 40 });
      // It was a patch, not a full build (which would have checked every task).
      expect(lines.slice(before).filter((l) => l.msg === 'table swapped in').at(-1)).toMatchObject({ kind: 'patch' });
    });
  }

  it('refuses a bad value with the key and the reason, keeping the running config', async () => {
    await server.writeConfig(config({ AddressPolicy: 'container', IPNetworks: [''] }));
    expect(await server.running.reload()).toBe(false);
    const errors = lines.filter((l) => l.level === 50).map((l) => JSON.stringify(l));
    expect(errors.some((e) => e.includes('AddressPolicy') && e.includes('container'))).toBe(true);
    expect(errors.some((e) => e.includes('IPNetworks') && e.includes('empty'))).toBe(true);
    expect(await dnsA(server, 'hostnet.marathon.mesos')).toEqual(['10.1.0.1']);
  });
});
