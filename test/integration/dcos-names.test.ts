// DC/OS names (DcosNames, issue 15 item 5; docs/dcos-names.md) against the running server: the
// cluster of test/helpers/address-tasks.ts from a stand-in master (polled through both readers,
// and streamed), asked with dig and Node's resolver; /v1/hosts and /v1/services agree with DNS.
// Off (the default), thisdcos.directory is not ours.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { summaryFromDig } from '../helpers/dns-case.js';
import { dig, digAnswer, dnsA as retryingA, httpA, resolverOf } from '../helpers/a-records.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { StreamMaster, taskAdded, taskUpdated, v1Status, v1Task } from '../helpers/stream-master.js';
import { parseExposition, sumOf } from '../helpers/metrics.js';
import { addressGetState, addressState, AGENT_IP } from '../helpers/address-tasks.js';
import { taskHash } from '../../src/records/task-hash.js';

type Json = Record<string, unknown>;

/** A records over DNS; [] also for SERVFAIL, which this file counts as no address. */
const dnsA = (server: TestServer, name: string): Promise<string[]> => retryingA(server, name, ['ENOTFOUND', 'ENODATA', 'ESERVFAIL']);

const Z = 'thisdcos.directory';
const NAMES: [string, string[]][] = [
  [`bridged.marathon.agentip.dcos.${Z}`, [AGENT_IP]],
  [`bridged.marathon.containerip.dcos.${Z}`, ['172.17.0.2']],
  [`bridged.marathon.autoip.dcos.${Z}`, [AGENT_IP]],
  [`overlay.marathon.autoip.dcos.${Z}`, ['9.0.0.2']],
  [`mapped.marathon.autoip.dcos.${Z}`, [AGENT_IP]],
  [`checked.marathon.containerip.dcos.${Z}`, ['9.0.0.5']],
  [`hostnet.marathon.containerip.dcos.${Z}`, []],
  [`hostnet.marathon.autoip.dcos.${Z}`, [AGENT_IP]],
  [`web.marathon.l4lb.${Z}`, ['9.0.2.1']],
  [`db.marathon.l4lb.${Z}`, ['10.10.10.10']],
  [`api.marathon.l4lb.${Z}`, [AGENT_IP]],
  // An IP VIP of the other family than the task's container address: not published (/v1/hosts would show it).
  [`db4.marathon.l4lb.${Z}`, ['10.10.10.11']],
  // Pod tasks: host ports from the status only (docs/dcos-names.md).
  [`pod.marathon.containerip.dcos.${Z}`, ['9.0.4.1']],
  [`pod.marathon.autoip.dcos.${Z}`, [AGENT_IP]],
  [`podplain.marathon.autoip.dcos.${Z}`, ['9.0.4.2']],
  // VIPs on a container port a port mapping maps: the agent (docs/dcos-names.md).
  [`webmapped.marathon.l4lb.${Z}`, [AGENT_IP]],
  [`fd001.marathon.l4lb.${Z}`, [AGENT_IP]],
  [`podvip.marathon.l4lb.${Z}`, [AGENT_IP]],
];

/** `task`'s own agent name, canonical.fw.slave.mesos (absolute). */
const slaveName = (task: string): string => `${task}-${taskHash(`${task}.1`)}-a1.marathon.slave.mesos.`;

const SOURCES: [string, Json][] = [
  ['polling /master/state with the native reader', { NativeStateReader: true }],
  ['polling /master/state with JSON.parse', { NativeStateReader: false }],
  ['the Operator API stream', {}],
];

