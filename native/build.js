// Builds the C addons into dist/native/ with the system C compiler, against the Node-API headers
// of the Node that runs this script (Node-API is ABI-stable, so an addon loads in any Node >= 22
// whichever headers it was built with). Run by `npm run build`.
//   native/udp-batch.c    -> udp-batch.node     batched UDP (recvmmsg/sendmmsg), Linux only
//   native/state-reader.c -> state-reader.node  reads /master/state without JSON.parse's graph
//
// The addons are accelerators, not requirements: when one cannot be built this prints why and
// goes on (exit 0), and the server takes its JavaScript path instead (dgram for UDP, JSON.parse
// for states; the server logs which). Set MDNS_NATIVE_REQUIRED=1 to make a failed build an error
// (npm test's pretest does: the tests load the addons).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const required = process.env.MDNS_NATIVE_REQUIRED === '1';

const addons = [
  {
    name: 'udp-batch',
    what: 'the batched UDP addon',
    fallback: 'UDP is served through dgram',
    unsupported: process.platform !== 'linux' ? `recvmmsg/sendmmsg are Linux system calls, this is ${process.platform}` : undefined,
  },
  { name: 'state-reader', what: 'the native state reader', fallback: 'states are read with JSON.parse', unsupported: undefined },
];

// The running Node's own headers first (node@24 from node_modules ships them beside its binary),
// then npm's nodedir, then the distribution's.
const candidates = [
  path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
  process.env.npm_config_nodedir ? path.join(process.env.npm_config_nodedir, 'include', 'node') : '',
  '/usr/include/node',
  '/usr/local/include/node',
].filter((dir) => dir !== '');
const include = candidates.find((dir) => existsSync(path.join(dir, 'node_api.h')) && existsSync(path.join(dir, 'uv.h')));
const compiler = process.env.CC || 'cc';
mkdirSync(path.join(root, 'dist', 'native'), { recursive: true });

let failed = false;
for (const addon of addons) {
  const reason = addon.unsupported ?? (include === undefined ? `no Node-API headers (node_api.h, uv.h) in ${candidates.join(', ')}` : build(addon.name));
  if (reason === undefined) continue;
  process.stderr.write(`native: not building ${addon.what} (${reason}); ${addon.fallback}\n`);
  failed = true;
}
process.exit(failed && required ? 1 : 0);

/** Compiles one addon; undefined on success, else why not. */
function build(name) {
  const args = [
    '-O2', '-std=gnu11', '-fPIC', '-shared', '-fvisibility=hidden', '-pthread',
    '-Wall', '-Wextra', '-Werror',
    '-I', include,
    path.join(root, 'native', `${name}.c`), '-o', path.join(root, 'dist', 'native', `${name}.node`),
  ];
  const r = spawnSync(compiler, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) return `${compiler}: ${r.error.message}`;
  if (r.status !== 0) return `${compiler} exited with ${r.status ?? r.signal}`;
  return undefined;
}
