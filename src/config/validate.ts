// parseConfig: config.json's value -> a validated, normalised Config with its typed values.
// Pure: the file's JSON value plus the few facts of the machine it needs (the file's path,
// /etc/resolv.conf, local addresses, the clock) come in as parameters, so every rule is testable
// from a table.
//
// Compatibility rules come from mesos-dns (records/config.go, records/validation.go): the
// normalisations (domain, SOA names, timeout 0) are the same. Where mesos-dns accepts something
// that later crashes or silently misbehaves (a port of 70000, refreshSeconds 0, a listener that is
// not an address), we reject it here with the key's name and the reason, and report every problem.
import { ConfigError, ConfigErrors } from '../errors.js';
import { parseCidr } from '../net/cidr.js';
import { canonicalIP, hostKey, parseMasterAddress, parseResolverAddress } from '../net/address.js';
import { parseZkUrl } from '../mesos/zk-url.js';
import { reverseZoneOf } from '../net/reverse-names.js';
import { keyName, parseTsigKey } from './tsig-keys.js';
import { decodeAll, isObject, matchKeys, Problems, show } from './decode.js';
import { ADDRESS_POLICIES, ANSWER_ORDERS, AUTH_MECHANISMS, DOMAIN_RE, HEALTH_POLICIES, IP_SOURCES, RAW_DEFAULTS, type RawConfig } from './schema.js';
import { DCOS_DOMAIN, typedValues, type Config } from './typed.js';
import { validateSecondary } from './validate-secondary.js';

/** Facts of the machine that parseConfig needs; loadConfig gathers them. */
export interface ConfigEnv {
  /** Absolute path of the config file; becomes Config.File. */
  file: string;
  /** Contents of /etc/resolv.conf; read only when `resolvers` is an explicit [] and externalon. */
  resolvConf: string;
  /** IPs of local interfaces; these are never used as upstream resolvers (we would ask ourselves). */
  localAddresses: readonly string[];
  /** Unix seconds; becomes SOASerial. */
  now: number;
}

export interface LoadedConfig {
  config: Config;
  /** Things worth telling the operator that do not stop the server (unknown keys, ignored keys). */
  warnings: string[];
}

/** `nameserver` addresses of a resolv.conf, in order (resolv.conf(5); `#` and `;` start comments). */
export function resolvConfNameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (fields[0] === 'nameserver' && fields[1] !== undefined) out.push(fields[1]);
  }
  return out;
}

