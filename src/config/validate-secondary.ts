// Checks of the secondary keys (Primaries, SecondaryZones; docs/configuration.md "Secondary"),
// apart from validate.ts so each file keeps to one concern. Pure.
import { hostKey, joinHostPort, parseResolverAddress } from '../net/address.js';
import { reverseZoneOf } from '../net/reverse-names.js';
import { show, type Problems } from './decode.js';
import type { RawConfig } from './schema.js';

/** A SecondaryZones entry as an absolute, lower-case zone name, or why it is not one we can follow. */
export function secondaryZoneOf(entry: string, domain: string): { value?: string; reason?: string } {
  const name = entry.trim().toLowerCase().replace(/\.$/, '');
  if (name === domain.toLowerCase().replace(/\.$/, '')) return { value: `${name}.` };
  const reverse = reverseZoneOf(entry);
  if (reverse.value !== undefined) return { value: reverse.value };
  // A CIDR or an .arpa name that is not a reverse zone: reverseZoneOf says why.
  if (name.includes('/') || name.endsWith('.arpa')) return { reason: reverse.reason };
  // Only the zones the record table holds: the Mesos domain and reverse zones (a static zone
  // comes from ZonesDir instead).
  return { reason: `${show(entry)} is neither the Domain (${show(domain)}) nor a reverse zone (a name under in-addr.arpa or ip6.arpa, or a CIDR)` };
}

export function validateSecondary(c: RawConfig, p: Problems): void {
  const seen = new Set<string>();
  for (const entry of c.Primaries) {
    const parsed = parseResolverAddress(entry);
    if (parsed.reason !== undefined) {
      p.error('Primaries', parsed.reason);
      continue;
    }
    const key = `${hostKey(parsed.value.host)} ${parsed.value.port}`;
    if (seen.has(key)) p.error('Primaries', `duplicate primary ${show(entry)} (${joinHostPort(parsed.value)})`);
    seen.add(key);
  }
  if (c.Primaries.length === 0) {
    if (c.SecondaryZones.length > 0) p.error('SecondaryZones', 'is only used with Primaries (a secondary), and Primaries is empty');
    return;
  }
  // A secondary serves its primary's serials; ZoneHistory would give each zone serials of its
  // own, so a secondary that fed further secondaries would announce versions its primary never
  // had. Chains of secondaries follow the primary directly instead (docs/operations.md).
  if (c.AllowTransfer.length > 0) p.error('Primaries', 'a secondary does not pass zones on: AllowTransfer must be empty with Primaries (let other secondaries follow the primary)');
  if (c.Notify.length > 0) p.error('Primaries', 'a secondary does not pass zones on: Notify must be empty with Primaries (let the primary notify the other secondaries)');
  if (c.DcosNames) p.error('DcosNames', 'a secondary (Primaries) cannot serve thisdcos.directory: the primary does not transfer it');
  if (c.StateFile !== '' || (c.Masters ?? []).length > 0 || c.Zk !== '') {
    p.warnings.push('Primaries is set (a secondary): Masters, Zk and StateFile are not used');
  }
  let domain = false;
  for (const entry of c.SecondaryZones) {
    const zone = secondaryZoneOf(entry, c.Domain);
    if (zone.reason !== undefined) p.error('SecondaryZones', zone.reason);
    else if (zone.value === `${c.Domain.toLowerCase().replace(/\.$/, '')}.`) domain = true;
  }
  if (c.SecondaryZones.length > 0 && !domain) p.error('SecondaryZones', `must include the Domain (${show(c.Domain)}): the record table is built around it`);
}
