// scripts/test-tools.mjs, the check `npm test` runs before anything else: it is run for real, on
// a PATH of stub commands and a file root in temp directories, so each tool can be taken away in
// turn. The only apt-get it can reach is a stub that records being called, and the cases that
// must not install check that record.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Row {
  tool: string;
  command?: string;
  env?: string;
  file?: string;
  skipIfEnv?: string;
  packages: string[];
  neededBy: string[];
}

const repo = fileURLToPath(new URL('..', import.meta.url));
const script = path.join(repo, 'scripts', 'test-tools.mjs');
const { TOOLS } = (await import(pathToFileURL(script).href)) as { TOOLS: Row[] };
/** The rows this repository's tests need today. */
const active = TOOLS.filter((row) => row.neededBy.some((file) => existsSync(path.join(repo, file))));
const allPackages = [...new Set(active.flatMap((row) => row.packages))];

let dir: string;
let bin: string;
let root: string;
let aptCalls: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mdns-tools-'));
  bin = path.join(dir, 'bin');
  root = path.join(dir, 'root');
  aptCalls = path.join(dir, 'apt-get-calls');
  mkdirSync(bin);
  mkdirSync(root);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function stub(name: string, body = 'exit 0'): void {
  writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(bin, name), 0o755);
}

function rootFile(file: string, content = ''): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
}

/** Every active tool present except `without`, and an apt-get stub that only records its arguments. */
function machine(without: Row[] = []): void {
  for (const row of active) {
    if (without.includes(row)) continue;
    if (row.command) stub(row.command);
    if (row.file) rootFile(row.file);
  }
  stub('apt-get', `echo "$*" >> '${aptCalls}'`);
}

