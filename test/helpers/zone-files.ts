// Zone files for the static-zone integration tests (static-zones, static-zone-transfer): the
// records both zones hold, and how the tests change a file under the server's watcher.
import { rename, writeFile as writeInPlace } from 'node:fs/promises';
import path from 'node:path';

/**
 * Zone-file lines (origin example.test, TTL 300) that both test zones hold after their hosts: an
 * SRV, a TXT of two strings, a CAA, a wildcard, a delegation with its glue, and a type the server
 * knows only as unknown (RFC 3597 section 5 generic form).
 */
export const OTHER_TYPES = `_http._tcp SRV 10 5 8080 www
@   TXT "v=spf1 -all" "second string"
@   CAA 0 issue "letsencrypt.org"
*.wild A 192.0.2.99
sub NS ns.sub
ns.sub A 192.0.2.54
gen TYPE65280 \\# 4 0a000001
`;

/**
 * Writes a file whole, as editors and config tools do (a temporary file renamed over it): the
 * watcher may otherwise read a half-written file, which is a version of its own (and an error).
 */
export async function writeFile(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await writeInPlace(tmp, text);
  await rename(tmp, file);
}
