// docs/operations.md's advice, tried against the real binary on port 53 in a network namespace,
// with glibc's stub resolver reading a bind-mounted /etc/resolv.conf (getent, the way every program
// on an agent resolves): search domains and ndots, a second nameserver taking over while the first
// is stopped or still loading, forwarding through the agent's server, a second copy on the same
// address refused, and SIGHUP reloading under a stream of queries with none lost.
import { describe, expect, it, jest } from '@jest/globals';
import { demoConfig as server, netnsAvailable, runInNetns } from './helpers/netns.js';

// A server start on a loaded machine can take seconds; runInNetns gives up after 50 s.
jest.setTimeout(60_000);

const describeNetns = netnsAvailable() ? describe : describe.skip;
/** The demo's three nginx instances, as the lookup function prints them. */
const NGINX = '10.10.0.11 10.10.0.12 10.10.0.13 ';

/** Mounts $DIR/resolv.conf over /etc/resolv.conf and makes DNS glibc's only hosts source. */
const useResolvConf = `
  printf 'hosts: dns\\n' >"$DIR/nsswitch.conf"
  mount --bind "$DIR/resolv.conf" /etc/resolv.conf
  mount --bind "$DIR/nsswitch.conf" /etc/nsswitch.conf
`;
/** getent hosts NAME as "NAME -> sorted addresses" or "NAME -> not found". */
const lookup = `
  lookup() { r=$(getent hosts "$1" | awk '{print $1}' | sort | tr '\\n' ' '); echo "$1 -> \${r:-not found}"; }
`;

describeNetns('agents resolving through the server (glibc, /etc/resolv.conf)', () => {
  it('resolves task names, short names through search and ndots, and forwarded names', async () => {
    // The upstream is a second server, authoritative for "example", standing in for the site's resolvers.
    const files = {
      'agent.json': server('127.0.0.1', 8123, { resolvers: ['127.0.0.2'] }),
      'upstream.json': server('127.0.0.2', 8124, { domain: 'example', externalon: false }),
      'resolv.conf': 'nameserver 127.0.0.1\nsearch mesos\noptions ndots:2 timeout:1 attempts:2\n',
    };
    const script = `
      ${useResolvConf}${lookup}
      serve upstream "$DIR/upstream.json"; serve agent "$DIR/agent.json"
      healthy upstream 8124 127.0.0.2 && healthy agent 8123 || exit 1
      lookup nginx.marathon.mesos
      lookup nginx.marathon
      lookup leader
      lookup leader.example
      lookup missing.marathon
    `;
    const out = await runInNetns(script, files);
    expect(out.stdout.split('\n')).toEqual([
      `nginx.marathon.mesos -> ${NGINX}`,
      // one dot, fewer than ndots:2: nginx.marathon.mesos (the search domain) is asked first
      `nginx.marathon -> ${NGINX}`,
      'leader -> 127.0.0.1 ',
      // two dots: asked as it is, and forwarded by the agent's server to the upstream
      'leader.example -> 127.0.0.1 ',
      'missing.marathon -> not found',
      '',
    ]);
  });

  it('keeps resolving through the second nameserver while the first is still loading or stopped', async () => {
    const files = {
      // The first has a master that never answers: bound, but no table yet (SERVFAIL for the domain).
      'first.json': server('127.0.0.1', 8123, { stateFile: '', masters: ['127.0.0.9:5050'], externalon: false }),
      'second.json': server('127.0.0.3', 8125, { externalon: false }),
      'resolv.conf': 'nameserver 127.0.0.1\nnameserver 127.0.0.3\nsearch mesos\noptions ndots:2 timeout:1 attempts:2\n',
    };
    const script = `
      ${useResolvConf}${lookup}
      serve first "$DIR/first.json"; serve second "$DIR/second.json"
      healthy second 8125 127.0.0.3 || exit 1
      i=0; until curl -s -o /dev/null http://127.0.0.1:8123/health || [ $i -ge 100 ]; do sleep 0.2; i=$((i + 1)); done
      echo "first: $(dig @127.0.0.1 +tries=1 +time=2 nginx.marathon.mesos | grep -o 'status: [A-Z]*')"
      lookup nginx.marathon
      kill -TERM "$(cat "$DIR/first.pid")"; wait "$(cat "$DIR/first.pid")"
      echo "first: $(dig @127.0.0.1 +tries=1 +time=2 nginx.marathon.mesos | grep -c 'connection refused') refused"
      lookup nginx.marathon
    `;
    const out = await runInNetns(script, files);
    expect(out.stdout.split('\n')).toEqual([
      'first: status: SERVFAIL',
      `nginx.marathon -> ${NGINX}`,
      'first: 1 refused',
      `nginx.marathon -> ${NGINX}`,
      '',
    ]);
  });
});