function check(env: Record<string, string> = {}) {
  // A fresh environment: the machine's own CC, JAVA or ZOOKEEPER_CLASSPATH must not leak in.
  const r = spawnSync(process.execPath, [script], { env: { PATH: bin, MDNS_TOOLS_ROOT: root, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, aptCalls: existsSync(aptCalls) ? readFileSync(aptCalls, 'utf8') : '' };
}

describe('test-tools check', () => {
  it('lists the tools the suite uses today', () => {
    expect(active.map((row) => row.tool).sort()).toEqual(
      ['C library headers', 'ZooKeeper', 'cc', 'dig', 'java', 'knotd', 'openssl', 'systemd-analyze', 'unshare', 'setpriv', 'ip', 'curl', 'strace', 'sysctl', 'promtool', 'zonemaster-cli'].sort(),
    );
  });

  it('names the Debian packages that provide each tool', () => {
    const expected: Record<string, string[]> = {
      cc: ['gcc'],
      'C library headers': ['libc6-dev'],
      dig: ['bind9-dnsutils'],
      openssl: ['openssl'],
      ZooKeeper: ['zookeeper'],
      java: ['default-jre-headless'],
      knotd: ['knot'],
      kdig: ['knot-dnsutils'],
      promtool: ['prometheus'],
      'systemd-analyze': ['systemd'],
      unshare: ['util-linux'],
      setpriv: ['util-linux'],
      ip: ['iproute2'],
      curl: ['curl'],
      strace: ['strace'],
      sysctl: ['procps'],
      'zonemaster-cli': ['zonemaster-cli'],
    };
    for (const [tool, packages] of Object.entries(expected)) expect(TOOLS.find((row) => row.tool === tool)?.packages).toEqual(packages);
  });

  it('passes silently when every tool is there', () => {
    machine();
    expect(check()).toEqual({ status: 0, stderr: '', stdout: '', aptCalls: '' });
  });

  it.each(active.map((row) => [row.tool, row] as const))('stops without %s, naming its packages, installing nothing', (_tool, row) => {
    machine([row]); // the root has no /etc/debian_version: not a Debian-like system
    const r = check();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`  ${row.tool} (${row.packages.join(' ')}): `);
    expect(r.stderr).toMatch(new RegExp(`^  (sudo )?apt-get install -y ${row.packages.join(' ')}$`, 'm'));
    expect(r.stderr).not.toMatch(/^test-tools: installing/m);
    expect(r.aptCalls).toBe('');
  });

  it('names every missing tool and one apt-get line for all of them', () => {
    stub('apt-get', `echo "$*" >> '${aptCalls}'`);
    rootFile('etc/debian_version', '12.0\n'); // Debian, but installing is switched off
    const r = check({ MDNS_TOOLS_INSTALL: 'no' });
    expect(r.status).toBe(1);
    for (const row of active) expect(r.stderr).toContain(`  ${row.tool} (${row.packages.join(' ')}): `);
    expect(r.stderr.match(/apt-get install/g)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^  (sudo )?apt-get install -y ${allPackages.join(' ')}$`, 'm'));
    expect(r.stderr).toContain('MDNS_TOOLS_INSTALL=no');
    expect(r.aptCalls).toBe('');
  });

  it('does not install without apt-get on PATH', () => {
    machine(active.filter((row) => row.tool === 'dig'));
    rmSync(path.join(bin, 'apt-get'));
    rootFile('etc/debian_version', '12.0\n');
    const r = check();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/apt-get install -y bind9-dnsutils$/m);
  });

  it('on a Debian-like system plans apt-get update, then one install of every missing package (dry run)', () => {
    stub('apt-get', `echo "$*" >> '${aptCalls}'`);
    rootFile('etc/os-release', 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n');
    const r = check({ MDNS_TOOLS_INSTALL: 'dry-run' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^test-tools: installing ${allPackages.join(' ')} with apt-get, once, for the tests \\(.+\\)$`, 'm'));
    expect(r.stderr).toContain(`dry run: apt-get update -qq\ntest-tools: dry run: apt-get install -y -qq -o DPkg::Lock::Timeout=120 ${allPackages.join(' ')}\n`);
    expect(r.aptCalls).toBe('');
  });

  // Installing needs root; the CI and this project's machines run the tests as root.
  (process.getuid?.() === 0 ? it : it.skip)('as root on Debian installs what is missing with apt-get, then passes', () => {
    const dig = active.filter((row) => row.tool === 'dig');
    machine(dig);
    // The stub "installs" dig by putting it on PATH.
    stub('apt-get', `echo "$*" >> '${aptCalls}'\ncase "$1" in install) printf '#!/bin/sh\\n' > '${bin}/dig'; /bin/chmod 755 '${bin}/dig';; esac`);
    rootFile('etc/debian_version', '12.0\n');
    const r = check();
    expect(r.status).toBe(0);
    expect(r.aptCalls).toBe('update -qq\ninstall -y -qq -o DPkg::Lock::Timeout=120 bind9-dnsutils\n');
  });

  it('honours CC, JAVA and ZOOKEEPER_CLASSPATH as the tests do', () => {
    const rows = active.filter((row) => ['cc', 'java', 'ZooKeeper'].includes(row.tool));
    machine(rows);
    stub('my-cc');
    stub('my-java');
    expect(check({ CC: 'my-cc', JAVA: path.join(bin, 'my-java'), ZOOKEEPER_CLASSPATH: '/opt/zk/*' }).status).toBe(0);
    expect(check({ CC: 'gcc-99' }).stderr).toContain('  cc (gcc): ');
  });

  it('runs first in pretest, before the build compiles the addons', () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toMatch(/^node scripts\/test-tools\.mjs && .*npm run build/);
  });

  it('has a row, listing the file, for every command a test runs by name', () => {
    // A literal command given to execFile/spawn…, or the default after `process.env.X ||`.
    const runs = /\b(?:execFile|execFileSync|spawn|spawnSync|exec|execSync)\(\s*(?:process\.env\.\w+\s*(?:\|\||\?\?)\s*)?['"`]([\w.+-]+)['"`]/g;
    const unlisted: string[] = [];
    for (const file of readdirSync(path.join(repo, 'test'), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file === 'test-tools.test.ts') continue;
      const relative = `test/${file}`;
      for (const [, command] of readFileSync(path.join(repo, relative), 'utf8').matchAll(runs)) {
        const row = TOOLS.find((r) => r.command === command);
        if (!row?.neededBy.includes(relative)) unlisted.push(`${command} in ${relative}`);
      }
    }
    expect(unlisted).toEqual([]);
  });
});
