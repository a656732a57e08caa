// How the main thread starts worker-main (a worker thread), or another thread's module of this
// folder (reverse-helper-main): the file next to this module, compiled
// (dist/workers/worker-main.js) in production. When the server itself runs from its TypeScript
// sources (the tests under Jest, development), the worker runs from worker-main.ts under Node's
// own type stripping, with a module resolve hook that maps the sources' `./x.js` imports (the
// NodeNext convention) to the `./x.ts` files beside them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkerEntryError } from '../errors.js';

/** Passed to --import as a data: URL, so running from sources needs no extra file. */
const TS_RESOLVE_HOOK = `
import { registerHooks } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
registerHooks({
  resolve(specifier, context, next) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
      const ts = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
      if (existsSync(fileURLToPath(ts))) return next(ts.href, context);
    }
    return next(specifier, context);
  },
});
`;

export interface WorkerEntry {
  /** The module the worker thread runs. */
  path: string;
  /** Node flags for it (not inherited from this thread: a test runner's flags do not belong there). */
  execArgv: string[];
  /** V8 limits of the thread: a DNS worker's young generation is kept small (see WORKER_YOUNG_GENERATION_MB). */
  resourceLimits: { maxYoungGenerationSizeMb?: number };
}

/**
 * A DNS worker's young generation, MB (V8's semi-spaces are a third of it each). V8's default
 * (192 MB under Node 24 on 64-bit: Worker.resourceLimits says so) lets a worker's heap grow to
 * ~58 MB resident for ~40 MB in use once a table's hand-off has allocated through it, and keeps
 * it there: an idle worker never gives the semi-spaces back. A worker's allocations are a table's
 * check and short-lived per-query objects (the fast path copies a pre-encoded reply), so small
 * semi-spaces cost scavenges of a few hundred KB; measured at 100,000 tasks with the stream on
 * (docs/performance.md "Worker heaps"), ~19 MB less resident per worker.
 */
export const WORKER_YOUNG_GENERATION_MB = 6;

/** `module`: a thread's entry in this folder; a DNS worker's (the default) gets the small young generation. */
export function workerEntry(module: 'worker-main' | 'reverse-helper-main' = 'worker-main'): WorkerEntry {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  const resourceLimits = module === 'worker-main' ? { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } : {};
  if (here.endsWith('.ts')) {
    return {
      path: path.join(dir, `${module}.ts`),
      execArgv: ['--experimental-transform-types', '--no-warnings', '--import', `data:text/javascript,${encodeURIComponent(TS_RESOLVE_HOOK)}`],
      resourceLimits,
    };
  }
  const compiled = path.join(dir, `${module}.js`);
  if (!existsSync(compiled)) throw new WorkerEntryError(`worker entry ${compiled} is missing`);
  return { path: compiled, execArgv: [], resourceLimits };
}

/** SO_REUSEPORT for dgram and net arrived in Node 22.12 and 23.1 (Node 20 refuses it). */
export function reusePortSupported(version = process.versions.node): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}
