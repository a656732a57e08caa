// Builds native/udp-batch.c into dist/native/udp-batch.node with the system C compiler, against
// the Node-API headers of the Node that runs this script (Node-API is ABI-stable, so the
// addon loads in any Node >= 22 whichever headers it was built with). Run by `npm run build`.
//
// The addon is an accelerator, not a requirement: when there is no compiler or no headers this
// prints why and exits 0, and the server serves UDP through dgram instead (src/dns/dns-server.ts
// logs which one it uses). Set MDNS_NATIVE_REQUIRED=1 to make a failed build an error (CI does).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'native', 'udp-batch.c');
const target = path.join(root, 'dist', 'native', 'udp-batch.node');
const required = process.env.MDNS_NATIVE_REQUIRED === '1';

function giveUp(reason) {
  process.stderr.write(`native: not building the batched UDP addon (${reason}); UDP is served through dgram\n`);
  process.exit(required ? 1 : 0);
}

if (process.platform !== 'linux') giveUp(`recvmmsg/sendmmsg are Linux system calls, this is ${process.platform}`);

// The running Node's own headers first (node@24 from node_modules ships them beside its binary),
// then npm's nodedir, then the distribution's.
const candidates = [
  path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
  process.env.npm_config_nodedir ? path.join(process.env.npm_config_nodedir, 'include', 'node') : '',
  '/usr/include/node',
  '/usr/local/include/node',
].filter((dir) => dir !== '');
const include = candidates.find((dir) => existsSync(path.join(dir, 'node_api.h')) && existsSync(path.join(dir, 'uv.h')));
if (include === undefined) giveUp(`no Node-API headers (node_api.h, uv.h) in ${candidates.join(', ')}`);

const compiler = process.env.CC || 'cc';
mkdirSync(path.dirname(target), { recursive: true });
const args = [
  '-O2', '-std=gnu11', '-fPIC', '-shared', '-fvisibility=hidden',
  '-Wall', '-Wextra', '-Werror',
  '-I', include,
  source, '-o', target,
];
const r = spawnSync(compiler, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (r.error) giveUp(`${compiler}: ${r.error.message}`);
if (r.status !== 0) giveUp(`${compiler} exited with ${r.status ?? r.signal}`);
