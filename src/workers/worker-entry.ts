// How the main thread starts worker-main (a worker thread): the file next to this module, compiled
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
}

export function workerEntry(): WorkerEntry {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  if (here.endsWith('.ts')) {
    return {
      path: path.join(dir, 'worker-main.ts'),
      execArgv: ['--experimental-transform-types', '--no-warnings', '--import', `data:text/javascript,${encodeURIComponent(TS_RESOLVE_HOOK)}`],
    };
  }
  const compiled = path.join(dir, 'worker-main.js');
  if (!existsSync(compiled)) throw new WorkerEntryError(`worker entry ${compiled} is missing`);
  return { path: compiled, execArgv: [] };
}

/** SO_REUSEPORT for dgram and net arrived in Node 22.12 and 23.1 (Node 20 refuses it). */
export function reusePortSupported(version = process.versions.node): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}
