// `npm run fuzz`: the launcher. Builds the server (the run starts the real binary), compiles
// bench/fuzz-main.ts and what it imports into bench/out-fuzz/ (gitignored) the way bench/run.js
// compiles the benchmarks, and runs it. Knobs: see bench/fuzz-main.ts.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { compile, fail, root, run } from './compile.js';

const out = path.join(root, 'bench', 'out-fuzz');
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) fail('fuzz', `needs Node >= 22 (this is ${process.version}); run it as \`npm run fuzz\`, which uses the project's Node 24`);

process.stderr.write('fuzz: building the server (npm run build)\n');
run('npm', ['run', '--silent', 'build'], 'npm run build', 'fuzz');
process.stderr.write('fuzz: compiling bench/fuzz-main.ts into bench/out-fuzz/\n');
compile(['bench/fuzz-main.ts'], out, 'fuzz');

const child = spawn(process.execPath, [path.join(out, 'bench', 'fuzz-main.js')], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
