// The dns-case test helpers (checkReply, summaryFromDig, summaryFromWire) themselves.
import { describe, expect, it } from '@jest/globals';
import { encodeAnswer } from '../src/dns/wire/encode.js';
import { lookup } from '../src/dns/answer/lookup.js';
import { checkReply, summaryFromDig, summaryFromWire, type DnsCase } from './helpers/dns-case.js';
import { UDP, lookupOpts, query, table } from './helpers/encode.js';

describe('test helpers (dns-case)', () => {
  it('checkReply fails on a wrong section, rcode or flag', () => {
    const q = query('leader.mesos', 'A');
    const got = summaryFromWire(encodeAnswer(q, lookup(table, q, lookupOpts), UDP));
    const right: DnsCase = { qname: 'leader.mesos.', qtype: 'A', rcode: 'NOERROR', aa: true, answer: ['leader.mesos.  60 in a 10.0.0.1'] };
    checkReply(right, got);
    expect(() => checkReply({ ...right, answer: ['leader.mesos. 60 IN A 10.0.0.2'] }, got)).toThrow();
    expect(() => checkReply({ ...right, rcode: 'NXDOMAIN' }, got)).toThrow();
    expect(() => checkReply({ ...right, aa: false }, got)).toThrow();
    expect(() => checkReply({ ...right, additional: ['ns1.mesos. 60 IN A 10.0.0.53'] }, got)).toThrow();
  });

  it('summaryFromDig reads dig output', () => {
    const out = [
      '; <<>> DiG 9.18 <<>> @127.0.0.1 -p 5353 _web._tcp.marathon.mesos SRV',
      ';; global options: +cmd',
      ';; Got answer:',
      ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4711',
      ';; flags: qr aa rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 3',
      '',
      ';; OPT PSEUDOSECTION:',
      '; EDNS: version: 0, flags:; udp: 1232',
      ';; QUESTION SECTION:',
      ';_web._tcp.marathon.mesos.\tIN\tSRV',
      '',
      ';; ANSWER SECTION:',
      '_web._tcp.marathon.mesos. 60\tIN\tSRV\t0 1 31000 web-aaaaa-0.marathon.slave.mesos.',
      '',
      ';; ADDITIONAL SECTION:',
      'web-aaaaa-0.marathon.slave.mesos. 60 IN A\t1.2.3.11',
      'web-aaaaa-0.marathon.slave.mesos. 60 IN AAAA\t2001:DB8:0::11',
      '',
      ';; Query time: 0 msec',
    ].join('\n');
    checkReply(
      {
        qname: '_web._tcp.marathon.mesos.',
        qtype: 'SRV',
        rcode: 'NOERROR',
        aa: true,
        tc: false,
        answer: ['_web._tcp.marathon.mesos. 60 IN SRV 0 1 31000 web-aaaaa-0.marathon.slave.mesos.'],
        additional: ['web-aaaaa-0.marathon.slave.mesos. 60 IN A 1.2.3.11', 'web-aaaaa-0.marathon.slave.mesos. 60 IN AAAA 2001:db8::11'],
      },
      summaryFromDig(out),
    );
  });
});
