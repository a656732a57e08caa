// `npm run bench`: the launcher. The benchmarks are TypeScript (bench/*.ts) importing the
// sources with NodeNext '.js' specifiers, so they are compiled with the project's tsc into
// bench/out/ (gitignored) and run from there. Before that: the Debian tools the benchmarks
// drive (dnsperf, knotd) are installed when missing, and the server is built (`npm run build`),
// because the benchmarks start the real binary. Environment knobs: see bench/main.ts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'bench', 'out');

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

function run(command, args, what) {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (r.error) fail(`${what}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} failed (exit ${r.status ?? r.signal})`);
}

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
rmSync(out, { recursive: true, force: true });
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
// The options of tsconfig.json, given on the command line because a file list replaces the
// project's "include" (only the benchmarks and what they import are compiled).
run(
  process.execPath,
  [
    tsc,
    '--outDir', out,
    '--rootDir', root,
    '--target', 'ES2023',
    '--lib', 'ES2023',
    '--module', 'NodeNext',
    '--moduleResolution', 'NodeNext',
    '--types', 'node',
    '--strict',
    '--noImplicitOverride',
    '--noFallthroughCasesInSwitch',
    '--esModuleInterop',
    '--skipLibCheck',
    '--resolveJsonModule',
    '--isolatedModules',
    path.join(root, 'bench', 'main.ts'),
    path.join(root, 'bench', 'gen-state.ts'),
    // The in-process server of the stream benchmark forks DNS workers from its own output tree.
    path.join(root, 'src', 'workers', 'worker-main.ts'),
  ],
  'compiling the benchmarks',
);

// --- run -----------------------------------------------------------------------------------------
const child = spawn(process.execPath, [path.join(out, 'bench', 'main.js')], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
