#!/usr/bin/env node
// Entry point. Our dependencies need Node >= 22; when started by an older node (the machine's
// default may be 20), re-run ourselves with the Node 24 that the package's `node` dependency
// provides, if present, rather than failing deep inside a dependency.
//
// glibc malloc settings, unless the operator set them: every table generation allocates and
// frees tens of MB of large buffers (the state text, the packed table). With glibc's default
// dynamic mmap threshold, freeing one large mmapped block raises the threshold to its size, so
// later ones come from the heap, which is not given back to the system: measured at 100,000
// tasks, resident memory stayed ~140 MB higher after a few reloads. A fixed threshold keeps
// large blocks mmapped (returned on free); two arenas stop every thread (DNS workers, libuv)
// from keeping its own. Applied by re-executing this same process (process.execve) before
// anything is allocated, as the variables are only read at start-up.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

const MALLOC_DEFAULTS = { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_ARENA_MAX: '2' };
/** The environment with our malloc settings added where the operator has not set them. */
function mallocEnv(env) {
  const out = { ...env };
  for (const [k, v] of Object.entries(MALLOC_DEFAULTS)) if (out[k] === undefined) out[k] = v;
  return out;
}
const mallocSettled = Object.keys(MALLOC_DEFAULTS).every((k) => process.env[k] !== undefined);

if (major < 22) {
  const candidates = [join(root, 'node_modules', 'node', 'bin', 'node'), join(root, 'node_modules', '.bin', 'node')];
  const node24 = candidates.find((p) => existsSync(p));
  if (!node24 || process.env.MESOS_DNS_TS_REEXEC) {
    process.stderr.write(`mesos-dns-ts needs Node.js >= 22 (this is ${process.version}); install a newer Node or run it through npm scripts\n`);
    process.exit(1);
  }
  const child = spawn(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...mallocEnv(process.env), MESOS_DNS_TS_REEXEC: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
} else {
  if (!mallocSettled && process.platform === 'linux' && typeof process.execve === 'function') {
    try {
      process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], mallocEnv(process.env));
    } catch {
      // Could not re-execute (a sandbox forbidding execve, say): run with the defaults.
    }
  }
  const { main } = await import(pathToFileURL(join(root, 'dist', 'main.js')).href);
  await main(process.argv.slice(2));
}