/** A DNS name as text, after normalisation: non-empty labels of at most 63 octets (RFC 1035 §2.3.4). */
function dnsNameProblem(absolute: string): string | undefined {
  const name = absolute.slice(0, -1);
  if (name === '') return 'must not be empty';
  if (name.length > 253) return 'is longer than 253 characters';
  if (/[\s\\"()]/.test(name) || [...name].some((c) => c.charCodeAt(0) > 126)) {
    return 'may contain only printable ASCII without spaces';
  }
  const labels = name.split('.');
  if (labels.some((l) => l === '')) return 'has an empty label';
  if (labels.some((l) => l.length > 63)) return 'has a label longer than 63 characters';
  return undefined;
}

/**
 * Validates and normalises a config file's JSON value. Pure: everything it needs from the machine
 * is in `env`. Throws ConfigErrors listing every problem found.
 */
export function parseConfig(raw: unknown, env: ConfigEnv): LoadedConfig {
  if (!isObject(raw)) {
    throw new ConfigErrors([new ConfigError('config', `must be a JSON object, got ${Array.isArray(raw) ? 'an array' : show(raw)}`)]);
  }
  const { values, written, warnings } = matchKeys(raw);
  const p = new Problems(written);
  p.warnings.push(...warnings);
  const c: RawConfig = structuredClone(RAW_DEFAULTS) as RawConfig;
  decodeAll(values, c, p);

  c.File = env.file;
  c.SOASerial = env.now;
  c.Domain = c.Domain.toLowerCase();

  validateServices(c, p);
  validateMasters(c, p);
  if (c.Zk !== '') validateZk(c, p);
  if (c.ExternalOn) {
    fillResolvers(c, env, p);
    validateResolvers(c, p);
    validateZoneResolvers(c, p);
  }
  validateIPSources(c, p);
  validateAddresses(c, p);
  validateReverseZones(c, p);
  validateDomain(c, p);
  normaliseSOA(c, p);
  validateListeners(c, p);
  validateTLS(c, p);
  validateAuth(c, p);
  validateHealthPolicy(c, p);
  validateSecurity(c, p);
  validateConnectionLimits(c, p);
  validateAnswerOrder(c, p);
  validateTransfer(c, p);
  validateSecondary(c, p);
  // A path the file system cannot take; whether the directory exists is the zone loader's
  // business (absent: no static zones, docs/static-zones.md).
  if (c.ZonesDir.includes('\0')) p.error('ZonesDir', 'must be a directory path (it contains a NUL character)');
  // mesos-dns: "timeout 0" means the default of 5 seconds.
  if (c.Timeout === 0) c.Timeout = RAW_DEFAULTS.Timeout;

  if (p.errors.length > 0) throw new ConfigErrors(p.errors, p.warnings);
  return { config: { ...c, typed: typedValues(c) }, warnings: p.warnings };
}

// --- zone transfer (issue 16) ---
function validateTransfer(c: RawConfig, p: Problems): void {
  for (const entry of c.AllowTransfer) {
    const parsed = parseCidr(entry);
    if (parsed.reason !== undefined) p.error('AllowTransfer', parsed.reason);
  }
  for (const entry of c.Notify) {
    const parsed = parseResolverAddress(entry);
    if (parsed.reason !== undefined) p.error('Notify', parsed.reason);
  }
  const names = new Set<string>();
  for (const entry of c.TsigKeys) {
    const parsed = parseTsigKey(entry);
    if (parsed.reason !== undefined) p.error('TsigKeys', parsed.reason);
    else if (names.has(parsed.value.name)) p.error('TsigKeys', `key ${JSON.stringify(parsed.value.name)} is given twice`);
    else names.add(parsed.value.name);
  }
  if (c.TransferTsigKey !== '' && !names.has(keyName(c.TransferTsigKey))) {
    p.error('TransferTsigKey', `${JSON.stringify(c.TransferTsigKey)} is not a key of TsigKeys`);
  }
}
// --- end of zone transfer ---

// --- connection limits ---
function validateConnectionLimits(c: RawConfig, p: Problems): void {
  // node:http refuses a headers timeout longer than the request timeout: the request one would
  // cut the headers off first anyway.
  if (c.HTTPHeadersTimeoutMs > c.HTTPRequestTimeoutMs) {
    p.error('HTTPHeadersTimeoutMs', `must not exceed HTTPRequestTimeoutMs (${c.HTTPRequestTimeoutMs}), got ${c.HTTPHeadersTimeoutMs}`);
  }
}
// --- end of connection limits ---

// --- answer order (issue 15) ---
function validateAnswerOrder(c: RawConfig, p: Problems): void {
  const order = c.AnswerOrder as string;
  if (!(ANSWER_ORDERS as readonly string[]).includes(order)) {
    p.error('AnswerOrder', `must be ${ANSWER_ORDERS.map((o) => `"${o}"`).join(' or ')}, got ${show(order)}`);
  }
}
// --- end of answer order ---

// --- security keys (issue 12) ---
function validateSecurity(c: RawConfig, p: Problems): void {
  // It goes out as one TXT <character-string> (RFC 1035 §3.3: at most 255 octets).
  const octets = Buffer.byteLength(c.Identity, 'utf8');
  if (octets > 255) p.error('Identity', `must be at most 255 octets of UTF-8, got ${octets}`);
  for (const key of ['RecurseFrom', 'ResponseRateLimitExempt'] as const) {
    for (const entry of c[key]) {
      const parsed = parseCidr(entry);
      if (parsed.reason !== undefined) p.error(key, parsed.reason);
    }
  }
}

function validateServices(c: RawConfig, p: Problems): void {
  if (!c.DnsOn && !c.HttpOn) {
    p.error('DnsOn', 'either the DNS or the HTTP server should be on (dnson and httpon are both false)');
  }
  const noMasters = c.Masters === null || c.Masters.length === 0;
  // A secondary (Primaries) reads no master: validate-secondary.ts.
  if (noMasters && c.Zk === '' && c.StateFile === '' && c.Primaries.length === 0) {
    p.error('Masters', 'specify Mesos masters or zk (or StateFile): both masters and zk are empty');
  }
  if (c.StateFile !== '' && (!noMasters || c.Zk !== '')) {
    p.warnings.push('StateFile is set, so masters and zk are not used');
  }
}

function validateMasters(c: RawConfig, p: Problems): void {
  const seen = new Map<string, string>();
  for (const entry of c.Masters ?? []) {
    const parsed = parseMasterAddress(entry);
    if (parsed.reason !== undefined) {
      p.error('Masters', parsed.reason);
      continue;
    }
    const { host, port: portNum } = parsed.value;
    const id = `${hostKey(host)}|${portNum}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) p.error('Masters', `duplicate master ${show(entry)} (same as ${show(earlier)})`);
    else seen.set(id, entry);
  }
}

function validateZk(c: RawConfig, p: Problems): void {
  // One parser for the zk URL: the one the detector uses, so what validates here also connects.
  try {
    if (parseZkUrl(c.Zk).hasCredentials) p.warnings.push(`${p.name('Zk')}: credentials in the URL are ignored`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    p.error('Zk', err.reason);
  }
}

function fillResolvers(c: RawConfig, env: ConfigEnv, p: Problems): void {
  if (c.Resolvers.length > 0) return;
  // mesos-dns: an explicitly empty list means "the system's resolvers", minus this machine's own
  // addresses, since forwarding to ourselves would loop.
  const local = new Set(env.localAddresses.map((a) => canonicalIP(a) ?? a));
  const found: string[] = [];
  for (const ns of resolvConfNameservers(env.resolvConf)) {
    const ip = canonicalIP(ns);
    if (ip === undefined) {
      p.warnings.push(`${p.name('Resolvers')}: resolv.conf nameserver ${show(ns)} skipped: not a plain IP address`);
    } else if (!local.has(ip) && !found.some((f) => canonicalIP(f) === ip)) {
      found.push(ns);
    }
  }
  c.Resolvers = found;
  if (found.length === 0) {
    p.warnings.push(
      `${p.name('Resolvers')}: /etc/resolv.conf gave no usable nameserver, so only zoneResolvers can forward`,
    );
  }
}

function checkResolverList(list: readonly string[], what: string, field: keyof RawConfig, p: Problems): void {
  const seen = new Map<string, string>();
  for (const entry of list) {
    const parsed = parseResolverAddress(entry);
    if (parsed.reason !== undefined) {
      p.error(field, `${what}${parsed.reason}`);
      continue;
    }
    const id = `${canonicalIP(parsed.value.host)}|${parsed.value.port}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) p.error(field, `${what}duplicate resolver ${show(entry)} (same as ${show(earlier)})`);
    else seen.set(id, entry);
  }
}

