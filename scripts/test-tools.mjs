// The system tools the test suite runs, in one table, checked first thing in `npm test` (pretest,
// before the build: the build compiles the addons with the C compiler this installs).
//
// All present: prints nothing, exits 0. Some missing:
//   - root on a Debian-like system (/etc/debian_version, or debian/ubuntu in /etc/os-release's
//     ID or ID_LIKE) with apt-get on PATH: installs their packages (apt-get update, then install,
//     non-interactive, output shown only on failure), checks again, exits 0 when all are there;
//   - otherwise: one message naming every missing tool and the one `apt-get install` line that
//     provides them all, exit 1 (so npm runs no test).
//
// Adding a tool: one row in TOOLS. A row is checked only when one of its `neededBy` files exists,
// so a row for a tool no test uses yet costs nothing: list the test (or helper) file that runs the
// tool there when you add it, and the tool in the README's table. test/test-tools.test.ts fails
// when a test runs a command (a literal name given to execFile/spawn/exec…) that no row lists for
// that file, and lists the tools in use (update it too).
//
// Environment, for test/test-tools.test.ts and for trying it out:
//   MDNS_TOOLS_ROOT     root directory for the file checks and the OS detection (default /)
//   MDNS_TOOLS_INSTALL  auto (default) | no: never install, only report |
//                       dry-run: print the apt-get commands an install would run (as if root), exit 1
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * tool: what the messages call it. command: found on PATH (env: a variable naming the command
 * instead, as the tests honour it); file: an absolute path (under MDNS_TOOLS_ROOT); skipIfEnv: the
 * tests do without it when this variable is set. packages: Debian packages that provide it.
 * neededBy: repository files that need it (the row is checked when one exists). why: for the messages.
 */
