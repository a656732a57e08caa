// Runs a shell script in a new network namespace (and mount namespace), where the real binary can
// bind port 53 on loopback addresses of its own and glibc can be pointed at it through a
// bind-mounted /etc/resolv.conf, without touching the machine's. Needs root (or a kernel that lets
// `unshare -n -m` through); `netnsAvailable()` says whether it works here.
//
// The script gets a prelude with:
//   $DIR $NODE $BIN                 a scratch directory (mode 0755), the Node 24 binary, bin/mesos-dns-ts.js
//   serve NAME CONFIG [WRAPPER...]  starts the server in the background (log: $DIR/NAME.log, pid: $DIR/NAME.pid),
//                                   optionally through a wrapper such as setpriv
//   healthy NAME HTTP_PORT [ADDR]   waits (at most 20 s) until /health answers 200; prints "NAME exited" and
//                                   returns 1 if the server stops first
//   every server still running is killed when the script ends.
import { execFile, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = path.join(root, 'bin', 'mesos-dns-ts.js');

/** A config serving the bundled demo cluster (zones/demo/state.json) on address:53, HTTP on address:httpport. */
export function demoConfig(address: string, httpport: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const stateFile = path.join(root, 'zones', 'demo', 'state.json');
  return { stateFile, listener: address, port: 53, HTTPListener: address, httpport, workers: 1, timeout: 1, ...extra };
}

let available: boolean | undefined;
/** Whether `unshare -n -m` and `ip` work here (root on Linux). */
export function netnsAvailable(): boolean {
  available ??= spawnSync('unshare', ['-n', '-m', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' }).status === 0;
  return available;
}

const PRELUDE = `
set -u
cleanup() { for f in "$DIR"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; wait; }
trap cleanup EXIT
trap 'exit 143' TERM INT
ip link set lo up
serve() {
  name=$1; cfg=$2; shift 2
  "$@" "$NODE" "$BIN" -config="$cfg" >"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
}
healthy() {
  name=$1; port=$2; addr=\${3:-127.0.0.1}; i=0
  while [ $i -lt 100 ]; do
    if ! kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null; then echo "$name exited"; return 1; fi
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr:$port/health")" = 200 ] && return 0
    sleep 0.2; i=$((i + 1))
  done
  echo "$name never healthy"; return 1
}
`;

export interface NetnsRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The scratch directory's files (logs), read before it is removed. */
  logs: Record<string, string>;
}

/**
 * Writes `files` (name -> content; objects as JSON) into a fresh scratch directory and runs
 * `script` in new network and mount namespaces. Never rejects on the script's exit code.
 */
export async function runInNetns(script: string, files: Record<string, unknown> = {}, timeoutMs = 50_000): Promise<NetnsRun> {
  await letOthersReachTheRepository();
  const dir = await mkdtemp(path.join(tmpdir(), 'mdns-netns-'));
  // Readable by the unprivileged users the deploy tests run the server as.
  await chmod(dir, 0o755);
  try {
    for (const [name, content] of Object.entries(files)) {
      await writeFile(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2), { mode: 0o644 });
    }
    await writeFile(path.join(dir, 'script.sh'), PRELUDE + script);
    const env = { ...process.env, DIR: dir, NODE: process.execPath, BIN: bin };
    const result = await new Promise<NetnsRun>((resolve) => {
      execFile('unshare', ['-n', '-m', 'sh', path.join(dir, 'script.sh')], { env, timeout: timeoutMs, killSignal: 'SIGTERM' }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
        resolve({ code, stdout, stderr, logs: {} });
      });
    });
    for (const f of await readdir(dir)) if (f.endsWith('.log')) result.logs[f] = await readFile(path.join(dir, f), 'utf8');
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let reachable: Promise<void> | undefined;
/**
 * The deploy tests run the server as unprivileged users, who must reach bin/, dist/, zones/ and
 * node_modules/ (Node itself). A clone in a private directory (`git clone . "$(mktemp -d)"`: mode
 * 0700) would shut them out. Each directory from the repository up to / that others cannot
 * traverse gets o+x (traverse only: nothing becomes listable or readable that was not). Not set
 * back afterwards: test files run in parallel and one's restore would cut off another's server.
 */
function letOthersReachTheRepository(): Promise<void> {
  reachable ??= (async () => {
    for (let d = root; ; d = path.dirname(d)) {
      const mode = (await stat(d)).mode & 0o7777;
      if ((mode & 0o001) === 0) await chmod(d, mode | 0o001);
      if (path.dirname(d) === d) break;
    }
  })();
  return reachable;
}