function validateResolvers(c: RawConfig, p: Problems): void {
  checkResolverList(c.Resolvers, '', 'Resolvers', p);
}

function validateZoneResolvers(c: RawConfig, p: Problems): void {
  const zones = Object.keys(c.ZoneResolvers);
  for (const zone of zones) {
    const list = c.ZoneResolvers[zone];
    if (!DOMAIN_RE.test(zone)) p.error('ZoneResolvers', `zone ${show(zone)} is not a valid domain name`);
    if (list.length === 0) p.error('ZoneResolvers', `zone ${show(zone)} has no resolvers`);
    checkResolverList(list, `zone ${show(zone)}: `, 'ZoneResolvers', p);
    if (zone === c.Domain) {
      p.error('ZoneResolvers', `zone ${show(zone)} is the Mesos domain, which this server answers itself`);
    }
  }
  // A zone inside another (or around the Mesos domain) makes it ambiguous which resolvers own a
  // name; mesos-dns rejects it, and so do we. Each pair is reported once.
  const all = [...zones.filter((z) => z !== c.Domain), c.Domain];
  for (const inner of all) {
    for (const outer of all) {
      if (inner !== outer && `.${inner}`.endsWith(`.${outer}`)) {
        const label = (z: string) => (z === c.Domain ? `the Mesos domain ${show(z)}` : `zone ${show(z)}`);
        p.error('ZoneResolvers', `${label(inner)} lies inside ${label(outer)}: ambiguous zone resolvers`);
      }
    }
  }
}

function validateReverseZones(c: RawConfig, p: Problems): void {
  for (const entry of c.ReverseZones) {
    const zone = reverseZoneOf(entry);
    if (zone.reason !== undefined) p.error('ReverseZones', zone.reason);
  }
}

function validateIPSources(c: RawConfig, p: Problems): void {
  if (c.IPSources.length === 0) {
    p.error('IPSources', `must not be empty; use some of ${IP_SOURCES.join(', ')}`);
    return;
  }
  const seen = new Set<string>();
  for (const src of c.IPSources) {
    if (!IP_SOURCES.includes(src)) p.error('IPSources', `invalid IP source ${show(src)}; use ${IP_SOURCES.join(', ')}`);
    else if (seen.has(src)) p.error('IPSources', `duplicate IP source ${show(src)}`);
    seen.add(src);
  }
}

