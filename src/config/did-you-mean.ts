// "Did you mean" for unknown config keys: a misspelt key is otherwise ignored with a warning,
// and the setting silently keeps its default (`refreshSecond` leaves the refresh at 60 s). Pure.
// Keys match case-insensitively (as Go's encoding/json does), so the distance is taken between
// lower-cased names; the suggestion is the spelling the documentation uses.

/** The spellings docs/configuration.md and config.example.json use (mesos-dns's own). */
const DOCUMENTED = [
  'zk', 'masters', 'zkDetectionTimeout', 'refreshSeconds', 'stateTimeoutSeconds', 'ttl', 'domain', 'port', 'resolvers',
  'zoneResolvers', 'timeout', 'httpon', 'dnson', 'httpport', 'externalon', 'listener', 'HTTPListener', 'SOAMname',
  'SOARname', 'SOARefresh', 'SOARetry', 'SOAExpire', 'SOAMinttl', 'IPSources', 'srvRecordDefaultWeight', 'recurseOn',
  'enforceRFC952', 'SetTruncateBit', 'EnumerationOn', 'MesosHTTPSOn', 'CACertFile', 'CertFile', 'KeyFile',
  'mesosAuthentication', 'mesosCredentials', 'IAMConfigFile', 'StateFile', 'MesosHTTPSInsecure', 'StreamOn',
  'ForwardCacheSize', 'Workers', 'UDPBufferBytes', 'UDPBatching', 'NativeStateReader', 'EDNSMaxUDPSize',
];
// Keys not in that list are suggested as schema.ts spells them.
const DOCUMENTED_BY_LOWER = new Map(DOCUMENTED.map((k) => [k.toLowerCase(), k]));

/** Edits (insert, delete, substitute, swap two neighbours) between a and b: optimal string alignment. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** At most this many edits away is "close"; fewer for short keys ("ns" is two edits from "zk"). */
const MAX_DISTANCE = 2;
const maxDistance = (key: string) => Math.min(MAX_DISTANCE, Math.floor(key.length / 3));
/** A prefix shorter than this says too little ("p" is a prefix of "port" and "ports"). */
const MIN_PREFIX = 4;

/**
 * The known key closest to `key` when one is close: within two edits (one for keys under six
 * letters, none under three), or the start of a known key (`refresh` -> `refreshSeconds`); undefined otherwise. `known` are field names, matched
 * case-insensitively; the answer is the documented spelling.
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const name of known) {
    const candidate = name.toLowerCase();
    const distance = editDistance(lower, candidate);
    const prefix = lower.length >= MIN_PREFIX && candidate.startsWith(lower);
    const close = distance <= maxDistance(lower);
    if (!close && !prefix) continue;
    // Edits first; a prefix match ranks after any edit match.
    const score = close ? distance : MAX_DISTANCE + 1;
    if (best === undefined || score < best.score) best = { name, score };
  }
  return best && (DOCUMENTED_BY_LOWER.get(best.name.toLowerCase()) ?? best.name);
}

/** The warning for an unknown key, with a suggestion when one is close. */
export function unknownKeyWarning(key: string, known: readonly string[]): string {
  const suggestion = suggestKey(key, known);
  return suggestion === undefined ? `unknown key "${key}" ignored` : `unknown key "${key}" ignored; did you mean "${suggestion}"?`;
}