export const TOOLS = [
  {
    tool: 'cc',
    command: 'cc',
    env: 'CC',
    packages: ['gcc'],
    neededBy: ['native/build.js', 'test/read-state-pieces.test.ts', 'test/deploy-systemd.test.ts'],
    why: 'builds the C addons the tests load (batched UDP, state reader) and the sanitizer fuzz test',
  },
  {
    tool: 'C library headers',
    file: '/usr/include/stdio.h',
    packages: ['libc6-dev'],
    neededBy: ['native/build.js', 'test/read-state-pieces.test.ts'],
    why: 'the addons include <sys/socket.h> and friends',
  },
  {
    tool: 'dig',
    command: 'dig',
    packages: ['bind9-dnsutils'],
    neededBy: ['test/helpers/server.ts', 'test/dns-server-udp-modes.test.ts', 'test/tcp-limits.test.ts', 'test/integration/cli.test.ts', 'test/security-wire.test.ts', 'test/forward-id.test.ts', 'test/deploy-systemd.test.ts', 'test/deploy-docker.test.ts', 'test/operations.test.ts', 'test/integration/zone-transfer.test.ts', 'test/integration/axfr-patched.test.ts'],
    why: "answers are checked as dig's independent parser sees them",
  },
  {
    tool: 'openssl',
    command: 'openssl',
    packages: ['openssl'],
    neededBy: ['test/master-access.test.ts'],
    why: 'makes a throwaway CA and certificate for the HTTPS master tests',
  },
  {
    tool: 'ZooKeeper',
    file: '/usr/share/java/zookeeper.jar',
    skipIfEnv: 'ZOOKEEPER_CLASSPATH',
    packages: ['zookeeper'],
    neededBy: ['test/helpers/zookeeper.ts'],
    why: 'leader detection is tested against a real ZooKeeper server',
  },
  {
    tool: 'java',
    command: 'java',
    env: 'JAVA',
    packages: ['default-jre-headless'],
    neededBy: ['test/helpers/zookeeper.ts'],
    why: 'runs the ZooKeeper server',
  },
  {
    tool: 'knotd',
    command: 'knotd',
    packages: ['knot'],
    neededBy: ['test/helpers/knotd.ts', 'test/helpers/knot-secondary.ts', 'test/integration/knot-secondary.test.ts', 'test/helpers/knot-primary.ts', 'test/integration/knot-primary.test.ts'],
    why: 'Knot DNS as a secondary transferring our zone, and as a primary our secondary follows',
  },
  {
    tool: 'kdig',
    command: 'kdig',
    packages: ['knot-dnsutils'],
    neededBy: [],
    why: 'queries and zone transfers as Knot sees them',
  },
  {
    tool: 'promtool',
    command: 'promtool',
    packages: ['prometheus'],
    neededBy: ['test/integration/metrics.test.ts', 'test/deploy-prometheus.test.ts'],
    why: 'checks /metrics output and the alert rules',
  },
  {
    tool: 'systemd-analyze',
    command: 'systemd-analyze',
    packages: ['systemd'],
    neededBy: ['test/deploy-systemd.test.ts'],
    why: 'verifies the systemd unit, rates its hardening and lists its system call filter',
  },
  // The deploy and operations tests run the binary on port 53 in network namespaces of their own.
  {
    tool: 'unshare',
    command: 'unshare',
    packages: ['util-linux'],
    neededBy: ['test/helpers/netns.ts', 'test/deploy-systemd.test.ts'],
    why: 'network and mount namespaces for port 53 and a test /etc/resolv.conf',
  },
  {
    tool: 'setpriv',
    command: 'setpriv',
    packages: ['util-linux'],
    neededBy: ['test/deploy-systemd.test.ts', 'test/deploy-docker.test.ts'],
    why: "runs the server with the systemd unit's and the image's user and capabilities",
  },
  {
    tool: 'ip',
    command: 'ip',
    packages: ['iproute2'],
    neededBy: ['test/helpers/netns.ts'],
    why: 'brings up loopback in a new network namespace',
  },
  {
    tool: 'curl',
    command: 'curl',
    packages: ['curl'],
    neededBy: ['test/helpers/netns.ts'],
    why: 'waits for /health inside a network namespace',
  },
  {
    tool: 'strace',
    command: 'strace',
    packages: ['strace'],
    neededBy: ['test/deploy-systemd.test.ts'],
    why: "lists the server's system calls, checked against the unit's filter",
  },
  {
    tool: 'zonemaster-cli',
    command: 'zonemaster-cli',
    packages: ['zonemaster-cli'],
    neededBy: ['test/integration/zonemaster.test.ts'],
    why: 'the Zonemaster DNS conformance checker, run against the server on port 53 in a network namespace',
  },
  {
    tool: 'sysctl',
    command: 'sysctl',
    packages: ['procps'],
    neededBy: ['test/deploy-docker.test.ts'],
    why: "sets Docker's unprivileged port start in a network namespace",
  },
];

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** An executable file named `command` in one of PATH's directories (or the path itself, if it has a slash). */
export function onPath(command, pathEnv) {
  const candidates = command.includes('/') ? [command] : (pathEnv ?? '').split(':').filter(Boolean).map((dir) => path.join(dir, command));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/** The rows that apply to this repository and whose tool is not found. */
export function missingTools({ env, root }) {
  return TOOLS.filter((row) => row.neededBy.some((file) => existsSync(path.join(repo, file))))
    .filter((row) => !(row.skipIfEnv && env[row.skipIfEnv]))
    .filter((row) => (row.command ? !onPath(env[row.env] || row.command, env.PATH) : !existsSync(path.join(root, row.file))));
}

/** Every package the rows need, each once, in table order. */
export function packagesFor(rows) {
  return [...new Set(rows.flatMap((row) => row.packages))];
}

/** Why apt-get will not be used here, or undefined when it can be. */
function whyNoInstall({ env, root, mode }) {
  if (mode === 'no') return 'MDNS_TOOLS_INSTALL=no';
  if (mode !== 'dry-run' && process.getuid?.() !== 0) return 'not root';
  if (!debianLike(root)) return 'not a Debian-like system';
  if (!onPath('apt-get', env.PATH)) return 'no apt-get on PATH';
  return undefined;
}

function debianLike(root) {
  if (existsSync(path.join(root, 'etc/debian_version'))) return true;
  try {
    const osRelease = readFileSync(path.join(root, 'etc/os-release'), 'utf8');
    return /^ID(_LIKE)?=.*\b(debian|ubuntu)\b/m.test(osRelease);
  } catch {
    return false;
  }
}

function describe(rows) {
  return rows.map((row) => `  ${row.tool} (${row.packages.join(' ')}): ${row.why}`).join('\n');
}

/** Runs apt-get from PATH, quietly; undefined on success, else its output and status. */
function aptGet(args, env) {
  const r = spawnSync('apt-get', args, { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return r.error.message;
  if (r.status !== 0) return `${r.stdout}${r.stderr}apt-get ${args.join(' ')} exited with ${r.status ?? r.signal}`;
  return undefined;
}

export function main(env = process.env) {
  const root = env.MDNS_TOOLS_ROOT || '/';
  const mode = env.MDNS_TOOLS_INSTALL || 'auto';
  const missing = missingTools({ env, root });
  if (missing.length === 0) return 0;

  const packages = packagesFor(missing);
  const noInstall = whyNoInstall({ env, root, mode });
  if (noInstall === undefined) {
    const reasons = missing.map((row) => `${row.tool}: ${row.why}`).join('; ');
    process.stderr.write(`test-tools: installing ${packages.join(' ')} with apt-get, once, for the tests (${reasons})\n`);
    // The lock timeout waits out another apt or dpkg run (unattended upgrades, a CI image's setup).
    const commands = [['update', '-qq'], ['install', '-y', '-qq', '-o', 'DPkg::Lock::Timeout=120', ...packages]];
    if (mode === 'dry-run') {
      for (const args of commands) process.stderr.write(`test-tools: dry run: apt-get ${args.join(' ')}\n`);
      return 1;
    }
    for (const args of commands) {
      const failure = aptGet(args, env);
      if (failure !== undefined) {
        process.stderr.write(`${failure}\ntest-tools: apt-get failed; install by hand: apt-get install -y ${packages.join(' ')}\n`);
        return 1;
      }
    }
    const still = missingTools({ env, root });
    if (still.length === 0) return 0;
    process.stderr.write(`test-tools: still missing after apt-get:\n${describe(still)}\n`);
    return 1;
  }

  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  process.stderr.write(
    `test-tools: the tests need tools this machine lacks (not installing them: ${noInstall}):\n${describe(missing)}\n` +
      `Install them with:\n  ${sudo}apt-get install -y ${packages.join(' ')}\n`,
  );
  return 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main());
