// Loads one of the C addons that `npm run build` compiles into dist/native/ (native/build.js),
// once per thread. An addon is an accelerator: missing or unloadable is not an error, the caller
// takes its JavaScript path and keeps the reason so it can be logged.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * dist/native/`file` of the package this module belongs to: the first directory up from here
 * with a package.json. That is one level up from src/ and dist/, and three from the benchmark's
 * compiled copy (bench/out/src/).
 */
export function addonPath(file: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let root = path.resolve(here, '..');
  for (let dir = here; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) {
      root = dir;
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  return path.join(root, 'dist', 'native', file);
}

export type Loaded<T> = { addon: T } | { reason: string };

export function loadAddon<T>(file: string): Loaded<T> {
  const at = addonPath(file);
  if (!existsSync(at)) return { reason: `${at} was not built (npm run build needs a C compiler)` };
  try {
    const module = { exports: {} as T };
    process.dlopen(module, at);
    return { addon: module.exports };
  } catch (err) {
    return { reason: `${at} does not load: ${(err as Error).message}` };
  }
}