describe.each(SOURCES)('DcosNames, %s', (source, readerConfig) => {
  const streamed = source.includes('stream');
  let master: StreamMaster;
  let server: TestServer;

  beforeAll(async () => {
    master = await StreamMaster.start();
    if (streamed) master.getState = addressGetState();
    else master.subscribeAnswer = { status: 404 };
    master.stateDocument = addressState(master.port);
    // Streamed: two DNS worker threads, which get each patch's DC/OS names over the base they hold.
    server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false, StreamOn: streamed, DcosNames: true, ...readerConfig, ...(streamed ? { workers: 2 } : {}) });
    const deadline = Date.now() + 10_000;
    while ((await dnsA(server, `hostnet.marathon.autoip.dcos.${Z}`)).length === 0) {
      if (Date.now() > deadline) throw new Error('the table never came');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('answers agentip, containerip, autoip and l4lb names, as /v1/hosts does', async () => {
    for (const [name, want] of NAMES) {
      expect([name, await dnsA(server, name)]).toEqual([name, [...want].sort()]);
      expect([name, await httpA(server, name)]).toEqual([name, [...want].sort()]);
    }
  });

  it('answers a pod task\'s autoip with the agent when its status maps a host port (the docs/dcos-names.md dig example)', async () => {
    const autoip = await digAnswer(server, `pod.marathon.autoip.dcos.${Z}`);
    expect(autoip).toEqual([`pod.marathon.autoip.dcos.${Z}. 60 IN A ${AGENT_IP}`]);
    const containerip = await digAnswer(server, `pod.marathon.containerip.dcos.${Z}`);
    expect(containerip).toEqual([`pod.marathon.containerip.dcos.${Z}. 60 IN A 9.0.4.1`]);
    const plain = await digAnswer(server, `podplain.marathon.autoip.dcos.${Z}`);
    expect(plain).toEqual([`podplain.marathon.autoip.dcos.${Z}. 60 IN A 9.0.4.2`]);
  });

  it('answers a VIP on a mapped container port with the agent and the host port (the docs/dcos-names.md dig example)', async () => {
    expect(await digAnswer(server, `_webmapped._tcp.marathon.l4lb.${Z}`, 'SRV')).toEqual([`_webmapped._tcp.marathon.l4lb.${Z}. 60 IN SRV 0 1 31700 ${slaveName('webmapped')}`]);
    expect(await digAnswer(server, slaveName('webmapped'))).toEqual([`${slaveName('webmapped')} 60 IN A ${AGENT_IP}`]);
    expect(await digAnswer(server, `webmapped.marathon.l4lb.${Z}`)).toEqual([`webmapped.marathon.l4lb.${Z}. 60 IN A ${AGENT_IP}`]);
    expect(await digAnswer(server, `webmapped.marathon.containerip.dcos.${Z}`)).toEqual([`webmapped.marathon.containerip.dcos.${Z}. 60 IN A 172.17.0.3`]);
    // A pod's task: the mapping is in its status.
    expect(await digAnswer(server, `_podvip._tcp.marathon.l4lb.${Z}`, 'SRV')).toEqual([`_podvip._tcp.marathon.l4lb.${Z}. 60 IN SRV 0 1 31800 ${slaveName('podvip')}`]);
    // `[fd00::1]:80` is the named VIP fd001, on the same mapped port; no IPv6 VIP address.
    expect(await digAnswer(server, `_fd001._tcp.marathon.l4lb.${Z}`, 'SRV')).toEqual([`_fd001._tcp.marathon.l4lb.${Z}. 60 IN SRV 0 1 31700 ${slaveName('webmapped')}`]);
    expect(await digAnswer(server, `webmapped.marathon.l4lb.${Z}`, 'AAAA')).toEqual([]);
    const services = JSON.parse((await server.http(`/v1/services/_podvip._tcp.marathon.l4lb.${Z}`)).body) as Json[];
    expect(services).toEqual([{ service: `_podvip._tcp.marathon.l4lb.${Z}`, host: slaveName('podvip'), ip: AGENT_IP, port: '31800' }]);
  });

  if (streamed) {
    it('moves a pod task\'s autoip to the agent when a TASK_UPDATED brings a port mapping', async () => {
      expect(await resolverOf(server).resolveSrv(`_podlater._tcp.marathon.l4lb.${Z}`)).toEqual([{ name: `podlater.marathon.containerip.dcos.${Z}`, port: 80, priority: 0, weight: 1, type: 'SRV' }]);
      expect(await dnsA(server, `podlater.marathon.autoip.dcos.${Z}`)).toEqual(['9.0.4.3']);
      master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'podlater.1', state: 'TASK_RUNNING', timestamp: 1_700_000_100, ips: ['9.0.4.3'], hostPorts: [31601] })));
      const deadline = Date.now() + 10_000;
      while ((await dnsA(server, `podlater.marathon.autoip.dcos.${Z}`))[0] !== AGENT_IP) {
        if (Date.now() > deadline) throw new Error('the update never came');
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await httpA(server, `podlater.marathon.autoip.dcos.${Z}`)).toEqual([AGENT_IP]);
      expect(await dnsA(server, `podlater.marathon.containerip.dcos.${Z}`)).toEqual(['9.0.4.3']);
      // Its VIP on container port 80, which the mapping maps to 31601: the agent's name and 31601
      // (asked until both DNS workers have the patch: six answers in a row).
      const want = [{ name: slaveName('podlater').slice(0, -1), port: 31601, priority: 0, weight: 1, type: 'SRV' }];
      for (let agreeing = 0; agreeing < 6; ) {
        if (Date.now() > deadline) throw new Error('the VIP never moved');
        const srv = await resolverOf(server).resolveSrv(`_podlater._tcp.marathon.l4lb.${Z}`);
        agreeing = JSON.stringify(srv) === JSON.stringify(want) ? agreeing + 1 : 0;
        if (agreeing === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(await dnsA(server, `podlater.marathon.l4lb.${Z}`)).toEqual([AGENT_IP]);
    });
  }

  it('publishes an IP VIP only under a task with a container address of its family (the docs/dcos-names.md dig example)', async () => {
    expect(await digAnswer(server, `db4.marathon.l4lb.${Z}`, 'A', `db4.marathon.l4lb.${Z}`, 'AAAA')).toEqual([`db4.marathon.l4lb.${Z}. 60 IN A 10.10.10.11`]);
    await expect(resolverOf(server).resolve6(`db4.marathon.l4lb.${Z}`)).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('answers a named VIP\'s SRV with its backends, as /v1/services does', async () => {
    const api = `api-${taskHash('api.1')}-a1.marathon.slave.mesos`;
    expect(await resolverOf(server).resolveSrv(`_api._tcp.marathon.l4lb.${Z}`)).toEqual([{ name: api, port: 31500, priority: 0, weight: 1, type: 'SRV' }]);
    expect(await resolverOf(server).resolveSrv(`_web._tcp.marathon.l4lb.${Z}`)).toEqual([{ name: `web.marathon.containerip.dcos.${Z}`, port: 80, priority: 0, weight: 1, type: 'SRV' }]);
    const services = JSON.parse((await server.http(`/v1/services/_api._tcp.marathon.l4lb.${Z}`)).body) as Json[];
    expect(services).toEqual([{ service: `_api._tcp.marathon.l4lb.${Z}`, host: `${api}.`, ip: AGENT_IP, port: '31500' }]);
  });

  it('is a zone of its own: SOA and NS at its apex, NXDOMAIN and NODATA with its SOA', async () => {
    const soa = summaryFromDig(await dig(server, Z, 'SOA'));
    expect(soa).toMatchObject({ rcode: 'NOERROR', aa: true });
    expect(soa.answer[0]).toMatch(/^thisdcos\.directory\. 60 IN SOA ns1\.mesos\. root\.ns1\.mesos\. \d+ 60 600 86400 60$/);
    expect(summaryFromDig(await dig(server, Z, 'NS')).answer).toEqual(['thisdcos.directory. 60 IN NS ns1.mesos.']);
    const miss = summaryFromDig(await dig(server, `nothing.marathon.autoip.dcos.${Z}`, 'A'));
    expect(miss).toMatchObject({ rcode: 'NXDOMAIN', aa: true, answer: [] });
    expect(miss.authority[0]).toMatch(/^thisdcos\.directory\. 60 IN SOA ns1\.mesos\. /);
    const ent = summaryFromDig(await dig(server, `marathon.autoip.dcos.${Z}`, 'A'));
    expect(ent).toMatchObject({ rcode: 'NOERROR', aa: true, answer: [] });
    expect(ent.authority[0]).toMatch(/^thisdcos\.directory\. 60 IN SOA /);
    // The Mesos zone is as it was.
    expect(await dnsA(server, 'overlay.marathon.mesos')).toEqual(['9.0.0.2']);
  });

  it('patches a launch on the stream, its own DC/OS names and a VIP name shared with another task', async () => {
    const updates = async (kind: string): Promise<number> => sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_table_updates_total', { kind });
    const fulls = await updates('full');
    if (streamed) {
      // a second backend of the named VIP /web:80, launched on the stream
      const status = v1Status({ taskId: 'late.1', agentId: 'a1', state: 'TASK_RUNNING', ips: ['9.0.3.1'], timestamp: 1_700_000_100 });
      const discovery = { name: 'web', visibility: 'FRAMEWORK', ports: { ports: [{ number: 80, name: 'http', protocol: 'tcp', labels: { labels: [{ key: 'VIP_0', value: '/web:80' }] } }] } };
      master.send(taskAdded({ ...v1Task({ id: 'late.1', frameworkId: 'fw1', agentId: 'a1', state: 'TASK_RUNNING', statuses: [status] }), discovery }));
      // Asked until six answers in a row (from either worker) have both backends.
      const deadline = Date.now() + 10_000;
      for (let agreeing = 0; agreeing < 6; ) {
        if (Date.now() > deadline) throw new Error('the launch never came');
        const both = (await dnsA(server, `web.marathon.l4lb.${Z}`)).length === 2 && (await dnsA(server, `web.marathon.containerip.dcos.${Z}`)).length === 2;
        agreeing = both ? agreeing + 1 : 0;
        if (!both) await new Promise((r) => setTimeout(r, 20));
      }
      expect(await dnsA(server, `web.marathon.containerip.dcos.${Z}`)).toEqual(['9.0.2.1', '9.0.3.1']);
      expect(await dnsA(server, `web.marathon.l4lb.${Z}`)).toEqual(['9.0.2.1', '9.0.3.1']);
      expect(await httpA(server, `web.marathon.l4lb.${Z}`)).toEqual(['9.0.2.1', '9.0.3.1']);
      // patched, not built again (docs/architecture.md "The incremental table")
      expect(await updates('patch')).toBeGreaterThan(0);
      expect(await updates('full')).toBe(fulls);
      expect(sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_table_check_mismatches_total')).toBe(0);
    } else {
      expect(fulls).toBeGreaterThan(0);
      expect(await updates('patch')).toBe(0);
    }
  });

  it('keeps the DC/OS names out of the Mesos zone\'s /v1/axfr', async () => {
    const axfr = JSON.parse((await server.http('/v1/axfr')).body) as { Records: { As: Json } };
    expect(Object.keys(axfr.Records.As).some((n) => n.includes(Z))).toBe(false);
    expect(Object.keys(axfr.Records.As)).toContain('overlay.marathon.mesos.');
  });
});

describe('DcosNames with DNS worker threads', () => {
  it('the workers answer the DC/OS zone from the shared table', async () => {
    const master = await StreamMaster.start();
    master.subscribeAnswer = { status: 404 };
    master.stateDocument = addressState(master.port);
    const server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false, StreamOn: false, DcosNames: true, workers: 2 });
    try {
      const deadline = Date.now() + 10_000;
      while ((await dnsA(server, `overlay.marathon.autoip.dcos.${Z}`)).length === 0) {
        if (Date.now() > deadline) throw new Error('the table never came');
        await new Promise((r) => setTimeout(r, 20));
      }
      // Several queries, so that both threads answer some.
      for (let i = 0; i < 6; i++) expect(await dnsA(server, `web.marathon.l4lb.${Z}`)).toEqual(['9.0.2.1']);
      const miss = summaryFromDig(await dig(server, `nothing.${Z}`, 'A'));
      expect(miss).toMatchObject({ rcode: 'NXDOMAIN', aa: true });
      expect(miss.authority[0]).toMatch(/^thisdcos\.directory\. 60 IN SOA /);
    } finally {
      await server.close();
      await master.close();
    }
  });
});

