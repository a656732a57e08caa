// The I/O around the zone parser: which files are zones, reading them and what they $INCLUDE,
// and noticing that one changed. Everything about their content is decided by the pure
// modules (zone-parser.ts, zone-check.ts).
//
// A zone file is a `*.zone` file directly in ZonesDir (not in its subdirectories, so included
// pieces and examples can sit in one). It starts with the origin its name gives
// (`example.com.zone` -> `example.com.`); its zone is the owner of its SOA.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ZoneFileError } from '../errors.js';
import { checkZone, type ZoneData } from './zone-check.js';
import { includedFiles, MAX_INCLUDE_DEPTH, parseZone } from './zone-parser.js';
import { qualify } from './zone-names.js';

/** What is known of one zone file between scans. */
export interface ZoneFileState {
  /** stat() of the file and its includes, as one string: unchanged means nothing to do. */
  signature: string;
  /** The files it included when last read (their changes count too). */
  includes: readonly string[];
  /** The last version that loaded; still served while the file is broken. */
  good?: ZoneData;
  /** Why the current version does not load. */
  error?: ZoneFileError;
  warnings: readonly string[];
}

export interface ScanResult {
  /** file path -> state, for the files present now. */
  files: Map<string, ZoneFileState>;
  /** Files read again in this scan (new, changed or gone ones count as changes). */
  changed: boolean;
}

const ZONE_SUFFIX = '.zone';

async function signatureOf(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    files.map(async (f) => {
      try {
        const s = await stat(f);
        return `${f}:${s.mtimeMs}:${s.size}:${s.ino}`;
      } catch {
        return `${f}:missing`;
      }
    }),
  );
  return parts.join('|');
}

/** The `*.zone` files in `dir`, sorted; empty when the directory does not exist. */
export async function zoneFilesIn(dir: string): Promise<string[]> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith(ZONE_SUFFIX) && !e.name.startsWith('.')).map((e) => e.name);
  } catch {
    return [];
  }
  return names.sort().map((n) => path.join(dir, n));
}

/** The origin a file starts with: its name without `.zone`, or the root when that is no name. */
export function originOf(file: string): string {
  const q = qualify(path.basename(file).slice(0, -ZONE_SUFFIX.length) + '.', '.');
  return 'name' in q ? q.name : '.';
}

/** Reads `file` and every file it includes (to MAX_INCLUDE_DEPTH), then parses and checks it. */
export async function loadZoneFile(file: string): Promise<{ includes: string[]; zone?: ZoneData; error?: ZoneFileError; warnings: string[] }> {
  const includes = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { includes: [], error: new ZoneFileError(file, 0, `cannot read: ${(err as Error).message}`), warnings: [] };
  }
  const pending: Array<{ from: string; text: string; depth: number }> = [{ from: file, text, depth: 0 }];
  try {
    while (pending.length > 0) {
      const { from, text: t, depth } = pending.pop()!;
      if (depth > MAX_INCLUDE_DEPTH) continue; // the parser reports the loop with its line
      for (const inc of includedFiles(from, t)) {
        if (includes.has(inc) || inc === file) continue;
        try {
          const body = await readFile(inc, 'utf8');
          includes.set(inc, body);
          pending.push({ from: inc, text: body, depth: depth + 1 });
        } catch {
          // Left out: the parser says "cannot read" at the $INCLUDE's line.
        }
      }
    }
    const records = parseZone({ file, text, origin: originOf(file), includes });
    const { zone, warnings } = checkZone(file, records);
    return { includes: [...includes.keys()], zone, warnings };
  } catch (err) {
    if (err instanceof ZoneFileError) return { includes: [...includes.keys()], error: err, warnings: [] };
    throw err;
  }
}

/**
 * One pass over `dir`: files whose signature (theirs and their includes') is unchanged keep
 * their state; the others are read again. A file that fails keeps its previous good version.
 */
export async function scanZoneDir(dir: string, previous: ReadonlyMap<string, ZoneFileState>): Promise<ScanResult> {
  const files = new Map<string, ZoneFileState>();
  let changed = false;
  const present = await zoneFilesIn(dir);
  for (const file of present) {
    const before = previous.get(file);
    // Taken before reading: a change made while we read shows as a change at the next scan.
    const own = await signatureOf([file]);
    const signature = [own, ...(before?.includes.length ? [await signatureOf(before.includes)] : [])].join('|');
    if (before !== undefined && before.signature === signature) {
      files.set(file, before);
      continue;
    }
    changed = true;
    const loaded = await loadZoneFile(file);
    // The signature of what was read, includes found this time included.
    const after = [own, ...(loaded.includes.length ? [await signatureOf(loaded.includes)] : [])].join('|');
    const state: ZoneFileState = { signature: after, includes: loaded.includes, warnings: loaded.warnings };
    if (loaded.zone) state.good = loaded.zone;
    else if (before?.good) state.good = before.good;
    if (loaded.error) state.error = loaded.error;
    files.set(file, state);
  }
  for (const file of previous.keys()) if (!files.has(file)) changed = true;
  return { files, changed };
}
