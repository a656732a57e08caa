import { describe, expect, it } from '@jest/globals';
import { parseState } from '../src/mesos/parse-state.js';
import { collectHostnames, hostIPs, resolveHostnames } from '../src/records/resolve-hosts.js';
import { masters } from './helpers/masters.js';

const state = parseState({
  leader: 'master@leader.example:5050',
  slaves: [
    { id: 'a-S0', pid: 'slave(1)@agent-0.example:5051' },
    { id: 'a-S1', pid: 'slave(1)@10.0.0.2:5051' },
    { id: 'a-S2', pid: 'slave(1)@[2001:db8::2]:5051' },
    { id: 'a-S3' },
    { id: 'a-S4', pid: 'slave(1)@agent-0.example:5051' },
  ],
  frameworks: [
    { name: 'marathon', pid: 'scheduler(1)@sched.example:25501', hostname: 'ignored.example' },
    { name: 'http-fw', hostname: 'http-fw.example' },
    { name: 'ip-fw', pid: 'scheduler(1)@10.0.0.9:1' },
    { name: 'empty-host' },
  ],
});

describe('collectHostnames', () => {
  it('lists every non-IP host once: leader, masters, agent pids, framework pids or hostnames', () => {
    expect(collectHostnames(state, masters(['m1.example:5050', '10.0.0.1:5050', '[::1]:5050', 'leader.example:5050', 'bogus']))).toEqual([
      'leader.example',
      'm1.example',
      'agent-0.example',
      'sched.example',
      'http-fw.example',
    ]);
  });

  it('is empty when everything is an IP literal', () => {
    const ips = parseState({ leader: 'master@1.2.3.4:5050', slaves: [{ id: 'a', pid: 'slave(1)@1.2.3.5:5051' }] });
    expect(collectHostnames(ips, masters(['1.2.3.4:5050']))).toEqual([]);
  });
});

describe('resolveHostnames', () => {
  it('maps each name to canonical, de-duplicated IPs; failures and non-IPs give []', async () => {
    const answers: Record<string, string[] | Error> = {
      'a.example': ['10.0.0.1', '2001:DB8::1', '10.0.0.1'],
      'b.example': new Error('ENOTFOUND'),
      'c.example': [],
      'd.example': ['not-an-ip', '10.0.0.4'],
    };
    const result = await resolveHostnames(Object.keys(answers), async (name) => {
      const a = answers[name];
      if (a instanceof Error) throw a;
      return a;
    });
    expect([...result]).toEqual([
      ['a.example', ['10.0.0.1', '2001:db8::1']],
      ['b.example', []],
      ['c.example', []],
      ['d.example', ['10.0.0.4']],
    ]);
  });

  it('keeps at most `concurrency` lookups in flight and returns names in input order', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `h${i}.example`);
    let inFlight = 0;
    let maxInFlight = 0;
    const pending: (() => void)[] = [];
    const lookup = (name: string): Promise<string[]> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise((resolve) => {
        pending.push(() => {
          inFlight--;
          resolve([`10.0.0.${names.indexOf(name)}`]);
        });
      });
    };
    const done = resolveHostnames(names, lookup, { concurrency: 3 });
    // Release lookups newest first, so completion order differs from input order.
    while (pending.length > 0 || inFlight > 0) {
      await new Promise((r) => setImmediate(r));
      pending.pop()?.();
    }
    const result = await done;
    expect(maxInFlight).toBe(3);
    expect([...result.keys()]).toEqual(names);
    expect(result.get('h7.example')).toEqual(['10.0.0.7']);
  });

  it('resolves nothing for no names', async () => {
    let called = false;
    const result = await resolveHostnames([], async () => {
      called = true;
      return [];
    });
    expect(result.size).toBe(0);
    expect(called).toBe(false);
  });
});

describe('hostIPs', () => {
  const addresses = new Map([['known.example', ['10.0.0.1']]]);
  it.each<[string, string[]]>([
    ['1.2.3.4', ['1.2.3.4']],
    ['2001:DB8::1', ['2001:db8::1']],
    ['known.example', ['10.0.0.1']],
    ['unknown.example', []],
    ['', []],
  ])('%j -> %j', (host, want) => {
    expect(hostIPs(host, addresses)).toEqual(want);
  });
});
