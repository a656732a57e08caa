// Zonemaster (the DNS conformance checker of the .se and .fr registries, Debian's zonemaster-cli)
// against the real binary on 127.0.0.1:53 in a network namespace, serving the demo cluster: the
// Mesos zone passes its nameserver, consistency, syntax and zone tests, and the only errors and
// warnings are those the set-up itself causes; so does the example static zone on its two
// nameservers (docs/compat.md "Checked by Zonemaster").
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { demoConfig, netnsAvailable, root, runInNetns } from '../helpers/netns.js';

const describeNetns = netnsAvailable() ? describe : describe.skip;

/**
 * The messages at WARNING and above that the test set-up causes, not the server: the one
 * nameserver is on loopback, there is one NS (one server: the zone's NS is its SOA MNAME, as in
 * mesos-dns), and the SOA's EXPIRE is mesos-dns's default (SOAExpire, 86400).
 */
const SETUP: Record<string, string> = {
  NAMESERVER_IP_PRIVATE_NETWORK: 'the nameserver is 127.0.0.1',
  NO_RESPONSE_PTR_QUERY: 'no PTR for 127.0.0.1: forwarding is off in the namespace',
  Z01_MNAME_HAS_LOCALHOST_ADDR: 'the SOA MNAME is this server, on 127.0.0.1',
  NOT_ENOUGH_NS_DEL: 'one server',
  NOT_ENOUGH_NS_CHILD: 'one server',
  NOT_ENOUGH_IPV4_NS_DEL: 'one server',
  NOT_ENOUGH_IPV4_NS_CHILD: 'one server',
  EXPIRE_MINIMUM_VALUE_LOWER: "mesos-dns's default SOAExpire",
};

/** What Zonemaster must find, among its INFO messages. */
const PASSES = [
  'EDNS0_SUPPORT', // NAMESERVER: answers with EDNS (RFC 6891)
  'CASE_QUERIES_RESULTS_OK', // NAMESERVER: the same answer whatever the case of the name
  'QNAME_CASE_SENSITIVE', // NAMESERVER: the question's case is kept in the reply (RFC 4343)
  'NO_RECURSOR', // NAMESERVER: not an open recursor for other names
  'NO_UPWARD_REFERRAL',
  'SAME_SOURCE_IP', // NAMESERVER: replies from the address asked
  'AXFR_FAILURE', // NAMESERVER: no zone transfer without AllowTransfer
  'ARE_AUTHORITATIVE', // DELEGATION: AA on the zone's answers
  'SOA_EXISTS',
  'ONE_SOA',
  'ONE_SOA_SERIAL',
  'ONE_NS_SET',
  'ADDRESSES_MATCH', // CONSISTENCY: glue = the NS name's A record
  'MNAME_SYNTAX_OK',
];

/** Zonemaster's messages: "  0.07 INFO      NAMESERVER   EDNS0_SUPPORT   ns_list=..." -> level, module, tag. */
function messagesOf(stdout: string): Array<{ level: string; module: string; tag: string }> {
  return stdout
    .split('\n')
    .map((line) => /^\s*[\d.]+\s+(\w+)\s+(\w+)\s+(\w+)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, level, module, tag]) => ({ level, module, tag }));
}

describeNetns('Zonemaster on the Mesos zone', () => {
  it('finds nothing wrong but what the set-up causes', async () => {
    const out = await runInNetns(
      `serve main "$DIR/config.json"
healthy main 8123 || exit 1
zonemaster-cli --ns ns1.mesos/127.0.0.1 --no-ipv6 --raw --level INFO --show-level --show-module mesos
`,
      { 'config.json': demoConfig('127.0.0.1', 8123, { externalOn: false }) },
      60_000,
    );
    expect(out.code).toBe(0);
    const messages = messagesOf(out.stdout);
    expect(messages.length).toBeGreaterThan(30);
    const faults = messages.filter((m) => ['WARNING', 'ERROR', 'CRITICAL'].includes(m.level) && !(m.tag in SETUP));
    expect(faults).toEqual([]);
    const tags = new Set(messages.map((m) => m.tag));
    expect(PASSES.filter((tag) => !tags.has(tag))).toEqual([]);
    // The notices docs/compat.md names: mesos-dns's SOA timers, and no DNSSEC.
    const notices = messages.filter((m) => m.level === 'NOTICE').map((m) => m.tag);
    expect(notices).toEqual(expect.arrayContaining(['REFRESH_MINIMUM_VALUE_LOWER', 'RETRY_MINIMUM_VALUE_LOWER', 'NOT_SIGNED']));
  });
});

describeNetns('Zonemaster on a static zone', () => {
  it('finds nothing wrong in zones/example/example.test.zone served on its two nameservers but their documentation addresses', async () => {
    // ns1 and ns2.example.test are 192.0.2.53 and .54 in the file: both on loopback in the namespace.
    const out = await runInNetns(
      `ip addr add 192.0.2.53/32 dev lo && ip addr add 192.0.2.54/32 dev lo || exit 1
serve main "$DIR/config.json"
healthy main 8123 || exit 1
zonemaster-cli --ns ns1.example.test/192.0.2.53 --ns ns2.example.test/192.0.2.54 --no-ipv6 --raw --level INFO --show-level --show-module example.test
`,
      { 'config.json': demoConfig('0.0.0.0', 8123, { externalOn: false, ZonesDir: path.join(root, 'zones', 'example') }) },
      60_000,
    );
    expect(out.code).toBe(0);
    const messages = messagesOf(out.stdout);
    expect(messages.length).toBeGreaterThan(30);
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737), with no PTR anywhere a checker could ask.
    const setup = new Set(['NAMESERVER_IP_PRIVATE_NETWORK', 'NO_RESPONSE_PTR_QUERY']);
    expect(messages.filter((m) => ['WARNING', 'ERROR', 'CRITICAL'].includes(m.level) && !setup.has(m.tag))).toEqual([]);
    const tags = new Set(messages.map((m) => m.tag));
    expect(PASSES.filter((tag) => !tags.has(tag))).toEqual([]);
  });
});