describeNetns('one server per address', () => {
  it('refuses a second copy on the same address and port (exit 1), and the first keeps answering', async () => {
    const script = `
      serve first "$DIR/config.json"
      healthy first 8123 || exit 1
      serve second "$DIR/second.json"
      wait "$(cat "$DIR/second.pid")"; echo "second exit $?"
      dig @127.0.0.1 +short +tries=1 +time=2 leader.mesos
    `;
    const config = server('127.0.0.1', 8123, { workers: 2, externalon: false });
    const out = await runInNetns(script, { 'config.json': config, 'second.json': { ...config, httpport: 8124 } });
    expect(out.stdout.split('\n')).toEqual(['second exit 1', '127.0.0.1', '']);
    expect(out.logs['second.log']).toMatch(/cannot listen for DNS on udp 127\.0\.0\.1:53: .*EADDRINUSE.*another process holds the port/);
  });
});

describeNetns('beside systemd-resolved', () => {
  it('refuses a wildcard listener while another process holds port 53 on one loopback address', async () => {
    // resolved's stub listener is 127.0.0.53:53; a second server stands in for it.
    const script = `
      serve stub "$DIR/stub.json"
      healthy stub 8124 127.0.0.53 || exit 1
      serve wildcard "$DIR/wildcard.json"
      wait "$(cat "$DIR/wildcard.pid")"; echo "wildcard exit $?"
      serve agent "$DIR/agent.json"
      healthy agent 8123 127.0.0.1 && dig @127.0.0.1 +short +tries=1 +time=2 leader.mesos
    `;
    const files = {
      'stub.json': server('127.0.0.53', 8124, { externalon: false }),
      'wildcard.json': server('0.0.0.0', 8123, { HTTPListener: '127.0.0.1', externalon: false }),
      'agent.json': server('127.0.0.1', 8123, { externalon: false }),
    };
    const out = await runInNetns(script, files);
    expect(out.stdout.split('\n')).toEqual(['wildcard exit 1', '127.0.0.1', '']);
    expect(out.logs['wildcard.log']).toMatch(/cannot listen for DNS on udp 0\.0\.0\.0:53: .*EADDRINUSE.*another process holds the port/);
  });
});

// Sends queries for leader.mesos, at most `window` at a time, each with its own id, and every one
// must be answered (unanswered for 3 s counts as lost). Reloads one after another: 500 answers
// after the current TTL shows, it rewrites the config with the next TTL and sends the server
// SIGHUP; after the last TTL shows, 500 more, then it prints the TTLs seen and the count lost.
// At most `limit` queries in all, so a reload that never shows ends the run too.
const loadScript = `
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
const [configPath, pid, limit, window] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const base = JSON.parse(readFileSync(configPath, 'utf8'));
const steps = [7, 8, 9];
const query = (id) => Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('\\x06leader\\x05mesos\\x00\\x00\\x01\\x00\\x01', 'latin1')]);
const socket = dgram.createSocket('udp4');
const pending = new Map();
const ttls = new Set();
let sent = 0, lost = 0, current = 60, sinceCurrent = 0, step = 0, done = false;
await new Promise((resolve) => {
  const next = () => {
    while (!done && pending.size < window && sent < limit) {
      const id = sent++ & 0xffff;
      pending.set(id, setTimeout(() => { pending.delete(id); lost++; next(); }, 3000));
      socket.send(query(id), 53, '127.0.0.1');
    }
    if (pending.size === 0 && (done || sent >= limit)) resolve();
  };
  socket.on('message', (msg) => {
    const id = msg.readUInt16BE(0);
    const timer = pending.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    pending.delete(id);
    // header 12, question 18, then the first answer: name pointer, type, class, TTL.
    const ttl = msg.readUInt16BE(6) > 0 ? msg.readUInt32BE(12 + 18 + 6) : -1;
    ttls.add(ttl);
    if (ttl === current && ++sinceCurrent === 500) {
      if (step === steps.length) done = true;
      else {
        current = steps[step++];
        sinceCurrent = 0;
        writeFileSync(configPath, JSON.stringify({ ...base, ttl: current }));
        process.kill(pid, 'SIGHUP');
      }
    }
    next();
  });
  next();
});
socket.close();
console.log(JSON.stringify({ lost, ttls: [...ttls].sort((a, b) => a - b) }));
`;

describeNetns('SIGHUP', () => {
  it('re-reads the config three times while queries keep coming: every query answered, each new TTL served', async () => {
    const config = server('127.0.0.1', 8123, { workers: 2, externalon: false });
    const script = `
      serve dns "$DIR/config.json"
      healthy dns 8123 || exit 1
      "$NODE" "$DIR/load.mjs" "$DIR/config.json" "$(cat "$DIR/dns.pid")" 60000 20
    `;
    const out = await runInNetns(script, { 'config.json': config, 'load.mjs': loadScript });
    expect(JSON.parse(out.stdout)).toEqual({ lost: 0, ttls: [7, 8, 9, 60] });
    expect(out.logs['dns.log'].match(/SIGHUP: configuration reloaded/g)).toHaveLength(3);
  });
});