describe('DcosNames off (the default)', () => {
  let master: StreamMaster;
  let server: TestServer;

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.subscribeAnswer = { status: 404 };
    master.stateDocument = addressState(master.port);
    server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false, StreamOn: false });
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('refuses DcosNames beside a domain that overlaps thisdcos.directory', async () => {
    for (const domain of ['thisdcos.directory', 'a.thisdcos.directory', 'directory']) {
      await expect(startTestServer({ masters: [`127.0.0.1:${master.port}`], domain, DcosNames: true, externalon: false })).rejects.toThrow(/DcosNames.*overlaps/);
    }
  });

  it('leaves thisdcos.directory alone (here: REFUSED, as any name without a forwarder)', async () => {
    expect(summaryFromDig(await dig(server, `overlay.marathon.autoip.dcos.${Z}`, 'A')).rcode).toBe('REFUSED');
    expect(summaryFromDig(await dig(server, Z, 'SOA')).rcode).toBe('REFUSED');
  });

  it('turns on with a reload (SIGHUP), and off again', async () => {
    const config = { masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false, StreamOn: false };
    await server.writeConfig({ ...config, DcosNames: true });
    expect(await server.running.reload()).toBe(true);
    expect(await dnsA(server, `overlay.marathon.autoip.dcos.${Z}`)).toEqual(['9.0.0.2']);
    await server.writeConfig(config);
    expect(await server.running.reload()).toBe(true);
    expect(summaryFromDig(await dig(server, `overlay.marathon.autoip.dcos.${Z}`, 'A')).rcode).toBe('REFUSED');
  });
});