// --- task addresses (docs/addresses.md) ---
function validateAddresses(c: RawConfig, p: Problems): void {
  const seen = new Set<string>();
  for (const name of c.IPNetworks) {
    if (name === '') p.error('IPNetworks', 'a network name must not be empty');
    else if (seen.has(name)) p.error('IPNetworks', `duplicate network ${show(name)}`);
    seen.add(name);
  }
  if (!ADDRESS_POLICIES.includes(c.AddressPolicy)) p.error('AddressPolicy', `must be "" (IPSources decides) or "auto", got ${show(c.AddressPolicy)}`);
  // Two zones of ours, one inside the other, would each claim the other's names.
  const domain = c.Domain.replace(/\.+$/, '');
  if (c.DcosNames && (domain === DCOS_DOMAIN || domain.endsWith(`.${DCOS_DOMAIN}`) || DCOS_DOMAIN.endsWith(`.${domain}`))) {
    p.error('DcosNames', `the DC/OS zone ${DCOS_DOMAIN} cannot be served beside the domain ${show(c.Domain)}, which overlaps it`);
  }
}

function validateDomain(c: RawConfig, p: Problems): void {
  if (!DOMAIN_RE.test(c.Domain)) {
    p.error('Domain', `${show(c.Domain)} is not a valid domain name (letters, digits and "-", dot-separated, no leading or trailing dot)`);
    return;
  }
  const problem = dnsNameProblem(`${c.Domain}.`);
  if (problem !== undefined) p.error('Domain', `${show(c.Domain)} ${problem}`);
}

function normaliseSOA(c: RawConfig, p: Problems): void {
  // mesos-dns: every "@" in the contact becomes "." (admin@example.org -> admin.example.org.);
  // both names become absolute with exactly one trailing dot; MNAME is lower-cased.
  c.SOARname = `${c.SOARname.replaceAll('@', '.').replace(/\.+$/, '')}.`;
  c.SOAMname = `${c.SOAMname.replace(/\.+$/, '').toLowerCase()}.`;
  const rname = dnsNameProblem(c.SOARname);
  if (rname !== undefined) p.error('SOARname', `${show(c.SOARname)} ${rname}`);
  const mname = dnsNameProblem(c.SOAMname);
  if (mname !== undefined) p.error('SOAMname', `${show(c.SOAMname)} ${mname}`);
}

function validateListeners(c: RawConfig, p: Problems): void {
  for (const field of ['Listener', 'HTTPListener'] as const) {
    if (canonicalIP(c[field]) === undefined) {
      p.error(field, `must be an IP address such as "0.0.0.0" or "::", got ${show(c[field])}`);
    }
  }
}

function validateTLS(c: RawConfig, p: Problems): void {
  if ((c.CertFile === '') !== (c.KeyFile === '')) {
    p.error(c.CertFile === '' ? 'CertFile' : 'KeyFile', 'CertFile and KeyFile must be given together');
  }
  if (c.MesosHTTPSInsecure && c.CACertFile !== '') {
    p.warnings.push('MesosHTTPSInsecure is true, so the masters\' certificates are not checked against CACertFile');
  }
}

function validateHealthPolicy(c: RawConfig, p: Problems): void {
  const policy = c.HealthPolicy as string;
  if (!(HEALTH_POLICIES as readonly string[]).includes(policy)) {
    p.error('HealthPolicy', `must be "ignore", "exclude-unhealthy" or "only-healthy", got ${show(policy)}`);
  }
}

function validateAuth(c: RawConfig, p: Problems): void {
  const mech = c.MesosAuthentication as string;
  if (!(AUTH_MECHANISMS as readonly string[]).includes(mech)) {
    p.error('MesosAuthentication', `must be "", "basic" or "iam", got ${show(mech)}`);
    return;
  }
  const creds = c.MesosCredentials;
  if (mech === 'basic' && creds.Principal === '' && creds.Secret === '') {
    p.error('MesosCredentials', 'MesosAuthentication "basic" needs a principal or a secret');
  }
  if (mech === 'iam' && c.IAMConfigFile === '') {
    p.error('IAMConfigFile', 'MesosAuthentication "iam" needs IAMConfigFile');
  }
  if (mech === '' && (creds.Principal !== '' || creds.Secret !== '')) {
    p.warnings.push('MesosCredentials is set but MesosAuthentication is empty, so no credentials are sent');
  }
  if (mech !== 'iam' && c.IAMConfigFile !== '') {
    p.warnings.push('IAMConfigFile is set but MesosAuthentication is not "iam", so it is not used');
  }
}

