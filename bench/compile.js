// Compiles bench entry points (TypeScript importing the sources with NodeNext '.js' specifiers)
// and what they import into an output tree with the project's tsc, for the launchers
// bench/run.js (`npm run bench`) and bench/fuzz.js (`npm run fuzz`).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a command in the repository; exits this process with `what` on failure. */
export function run(command, args, what, prefix) {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (r.error) fail(prefix, `${what}: ${r.error.message}`);
  if (r.status !== 0) fail(prefix, `${what} failed (exit ${r.status ?? r.signal})`);
}

export function fail(prefix, message) {
  process.stderr.write(`${prefix}: ${message}\n`);
  process.exit(1);
}

/** Compiles `entries` (paths relative to the repository) into `out`, emptied first. */
export function compile(entries, out, prefix) {
  rmSync(out, { recursive: true, force: true });
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  // The options of tsconfig.json, given on the command line because a file list replaces the
  // project's "include" (only the entries and what they import are compiled).
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
      ...entries.map((e) => path.join(root, e)),
    ],
    `compiling ${entries.join(', ')}`,
    prefix,
  );
}
