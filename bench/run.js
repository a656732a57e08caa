// `npm run bench`: the launcher. The benchmarks are TypeScript (bench/*.ts) importing the
// sources with NodeNext '.js' specifiers, so they are compiled with the project's tsc into
// bench/out/ (gitignored) and run from there. Before that: the Debian tools the benchmarks
// drive (dnsperf, knotd) are installed when missing, and the server is built (`npm run build`),
// because the benchmarks start the real binary. Environment knobs: see bench/main.ts.
// `node bench/run.js soak` (`npm run soak`) does the same and runs bench/soak.ts instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { compile, fail as failWith, root, run as runIn } from './compile.js';

const entry = process.argv[2] === 'soak' ? 'soak' : 'main';
const out = path.join(root, 'bench', 'out');
const fail = (message) => failWith('bench', message);
const run = (command, args, what) => runIn(command, args, what, 'bench');

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) fail(`needs Node >= 22 (this is ${process.version}); run it as \`npm run bench\`, which uses the project's Node 24`);

// --- Debian packages ---------------------------------------------------------------------------
const missing = [];
if (!onPath('dnsperf')) missing.push('dnsperf');
if (!onPath('knotd') && !existsSync('/usr/sbin/knotd')) missing.push('knot');
if (missing.length > 0) {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    fail(`missing ${missing.join(', ')}; install with: sudo apt-get install -y ${missing.join(' ')}`);
  }
  process.stderr.write(`bench: installing Debian packages: ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) fail(`apt-get ${args.join(' ')} failed`);
  }
}

// --- build the server, compile the benchmarks -------------------------------------------------
process.stderr.write('bench: building the server (npm run build)\n');
run('npm', ['run', '--silent', 'build'], 'npm run build');

process.stderr.write('bench: compiling bench/*.ts into bench/out/\n');
// The in-process server of the stream benchmark forks DNS workers from its own output tree.
compile(['bench/main.ts', 'bench/gen-state.ts', 'bench/soak.ts', 'bench/first-build.ts', 'bench/incremental-start.ts', 'bench/reverse-handoff.ts', 'src/workers/worker-main.ts', 'src/workers/reverse-helper-main.ts'], out, 'bench');

// --- run -----------------------------------------------------------------------------------------
const child = spawn(process.execPath, [path.join(out, 'bench', `${entry}.js`)], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
