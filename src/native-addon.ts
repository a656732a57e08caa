// Loads one of the C addons that `npm run build` compiles into dist/native/ (native/build.js),
// once per thread. An addon is an accelerator: missing or unloadable is not an error, the caller
// takes its JavaScript path and keeps the reason so it can be logged.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** src/ and dist/ both sit one level below the package root. */
export function addonPath(file: string): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'native', file);
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
