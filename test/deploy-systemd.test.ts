// deploy/systemd/mesos-dns-ts.service, tried as far as a machine without systemd as PID 1 allows
// (docs/operations.md says what is and is not tried): `systemd-analyze verify` and the offline
// security review on the unit, the directives docs/operations.md promises, and the real binary run
// with the unit's privileges (an unprivileged user holding only the capabilities the unit grants,
// no_new_privs) binding port 53 in a network namespace of its own.
import { describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULTS } from '../src/config/typed.js';
import { descriptorBudget } from '../src/fd-budget.js';
import { demoConfig, netnsAvailable, root, runInNetns } from './helpers/netns.js';

// A server start on a loaded machine can take seconds; runInNetns gives up after 50 s.
jest.setTimeout(60_000);

const run = promisify(execFile);
const unitPath = path.join(root, 'deploy', 'systemd', 'mesos-dns-ts.service');
const unitText = await readFile(unitPath, 'utf8');

/** The unit's [Service] (or other section's) settings: key -> every value, in order. */
function section(text: string, name: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1];
      continue;
    }
    if (current !== name) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}
const service = section(unitText, 'Service');
const one = (key: string): string | undefined => service.get(key)?.at(-1);

describe('the systemd unit', () => {
  it('passes systemd-analyze verify with no warning, with the launcher at its ExecStart path', async () => {
    // verify checks that ExecStart's program exists and is executable. The unit names the path
    // `npm install -g` gives (/usr/local/bin/mesos-dns-ts): in a mount namespace, an empty tmpfs
    // over /usr/local/bin holds a link to this repository's launcher there, so the machine's own
    // /usr/local/bin is never touched.
    const exec = one('ExecStart')!.split(/\s+/)[0];
    const script = [
      'set -e',
      `mount -t tmpfs tmpfs ${path.dirname(exec)}`,
      `ln -s ${path.join(root, 'bin', 'mesos-dns-ts.js')} ${exec}`,
      `systemd-analyze verify ${unitPath}`,
    ].join('\n');
    const { stdout, stderr } = await run('unshare', ['-m', 'sh', '-c', script], { timeout: 30_000 });
    // verify exits 0 even for unknown keys or bad values: it only warns, so any output is a failure.
    expect(stderr).toBe('');
    expect(stdout).toBe('');
  });

  it('scores "OK" or better in systemd-analyze security --offline (exposure at most 2.0 of 10)', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', '--threshold=20', unitPath], { timeout: 30_000 });
    const level = /Overall exposure level for mesos-dns-ts\.service: ([\d.]+)/.exec(stdout);
    expect(level).not.toBeNull();
    expect(Number(level![1])).toBeLessThanOrEqual(2.0);
  });

  it('has the settings docs/operations.md describes', () => {
    expect(one('ExecStart')).toBe('/usr/local/bin/mesos-dns-ts -config=/etc/mesos-dns/config.json');
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(one('Restart')).toBe('on-failure');
    expect(one('DynamicUser')).toBe('yes');
    expect(one('AmbientCapabilities')).toBe('CAP_NET_BIND_SERVICE');
    expect(one('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    for (const key of ['ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectKernelLogs', 'ProtectControlGroups', 'RestrictNamespaces', 'RestrictRealtime', 'LockPersonality']) {
      expect([key, one(key)]).toEqual([key, 'yes']);
    }
    expect(one('RestrictAddressFamilies')?.split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
    expect(service.get('SystemCallFilter')).toContain('@system-service');
    expect(one('SystemCallErrorNumber')).toBe('EPERM');
    // V8's JIT needs writable and executable memory: Node aborts under MemoryDenyWriteExecute.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    // Enough descriptors for the server's connection caps at their defaults with one DNS worker
    // per core on a 32-core agent (the sum the server itself checks at start-up).
    expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(descriptorBudget(DEFAULTS, 32).total);
  });
});

const describeNetns = netnsAvailable() ? describe : describe.skip;

/** setpriv arguments for the unit's user and capabilities (DynamicUser: some uid that is not root). */
function unitPrivileges(ambient: string | undefined): string[] {
  const caps = (list: string | undefined) =>
    ['-all', ...(list ?? '').split(/\s+/).filter((c) => c !== '').map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
  return [
    'setpriv',
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    `--inh-caps=${caps(ambient)}`,
    `--ambient-caps=${caps(ambient)}`,
    `--bounding-set=${caps(one('CapabilityBoundingSet'))}`,
    ...(one('NoNewPrivileges') === 'yes' ? ['--no-new-privs'] : []),
  ];
}

describeNetns("the server with the unit's privileges", () => {
  const config = demoConfig('127.0.0.1', 8123, { externalon: false });

  it('binds port 53 as an unprivileged user with only the ambient CAP_NET_BIND_SERVICE, and answers', async () => {
    const script = `
      serve dns "$DIR/config.json" ${unitPrivileges(one('AmbientCapabilities')).join(' ')}
      healthy dns 8123 || exit 1
      echo "uid $(awk '/^Uid:/ {print $2}' /proc/$(cat "$DIR/dns.pid")/status)"
      echo "capeff $(awk '/^CapEff:/ {print $2}' /proc/$(cat "$DIR/dns.pid")/status)"
      dig @127.0.0.1 -p 53 +short +tries=1 +time=2 leader.mesos
      dig @127.0.0.1 -p 53 +short +tcp +tries=1 +time=2 leader.mesos
      kill -TERM "$(cat "$DIR/dns.pid")"; wait "$(cat "$DIR/dns.pid")"; echo "exit $?"
    `;
    const out = await runInNetns(script, { 'config.json': config });
    expect(out.stdout.split('\n')).toEqual(['uid 65534', 'capeff 0000000000000400', '127.0.0.1', '127.0.0.1', 'exit 0', '']);
    expect(out.code).toBe(0);
  });

  it('is refused port 53 without the capability: exit 1 with EACCES in the log', async () => {
    const script = `
      serve dns "$DIR/config.json" ${unitPrivileges(undefined).join(' ')}
      wait "$(cat "$DIR/dns.pid")"; echo "exit $?"
    `;
    const out = await runInNetns(script, { 'config.json': config });
    expect(out.stdout.trim()).toBe('exit 1');
    expect(out.logs['dns.log']).toMatch(/EACCES/);
  });
});

/** Every system call name allowed by the unit's SystemCallFilter lines (an allow list, then `~` lines taking groups out). */
async function unitSyscalls(): Promise<Set<string>> {
  const { stdout } = await run('systemd-analyze', ['syscall-filter'], { timeout: 30_000 });
  const groups = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@')) groups.set(line.trim(), (current = []));
    else if (current && line.trim() !== '' && !line.trim().startsWith('#')) current.push(line.trim());
  }
  const expand = (item: string): string[] => (item.startsWith('@') ? (groups.get(item) ?? []).flatMap(expand) : [item]);
  const allowed = new Set<string>();
  for (const value of service.get('SystemCallFilter') ?? []) {
    const deny = value.startsWith('~');
    for (const item of value.replace(/^~/, '').split(/\s+/).filter((i) => i !== '')) {
      for (const call of expand(item)) deny ? allowed.delete(call) : allowed.add(call);
    }
  }
  return allowed;
}

describeNetns("the unit's system call filter", () => {
  it('allows every system call the server makes serving DNS (UDP, TCP), HTTP, forwarding, a SIGHUP and a stop', async () => {
    // No systemd manager here to apply the filter, so the server runs under strace -f instead
    // (every thread: the DNS workers, libuv's pool) and each call it made is looked up in the
    // filter's list. A call outside it would fail with EPERM under the unit.
    const config = demoConfig('127.0.0.1', 8123, { resolvers: ['127.0.0.2:53'], workers: 2 });
    const script = `
      strace -f -qq -o "$DIR/strace.txt" "$NODE" "$BIN" -config="$DIR/config.json" >"$DIR/dns.log" 2>&1 &
      tracer=$!
      i=0; while [ ! -s /proc/$tracer/task/$tracer/children ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
      cat /proc/$tracer/task/$tracer/children | tr -d ' ' >"$DIR/dns.pid"
      healthy dns 8123 || exit 1
      dig @127.0.0.1 +short +tries=1 +time=2 nginx.marathon.mesos >/dev/null
      dig @127.0.0.1 +short +tcp +tries=1 +time=2 _nginx._tcp.marathon.mesos SRV >/dev/null
      dig @127.0.0.1 +tries=1 +time=3 example.org >/dev/null
      curl -s http://127.0.0.1:8123/metrics >/dev/null
      curl -s http://127.0.0.1:8123/v1/enumerate >/dev/null
      kill -HUP "$(cat "$DIR/dns.pid")"
      i=0; while ! grep -q 'configuration reloaded' "$DIR/dns.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
      kill -TERM "$(cat "$DIR/dns.pid")"; wait $tracer
      grep -oE '^[0-9]+ +[a-z_0-9]+\\(' "$DIR/strace.txt" | sed -E 's/^[0-9]+ +//; s/\\($//' | sort -u
    `;
    const out = await runInNetns(script, { 'config.json': config });
    expect(out.logs['dns.log']).toContain('configuration reloaded');
    const made = out.stdout.split('\n').filter((l) => /^[a-z_0-9]+$/.test(l));
    // The run did reach the calls that matter: threads, sockets, batched UDP, TCP accepts.
    expect(made).toEqual(expect.arrayContaining(['clone3', 'socket', 'bind', 'recvmmsg', 'accept4', 'execve']));
    const allowed = await unitSyscalls();
    expect(made.filter((call) => !allowed.has(call))).toEqual([]);
  });
});

describe('MemoryDenyWriteExecute, which the unit leaves out', () => {
  it("would stop Node at start-up: V8 cannot make its JIT code executable (the kernel's MDWE, PR_SET_MDWE)", async () => {
    // systemd applies MemoryDenyWriteExecute= with the same rule (no mapping both writable and
    // executable, none made executable later): with prctl(PR_SET_MDWE) on kernels that have it,
    // with a seccomp filter before. A tiny wrapper sets the kernel's flag and runs node.
    const dir = await mkdtemp(path.join(tmpdir(), 'mdns-mdwe-'));
    try {
      const wrapper = path.join(dir, 'mdwe');
      await writeFile(
        `${wrapper}.c`,
        [
          '#include <stdio.h>',
          '#include <sys/prctl.h>',
          '#include <unistd.h>',
          'int main(int argc, char **argv) {',
          '  (void)argc;',
          '  if (prctl(65 /* PR_SET_MDWE */, 1 /* PR_MDWE_REFUSE_EXEC_GAIN */, 0, 0, 0) != 0) { perror("prctl"); return 2; }',
          '  execv(argv[1], argv + 1);',
          '  perror("execv");',
          '  return 3;',
          '}',
          '',
        ].join('\n'),
      );
      await run(process.env.CC || 'cc', ['-o', wrapper, `${wrapper}.c`], { timeout: 30_000 });
      const hello = ['-e', 'console.log("hello")'];
      expect((await run(process.execPath, hello, { timeout: 30_000 })).stdout).toBe('hello\n');
      const under = await run(wrapper, [process.execPath, ...hello], { timeout: 30_000 }).then(
        () => ({ code: 0, stdout: 'hello\n', stderr: '' }),
        (err: { code: number | null; stdout: string; stderr: string }) => err,
      );
      if (under.code === 2) {
        // A kernel before 6.3 has no PR_SET_MDWE: nothing to show here.
        expect(under.stderr).toMatch(/prctl/);
        return;
      }
      expect(under.stdout).toBe('');
      expect(under.stderr).toMatch(/SetPermissions/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
