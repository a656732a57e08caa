#!/usr/bin/env node
// Entry point. Our dependencies need Node >= 22; when started by an older node (the machine's
// default may be 20), re-run ourselves with the Node 24 that the package's `node` dependency
// provides, if present, rather than failing deep inside a dependency.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major < 22) {
  const candidates = [join(root, 'node_modules', 'node', 'bin', 'node'), join(root, 'node_modules', '.bin', 'node')];
  const node24 = candidates.find((p) => existsSync(p));
  if (!node24 || process.env.MESOS_DNS_TS_REEXEC) {
    process.stderr.write(`mesos-dns-ts needs Node.js >= 22 (this is ${process.version}); install a newer Node or run it through npm scripts\n`);
    process.exit(1);
  }
  const child = spawn(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MESOS_DNS_TS_REEXEC: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
} else {
  const { main } = await import(pathToFileURL(join(root, 'dist', 'main.js')).href);
  await main(process.argv.slice(2));
}
